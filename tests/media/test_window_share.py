"""Sharing one window, and the pointer drawn in, against a real X server (Xvfb) and real X windows (python-xlib)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import av
import numpy as np
import pytest
from aiortc.mediastreams import MediaStreamError

from nimeet_desktop.media.devices import DeviceUnavailable
from nimeet_desktop.media.screen import ScreenSource
from nimeet_desktop.media.windows import list_windows, window_target
from tests.media.conftest import Xvfb

Xdisplay = pytest.importorskip("Xlib.display")
X = pytest.importorskip("Xlib.X")

RED, BLUE = 0xFF0000, 0x0000FF


@pytest.fixture
def desktop(xvfb_factory: Callable[[int, int], Xvfb]) -> Iterator[tuple[Xvfb, Any]]:
    """A 640×480 X server (black, no window manager) and a connection to put windows on it."""
    server = xvfb_factory(640, 480)
    connection = Xdisplay.Display(server.display)
    yield server, connection
    connection.close()


def open_window(connection: Any, title: str, x: int, y: int, w: int, h: int, colour: int) -> Any:
    screen = connection.screen()
    window = screen.root.create_window(
        x, y, w, h, 0, screen.root_depth, X.InputOutput, X.CopyFromParent, background_pixel=colour
    )
    # As toolkits do: the EWMH title in UTF-8, the old latin-1 one as best it can.
    utf8 = connection.intern_atom("UTF8_STRING")
    window.change_property(connection.intern_atom("_NET_WM_NAME"), utf8, 8, title.encode())
    window.set_wm_name(title.encode("latin-1", "replace"))
    window.map()
    connection.sync()
    return window


async def settled(connection: Any) -> None:
    connection.sync()
    await asyncio.sleep(0.2)  # the X server draws the new background


async def ended(source: ScreenSource) -> None:
    """Frames until the track ends (within 40 of them: two looks at where the window is)."""
    for _ in range(40):
        try:
            await source.recv()
        except MediaStreamError:
            return
    raise AssertionError("the track did not end")


def rgb_of(frame: av.VideoFrame) -> np.ndarray:
    return frame.to_ndarray(format="rgb24")


async def test_windows_are_listed_front_most_first_with_their_place(desktop: tuple[Xvfb, Any]) -> None:
    server, connection = desktop
    report = open_window(connection, "Quarterly report", 20, 30, 200, 100, RED)
    slides = open_window(connection, "Слайды", 300, 200, 160, 120, BLUE)
    await settled(connection)
    found = list_windows(server.display)
    assert [(w.title, w.left, w.top, w.width, w.height) for w in found] == [
        ("Слайды", 300, 200, 160, 120),
        ("Quarterly report", 20, 30, 200, 100),
    ]
    assert window_target(found[0].target) == slides.id
    assert [w.title for w in list_windows(server.display, exclude={slides.id})] == ["Quarterly report"]
    report.unmap()  # minimised: nothing to show
    await settled(connection)
    assert [w.title for w in list_windows(server.display)] == ["Слайды"]


async def test_a_shared_window_is_captured_where_it_is_and_followed(desktop: tuple[Xvfb, Any]) -> None:
    server, connection = desktop
    window = open_window(connection, "Report", 40, 40, 200, 120, RED)
    await settled(connection)
    source = ScreenSource(window=window.id, display=server.display, fps=20, cursor=False)
    try:
        first = await source.recv()
        assert (first.width, first.height) == (200, 120)
        assert np.abs(rgb_of(first).astype(int) - [255, 0, 0]).max() < 12, "the window's own red"
        window.configure(x=400, y=300)  # dragged elsewhere: where the old place is black now
        await settled(connection)
        moved = [rgb_of(await source.recv()) for _ in range(25)]  # > 0.5 s at 20 fps: looked up again
        assert np.abs(moved[-1].astype(int) - [255, 0, 0]).max() < 12, "followed to its new place"
        window.configure(width=100, height=60)
        await settled(connection)
        resized = [await source.recv() for _ in range(25)][-1]
        assert (resized.width, resized.height) == (100, 60)
        window.destroy()
        connection.sync()
        await ended(source)
        assert source.ended_reason is not None and "closed or minimised" in source.ended_reason
    finally:
        source.stop()


def test_a_window_that_is_not_there_is_unavailable(desktop: tuple[Xvfb, Any]) -> None:
    server, _ = desktop
    with pytest.raises(DeviceUnavailable, match="closed or minimised"):
        ScreenSource(window=0x7FFFFF, display=server.display)


async def test_the_pointer_is_drawn_into_a_shared_screen(desktop: tuple[Xvfb, Any]) -> None:
    server, connection = desktop
    connection.screen().root.warp_pointer(320, 240)
    await settled(connection)
    frames = {}
    for cursor in (False, True):
        source = ScreenSource(1, display=server.display, fps=10, cursor=cursor)
        try:
            frames[cursor] = rgb_of(await source.recv())
        finally:
            source.stop()
    assert frames[False].max() == 0, "a black screen without the pointer"
    lit = np.argwhere(frames[True].sum(axis=2) > 0)
    assert len(lit) > 20, "the pointer is drawn"
    (top, left), (bottom, right) = lit.min(axis=0), lit.max(axis=0)
    assert 200 < top <= 240 <= bottom < 280 and 280 < left <= 320 <= right < 360, "where the pointer is"
