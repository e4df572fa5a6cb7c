"""The camera source: no camera here, so a missing one, and a real video file opened as a camera."""

from __future__ import annotations

import fractions
import time
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
from aiortc.mediastreams import MediaStreamError

from nimeet_desktop.media.camera import CameraSource, image_to_i420
from nimeet_desktop.media.devices import DeviceProblem, DeviceUnavailable


def write_video(path: Path, width: int, height: int, frames: int, fps: float = 30.0) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), fps, (width, height))
    assert writer.isOpened()
    for index in range(frames):
        image = np.zeros((height, width, 3), np.uint8)
        image[:, : (index * 7) % width] = (0, 128, 255)
        writer.write(image)
    writer.release()
    return path


async def until_ended(source: CameraSource, limit: int = 100) -> list[av.VideoFrame]:
    """Every frame the source gives until it ends (``recv()`` raising ``MediaStreamError``)."""
    frames: list[av.VideoFrame] = []
    for _ in range(limit):
        try:
            frames.append(await source.recv())
        except MediaStreamError:
            return frames
    raise AssertionError(f"the source did not end within {limit} frames")


@pytest.mark.parametrize("device", [63, "/dev/video63", "/nonexistent/clip.avi"])
def test_a_camera_that_is_not_there_is_unavailable_at_once(device: int | str) -> None:
    started = time.monotonic()
    with pytest.raises(DeviceUnavailable, match="cannot be opened") as raised:
        CameraSource(device)
    assert time.monotonic() - started < 2
    # A path that does not exist is certainly not there; an index may be there but busy: only "failed" is known.
    expected = DeviceProblem.FAILED if isinstance(device, int) else DeviceProblem.NOT_FOUND
    assert raised.value.kind is expected


@pytest.mark.parametrize(
    ("shape", "bounds", "expected_wh"),
    [
        ((480, 640, 3), (None, None), (640, 480)),
        ((481, 641, 3), (None, None), (640, 480)),  # cropped to even
        ((480, 640, 4), (None, None), (640, 480)),  # BGRA (screens)
        ((480, 640), (None, None), (640, 480)),  # grey
        ((720, 1280, 3), (640, 640), (640, 360)),  # shrunk to the width, aspect kept
        ((1080, 1440, 3), (1920, 540), (720, 540)),  # shrunk to the height
        ((240, 320, 3), (1920, 1080), (320, 240)),  # never enlarged
    ],
)
def test_image_to_i420_sizes(
    shape: tuple[int, ...], bounds: tuple[int | None, int | None], expected_wh: tuple[int, int]
) -> None:
    i420 = image_to_i420(np.zeros(shape, np.uint8), *bounds)
    width, height = expected_wh
    assert i420.shape == (height * 3 // 2, width)
    assert i420.dtype == np.uint8


def test_image_to_i420_keeps_colour() -> None:
    white = np.full((4, 4, 3), 255, np.uint8)
    y_plane = image_to_i420(white)[:4]
    assert int(y_plane.min()) >= 235


async def test_a_file_as_camera_gives_yuv420p_frames_then_ends_cleanly(tmp_path: Path) -> None:
    path = write_video(tmp_path / "clip.avi", 322, 242, frames=30)
    source = CameraSource(str(path), width=160, height=160, fps=30)
    assert (source.actual_width, source.actual_height) == (322, 242)
    frames = await until_ended(source)
    assert source.readyState == "ended"
    assert source.ended_reason is not None
    assert "stopped delivering" in source.ended_reason
    assert source.wait_released(2)
    assert len(frames) >= 20, len(frames)  # played in real time: few or none dropped
    for frame in frames:
        assert (frame.format.name, frame.width, frame.height) == ("yuv420p", 160, 120)
        assert frame.time_base == fractions.Fraction(1, 90_000)
    pts = [frame.pts or 0 for frame in frames]
    assert pts[0] == 0
    assert pts == sorted(set(pts))
    assert 0.7 < pts[-1] / 90_000 < 1.3  # 30 frames at 30 fps span about a second


async def test_stopping_a_camera_releases_it(tmp_path: Path) -> None:
    path = write_video(tmp_path / "clip.avi", 64, 48, frames=300)
    source = CameraSource(str(path), fps=30)
    frame = await source.recv()
    assert (frame.width, frame.height) == (64, 48)
    source.stop()
    source.stop()
    assert source.ended_reason == "stopped"
    assert source.wait_released(2)
    with pytest.raises(MediaStreamError):
        await source.recv()
