"""Synthetic key presses on a real X server (XTest through python-xlib, which pynput brings): what a person's
keyboard does, as the X server reports it to every client, including pynput's RECORD listener."""

from __future__ import annotations

import time
from typing import Any

from Xlib import XK, X
from Xlib import display as xdisplay
from Xlib.ext import xtest

# The X server's own auto-repeat: while a key is held it sends a release and a press again, about every 30 ms.
AUTO_REPEAT_INTERVAL_S = 0.03


class XKeys:
    def __init__(self, display: str) -> None:
        self.display = xdisplay.Display(display)
        self.focus_window: Any = None

    def keycode(self, keysym: str) -> int:
        code = self.display.keysym_to_keycode(XK.string_to_keysym(keysym))
        assert code, f"no key for {keysym} in the X server's keymap"
        return int(code)

    def press(self, *keysyms: str) -> None:
        for keysym in keysyms:
            xtest.fake_input(self.display, X.KeyPress, self.keycode(keysym))
        self.display.sync()

    def release(self, *keysyms: str) -> None:
        for keysym in reversed(keysyms):
            xtest.fake_input(self.display, X.KeyRelease, self.keycode(keysym))
        self.display.sync()

    def auto_repeat(self, keysym: str, seconds: float, *, with_releases: bool) -> None:
        """Key events as auto-repeat makes them while ``keysym`` is held: more presses, each after a release
        (``with_releases``, the X server's way) or without one (another platform's)."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            time.sleep(AUTO_REPEAT_INTERVAL_S)
            if with_releases:
                self.release(keysym)
            self.press(keysym)

    def focus_other_window(self) -> None:
        """A window of another client, mapped and focused: keys go to it, not to whoever listens globally."""
        screen = self.display.screen()
        window = screen.root.create_window(
            0, 0, 200, 100, 0, screen.root_depth, event_mask=X.KeyPressMask | X.KeyReleaseMask
        )
        window.map()
        self.display.sync()
        window.set_input_focus(X.RevertToParent, X.CurrentTime)
        self.display.sync()
        self.focus_window = window

    def focused_window_got_keys(self) -> int:
        """How many key events the focused window of ``focus_other_window`` received: the key still reaches it."""
        count = 0
        while self.display.pending_events():
            if self.display.next_event().type in (X.KeyPress, X.KeyRelease):
                count += 1
        return count

    def close(self) -> None:
        self.display.close()
