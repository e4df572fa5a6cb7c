"""Background blur switched on and off during a real call (aiortc peers through the real server on loopback): what
the other side decodes follows, the self view too, and nothing is renegotiated."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import av
import cv2
import numpy as np
import pytest

from nimeet_desktop.call.desktop_call import DesktopCall
from nimeet_desktop.call.remote import RemoteParticipant
from nimeet_desktop.call.session import CallSession
from nimeet_desktop.media.base import VIDEO_CLOCK_RATE, VIDEO_TIME_BASE, FramePacer, VideoSource
from nimeet_desktop.media.provider import SyntheticMediaProvider
from tests.call.conftest import Recorder, wait_until
from tests.call.test_device_switch import negotiation_state
from tests.support.person_picture import i420, person_picture
from tests.support.server import ServerProcess

# Small, to spare a 2-core machine: the model sees 256x144 whatever the camera's size.
WIDTH, HEIGHT = 640, 360
PICTURE, FIGURE = person_picture(WIDTH, HEIGHT)
OUTSIDE = cv2.dilate(FIGURE, np.ones((41, 41), np.uint8)) == 0


class PersonCamera(VideoSource):
    def __init__(self) -> None:
        super().__init__("person camera")
        self._pacer = FramePacer(30.0, VIDEO_CLOCK_RATE)
        self._i420 = i420(PICTURE)

    async def _next(self) -> av.VideoFrame:
        pts = await self._pacer.wait()
        frame = av.VideoFrame.from_ndarray(self._i420, format="yuv420p")
        frame.pts = pts
        frame.time_base = VIDEO_TIME_BASE
        return frame


class PersonProvider(SyntheticMediaProvider):
    def open_camera(self, device: str | None) -> VideoSource:
        return PersonCamera()


class Frames(Recorder):
    """The receiver: the newest decoded picture of the other side."""

    def __init__(self) -> None:
        super().__init__()
        self.latest: av.VideoFrame | None = None
        self.count = 0

    def on_video_frame(self, participant: RemoteParticipant) -> None:
        self.count += 1
        self.latest = participant.playout.current() or self.latest


def background_detail(frame: av.VideoFrame | None) -> float:
    assert frame is not None
    grey = frame.to_ndarray()[:HEIGHT]
    return float(cv2.Laplacian(grey, cv2.CV_32F)[OUTSIDE].var())


@pytest.fixture
async def call_pair(
    call_server: ServerProcess, room_of: Callable[..., Awaitable[tuple[str, list[str]]]]
) -> AsyncIterator[tuple[DesktopCall, CallSession, Frames]]:
    room, (t1, t2) = await room_of(2)
    call = DesktopCall(call_server.url, t1, room, [], PersonProvider(WIDTH, HEIGHT), observer=Recorder())
    frames = Frames()
    receiver = CallSession(call_server.url, t2, [], observer=frames)
    try:
        await call.join(camera=True, microphone=False)
        await receiver.join(room, camera=False, microphone=False)
        await wait_until(lambda: frames.latest is not None and frames.count > 10, what="video at the receiver")
        yield call, receiver, frames
    finally:
        await receiver.leave()
        await call.leave()


async def test_blur_switches_on_and_off_during_the_call(call_pair: tuple[DesktopCall, CallSession, Frames]) -> None:
    call, receiver, frames = call_pair
    sharp = background_detail(frames.latest)
    before = negotiation_state(call, receiver)

    assert await call.set_background("blur")
    counted = frames.count
    await wait_until(lambda: background_detail(frames.latest) < sharp / 5, what="a blurred background received")
    feed = call.session.camera
    assert feed is not None
    assert background_detail(feed.latest_frame) < sharp / 5  # the self view shows what is sent

    await call.set_background("off")
    await wait_until(lambda: background_detail(frames.latest) > sharp / 2, what="the sharp background again")
    await asyncio.sleep(0.3)
    assert frames.count - counted > 10
    assert negotiation_state(call, receiver) == before, "switching the background renegotiated"
    assert call.session.errors == [] and receiver.errors == []
