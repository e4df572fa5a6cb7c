"""Push-to-talk in the app (ui/push_to_talk.py): the call window's microphone following a key held in another
client's window on a real X server (the app itself offscreen, the server and the call real), the in-window fallback
where global shortcuts are not allowed, and the settings section (key capture, the platform's statement)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QLineEdit
from pytestqt.qtbot import QtBot

from nimeet_desktop.call.remote import RemoteParticipant
from nimeet_desktop.call.session import CallSession
from nimeet_desktop.hotkeys import HANGOVER_S, Support
from nimeet_desktop.media.synthetic import SyntheticAudio
from nimeet_desktop.settings import Settings, SettingsStore
from nimeet_desktop.ui.control_bar import media_action
from nimeet_desktop.ui.push_to_talk import Mode, PushToTalk, PushToTalkSection, platform_statement
from tests.call.conftest import Recorder
from tests.media.conftest import Xvfb, start_xvfb
from tests.support.clients import Api
from tests.ui.conftest import AppHarness, new_user, register, start_new_call, until


@pytest.fixture
def x11_session(monkeypatch: pytest.MonkeyPatch) -> Iterator[Xvfb]:
    """This process in an X11 session on a real X server (Qt stays offscreen: the keys are pressed in another
    client's window there, as when NIMeet is in the background)."""
    server = start_xvfb(320, 240)
    monkeypatch.setenv("DISPLAY", server.display)
    monkeypatch.setenv("XDG_SESSION_TYPE", "x11")
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    yield server
    server.stop()


@pytest.fixture
def wayland_session(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_SESSION_TYPE", "wayland")
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")


@pytest.mark.usefixtures("loopback_media")
def test_holding_the_key_in_another_window_unmutes_the_call(qtbot: QtBot, app: AppHarness, x11_session: Xvfb) -> None:
    app.run(held_in_another_window(app, qtbot, x11_session), timeout=90)


class Listener(Recorder):
    """A bot's observer that also keeps what the bot was told of our microphone, in order, from the join on."""

    def __init__(self) -> None:
        super().__init__()
        self.microphone: dict[str, list[bool]] = {}

    def on_participant_joined(self, participant: RemoteParticipant) -> None:
        super().on_participant_joined(participant)
        self.microphone[participant.socket_id] = [participant.media.microphone]

    def on_participant_updated(self, participant: RemoteParticipant) -> None:
        super().on_participant_updated(participant)
        heard = self.microphone.setdefault(participant.socket_id, [])
        if not heard or heard[-1] != participant.media.microphone:
            heard.append(participant.media.microphone)


async def held_in_another_window(app: AppHarness, qtbot: QtBot, x_server: Xvfb) -> None:
    # One coroutine, and the bot leaves inside it while the loop runs (as in test_call_window's with_bots).
    api = Api(app.server.url)
    try:
        token = (await api.register())["token"]
    finally:
        await api.aclose()
    listener = Listener()
    bot = CallSession(app.server.url, token, [], observer=listener, microphone=SyntheticAudio())
    try:
        await with_a_bot(app, qtbot, x_server, bot, listener)
    finally:
        await bot.leave()


async def with_a_bot(app: AppHarness, qtbot: QtBot, x_server: Xvfb, bot: CallSession, listener: Listener) -> None:
    from tests.support.xkeys import XKeys

    SettingsStore(app.config_dir).save(
        Settings(server_url=app.server.url, start_local_server=False, push_to_talk=True)  # F8, the default key
    )
    window = app.build()
    await window.start()
    register(qtbot, window, new_user())
    await until(lambda: window.current is window.dashboard, what="the dashboard")
    start_new_call(qtbot, window)
    await until(lambda: window.current is window.prejoin and window.prejoin.join_button.isEnabled(), what="pre-join")
    # Someone already in the room hears of us as we join: they must never see us unmuted for a moment.
    await bot.join(window.prejoin.room_id, camera=False)
    assert window.prejoin.mic_button.isChecked()  # the pre-join screen joins with the microphone on
    qtbot.mouseClick(window.prejoin.join_button, Qt.MouseButton.LeftButton)
    view = window.call_view
    await until(lambda: view.call is not None and view.call.self_participant is not None, what="joined")
    call = view.call
    assert call is not None
    me = call.self_participant
    assert me is not None
    await until(lambda: me.socket_id in listener.microphone, what="the bot seeing us")
    assert listener.microphone[me.socket_id] == [False]  # muted from the start
    assert view.push_to_talk.keys.mode is Mode.GLOBAL
    assert not call.microphone_on
    button = view.controls.mic_button
    assert button.toolTip() == "Push-to-talk: hold F8 to talk"

    keys = XKeys(x_server.display)
    try:
        keys.focus_other_window()
        keys.press("F8")
        await until(lambda: call.microphone_on, timeout=2, what="the microphone on while F8 is held")
        assert button.property("off") is False
        assert button.toolTip() == "Push-to-talk: hold F8 to talk"  # still, after the control bar showed the change
        # The X server's auto-repeat while it is held: release/press pairs every 30 ms. Never a gap.
        end = time.monotonic() + 0.5
        while time.monotonic() < end:
            await asyncio.sleep(0.03)
            keys.release("F8")
            keys.press("F8")
            assert call.microphone_on
        released_at = time.monotonic()
        keys.release("F8")
        await asyncio.sleep(HANGOVER_S / 3)
        if time.monotonic() - released_at < HANGOVER_S:  # (a loaded machine may have slept longer)
            assert call.microphone_on, "the end of the last word is cut off"
        await until(lambda: not call.microphone_on, timeout=2, what="the microphone off after the release")
        assert time.monotonic() - released_at >= HANGOVER_S
        assert button.property("off") is True
        assert keys.focused_window_got_keys() > 10  # the other window got its keys: nothing was grabbed
    finally:
        keys.close()
    # The room heard one unmute and one mute: nothing before, nothing flickering with the auto-repeat.
    await until(lambda: listener.microphone[me.socket_id] == [False, True, False], what="the bot hearing the hold")

    # Switched off in the settings during the call: the key does nothing more, the button is its plain self again.
    window.context.settings.push_to_talk = False
    view.push_to_talk.refresh()
    assert not view.push_to_talk.enabled
    assert button.toolTip() == f"{media_action('microphone', False)} (M)"
    view.leave()
    await until(lambda: view.call is None, what="leaving")
    assert not view.push_to_talk.enabled


def key_event(kind: QEvent.Type, key: Qt.Key, *, repeat: bool = False, keysym: int = 0) -> QKeyEvent:
    """A key event as a platform plugin makes it, with the native key (X11: the keysym) that tells the sides apart."""
    return QKeyEvent(kind, key, Qt.KeyboardModifier.NoModifier, 0, keysym, 0, "", repeat)


def test_the_in_window_fallback_where_global_shortcuts_are_not_allowed(qtbot: QtBot, wayland_session: None) -> None:
    keys = PushToTalk()
    field = QLineEdit()  # any focused widget of the app: the key goes on to it too
    qtbot.addWidget(field)
    field.show()
    try:
        assert keys.configure(True, "<f8>") is Mode.WINDOW
        with qtbot.waitSignal(keys.held, timeout=1000):
            QApplication.sendEvent(field, key_event(QEvent.Type.KeyPress, Qt.Key.Key_F8))
        released: list[float] = []
        keys.released.connect(lambda: released.append(time.monotonic()))
        for _ in range(5):  # auto-repeat: Qt marks it, and it changes nothing
            QApplication.sendEvent(field, key_event(QEvent.Type.KeyRelease, Qt.Key.Key_F8, repeat=True))
            QApplication.sendEvent(field, key_event(QEvent.Type.KeyPress, Qt.Key.Key_F8, repeat=True))
        qtbot.wait(int(HANGOVER_S * 2000))
        assert not released and keys.holding
        released_at = time.monotonic()
        QApplication.sendEvent(field, key_event(QEvent.Type.KeyRelease, Qt.Key.Key_F8))
        qtbot.waitUntil(lambda: bool(released), timeout=1000)
        assert released[0] - released_at >= HANGOVER_S - 0.01
        assert not keys.holding
        # Another key, or the left Ctrl for a right-Ctrl hotkey: nothing.
        assert keys.configure(True, "<ctrl_r>") is Mode.WINDOW
        QApplication.sendEvent(field, key_event(QEvent.Type.KeyPress, Qt.Key.Key_Control, keysym=0xFFE3))
        QApplication.sendEvent(field, key_event(QEvent.Type.KeyPress, Qt.Key.Key_F9))
        qtbot.wait(100)
        assert not keys.holding
        with qtbot.waitSignal(keys.held, timeout=1000):
            QApplication.sendEvent(field, key_event(QEvent.Type.KeyPress, Qt.Key.Key_Control, keysym=0xFFE4))
    finally:
        keys.stop()
    qtbot.waitUntil(lambda: not keys.holding, timeout=1000)  # stopping ends a hold under way
    assert keys.mode is Mode.OFF


def test_the_settings_say_wayland_has_no_global_shortcuts(qtbot: QtBot, tmp_path: Path, wayland_session: None) -> None:
    section = PushToTalkSection(SettingsStore(tmp_path), Settings())
    qtbot.addWidget(section)
    assert section.where is Support.WAYLAND
    assert section.statement.text() == platform_statement(Support.WAYLAND)
    assert "Global shortcuts are not available in Wayland sessions" in section.statement.text()
    assert "while the NIMeet window is focused" in section.statement.text()
    for where in Support:  # a sentence of its own for each platform
        assert platform_statement(where)
    assert len({platform_statement(where) for where in Support}) == len(Support)


def test_choosing_the_key(qtbot: QtBot, tmp_path: Path) -> None:
    store = SettingsStore(tmp_path)
    settings = Settings()
    section = PushToTalkSection(store, settings, Support.GLOBAL)
    qtbot.addWidget(section)
    section.show()
    saved = lambda: json.loads(store.path.read_text())  # noqa: E731
    assert not section.key.isEnabled()  # off by default
    assert section.key.text() == "F8"
    with qtbot.waitSignal(section.changed):
        section.enabled.click()
    assert saved()["push_to_talk"] is True

    button = section.key
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert button.text() == "Press a key…"
    qtbot.keyClick(button, Qt.Key.Key_A)  # types text: refused, still capturing
    assert section.error.isVisibleTo(section)
    assert "types text" in section.error.text()
    assert button.capturing
    qtbot.keyClick(button, Qt.Key.Key_F9)
    assert (settings.push_to_talk_key, saved()["push_to_talk_key"], button.text()) == ("<f9>", "<f9>", "F9")
    assert not section.error.isVisibleTo(section)

    # A letter with Ctrl held.
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.keyPress(button, Qt.Key.Key_Control)
    qtbot.keyPress(button, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    assert (saved()["push_to_talk_key"], button.text()) == ("<ctrl>+p", "Ctrl+P")

    # A modifier alone, chosen when it is let go: the right Ctrl (its X11 keysym says which side).
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    QApplication.sendEvent(button, key_event(QEvent.Type.KeyPress, Qt.Key.Key_Control, keysym=0xFFE4))
    assert button.capturing
    QApplication.sendEvent(button, key_event(QEvent.Type.KeyRelease, Qt.Key.Key_Control, keysym=0xFFE4))
    assert (saved()["push_to_talk_key"], button.text()) == ("<ctrl_r>", "Right Ctrl")

    # Esc cancels: the key stays.
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.keyClick(button, Qt.Key.Key_Escape)
    assert not button.capturing
    assert (settings.push_to_talk_key, button.text()) == ("<ctrl_r>", "Right Ctrl")

    with qtbot.waitSignal(section.changed):
        section.enabled.click()
    assert saved()["push_to_talk"] is False
    assert not button.isEnabled()
