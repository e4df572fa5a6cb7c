"""The source contract: a device failing mid-stream ends the track cleanly, with a reason, and frees the device."""

from __future__ import annotations

import asyncio
import fractions

import av
import numpy as np
import pytest
from aiortc.mediastreams import MediaStreamError

from nimeet_desktop.media.base import DeviceLost, VideoSource
from nimeet_desktop.media.camera import i420_frame, image_to_i420
from nimeet_desktop.media.synthetic import SyntheticVideo


class FlakyCamera(VideoSource):
    """A source whose device delivers ``frames`` frames and then goes away."""

    def __init__(self, frames: int) -> None:
        super().__init__("flaky camera")
        self.remaining = frames
        self.pts = 0
        self.releases = 0

    async def _next(self) -> av.VideoFrame:
        await asyncio.sleep(0)
        if self.remaining == 0:
            raise DeviceLost("camera unplugged")
        self.remaining -= 1
        self.pts += 3000
        return i420_frame(image_to_i420(np.zeros((48, 64, 3), np.uint8)), self.pts)

    def _release(self) -> None:
        self.releases += 1


async def test_a_device_failing_mid_stream_ends_the_track() -> None:
    source = FlakyCamera(frames=3)
    ended = asyncio.Event()
    source.on("ended", ended.set)
    frames = [await source.recv() for _ in range(3)]
    assert [f.pts for f in frames] == [3000, 6000, 9000]
    assert frames[0].time_base == fractions.Fraction(1, 90_000)
    with pytest.raises(MediaStreamError):
        await source.recv()
    assert source.readyState == "ended"
    assert source.ended_reason == "camera unplugged"
    assert source.releases == 1
    await asyncio.wait_for(ended.wait(), 1)
    source.stop()  # stopping an ended source changes nothing
    assert source.ended_reason == "camera unplugged"
    assert source.releases == 1
    with pytest.raises(MediaStreamError):
        await source.recv()


@pytest.mark.parametrize(("width", "height"), [(320, 240), (480, 270), (1280, 720)])
async def test_synthetic_tint_is_one_quadrant_of_the_u_plane(width: int, height: int) -> None:
    """Regression: the tint was written across packed U rows (stripes), and 270 lines (odd h/2) must work too."""
    source = SyntheticVideo(width, height, 30)
    frame = await source.recv()
    source.stop()
    plane = frame.planes[1]
    u = np.frombuffer(memoryview(plane), np.uint8).reshape(plane.height, plane.line_size)[:, : width // 2]
    assert (u[: height // 4, : width // 4] == 110).all()
    assert (u[height // 4 :, :] == 128).all() and (u[:, width // 4 :] == 128).all()
