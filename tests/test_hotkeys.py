"""Push-to-talk's key (nimeet_desktop/hotkeys.py): the strict hotkey syntax, where a global listener can run, hold
detection with its hangover, and pynput's real listener on a real X server (Xvfb) fed by XTest key events while
another client's window has the focus."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nimeet_desktop import hotkeys
from nimeet_desktop.hotkeys import (
    HANGOVER_S,
    GlobalHotkey,
    HoldDetector,
    Hotkey,
    HotkeyUnavailable,
    InvalidHotkey,
    Support,
    parse_hotkey,
)
from nimeet_desktop.settings import Settings
from tests.media.conftest import Xvfb, start_xvfb

ROOT = Path(__file__).resolve().parents[1]


# ---- the syntax --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "modifiers", "key"),
    [
        ("<f8>", (), "f8"),
        ("<f20>", (), "f20"),
        ("<pause>", (), "pause"),
        ("<ctrl_r>", ("ctrl_r",), None),
        ("<ctrl>+<alt>", ("ctrl", "alt"), None),
        ("<ctrl>+<alt>+p", ("ctrl", "alt"), "p"),
        ("<alt_r>+<shift>+<f1>", ("alt_r", "shift"), "f1"),
        ("<cmd>+<space>", ("cmd",), "space"),
        ("<ctrl>+<page_up>", ("ctrl",), "page_up"),
    ],
)
def test_canonical_hotkeys_parse(text: str, modifiers: tuple[str, ...], key: str | None) -> None:
    hotkey = parse_hotkey(text)
    assert hotkey == Hotkey(modifiers, key)
    assert hotkey.text() == text


@pytest.mark.parametrize(
    "text",
    [
        "",
        " <f8>",
        "f8",  # named keys in brackets, as pynput's HotKey.parse wants them
        "<F8>",
        "<f21>",  # not on every platform
        "a",  # types text
        "<space>",
        "<shift>+a",  # types "A"
        "<shift_r>+<home>",
        "<alt>+<ctrl>+p",  # modifiers out of order
        "<ctrl>+<ctrl>",
        "<ctrl>+<ctrl_r>",
        "p+<ctrl>",
        "<ctrl>+a+b",
        "<ctrl>+<f8>+<f9>",
        "<ctrl>+",
        "<esc>",  # closes dialogs
        "<print_screen>",  # the desktop's screenshot key
        "<caps_lock>",  # toggles a state
        "<ctrl_l>",  # no left-only spelling: <ctrl> is either Ctrl
        "<ctrl>+é",
        "<<f8>>",
    ],
)
def test_anything_else_is_refused(text: str) -> None:
    with pytest.raises(InvalidHotkey):
        parse_hotkey(text)


def test_keys_held_together_in_any_order_make_the_canonical_hotkey() -> None:
    assert hotkeys.hotkey_from_tokens(["p", "alt", "ctrl"]).text() == "<ctrl>+<alt>+p"
    assert hotkeys.hotkey_from_tokens(["ctrl_r"]).text() == "<ctrl_r>"
    with pytest.raises(InvalidHotkey):
        hotkeys.hotkey_from_tokens(["shift", "q"])


def test_the_setting_is_validated_strictly() -> None:
    assert Settings().push_to_talk is False
    assert parse_hotkey(Settings().push_to_talk_key).modifiers == ()  # the default: one key, no typing key
    assert Settings(push_to_talk_key="<ctrl>+<alt>+p").push_to_talk_key == "<ctrl>+<alt>+p"
    with pytest.raises(ValueError, match="types text"):
        Settings(push_to_talk_key="m")
    settings = Settings()
    with pytest.raises(ValueError, match="modifiers"):
        settings.push_to_talk_key = "<shift>+<ctrl>+p"
    # A hand-edited file loses only the bad key, not the rest.
    loaded = Settings.from_json({"push_to_talk": True, "push_to_talk_key": "<esc>"})
    assert (loaded.push_to_talk, loaded.push_to_talk_key) == (True, hotkeys.DEFAULT_HOTKEY)


# ---- where a global listener can run ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("environ", "platform", "expected"),
    [
        ({"DISPLAY": ":0"}, "linux", Support.GLOBAL),
        ({"DISPLAY": ":0", "XDG_SESSION_TYPE": "x11"}, "linux", Support.GLOBAL),
        # XWayland gives a Wayland session a DISPLAY too: the session type decides.
        ({"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0", "XDG_SESSION_TYPE": "wayland"}, "linux", Support.WAYLAND),
        ({"WAYLAND_DISPLAY": "wayland-0"}, "linux", Support.WAYLAND),
        ({}, "linux", Support.NO_DISPLAY),
        ({}, "win32", Support.GLOBAL),
        ({}, "darwin", Support.GLOBAL_WITH_PERMISSION),
    ],
)
def test_support_follows_the_session(environ: dict[str, str], platform: str, expected: Support) -> None:
    assert hotkeys.support(environ, platform) is expected


def test_the_headless_engine_never_imports_pynput() -> None:
    """pynput connects to the X server when it is imported: the bot, the engine and the settings must not import
    it, and a listener started without a display says so instead of failing at import."""
    code = (
        "import sys\n"
        "import nimeet_desktop.bot, nimeet_desktop.settings, nimeet_desktop.hotkeys as h\n"
        "assert 'pynput' not in sys.modules, 'imported pynput'\n"
        "try:\n"
        "    h.GlobalHotkey(h.parse_hotkey('<f8>'), print, print).start()\n"
        "except h.HotkeyUnavailable as exc:\n"
        "    print('unavailable:', exc)\n"
        "assert 'pynput' not in sys.modules, 'imported pynput'\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "XDG_SESSION_TYPE")}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "unavailable: no global keyboard listener in this session (no-display)" in done.stdout


def test_pynput_keys_as_tokens() -> None:
    from types import SimpleNamespace

    assert hotkeys.pynput_token(SimpleNamespace(name="ctrl_r")) == "ctrl_r"  # a Key member
    assert hotkeys.pynput_token(SimpleNamespace(vk=0x50, char="P"), "linux") == "p"  # Shift held: still p
    # A Russian layout: the char is Cyrillic; Windows' virtual-key code still says which key it is.
    assert hotkeys.pynput_token(SimpleNamespace(vk=0x50, char="з"), "win32") == "p"
    assert hotkeys.pynput_token(SimpleNamespace(vk=0x31, char="!"), "win32") == "1"
    assert hotkeys.pynput_token(SimpleNamespace(vk=0x1008FF11, char=None), "linux") is None  # a media key


# ---- hold detection --------------------------------------------------------------------------------------------


class Holds:
    """What a detector reported, with times, and a way to wait for it."""

    def __init__(self) -> None:
        self.events: list[tuple[str, float]] = []
        self.changed = threading.Condition()

    def hold(self) -> None:
        self._add("hold")

    def release(self) -> None:
        self._add("release")

    def _add(self, what: str) -> None:
        with self.changed:
            self.events.append((what, time.monotonic()))
            self.changed.notify_all()

    def kinds(self) -> list[str]:
        with self.changed:
            return [kind for kind, _ in self.events]

    def wait_for(self, count: int, timeout: float = 3.0) -> list[str]:
        with self.changed:
            self.changed.wait_for(lambda: len(self.events) >= count, timeout)
            return [kind for kind, _ in self.events]


def test_a_hold_ends_a_hangover_after_the_release() -> None:
    holds = Holds()
    detector = HoldDetector(parse_hotkey("<f8>"), holds.hold, holds.release, hangover=0.1)
    detector.press("f9")
    assert holds.kinds() == []
    detector.press("f8")
    assert holds.kinds() == ["hold"]
    released_at = time.monotonic()
    detector.release("f8")
    assert holds.kinds() == ["hold"]  # not yet: the end of the last word still goes out
    assert holds.wait_for(2) == ["hold", "release"]
    assert holds.events[1][1] - released_at >= 0.1


def test_pressing_again_within_the_hangover_continues_the_hold() -> None:
    holds = Holds()
    detector = HoldDetector(parse_hotkey("<f8>"), holds.hold, holds.release, hangover=0.2)
    detector.press("f8")
    for _ in range(5):  # auto-repeat: presses while down, and release/press pairs
        detector.press("f8")
        detector.release("f8")
        time.sleep(0.03)
        detector.press("f8")
    time.sleep(0.3)
    assert holds.kinds() == ["hold"]
    detector.release("f8")
    assert holds.wait_for(2) == ["hold", "release"]
    time.sleep(0.3)
    assert holds.kinds() == ["hold", "release"]


def test_a_combination_holds_while_all_its_keys_are_down() -> None:
    holds = Holds()
    detector = HoldDetector(parse_hotkey("<ctrl>+<alt>+p"), holds.hold, holds.release, hangover=0.05)
    detector.press("ctrl_r")  # either Ctrl
    detector.press("p")
    assert holds.kinds() == []
    detector.press("alt_l")  # Windows names the left one
    assert holds.kinds() == ["hold"]
    detector.release("ctrl_r")
    assert holds.wait_for(2) == ["hold", "release"]


def test_a_right_side_modifier_is_not_the_left_one() -> None:
    holds = Holds()
    detector = HoldDetector(parse_hotkey("<ctrl_r>"), holds.hold, holds.release, hangover=0.05)
    detector.press("ctrl")  # X11's name of the left Ctrl
    detector.press("ctrl_l")  # Windows'
    assert holds.kinds() == []
    detector.press("ctrl_r")
    assert holds.kinds() == ["hold"]


def test_closing_during_a_hold_releases_at_once() -> None:
    holds = Holds()
    detector = HoldDetector(parse_hotkey("<f8>"), holds.hold, holds.release, hangover=5.0)
    detector.press("f8")
    detector.release("f8")  # a hangover of 5 s under way
    detector.close()
    assert holds.kinds() == ["hold", "release"]
    detector.press("f8")
    time.sleep(0.05)
    assert holds.kinds() == ["hold", "release"]


# ---- pynput's listener on a real X server ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def x_server() -> Iterator[Xvfb]:
    server = start_xvfb(320, 240)
    yield server
    server.stop()


@pytest.fixture
def x_session(x_server: Xvfb, monkeypatch: pytest.MonkeyPatch) -> Xvfb:
    """This process in an X11 session on ``x_server``: pynput connects to $DISPLAY."""
    monkeypatch.setenv("DISPLAY", x_server.display)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setenv("XDG_SESSION_TYPE", "x11")
    return x_server


def test_the_key_is_heard_while_another_window_has_the_focus(x_session: Xvfb) -> None:
    from tests.support.xkeys import XKeys

    keys = XKeys(x_session.display)
    keys.focus_other_window()
    holds = Holds()
    listener = GlobalHotkey(parse_hotkey("<f8>"), holds.hold, holds.release)
    listener.start()
    try:
        keys.press("F9")  # another key: nothing
        keys.release("F9")
        keys.press("F8")
        assert holds.wait_for(1) == ["hold"]
        keys.auto_repeat("F8", 0.4, with_releases=True)  # the X server's auto-repeat while it is held
        keys.auto_repeat("F8", 0.2, with_releases=False)
        assert holds.kinds() == ["hold"]
        released_at = time.monotonic()
        keys.release("F8")
        assert holds.wait_for(2) == ["hold", "release"]
        assert holds.events[1][1] - released_at >= HANGOVER_S - 0.01
        assert holds.events[1][1] - released_at < HANGOVER_S + 1.0
        # Listening is passive: the focused window still got every key event.
        assert keys.focused_window_got_keys() >= 4
    finally:
        listener.stop()
        keys.close()


def test_a_key_pressed_right_after_start_is_heard_when_the_listener_is_slow_to_record(
    x_session: Xvfb, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pynput marks itself ready before it asks the X server to start recording: a key pressed in between was lost
    (a loaded CI lost the first F8 of two tests). start() returns only once the X server records."""
    from Xlib.ext import record

    from tests.support.xkeys import XKeys

    enable_context = record.enable_context

    def slow_enable_context(*args: Any, **kwargs: Any) -> Any:
        time.sleep(0.5)  # a listener thread that a busy machine runs late
        return enable_context(*args, **kwargs)

    # Display() binds the RECORD extension's functions when it connects: pynput's connections get this one.
    monkeypatch.setattr(record, "enable_context", slow_enable_context)
    keys = XKeys(x_session.display)
    holds = Holds()
    listener = GlobalHotkey(parse_hotkey("<f8>"), holds.hold, holds.release)
    listener.start()
    try:
        keys.press("F8")  # a tap: no auto-repeat to be heard later
        keys.release("F8")
        assert holds.wait_for(2) == ["hold", "release"]
    finally:
        listener.stop()
        keys.close()


def test_a_combination_and_a_right_hand_modifier_on_x11(x_session: Xvfb) -> None:
    from tests.support.xkeys import XKeys

    keys = XKeys(x_session.display)
    holds = Holds()
    listener = GlobalHotkey(parse_hotkey("<ctrl_r>+<alt>+p"), holds.hold, holds.release, hangover=0.05)
    listener.start()
    try:
        keys.press("Control_L", "Alt_L", "p")  # the left Ctrl: not this hotkey
        keys.release("Control_L", "Alt_L", "p")
        keys.press("Control_R", "Alt_L")
        time.sleep(0.1)
        assert holds.kinds() == []
        keys.press("p")
        assert holds.wait_for(1) == ["hold"]
        keys.release("Alt_L")  # one key of it up ends the hold
        assert holds.wait_for(2) == ["hold", "release"]
        keys.release("Control_R", "p")
    finally:
        listener.stop()
        keys.close()


def test_stopping_during_a_hold_releases_and_stops_hearing(x_session: Xvfb) -> None:
    from tests.support.xkeys import XKeys

    keys = XKeys(x_session.display)
    holds = Holds()
    listener = GlobalHotkey(parse_hotkey("<f8>"), holds.hold, holds.release)
    listener.start()
    try:
        keys.press("F8")
        assert holds.wait_for(1) == ["hold"]
        listener_thread = listener._listener
        stopping = time.monotonic()
        listener.stop()
        # At once: the microphone never stays open, and the call window never waits for a key to close. (Without
        # _end_x11_recording, pynput's thread lives on until the next key: stop() gives up on it after 2 s.)
        assert not listener_thread.is_alive()
        assert time.monotonic() - stopping < hotkeys.STOP_TIMEOUT_S * 0.75  # usually 10 ms; a loaded CI is slow
        assert holds.kinds() == ["hold", "release"]
        keys.release("F8")
        keys.press("F8")
        keys.release("F8")
        time.sleep(0.3)
        assert holds.kinds() == ["hold", "release"]
    finally:
        listener.stop()
        keys.close()


# pynput's thread dies of the missing extension, as it should: its traceback is the point, not a leak.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_an_x_server_without_record_is_unavailable_not_a_hang(monkeypatch: pytest.MonkeyPatch) -> None:
    """pynput's own wait() never returns when its thread dies before it is ready: start() must not hang."""
    server = start_xvfb(320, 240, "-extension", "RECORD")
    try:
        monkeypatch.setenv("DISPLAY", server.display)
        monkeypatch.setenv("XDG_SESSION_TYPE", "x11")
        listener = GlobalHotkey(parse_hotkey("<f8>"), lambda: None, lambda: None)
        started = time.monotonic()
        with pytest.raises(HotkeyUnavailable, match="did not start"):
            listener.start()
        assert time.monotonic() - started < hotkeys.START_TIMEOUT_S + 1
    finally:
        server.stop()
