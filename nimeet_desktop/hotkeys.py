"""Push-to-talk's key: what a hotkey may be, whether this session can listen for it globally, and hold detection.

Qt-free, so the rules are the same for the settings file, the key-capture control and the listener, and tests run
them without a window. A hotkey is kept as text in the syntax of ``pynput.keyboard.HotKey.parse``: ``<f8>``,
``<ctrl_r>``, ``<ctrl>+<alt>+p``. Only canonical text is valid (modifiers first, in ``MODIFIERS`` order, then at most
one key), so one choice has one spelling and the settings file round-trips exactly.

The global listener is ``pynput``'s, imported only when a listener starts: on Linux importing it opens a connection
to the X server and fails without one, and the headless engine, the bot and the tests run with no display at all.
It passively observes keys (no grab): the key still reaches the focused application, as with any push-to-talk.
"""

from __future__ import annotations

import enum
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import AfterValidator

logger = logging.getLogger(__name__)

# Holding stays on this long after the key is released, so the end of the last word is not cut off; a press within
# it continues the same hold. It also swallows the release/press pairs of the X server's key auto-repeat.
HANGOVER_S = 0.15
START_TIMEOUT_S = 5.0
STOP_TIMEOUT_S = 2.0
DEFAULT_HOTKEY = "<f8>"  # a function key: typing never presses it by accident

# Modifiers, in the order a canonical hotkey names them. The generic ones match either side; "_r" only the right one
# (a lone Right Ctrl is a common push-to-talk key: nothing uses it on its own).
MODIFIERS = ("ctrl", "ctrl_r", "alt", "alt_r", "shift", "shift_r", "cmd", "cmd_r")
# Keys that may be the hotkey on their own: pressing them never types text.
LONE_KEYS = frozenset({*(f"f{n}" for n in range(1, 21)), "pause", "insert", "scroll_lock", "menu"})
# Keys that type or move the cursor: only with a modifier that stops them typing (Shift alone does not: Shift+A
# types "A").
TYPING_KEYS = frozenset({*"abcdefghijklmnopqrstuvwxyz0123456789", "space", "home", "end", "page_up", "page_down"})
_NAMED_KEYS = (LONE_KEYS | TYPING_KEYS) - frozenset("abcdefghijklmnopqrstuvwxyz0123456789")
_NON_TYPING_MODIFIERS = frozenset({"ctrl", "ctrl_r", "alt", "alt_r", "cmd", "cmd_r"})


class InvalidHotkey(ValueError):
    pass


@dataclass(frozen=True)
class Hotkey:
    """A parsed hotkey: ``modifiers`` in canonical order and at most one other ``key`` (None: modifiers alone)."""

    modifiers: tuple[str, ...]
    key: str | None

    @property
    def tokens(self) -> tuple[str, ...]:
        return (*self.modifiers, self.key) if self.key is not None else self.modifiers

    def text(self) -> str:
        return "+".join(_spell(token) for token in self.tokens)


def _spell(token: str) -> str:
    return token if len(token) == 1 else f"<{token}>"


def generic(token: str) -> str:
    """``ctrl_r`` -> ``ctrl``; other tokens stay."""
    return token[:-2] if token.endswith(("_l", "_r")) else token


def parse_hotkey(text: str) -> Hotkey:
    """The hotkey ``text`` names; InvalidHotkey unless it is canonical and not a typing key on its own."""
    if not text or text != text.strip():
        raise InvalidHotkey("empty, or blanks around it")
    tokens: list[str] = []
    for part in text.split("+"):
        if len(part) == 1 and part in TYPING_KEYS:
            tokens.append(part)
        elif len(part) > 2 and part[0] == "<" and part[-1] == ">" and part[1:-1] in (*MODIFIERS, *_NAMED_KEYS):
            tokens.append(part[1:-1])
        else:
            raise InvalidHotkey(f"{part!r} is not a key a hotkey can use")
    modifiers = tuple(token for token in tokens if token in MODIFIERS)
    others = [token for token in tokens if token not in MODIFIERS]
    if len(others) > 1:
        raise InvalidHotkey("more than one key besides the modifiers")
    if tokens[: len(modifiers)] != list(modifiers):
        raise InvalidHotkey("the modifiers come first")
    if list(modifiers) != sorted(set(modifiers), key=MODIFIERS.index):
        raise InvalidHotkey(f"modifiers repeated or not in the order {'+'.join(MODIFIERS)}")
    if any(m != generic(m) and generic(m) in modifiers for m in modifiers):
        raise InvalidHotkey("a modifier named both as either side and as one side")
    key = others[0] if others else None
    if key in TYPING_KEYS and not _NON_TYPING_MODIFIERS & set(modifiers):
        raise InvalidHotkey(f"{key!r} types text: it needs Ctrl, Alt or Cmd with it")
    return Hotkey(modifiers, key)


def _valid_hotkey(text: str) -> str:
    parse_hotkey(text)  # InvalidHotkey is a ValueError: pydantic reports it as the field's error
    return text


# A settings field holding a hotkey: only canonical text passes.
HotkeyText = Annotated[str, AfterValidator(_valid_hotkey)]


def hotkey_from_tokens(tokens: Iterable[str]) -> Hotkey:
    """The canonical hotkey of keys held together (as a key-capture control sees them, in any order)."""
    held = list(dict.fromkeys(tokens))
    modifiers = [token for token in MODIFIERS if token in held]
    others = [token for token in held if token not in MODIFIERS]
    text = "+".join(_spell(token) for token in (*modifiers, *others))
    return parse_hotkey(text)


# ---- can this session listen globally? -------------------------------------------------------------------------


class Support(enum.Enum):
    """Where push-to-talk can hear its key."""

    GLOBAL = "global"  # X11 and Windows: in any application
    GLOBAL_WITH_PERMISSION = "global-with-permission"  # macOS: once the user allows it (Accessibility)
    WAYLAND = "wayland"  # a Wayland session: no application may read keys meant for others
    NO_DISPLAY = "no-display"  # Linux without a graphical session (the headless engine, CI)


def support(environ: Mapping[str, str] | None = None, platform: str | None = None) -> Support:
    env = os.environ if environ is None else environ
    platform = sys.platform if platform is None else platform
    if platform == "win32":
        return Support.GLOBAL
    if platform == "darwin":
        return Support.GLOBAL_WITH_PERMISSION
    # XWayland sets DISPLAY inside a Wayland session too, but an X client there sees only the keys typed into other
    # X clients: the session type decides, not DISPLAY.
    if env.get("XDG_SESSION_TYPE", "").lower() == "wayland" or (env.get("WAYLAND_DISPLAY") and not env.get("DISPLAY")):
        return Support.WAYLAND
    if not env.get("DISPLAY"):
        return Support.NO_DISPLAY
    return Support.GLOBAL


# ---- holding ---------------------------------------------------------------------------------------------------


class HoldDetector:
    """Calls ``on_hold`` when every key of ``hotkey`` is down, ``on_release`` ``hangover`` seconds after one of them
    goes up (unless it comes back down in that time). Thread-safe: keys come from a listener thread, the hangover
    ends on a timer thread, and the callbacks run under one lock, so they alternate strictly (hold, release, hold,
    ...) in the order they happen. A key already down pressed again (auto-repeat) changes nothing.
    """

    def __init__(
        self,
        hotkey: Hotkey,
        on_hold: Callable[[], None],
        on_release: Callable[[], None],
        hangover: float = HANGOVER_S,
    ) -> None:
        self.hotkey = hotkey
        self._on_hold = on_hold
        self._on_release = on_release
        self._hangover = hangover
        self._lock = threading.Lock()
        self._down: set[str] = set()
        self._holding = False
        self._timer: threading.Timer | None = None
        self._closed = False

    @property
    def holding(self) -> bool:
        return self._holding

    def _complete(self) -> bool:
        return all(any(_matches(want, down) for down in self._down) for want in self.hotkey.tokens)

    def press(self, token: str) -> None:
        with self._lock:
            if self._closed:
                return
            self._down.add(token)
            if not self._complete():
                return
            self._cancel_timer()  # back within the hangover: the same hold goes on
            if not self._holding:
                self._holding = True
                self._on_hold()

    def release(self, token: str) -> None:
        with self._lock:
            self._down.discard(token)
            if self._closed or not self._holding or self._complete() or self._timer is not None:
                return
            self._timer = threading.Timer(self._hangover, self._hangover_ended)
            self._timer.daemon = True
            self._timer.start()

    def _hangover_ended(self) -> None:
        with self._lock:
            if threading.current_thread() is not self._timer:
                return  # cancelled after it fired, before it got the lock
            self._timer = None
            if self._holding and not self._complete():
                self._holding = False
                self._on_release()

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def close(self) -> None:
        """No more callbacks; a hold under way ends now (``on_release``), so nothing stays unmuted."""
        with self._lock:
            self._closed = True
            self._cancel_timer()
            self._down.clear()
            if self._holding:
                self._holding = False
                self._on_release()


def _matches(want: str, down: str) -> bool:
    """``ctrl`` is either Ctrl key; ``ctrl_r`` only the right one. (pynput names the left keys ``ctrl``, ``shift``,
    ... on X11 and macOS, ``ctrl_l`` ... on Windows.)"""
    return down == want or generic(down) == want


# ---- the global listener ---------------------------------------------------------------------------------------


class HotkeyUnavailable(RuntimeError):
    """The global listener cannot run here (no X server, a Wayland session, no permission): say why."""


def pynput_token(key: Any, platform: str | None = None) -> str | None:
    """Our token for a key as pynput reports it: a ``Key`` member's name, or a character key's lower-case char.

    On Windows a letter or digit key is named by its virtual-key code, which does not depend on the keyboard layout:
    Ctrl+P stays Ctrl+P while a Russian layout is active (its char is then "з"). X11 and macOS give no such code, so
    there a letter hotkey works in the layout it was chosen in; function keys and modifiers work in every layout.
    """
    name = getattr(key, "name", None)
    if isinstance(name, str):
        return name
    vk = getattr(key, "vk", None)
    if (sys.platform if platform is None else platform) == "win32" and isinstance(vk, int):
        if ord("A") <= vk <= ord("Z") or ord("0") <= vk <= ord("9"):
            return chr(vk).lower()
    char = getattr(key, "char", None)
    if isinstance(char, str) and len(char) == 1:
        return char.lower()
    return None


class GlobalHotkey:
    """Listens for ``hotkey`` in every application (pynput's keyboard listener on its own thread) and reports holds
    to ``on_hold`` / ``on_release``, called on the listener's or the hangover timer's thread."""

    def __init__(
        self,
        hotkey: Hotkey,
        on_hold: Callable[[], None],
        on_release: Callable[[], None],
        hangover: float = HANGOVER_S,
    ) -> None:
        self.detector = HoldDetector(hotkey, on_hold, on_release, hangover)
        self._listener: Any = None

    def start(self) -> None:
        """Start listening; HotkeyUnavailable if this session cannot (the caller falls back to its own window)."""
        where = support()
        if where in (Support.WAYLAND, Support.NO_DISPLAY):
            raise HotkeyUnavailable(f"no global keyboard listener in this session ({where.value})")
        try:
            from pynput import keyboard
        except ImportError as exc:  # pynput raises ImportError for every backend it could not load
            raise HotkeyUnavailable(f"pynput cannot listen here: {exc}") from exc
        listener = keyboard.Listener(on_press=self._pressed, on_release=self._released)
        listener.daemon = True
        recording = _watch_x11_recording(listener)
        listener.start()
        # Until it listens, so that a key pressed right after start() is not lost. pynput's wait() has no timeout
        # and never returns if the listener thread dies first (an X server without the RECORD extension): wait for
        # it on a helper thread, and give up when the listener is gone or too slow.
        waiter = threading.Thread(target=listener.wait, name="pynput-wait", daemon=True)
        waiter.start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while waiter.is_alive() and listener.is_alive() and time.monotonic() < deadline:
            waiter.join(0.02)
        while not recording.is_set() and listener.is_alive() and time.monotonic() < deadline:
            recording.wait(0.02)
        if waiter.is_alive() or not recording.is_set():
            # Not stop(): before it is ready, pynput's stop() waits for it too. A daemon thread; and whatever it
            # hears later goes to a closed detector.
            self.detector.close()
            raise HotkeyUnavailable("the keyboard listener did not start (see the log)")
        # macOS: without the Accessibility (input monitoring) permission the listener runs but hears nothing.
        if getattr(listener, "IS_TRUSTED", True) is False:
            listener.stop()
            raise HotkeyUnavailable("this app may not monitor the keyboard (macOS Accessibility permission)")
        self._listener = listener
        logger.info("push-to-talk: listening for %s in every application", self.detector.hotkey.text())

    def _pressed(self, key: Any, injected: bool = False) -> None:
        token = pynput_token(key)
        if token is not None:
            self.detector.press(token)

    def _released(self, key: Any, injected: bool = False) -> None:
        token = pynput_token(key)
        if token is not None:
            self.detector.release(token)

    def stop(self) -> None:
        """Stop listening (idempotent); a hold under way is released at once."""
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.stop()
            _end_x11_recording(listener)
            # Its thread closes its X connections on the way out: let it, before the caller (or the X server) goes.
            try:
                listener.join(STOP_TIMEOUT_S)
            except Exception as exc:  # join() re-raises what the listener thread died of
                logger.info("push-to-talk: the keyboard listener ended with %r", exc)
        self.detector.close()


def _watch_x11_recording(listener: Any) -> threading.Event:
    """An event set once the X server records for ``listener`` (at once for other backends).

    pynput's X11 thread marks itself ready (wait() returns) before it asks the X server to enable its recording
    context, so a key pressed in between is never heard: a loaded machine lost the first press. The X server's first
    reply to EnableContext (StartOfData) goes to the listener's handler, which we wrap. ``_handler`` is pynput's
    private method (pinned to 1.8 in pyproject.toml): without it the event is set at once, as before this check;
    tests/test_hotkeys.py delays the enabling to catch that.
    """
    recording = threading.Event()
    handler = getattr(listener, "_handler", None)
    if handler is None or not type(listener).__module__.endswith("._xorg"):
        recording.set()
        return recording

    def heard(reply: Any) -> Any:
        recording.set()
        return handler(reply)

    listener._handler = heard
    return recording


def _end_x11_recording(listener: Any) -> None:
    """Make pynput's X11 listener end now, not at the next key press.

    Its stop() asks the X server to end the recording on the very connection its thread is blocked reading, and never
    flushes it, so the thread (and join()) waits for the next key or mouse event (pynput pull request #583, open
    since 2024). Ending the recording context from a connection of our own wakes it at once. ``_context`` is pynput's
    private attribute (pinned to 1.8 in pyproject.toml): without it this does nothing, and stop() only waits longer;
    tests/test_hotkeys.py times the stop.
    """
    context = getattr(listener, "_context", None)
    if context is None or not type(listener).__module__.endswith("._xorg"):
        return
    from Xlib import display as xdisplay  # python-xlib: pynput's own dependency on Linux

    try:
        connection = xdisplay.Display()
        try:
            connection.record_disable_context(context)
            connection.sync()
        finally:
            connection.close()
    except Exception as exc:  # the X server is gone: then so is the recording
        logger.info("push-to-talk: could not end the X recording: %r", exc)
