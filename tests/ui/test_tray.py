"""The tray's menu in a real call against the real server with a bot: "New call" makes the room as the dashboard's
button does, the call's line counts people, mute and camera from the tray really change what the engine sends (the
bot sees it), the tray follows the control bar, leave and quit leave cleanly. Offscreen there is no tray host, so the
menu is driven directly; the real ``QSystemTrayIcon`` still gets the menu, tooltip and icon."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QApplication, QSystemTrayIcon
from pytestqt.qtbot import QtBot

from nimeet_desktop.settings import SettingsStore
from nimeet_desktop.ui import tray
from nimeet_desktop.ui.main_window import MainWindow
from tests.media.conftest import start_xvfb
from tests.support.system_packages import TRAYER, require
from tests.ui.conftest import AppHarness, new_user, register, save_new_room, until
from tests.ui.test_call_window import Bots, with_bots


@pytest.fixture
def as_the_app(qapp: QApplication) -> Iterator[None]:
    """As ``nimeet`` sets it: closing the last window does not quit Qt (that would stop the loop under a test)."""
    qapp.setQuitOnLastWindowClosed(False)
    yield
    qapp.setQuitOnLastWindowClosed(True)


def visible_texts(window: MainWindow, app_tray: tray.Tray) -> list[str]:
    return [a.text() for a in app_tray.menu.actions() if a.isVisible() and not a.isSeparator()]


def test_the_menu_outside_a_call_and_the_close_choice(qtbot: QtBot, app: AppHarness) -> None:
    window = app.build()
    app_tray = tray.Tray(window)
    assert visible_texts(window, app_tray) == [
        "Open NIMeet",
        "New call",
        "Settings…",
        "When I close the window during a call",
        "Quit NIMeet",
    ]
    assert not app_tray.new_call_action.isEnabled(), "New call before anyone signed in"
    assert app_tray.tooltip_text() == "NIMeet"
    checked = [a.data() for a in app_tray.close_choices.actions() if a.isChecked()]
    assert checked == ["ask"]

    # The choice is stored: a restart reads it back.
    (keep,) = [a for a in app_tray.close_choices.actions() if a.data() == "tray"]
    keep.trigger()
    assert window.context.settings.close_during_call == "tray"
    assert SettingsStore(app.config_dir).load().close_during_call == "tray"
    assert [a.data() for a in app_tray.close_choices.actions() if a.isChecked()] == ["tray"]


def test_the_tray_icon_states_differ() -> None:
    images = {
        state: tray.state_icon(*state).pixmap(QSize(32, 32)).toImage()
        for state in ((False, False), (True, False), (True, True))
    }
    assert len({img.cacheKey() for img in images.values()}) == 3
    assert images[(False, False)] != images[(True, False)] != images[(True, True)]
    assert not tray.state_icon(True, True).pixmap(QSize(16, 16)).isNull()


# "New call" brings the window up (raise_): the offscreen platform cannot, and says so.
@pytest.mark.qt_log_ignore("This plugin does not support raise")
@pytest.mark.usefixtures("loopback_media")
def test_the_tray_follows_the_call_and_drives_it(qtbot: QtBot, app: AppHarness) -> None:
    app.run(with_bots(app, qtbot, tray_in_a_call_with), timeout=150)


async def tray_in_a_call_with(app: AppHarness, bots: Bots, qtbot: QtBot) -> None:
    window = app.build()
    icon = QSystemTrayIcon(window)  # the real icon, never shown: offscreen has no tray host
    app_tray = tray.Tray(window, icon)
    assert icon.contextMenu() is app_tray.menu
    await window.start()
    register(qtbot, window, new_user())
    await until(lambda: window.current is window.dashboard, what="the dashboard")
    await until(lambda: app_tray.new_call_action.isEnabled(), what="New call enabled in the tray")

    # "New call" from the tray: the dashboard makes the room and pre-join opens, as its own button does.
    rooms_before = len(await window.context.api.list_rooms())
    app_tray.new_call_action.trigger()
    save_new_room(qtbot, window)
    await until(lambda: window.current is window.prejoin, what="pre-join from the tray")
    assert not app_tray.new_call_action.isEnabled(), "a second New call while one is being prepared"
    assert len(await window.context.api.list_rooms()) == rooms_before + 1
    prejoin = window.prejoin
    await until(lambda: prejoin.join_button.isEnabled(), what="pre-join ready")
    qtbot.mouseClick(prejoin.join_button, Qt.MouseButton.LeftButton)
    view = window.call_view
    await until(lambda: view.call is not None and app_tray.status_action.isVisible(), what="the call in the tray")
    call = view.call
    assert call is not None
    (bot,) = await bots.join(view.room_id, 1)
    await until(lambda: len(view.grid.tiles()) == 2, what="the bot's tile")
    me = call.self_participant
    assert me is not None

    room = window.prejoin.room_name or ""
    assert room and "'s call" in room
    status = app_tray.status_action.text()
    assert status.startswith(f"\u2068{room}\u2069 · 2 in the call · 0:0"), status
    assert not app_tray.status_action.isEnabled()
    assert icon.toolTip() == f"NIMeet: in a call in \u2068{room}\u2069"
    assert app_tray.microphone_action.text() == "Turn off microphone"
    assert app_tray.camera_action.text() == "Turn off camera"
    assert not app_tray.new_call_action.isEnabled()
    unmuted_icon = icon.icon().pixmap(QSize(32, 32)).toImage()

    # The room's name is the server's words: literal in the menu (an "&" is no accelerator), no markup in the
    # tooltip, which Qt may show as rich text.
    view.title.setText("<b>x</b> R&D\tcall")
    app_tray.refresh()
    assert app_tray.status_action.text().startswith("\u2068<b>x</b> R&&D\ufffdcall\u2069 · 2 in the call")
    assert not {"<", ">", "&"} & set(icon.toolTip())
    assert icon.toolTip() == "NIMeet: in a call in \u2068\u2039b\u203ax\u2039/b\u203a R\uff06D\ufffdcall\u2069"
    view.title.setText(room)
    app_tray.refresh()

    # Mute from the tray: the engine stops sending, the bot is told, the bar and our tile show it.
    app_tray.microphone_action.trigger()
    await until(lambda: not call.microphone_on, what="muted from the tray")
    await until(lambda: not bot.participants[me.socket_id].media.microphone, what="the bot told of the mute")
    assert view.controls.mic_button.property("off") is True
    own = view.grid.tile("self")
    assert own is not None and not own.mic_on
    assert app_tray.microphone_action.text() == "Turn on microphone"
    assert icon.toolTip() == f"NIMeet: in a call in \u2068{room}\u2069, microphone off"
    assert icon.icon().pixmap(QSize(32, 32)).toImage() != unmuted_icon

    # Unmute from the bar: the tray follows.
    qtbot.mouseClick(view.controls.mic_button, Qt.MouseButton.LeftButton)
    await until(lambda: app_tray.microphone_action.text() == "Turn off microphone", what="the tray following the bar")
    assert call.microphone_on
    await until(lambda: bot.participants[me.socket_id].media.microphone, what="the bot told of the unmute")

    # Camera from the tray.
    app_tray.camera_action.trigger()
    await until(lambda: not bot.participants[me.socket_id].media.camera, what="the bot told the camera is off")
    assert view.controls.camera_button.property("off") is True
    assert app_tray.camera_action.text() == "Turn on camera"

    # Leave from the tray: back to the dashboard, the call's items go, the bot sees us leave.
    app_tray.leave_action.trigger()
    await until(lambda: window.current is window.dashboard, what="the dashboard after leaving")
    await until(lambda: me.socket_id not in bot.participants, what="the bot to see us leave")
    assert not app_tray.status_action.isVisible() and not app_tray.leave_action.isVisible()
    assert icon.toolTip() == "NIMeet"
    assert app_tray.new_call_action.isEnabled()


@pytest.mark.usefixtures("loopback_media", "as_the_app")
def test_quit_from_the_tray_leaves_the_call(qtbot: QtBot, app: AppHarness) -> None:
    app.run(with_bots(app, qtbot, quit_from_the_tray_with), timeout=120)


async def quit_from_the_tray_with(app: AppHarness, bots: Bots, qtbot: QtBot) -> None:
    from tests.ui.test_call_window import enter_call

    window = await enter_call(app, qtbot)
    app_tray = tray.attach(window, QSystemTrayIcon(window))
    window.context.settings.close_during_call = "ask"  # quitting never asks
    view = window.call_view
    call = view.call
    assert call is not None
    (bot,) = await bots.join(view.room_id, 1)
    me = call.self_participant
    assert me is not None
    await until(lambda: me.socket_id in bot.participants, what="the bot to see us")
    closed: list[bool] = []
    window.closed.connect(lambda: closed.append(True))
    app_tray.quit_action.trigger()
    assert closed == [True], "Quit did not close the window"
    assert window.close_guard is not None and window.close_guard.dialog is None, "Quit asked"
    await window.shutdown()  # what the app's run() does once it hears ``closed``
    await until(lambda: me.socket_id not in bot.participants, what="the bot to see us leave")
    assert view.call is None


# The app's real tray path, in a process of its own on a real X server with a real tray host (trayer): the tray is
# available, ``install`` makes and shows the icon, the host embeds it and it is painted with the app's icon.
REAL_TRAY = r"""
import sys, time
from pathlib import Path
from PySide6.QtGui import QColor, QGuiApplication
from PySide6.QtWidgets import QApplication, QSystemTrayIcon
app = QApplication(["nimeet"])
app.setQuitOnLastWindowClosed(False)
deadline = time.monotonic() + 10
while not QSystemTrayIcon.isSystemTrayAvailable():
    if time.monotonic() > deadline:
        sys.exit("the tray host never took the tray")
    time.sleep(0.1)
from nimeet_desktop.media.provider import SyntheticMediaProvider
from nimeet_desktop.net.credentials import CredentialStore
from nimeet_desktop.settings import Settings, SettingsStore
from nimeet_desktop.ui import theme, tray
from nimeet_desktop.ui.context import AppContext
from nimeet_desktop.ui.main_window import MainWindow
from tests.support.memory_keyring import MemoryKeyring
theme.apply_theme(app)
store = SettingsStore(Path(sys.argv[1]))
context = AppContext(store, Settings(), CredentialStore(backend=MemoryKeyring()), SyntheticMediaProvider(64, 48))
window = MainWindow(context)
installed = tray.install(window)
assert installed.icon is not None and installed.icon.isVisible(), "no icon"
assert window.close_guard is not None, "closing is not guarded"
assert installed.icon.contextMenu() is installed.menu
deadline = time.monotonic() + 10
while installed.icon.geometry().isEmpty():
    if time.monotonic() > deadline:
        sys.exit("the tray host never embedded the icon")
    app.processEvents()
    time.sleep(0.05)
for _ in range(20):
    app.processEvents()
    time.sleep(0.05)
box = installed.icon.geometry()
shot = QGuiApplication.primaryScreen().grabWindow(0, box.x(), box.y(), box.width(), box.height()).toImage()
accent = QColor("#1a73e8")
blue = sum(
    1
    for x in range(shot.width())
    for y in range(shot.height())
    if abs(shot.pixelColor(x, y).red() - accent.red()) + abs(shot.pixelColor(x, y).blue() - accent.blue()) < 40
)
print(f"icon at {box.x()},{box.y()} {box.width()}x{box.height()}, {blue} accent pixels")
assert blue > box.width() * box.height() // 4, "the icon is not painted in the tray"
installed.icon.showMessage("NIMeet", "a notification", tray.state_icon(False, False))
installed.icon.hide()
"""


def test_the_real_tray_icon_under_a_tray_host(tmp_path: Path) -> None:
    trayer = shutil.which("trayer")
    require(trayer is not None, TRAYER)
    assert trayer is not None
    server = start_xvfb(640, 480)
    try:
        env = {**os.environ, "DISPLAY": server.display, "QT_QPA_PLATFORM": "xcb", "XDG_RUNTIME_DIR": str(tmp_path)}
        host = subprocess.Popen(
            [trayer, "--edge", "bottom", "--align", "right", "--widthtype", "request", "--height", "32"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            done = subprocess.run(
                [sys.executable, "-c", REAL_TRAY, str(tmp_path / "config")],
                env=env,
                cwd=Path(__file__).resolve().parents[2],
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
        finally:
            host.terminate()
            host.wait(5)
    finally:
        server.stop()
    assert done.returncode == 0, done.stderr[-3000:]
    assert "accent pixels" in done.stdout
