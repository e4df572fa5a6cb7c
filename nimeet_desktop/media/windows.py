"""Application windows that can be shared on their own, and where each one is now (X11, through python-xlib).

A shared window is captured as the part of the screen it covers, its place looked up again as it moves or is
resized: what people see of it is what the others see (a window dragged over it covers it for them too, as in
Jitsi's and Zoom's X11 window sharing without a compositor). The list is the window manager's (``_NET_CLIENT_LIST``,
in stacking order where offered), else, with no window manager, the mapped top-level windows that have a title.
On Wayland, Windows and macOS the list is empty for now: only whole screens are shared there (``capture_note``).
"""

from __future__ import annotations

import logging
import os
import platform
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)

WINDOW_PREFIX = "window:"  # a share target naming a window (``window:<X window id>``); a bare number is a monitor
MIN_SIDE = 32  # smaller "windows" are docks' and tool tips' slivers, not something to present


@dataclass(frozen=True)
class WindowInfo:
    id: int
    title: str
    left: int
    top: int
    width: int
    height: int

    @property
    def target(self) -> str:
        return f"{WINDOW_PREFIX}{self.id}"


def window_target(target: str) -> int | None:
    """The X window id a share target names, or None for a monitor's number."""
    if not target.startswith(WINDOW_PREFIX):
        return None
    try:
        return int(target[len(WINDOW_PREFIX) :])
    except ValueError:
        return None


def is_wayland() -> bool:
    """A Wayland session: X11 capture sees only X (XWayland) windows and a black screen, so the app says so."""
    return os.environ.get("XDG_SESSION_TYPE", "").lower() == "wayland" or bool(os.environ.get("WAYLAND_DISPLAY"))


def windows_supported() -> bool:
    return platform.system() == "Linux" and not is_wayland()


@contextmanager
def _display(name: str | None) -> Iterator[Any]:
    from Xlib import display as xdisplay  # python-xlib: Linux only

    connection = xdisplay.Display(name)
    try:
        yield connection
    finally:
        connection.close()


def list_windows(display: str | None = None, *, exclude: set[int] | None = None) -> list[WindowInfo]:
    """The windows one can share, front-most first; ``exclude``: our own windows. ``[]`` where not supported."""
    if not windows_supported() and display is None:
        return []
    try:
        with _display(display) as connection:
            root = connection.screen().root
            found = [info for window in _candidates(connection, root) if (info := _info(connection, root, window))]
    except Exception as exc:  # no display, no libX11 / python-xlib, an X error
        logger.info("no windows to share: %s", exc)
        return []
    skip = exclude or set()
    return [info for info in found if info.id not in skip]


def window_geometry(window_id: int, display: str | None = None) -> WindowInfo | None:
    """Where the window is now (root coordinates), or None when it is gone or unmapped (minimised)."""
    tracker = WindowTracker(window_id, display)
    try:
        return tracker.where()
    finally:
        tracker.close()


class WindowTracker:
    """One window followed as it moves, over one X connection (used from the capture thread only)."""

    def __init__(self, window_id: int, display: str | None = None) -> None:
        from Xlib import display as xdisplay  # python-xlib: Linux only

        self.window_id = window_id
        self._connection = xdisplay.Display(display)
        self._root = self._connection.screen().root
        self._window = self._connection.create_resource_object("window", window_id)

    def where(self) -> WindowInfo | None:
        """Its place and size now; None once it is closed or minimised."""
        try:
            return _info(self._connection, self._root, self._window)
        except Exception as exc:  # BadWindow: closed
            logger.info("window %#x gone: %s", self.window_id, exc)
            return None

    def close(self) -> None:
        self._connection.close()


def _candidates(connection: Any, root: Any) -> list[Any]:
    for name in ("_NET_CLIENT_LIST_STACKING", "_NET_CLIENT_LIST"):
        atom = connection.intern_atom(name, only_if_exists=True)
        if not atom:
            continue
        prop = root.get_full_property(atom, 0)  # 0: AnyPropertyType
        if prop is not None and len(prop.value):
            ids = list(prop.value)
            if name == "_NET_CLIENT_LIST_STACKING":
                ids.reverse()  # bottom to top there: the front-most first here
            return [connection.create_resource_object("window", int(i)) for i in ids]
    children = list(root.query_tree().children)
    children.reverse()  # query_tree lists bottom to top
    return children


def _info(connection: Any, root: Any, window: Any) -> WindowInfo | None:
    from Xlib import X

    attributes = window.get_attributes()
    if attributes.map_state != X.IsViewable:
        return None
    title = _title(connection, window)
    if not title:
        return None
    geometry = window.get_geometry()
    if geometry.width < MIN_SIDE or geometry.height < MIN_SIDE:
        return None
    origin = window.translate_coords(root, 0, 0)  # the window's (0, 0) in root coordinates, negated
    return WindowInfo(int(window.id), title, -int(origin.x), -int(origin.y), int(geometry.width), int(geometry.height))


def _title(connection: Any, window: Any) -> str:
    utf8 = connection.intern_atom("UTF8_STRING")
    name_atom = connection.intern_atom("_NET_WM_NAME")
    prop = window.get_full_property(name_atom, utf8)
    if prop is not None and prop.value:
        value = prop.value
        return (value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)).strip()
    legacy = window.get_wm_name()
    if isinstance(legacy, bytes):
        legacy = legacy.decode("latin-1", "replace")
    return (legacy or "").strip()
