"""Exiting with a camera still capturing: the capture thread must be out of OpenCV before the interpreter finalizes,
or pthread_exit's forced unwind through OpenCV's C++ frames aborts the process (exit 134, "terminate called without
an active exception"). Seen first as the frozen bot's exit after a call with a video file as its camera
(tests/frozen/test_bundle.py); four runs in five aborted here before media/camera.py released cameras at exit."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import av
import numpy as np

ROOT = Path(__file__).resolve().parents[2]
RUNS = 3

# A large clip read as fast as it decodes (fps far above the file's): the capture thread is nearly always inside
# cv2 (decoding, converting) when the program ends, without stopping the camera.
PROGRAM = """
import asyncio, sys
from nimeet_desktop.media.camera import CameraSource

async def main() -> None:
    source = CameraSource(sys.argv[1], width=1280, height=720, fps=1000)
    for _ in range(3):
        await source.recv()

asyncio.run(main())
print("leaving with the camera capturing", flush=True)
"""


def _clip(path: Path, width: int = 1280, height: int = 720, frames: int = 120) -> Path:
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=30)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for index in range(frames):
            image = np.full((height, width, 3), index * 2 % 256, np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="bgr24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def test_exiting_with_a_camera_capturing_is_a_clean_exit(tmp_path: Path) -> None:
    clip = _clip(tmp_path / "clip.mp4")
    for _ in range(RUNS):
        done = subprocess.run(
            [sys.executable, "-c", PROGRAM, str(clip)], capture_output=True, text=True, timeout=60, cwd=ROOT
        )
        assert (done.returncode, done.stderr) == (0, ""), done.stderr[-2000:]
        assert done.stdout == "leaving with the camera capturing\n"
