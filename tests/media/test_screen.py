"""Screen capture against a real X server (Xvfb)."""

from __future__ import annotations

import asyncio
import fractions
import itertools
import time

import av
import pytest
from aiortc.mediastreams import MediaStreamError

from nimeet_desktop.media.devices import DeviceUnavailable, list_monitors
from nimeet_desktop.media.screen import ScreenSource
from tests.media.conftest import Xvfb


async def collect(source: ScreenSource, seconds: float) -> list[av.VideoFrame]:
    frames: list[av.VideoFrame] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        frames.append(await source.recv())
    return frames


def test_monitors_of_a_real_display(xvfb: Xvfb) -> None:
    monitors = list_monitors(xvfb.display)
    assert len(monitors) == 1
    mon = monitors[0]
    assert (mon.id, mon.width, mon.height, mon.left, mon.top) == (1, 641, 481, 0, 0)
    assert mon.name


async def test_frames_are_yuv420p_even_sized_and_paced(xvfb: Xvfb) -> None:
    source = ScreenSource(1, fps=15, display=xvfb.display)
    try:
        assert (source.width, source.height) == (640, 480)
        await source.recv()  # the pacer's clock starts at the first frame
        frames = await collect(source, 2.0)
    finally:
        source.stop()
    assert 24 <= len(frames) <= 32, len(frames)  # 15 fps for 2 s
    for frame in frames:
        assert (frame.format.name, frame.width, frame.height) == ("yuv420p", 640, 480)
        assert frame.time_base == fractions.Fraction(1, 90_000)
    steps = [(b.pts or 0) - (a.pts or 0) for a, b in itertools.pairwise(frames)]
    assert all(step > 0 and step % 6000 == 0 for step in steps), steps  # 90 kHz / 15 fps; a late slot is skipped
    assert steps.count(6000) >= 0.9 * len(steps), steps


async def test_downscaled_to_fit_the_maximum(xvfb: Xvfb) -> None:
    source = ScreenSource(1, fps=30, max_width=320, max_height=320, display=xvfb.display)
    try:
        frame = await source.recv()
    finally:
        source.stop()
    assert (frame.width, frame.height) == (320, 240)


async def test_stop_ends_the_track(xvfb: Xvfb) -> None:
    source = ScreenSource(1, display=xvfb.display)
    await source.recv()
    source.stop()
    source.stop()  # idempotent
    assert source.readyState == "ended"
    assert source.ended_reason == "stopped"
    with pytest.raises(MediaStreamError):
        await source.recv()


def test_a_monitor_that_does_not_exist_is_unavailable(xvfb: Xvfb) -> None:
    with pytest.raises(DeviceUnavailable, match="no monitor 2"):
        ScreenSource(2, display=xvfb.display)


def test_no_display_is_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    started = time.monotonic()
    with pytest.raises(DeviceUnavailable):
        ScreenSource(1)
    assert list_monitors() == []
    assert time.monotonic() - started < 2


async def test_x_server_going_away_ends_the_track(xvfb_factory) -> None:
    server = xvfb_factory(320, 240)
    source = ScreenSource(1, fps=30, display=server.display)
    ended = asyncio.Event()
    source.on("ended", ended.set)
    await source.recv()
    server.stop()
    for _ in range(100):  # an X error, at the latest once the connection is found dead
        try:
            await source.recv()
        except MediaStreamError:
            break
    assert source.readyState == "ended"
    assert source.ended_reason is not None
    assert "capture failed" in source.ended_reason
    await asyncio.wait_for(ended.wait(), 1)
