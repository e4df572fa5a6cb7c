"""Run as a process by test_recording.py: records a synthetic call (a moving picture, a tone) into argv[1] and
prints the recorded seconds every 0.1 s until it is killed. Nothing here closes the file: the test kills it."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from nimeet_desktop.media.recording.recorder import Recorder
from tests.media.test_recording import TONE_HZ, SyntheticCall


def main() -> None:
    call = SyntheticCall()
    recorder = Recorder(Path(sys.argv[1]), call.picture, call.mix, size=(640, 360), fps=30)
    assert recorder.start() is None
    while True:
        call.feed_audio(recorder.elapsed_s())
        print(f"{recorder.elapsed_s():.2f}", flush=True)
        time.sleep(0.02)


if __name__ == "__main__":
    assert TONE_HZ
    main()
