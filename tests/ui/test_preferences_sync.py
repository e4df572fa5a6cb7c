"""The person's settings follow the account (issue 15): a change in the settings window reaches the server, what
another machine saved there is applied at sign-in (the language too, as the settings window applies it), and a change
made while the server is down reaches it when it is back, and an older server without preferences changes nothing
here."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from nimeet_desktop.net.rest import ApiClient
from nimeet_desktop.preferences_sync import SyncState
from nimeet_desktop.reminders import ServiceState
from nimeet_desktop.settings import Settings, SettingsStore
from nimeet_desktop.ui import i18n
from nimeet_desktop.ui.toast import ToastKind
from signaling_server.protocol import Preferences
from tests.support.server import ServerProcess
from tests.support.version_1_server import without_1_1_paths
from tests.ui.conftest import AppHarness, Run, fill, new_user, register, until

# Opening the settings brings them to the front (raise_): the offscreen platform cannot, and says so.
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support raise")


@pytest.fixture
def english(qapp: QApplication) -> Iterator[None]:
    """Whatever a test switches to, the next one starts in English."""
    yield
    i18n.uninstall(qapp)


async def server_has(api: ApiClient, check: object, what: str, timeout: float = 10.0) -> Preferences:
    """The server's preferences once ``check(preferences)`` holds."""
    deadline = time.monotonic() + timeout
    while True:
        preferences = await api.get_preferences()
        if check(preferences):  # type: ignore[operator]
            return preferences
        if time.monotonic() > deadline:
            pytest.fail(f"the server never had {what}: {preferences}")
        await asyncio.sleep(0.1)


def test_a_change_in_the_settings_window_reaches_the_server(qtbot: QtBot, app: AppHarness) -> None:
    app.run(change_reaches_the_server(app, qtbot), timeout=60)


async def change_reaches_the_server(app: AppHarness, qtbot: QtBot) -> None:
    window = app.build()
    await window.start()
    register(qtbot, window, new_user())
    await until(lambda: window.current is window.dashboard, what="the dashboard")
    sync = window.context.preferences
    await until(lambda: sync.state is SyncState.IN_STEP, what="the first sync")

    window.open_settings("general")
    general = window.settings_window.general
    general.reminder.setCurrentIndex(general.reminder.findData(30))
    general.reminder.activated.emit(general.reminder.currentIndex())
    general.notifications.click()
    window.open_settings("video")
    window.settings_window.video.buttons[1080].click()

    saved = SettingsStore(app.config_dir).load()
    assert (saved.reminder_minutes, saved.notifications, saved.video_quality) == (30, False, 1080), "saved at once"
    async with ApiClient(app.server.url, window.context.token) as elsewhere:
        on_server = await server_has(
            elsewhere,
            lambda p: p.reminder_minutes == 30 and not p.notifications and p.video_quality == "1080p",
            "the changes",
        )
    assert on_server.language == "system"
    window.settings_window.hide()


@pytest.mark.usefixtures("english")
def test_another_machines_preferences_apply_at_sign_in(qtbot: QtBot, app: AppHarness) -> None:
    app.run(preferences_apply_at_sign_in(app, qtbot), timeout=60)


async def preferences_apply_at_sign_in(app: AppHarness, qtbot: QtBot) -> None:
    user = new_user()
    async with ApiClient(app.server.url) as elsewhere:  # the person's other computer
        auth = await elsewhere.register(user["username"], user["email"], user["password"])
        elsewhere.token = auth.token
        chosen = Preferences(
            join_with_camera=False,
            video_quality="360p",
            notifications=False,
            language="ru",
            reminder_minutes=5,
        )
        await elsewhere.put_preferences(chosen)

        window = app.build()  # this computer: never synced, its settings the defaults
        await window.start()
        fill(qtbot, window, email=user["email"], password=user["password"])
        qtbot.mouseClick(window.auth_view.submit, Qt.MouseButton.LeftButton)
        await until(lambda: window.context.settings.language == "ru", what="the account's language")

        settings = window.context.settings
        assert (settings.join_with_camera, settings.video_quality, settings.notifications) == (False, 360, False)
        assert settings.reminder_minutes == 5
        assert app.provider.video_height == 360, "the next call's camera opens at the account's quality"
        await until(lambda: window.current is window.dashboard, what="the dashboard")
        assert window.dashboard.new_call_button.text() == "Новый звонок", "the screens switched language"
        general = window.settings_window.general
        assert general.language.currentData() == "ru"
        assert general.reminder.currentData() == 5
        assert not general.notifications.isChecked()
        assert SettingsStore(app.config_dir).load().language == "ru"
        assert await elsewhere.get_preferences() == chosen, "nothing of this computer's defaults was sent"


def test_an_older_server_keeps_the_settings_here_without_a_word(qtbot: QtBot, app: AppHarness) -> None:
    app.run(older_server(app, qtbot), timeout=60)


async def older_server(app: AppHarness, qtbot: QtBot) -> None:
    """A server of contract version 1 has no preferences (nor scheduling): the settings work here as before, and
    nobody is told of a sync that cannot be."""
    async with without_1_1_paths(app.server.url) as old_url:
        SettingsStore(app.config_dir).save(Settings(server_url=old_url, start_local_server=False))
        window = app.build()
        await window.start()
        register(qtbot, window, new_user())
        await until(lambda: window.current is window.dashboard, what="the dashboard")
        context = window.context
        await until(lambda: context.preferences.state is SyncState.UNSUPPORTED, what="the sync turned off")
        await until(lambda: context.reminders.state is ServiceState.UNSUPPORTED, what="reminders turned off")

        window.open_settings("general")
        general = window.settings_window.general
        general.reminder.setCurrentIndex(general.reminder.findData(60))
        general.reminder.activated.emit(general.reminder.currentIndex())
        await asyncio.sleep(0.3)
        assert SettingsStore(app.config_dir).load().reminder_minutes == 60, "saved here"
        assert context.preferences.state is SyncState.UNSUPPORTED, "not tried again"
        assert window.toasts.history == [], "no word of it"
        window.settings_window.hide()


def test_a_change_made_while_the_server_is_down_reaches_it_later(
    qtbot: QtBot, make_server: Callable[..., ServerProcess], tmp_path: Path, run: Run
) -> None:
    proc = make_server()
    proc.start()
    harness = AppHarness(proc, tmp_path / "config", run)
    try:
        run(offline_change(harness, proc, qtbot), timeout=90)
    finally:
        harness.close_all()


async def offline_change(app: AppHarness, proc: ServerProcess, qtbot: QtBot) -> None:
    window = app.build()
    await window.start()
    register(qtbot, window, new_user())
    await until(lambda: window.current is window.dashboard, what="the dashboard")
    sync = window.context.preferences
    await until(lambda: sync.state is SyncState.IN_STEP, what="the first sync")
    port = proc.port
    proc.stop()

    window.open_settings("general")
    general = window.settings_window.general
    general.reminder.setCurrentIndex(general.reminder.findData(None))  # "No reminder"
    general.reminder.activated.emit(general.reminder.currentIndex())
    window.settings_window.hide()
    await until(lambda: sync.state is SyncState.PENDING, what="the sync failing")
    assert SettingsStore(app.config_dir).load().reminder_minutes is None, "kept here"
    assert not [m for kind, m in window.toasts.history if kind is ToastKind.ERROR], "no error for a background sync"

    proc.start(port)  # back, with its data: the first retry (5 s after the failure) sends the change
    await until(lambda: sync.state is SyncState.IN_STEP, timeout=20, what="the retry")
    async with ApiClient(proc.url, window.context.token) as elsewhere:
        assert (await elsewhere.get_preferences()).reminder_minutes is None
