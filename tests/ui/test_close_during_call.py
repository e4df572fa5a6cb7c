"""Closing the window during a real call (the real server, a bot): "ask" asks (Cancel keeps everything, "Keep in
tray" hides the window and the call goes on, "Leave" leaves and quits, "Remember my choice" stores the answer),
"tray" hides without asking, "leave" and a desktop without a tray leave and quit as before, and outside a call
closing quits whatever the setting."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QSystemTrayIcon
from pytestqt.qtbot import QtBot

from nimeet_desktop.call.session import CallSession
from nimeet_desktop.settings import SettingsStore
from nimeet_desktop.ui import tray
from nimeet_desktop.ui.close_during_call import CloseDuringCallDialog
from nimeet_desktop.ui.main_window import MainWindow
from tests.ui.conftest import AppHarness, new_user, register, until
from tests.ui.test_call_window import Bots, enter_call, with_bots

pytestmark = pytest.mark.usefixtures("loopback_media", "as_the_app")


@pytest.fixture
def as_the_app(qapp: QApplication) -> Iterator[None]:
    """As ``nimeet`` sets it: closing the last window does not quit Qt (that would stop the loop under a test)."""
    qapp.setQuitOnLastWindowClosed(False)
    yield
    qapp.setQuitOnLastWindowClosed(True)


class Closing:
    """A window in a call with a bot, its tray on a real (never shown) icon, and what it told."""

    def __init__(self, window: MainWindow, bot: CallSession, shown: list[str]) -> None:
        self.window = window
        self.bot = bot
        self.shown = shown
        self.closed: list[bool] = []
        window.closed.connect(lambda: self.closed.append(True))
        call = window.call_view.call
        assert call is not None and call.self_participant is not None
        self.me = call.self_participant.socket_id

    def dialog(self) -> CloseDuringCallDialog | None:
        guard = self.window.close_guard
        assert guard is not None
        return guard.dialog

    def bot_sees_us(self) -> bool:
        return self.me in self.bot.participants

    async def left(self) -> None:
        """What the app's run() does once the window says ``closed``; then the bot must see us go."""
        assert self.closed, "the window did not close"
        await self.window.shutdown()
        await until(lambda: not self.bot_sees_us(), what="the bot to see us leave")


async def in_a_call(app: AppHarness, bots: Bots, qtbot: QtBot, setting: str) -> Closing:
    window = await enter_call(app, qtbot)
    shown: list[str] = []
    # The tray's notifications, read where they would be shown (offscreen has no tray host).
    tray.attach(window, QSystemTrayIcon(window), notify=lambda _title, text: shown.append(text))
    window.context.settings.close_during_call = setting  # type: ignore[assignment]
    (bot,) = await bots.join(window.call_view.room_id, 1)
    closing = Closing(window, bot, shown)
    await until(closing.bot_sees_us, what="the bot to see us")
    return closing


def setting(window: MainWindow) -> str:
    """The stored choice, read afresh (a plain function: mypy would take the attribute's earlier value for fixed)."""
    return window.context.settings.close_during_call


def test_ask_cancel_then_keep_in_tray_remembered(qtbot: QtBot, app: AppHarness) -> None:
    app.run(with_bots(app, qtbot, ask_cancel_then_tray), timeout=120)


async def ask_cancel_then_tray(app: AppHarness, bots: Bots, qtbot: QtBot) -> None:
    c = await in_a_call(app, bots, qtbot, "ask")
    window = c.window

    # Cancel: nothing happens, and "Remember my choice" does not remember a cancel.
    window.close()
    dialog = c.dialog()
    assert dialog is not None and dialog.isVisible()
    assert window.isVisible() and not c.closed
    window.close()  # a second close while the question is open asks nothing more
    assert c.dialog() is dialog
    dialog.remember.setChecked(True)
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    assert c.dialog() is None
    assert window.isVisible() and not c.closed and window.in_call
    assert setting(window) == "ask"

    # Keep in tray, remembered: the window hides, the call goes on, the tray says so once.
    window.close()
    dialog = c.dialog()
    assert dialog is not None
    dialog.remember.setChecked(True)
    qtbot.mouseClick(dialog.tray_button, Qt.MouseButton.LeftButton)
    assert not window.isVisible() and not c.closed
    assert window.in_call and c.bot_sees_us()
    assert c.shown == ["The call continues in the background. Open NIMeet from its tray icon."]
    assert setting(window) == "tray"
    assert SettingsStore(app.config_dir).load().close_during_call == "tray"
    await until(lambda: c.bot.participants[c.me].stats.video_frames > 10, what="our video still flowing")

    # Shown again and closed again: the remembered choice, no question, no second notification.
    window.show()
    window.close()
    assert c.dialog() is None and not window.isVisible() and not c.closed
    assert len(c.shown) == 1
    assert window.in_call

    # "Quit" in the tray, with the window hidden: the call is left, the app quits.
    window_tray = window.findChild(tray.Tray)
    assert window_tray is not None
    window_tray.quit_action.trigger()
    await c.left()


def test_ask_leave_leaves_and_quits(qtbot: QtBot, app: AppHarness) -> None:
    app.run(with_bots(app, qtbot, ask_leave), timeout=120)


async def ask_leave(app: AppHarness, bots: Bots, qtbot: QtBot) -> None:
    c = await in_a_call(app, bots, qtbot, "ask")
    c.window.close()
    dialog = c.dialog()
    assert dialog is not None
    assert [b.text() for b in (dialog.leave_button, dialog.tray_button, dialog.cancel_button)] == [
        "Leave the call",
        "Keep in tray",
        "Cancel",
    ]
    qtbot.mouseClick(dialog.leave_button, Qt.MouseButton.LeftButton)
    assert c.window.context.settings.close_during_call == "ask", "remembered without being asked to"
    await c.left()


def test_leave_setting_quits_as_before(qtbot: QtBot, app: AppHarness) -> None:
    app.run(with_bots(app, qtbot, leave_setting), timeout=120)


async def leave_setting(app: AppHarness, bots: Bots, qtbot: QtBot) -> None:
    c = await in_a_call(app, bots, qtbot, "leave")
    c.window.close()
    assert c.dialog() is None
    await c.left()
    assert c.shown == []


def test_without_a_tray_closing_leaves_the_call(qtbot: QtBot, app: AppHarness) -> None:
    app.run(with_bots(app, qtbot, without_a_tray), timeout=120)


async def without_a_tray(app: AppHarness, bots: Bots, qtbot: QtBot) -> None:
    window = await enter_call(app, qtbot)
    assert not QSystemTrayIcon.isSystemTrayAvailable()  # offscreen: no tray host
    window_tray = tray.install(window)
    assert window_tray.icon is None and window.close_guard is None
    window.context.settings.close_during_call = "tray"  # a choice made on another desktop, with a tray
    (bot,) = await bots.join(window.call_view.room_id, 1)
    c = Closing(window, bot, [])
    await until(c.bot_sees_us, what="the bot to see us")
    window.close()
    await c.left()


def test_outside_a_call_closing_quits(qtbot: QtBot, app: AppHarness) -> None:
    app.run(outside_a_call(app, qtbot), timeout=60)


async def outside_a_call(app: AppHarness, qtbot: QtBot) -> None:
    window = app.build()
    tray.attach(window, QSystemTrayIcon(window))
    window.context.settings.close_during_call = "tray"
    closed: list[bool] = []
    window.closed.connect(lambda: closed.append(True))
    await window.start()
    register(qtbot, window, new_user())
    await until(lambda: window.current is window.dashboard, what="the dashboard")
    window.close()
    assert closed == [True]
    assert window.close_guard is not None and window.close_guard.dialog is None
