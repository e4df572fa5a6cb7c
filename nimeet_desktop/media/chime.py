"""The speaker test sound: a short two-note chime played once on a chosen speaker (the settings window's button).

A chime rather than a beep: people press it with headphones on, so it is soft (-18 dBFS), fades in and out (no
click), and is over in under a second. Played on a stream of its own, blocking: callers on the event loop use
``asyncio.to_thread``.
"""

from __future__ import annotations

import logging
import math

import numpy as np

from nimeet_desktop.media.audio_output import Samples
from nimeet_desktop.media.base import AUDIO_SAMPLE_RATE
from nimeet_desktop.media.devices import (
    AudioDeviceId,
    DeviceUnavailable,
    audio_problem,
    close_stream,
    sounddevice_module,
)

logger = logging.getLogger(__name__)

CHIME_DBFS = -18.0
NOTES_HZ = (660.0, 880.0)  # a rising fifth: reads as "hello", not as an alarm
NOTE_S = 0.35
FADE_S = 0.02


def chime_samples() -> Samples:
    """The chime: 48 kHz mono int16, the notes one after the other, each faded in and out."""
    n = round(NOTE_S * AUDIO_SAMPLE_RATE)
    t = np.arange(n) / AUDIO_SAMPLE_RATE
    fade = np.minimum(1.0, np.minimum(t, NOTE_S - t) / FADE_S)
    amplitude = 32767 * 10 ** (CHIME_DBFS / 20) * math.sqrt(2)  # a sine's RMS is its peak over √2
    notes = [amplitude * fade * np.sin(2 * math.pi * f * t) for f in NOTES_HZ]
    chime: Samples = np.rint(np.concatenate(notes)).astype(np.int16)
    return chime


def play_chime(device: AudioDeviceId | None) -> None:
    """Play the chime on ``device`` (None: the system default) and return when it is done. Raises
    ``DeviceUnavailable`` when there is no such speaker or it cannot be opened."""
    sd = sounddevice_module()
    if sd is None:
        raise DeviceUnavailable("no speaker: PortAudio is not available")
    try:
        stream = sd.OutputStream(device=device, samplerate=AUDIO_SAMPLE_RATE, channels=1, dtype="int16")
    except Exception as exc:  # sd.PortAudioError, or ValueError for a name that matches no device
        raise DeviceUnavailable(f"speaker {device!r} cannot be opened: {exc}", audio_problem(exc)) from exc
    try:
        stream.start()
        stream.write(chime_samples().reshape(-1, 1))
        stream.stop()  # waits for what was written to be played
    except Exception as exc:
        raise DeviceUnavailable(f"speaker {device!r} failed: {exc}", audio_problem(exc)) from exc
    finally:
        close_stream(stream, f"speaker {device!r} (test sound)")
