"""The sound devices a fresh PortAudio sees, printed as JSON: run in a short-lived process of its own
(``device_watch.audio_lists_in_subprocess``), so listing again never re-initializes the PortAudio of the app, which
would close every stream it has open.

Imports sounddevice and nothing of the app (its numpy and PyAV): the process starts in a fraction of a second.
From source it runs as ``python -m nimeet_desktop.media.audio_lister``; a bundle has no Python, so its
``nimeet-bot --list-audio-devices`` runs it (packaging/entry/nimeet_bot.py). The names are the ones
``devices.list_microphones`` / ``list_speakers`` give, which are the ids the settings keep.
"""

from __future__ import annotations

import json

FLAG = "--list-audio-devices"


def main() -> None:
    import sounddevice as sd

    devices = list(sd.query_devices())
    print(
        json.dumps(
            {
                "microphones": [d["name"] for d in devices if d.get("max_input_channels", 0) > 0],
                "speakers": [d["name"] for d in devices if d.get("max_output_channels", 0) > 0],
            }
        )
    )


if __name__ == "__main__":
    main()
