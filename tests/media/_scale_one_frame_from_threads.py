"""Run by test_shared_frames.py in a process of its own (a crash must not take pytest with it): the consumers of one
camera frame scale it at the same moment on their own threads, as in a call that is recorded while the quality policy
scales the camera and the presenter's corner shows it: the recorder's compositor, the shared encoder's scaling and
the presenter's corner. Each result is compared with the same work done alone. Prints "ok" and exits 0, or says what
differed (the encoder's packets vary with its rate control: that it encoded is what counts there); a race on one
scaling context ends in a segfault."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from fractions import Fraction

import av
import numpy as np

from nimeet_desktop.call.presenter import composite
from nimeet_desktop.call.shared_encoder import SharedVideoEncoder
from nimeet_desktop.media.recording.compose import Compositor, TileFrame
from nimeet_desktop.media.synthetic import SyntheticVideo

ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 else 300

rng = np.random.default_rng(7)
camera = av.VideoFrame.from_ndarray(rng.integers(0, 256, (720 * 3 // 2, 1280), dtype=np.uint8), format="yuv420p")
screen = av.VideoFrame.from_ndarray(rng.integers(0, 256, (1080, 1920, 4), dtype=np.uint8), format="bgra")
for index, frame in enumerate((camera, screen)):
    frame.pts, frame.time_base = index, Fraction(1, 90_000)
encoder = SharedVideoEncoder(SyntheticVideo(1280, 720, 30))  # never started: only its scaling is used
compositor = Compositor(960, 540)


def recorded() -> bytes:
    return bytes(compositor.compose([TileFrame("me", camera)]).to_ndarray().tobytes())


def corner() -> bytes:
    return bytes(composite(screen, camera).to_ndarray().tobytes())


def scaled_and_encoded() -> bytes:
    # The encoder thread's own step. Its bytes vary with libvpx's rate control, so only that it made a picture counts.
    packets, _seconds = encoder._scale_and_encode(camera, (640, 360), True)
    return b"encoded" if packets else b"nothing"


WORK: dict[str, Callable[[], bytes]] = {"recorder": recorded, "presenter": corner, "encoder": scaled_and_encoded}
alone = {name: work() for name, work in WORK.items()}
wrong: list[str] = []


def repeat(name: str) -> None:
    for _ in range(ROUNDS):
        if WORK[name]() != alone[name]:
            wrong.append(name)
            return


threads = [threading.Thread(target=repeat, args=(name,)) for name in WORK]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print("ok" if not wrong else f"different from alone: {sorted(set(wrong))}")
sys.exit(1 if wrong else 0)
