"""The settings window in the real app window against the real server, with synthetic devices: opened from the
dashboard, every page's change applied, said (the signals the call is wired to) and saved; its own preview opened
only where nobody else has the devices, and freed when it hides; the language switched at once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from nimeet_desktop.call.errors import CallError, CallErrorKind
from nimeet_desktop.media.audio_processing import AudioProcessingConfig
from nimeet_desktop.media.devices import list_speakers, sounddevice_module
from nimeet_desktop.media.provider import DeviceChoice, SyntheticMediaProvider
from nimeet_desktop.settings import Settings, SettingsStore
from nimeet_desktop.ui import i18n, tray
from nimeet_desktop.ui.device_messages import call_error_text
from nimeet_desktop.ui.main_window import MainWindow
from nimeet_desktop.ui.settings.feeds import BorrowedPreview, OwnPreview
from nimeet_desktop.ui.settings.window import PAGES, SettingsWindow
from tests.support.system_packages import PORTAUDIO, require
from tests.ui.conftest import AppHarness, new_user, register, start_new_call, until
from tests.ui.layout_checks import clipped_widgets

# Opening the settings brings them to the front (raise_): the offscreen platform cannot, and says so.
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support raise")


class TwoCameras(SyntheticMediaProvider):
    def cameras(self) -> list[DeviceChoice]:
        return [DeviceChoice("synthetic", "Synthetic camera"), DeviceChoice("second", "Second camera")]


@pytest.fixture
def english(qapp: QApplication) -> Iterator[None]:
    """Whatever a test switches to, the next one starts in English."""
    yield
    i18n.uninstall(qapp)


async def signed_in(app: AppHarness, qtbot: QtBot) -> MainWindow:
    window = app.build()
    await window.start()
    register(qtbot, window, new_user())
    await until(lambda: window.current is window.dashboard, what="the dashboard")
    return window


def saved(app: AppHarness) -> Settings:
    return SettingsStore(app.config_dir).load()


def test_every_page_applies_says_and_saves_its_change(qtbot: QtBot, app: AppHarness) -> None:
    app.provider = TwoCameras(320, 240)
    app.run(every_page(app, qtbot), timeout=60)


async def every_page(app: AppHarness, qtbot: QtBot) -> None:
    window = await signed_in(app, qtbot)
    settings_window = window.settings_window
    assert not settings_window.isVisible()
    qtbot.mouseClick(window.dashboard.settings_button, Qt.MouseButton.LeftButton)
    assert settings_window.isVisible() and settings_window.current_page == "devices"
    said: list[tuple[str, object]] = []

    def last() -> tuple[str, object]:
        return said[-1]

    settings_window.audio_processing_changed.connect(lambda config: said.append(("audio", config)))
    settings_window.device_chosen.connect(lambda kind, device: said.append((kind, device)))
    settings_window.video_quality_changed.connect(lambda height: said.append(("video", height)))

    # Devices: on the dashboard nobody has them open, so the window opens its own preview, in worker threads.
    devices = settings_window.devices
    await until(lambda: devices.tile.conversions > 3, what="the camera preview in the settings")
    await until(lambda: devices.meter.value() > 0, what="the microphone level in the settings")
    own = settings_window.feed
    assert isinstance(own, OwnPreview)
    assert devices.cameras.count() == 2
    first_camera = own.preview.camera
    devices.cameras.setCurrentIndex(1)
    devices.cameras.activated.emit(1)
    assert last() == ("camera", "second")
    assert saved(app).camera == "second"
    await until(
        lambda: own.preview.camera not in (None, first_camera), what="the preview reopened on the chosen camera"
    )

    # Audio processing: each stage on its own, said as the whole config.
    settings_window.open_page("audio")
    assert settings_window.current_page == "audio"
    settings_window.audio.boxes["echo_cancellation"].click()
    assert last() == ("audio", AudioProcessingConfig(echo_cancellation=False))
    settings_window.audio.boxes["high_pass_filter"].click()
    assert last() == ("audio", AudioProcessingConfig(echo_cancellation=False, high_pass_filter=False))
    stored = saved(app)
    assert (stored.echo_cancellation, stored.noise_suppression, stored.high_pass_filter) == (False, True, False)

    # Video quality.
    settings_window.video.buttons[1080].click()
    assert last() == ("video", 1080)
    assert saved(app).video_quality == 1080
    count = len(said)
    settings_window.video.buttons[1080].click()  # already chosen: nothing new to say
    assert len(said) == count

    # General: notifications and the close choice, which the tray's menu shows too.
    app_tray = tray.Tray(window)
    settings_window.general.notifications.click()
    assert saved(app).notifications is False
    settings_window.general.close_buttons["tray"].click()
    assert saved(app).close_during_call == "tray"
    app_tray.refresh()
    assert [a.data() for a in app_tray.close_choices.actions() if a.isChecked()] == ["tray"]

    # Server: shown; the change goes to the window's own server screen.
    settings_window.open_page("server")
    assert settings_window.server.address.full_text == app.server.url
    assert settings_window.server.change_button.isEnabled()
    assert not settings_window.server.relay_only.isChecked()
    settings_window.server.relay_only.click()  # relay-only calls (TURN), from the next call on
    assert saved(app).relay_only is True
    qtbot.mouseClick(settings_window.server.change_button, Qt.MouseButton.LeftButton)
    await until(lambda: window.current is window.server_view, what="the server screen")

    for name in PAGES:
        settings_window.open_page(name)
        await until(lambda: True)
        page = settings_window.stack.currentWidget()
        assert isinstance(page, QWidget)
        assert clipped_widgets(page) == [], name

    # Hidden, the window frees the camera and microphone it opened.
    assert settings_window.own_preview is own
    settings_window.close()
    await until(lambda: own.preview.camera is None and own.preview.microphone is None, what="the devices freed")
    assert settings_window.own_preview is None


def test_notifications_turned_off_are_not_shown(qtbot: QtBot, app: AppHarness) -> None:
    window = app.build()
    shown: list[str] = []
    app_tray = tray.Tray(window, notify=lambda _title, text: shown.append(text))
    app_tray.notifier.once("a", "first")
    window.context.settings.notifications = False
    app_tray.notifier.once("b", "second")
    app_tray.notifier.error("a device stopped")
    assert shown == ["first"]


def test_the_tray_opens_the_settings(qtbot: QtBot, app: AppHarness) -> None:
    window = app.build()
    app_tray = tray.Tray(window)
    app_tray.settings_action.trigger()
    assert window.settings_window.isVisible()
    app.run(window.settings_window.shutdown())


@pytest.mark.usefixtures("english")
def test_the_language_switches_at_once(qtbot: QtBot, app: AppHarness) -> None:
    app.run(switch_language(app, qtbot), timeout=60)


async def switch_language(app: AppHarness, qtbot: QtBot) -> None:
    window = await signed_in(app, qtbot)
    app_tray = tray.Tray(window)
    window.open_settings("general")
    settings_window = window.settings_window
    old_dashboard = window.dashboard
    picker = settings_window.general.language
    picker.setCurrentIndex(picker.findData("ru"))
    picker.activated.emit(picker.currentIndex())

    assert saved(app).language == "ru"
    assert settings_window.windowTitle() == "Настройки"
    assert settings_window.current_page == "general", "the same page, rebuilt"
    assert settings_window.nav.item(0).text() == "Устройства"
    assert settings_window.general.language.currentData() == "ru"
    assert window.dashboard is not old_dashboard and window.current is window.dashboard
    assert window.dashboard.new_call_button.text() == "Новый звонок"
    assert app_tray.open_action.text() == "Открыть NIMeet"
    assert settings_window.general.language_note.isHidden(), "nothing is left in the old language to explain"
    for name in PAGES:  # the longer Russian words fit too
        settings_window.open_page(name)
        await until(lambda: True)
        page = settings_window.stack.currentWidget()
        assert isinstance(page, QWidget)
        assert clipped_widgets(page) == [], name
    await until(lambda: window.dashboard.rooms_status.text() != "", what="the new dashboard loading its rooms")
    # The new dashboard works: its button opens the settings.
    settings_window.hide()
    qtbot.mouseClick(window.dashboard.settings_button, Qt.MouseButton.LeftButton)
    assert settings_window.isVisible()

    picker = settings_window.general.language
    picker.setCurrentIndex(picker.findData("en"))
    picker.activated.emit(picker.currentIndex())
    assert window.dashboard.new_call_button.text() == "New call"
    assert settings_window.windowTitle() == "Settings"
    own = settings_window.own_preview
    assert own is not None, "the rebuilt window still shows the devices"
    settings_window.open_page("devices")
    await until(lambda: settings_window.devices.tile.conversions > 0, what="the rebuilt page's preview")
    settings_window.close()
    await until(lambda: own.preview.camera is None, what="the devices freed")


def test_a_settings_window_rebuilt_builds_its_added_sections_again(qtbot: QtBot, app: AppHarness) -> None:
    """The audio page's place for push-to-talk: a section added there is built again by its factory when the
    language changes, so its own words are in the new language too."""
    window = app.build()
    settings_window: SettingsWindow = window.settings_window
    built: list[QWidget] = []

    def section() -> QWidget:
        widget = QWidget()
        widget.setObjectName("pushToTalk")
        built.append(widget)
        return widget

    settings_window.add_audio_section(section)
    assert settings_window.audio.findChild(QWidget, "pushToTalk") is built[-1]
    settings_window.retranslate()
    assert len(built) == 2
    assert settings_window.audio.findChild(QWidget, "pushToTalk") is built[-1]


def test_the_test_sound_says_when_there_is_no_speaker(qtbot: QtBot, app: AppHarness) -> None:
    require(sounddevice_module() is not None, PORTAUDIO)
    if list_speakers():
        pytest.skip("this machine has a speaker: the sound would play")
    window = app.build()
    window.open_settings()
    devices = window.settings_window.devices

    async def press() -> None:
        qtbot.mouseClick(devices.test_button, Qt.MouseButton.LeftButton)
        await until(lambda: devices.device_error.isVisible(), what="the sentence about the speaker")
        await until(lambda: devices.test_button.isEnabled(), what="the button back")
        assert devices.device_error.text() == "No speaker was found"
        await window.settings_window.shutdown()

    app.run(press())


def test_in_pre_join_the_settings_show_pre_joins_devices(qtbot: QtBot, app: AppHarness) -> None:
    app.run(in_pre_join(app, qtbot), timeout=60)


async def in_pre_join(app: AppHarness, qtbot: QtBot) -> None:
    window = await signed_in(app, qtbot)
    settings_window = window.settings_window
    window.open_settings()
    own = settings_window.own_preview
    assert own is not None
    await until(lambda: own.preview.camera is not None, what="the settings' own camera")
    start_new_call(qtbot, window)
    await until(lambda: window.current is window.prejoin, what="pre-join")
    # Pre-join opens the devices: the settings give theirs up and show pre-join's, whose pickers count.
    assert isinstance(settings_window.feed, BorrowedPreview) and settings_window.own_preview is None
    await until(lambda: own.preview.camera is None, what="the settings' camera freed")
    await until(lambda: window.prejoin.preview.camera is not None, what="pre-join's camera")
    devices = settings_window.devices
    await until(lambda: devices.tile.conversions > 3, what="pre-join's picture in the settings")
    assert not devices.cameras.isEnabled() and not devices.microphones.isEnabled()
    assert devices.owner_note.text() == "Before joining, choose the devices on the pre-join screen."
    qtbot.mouseClick(window.prejoin.findChild(QPushButton, "back"), Qt.MouseButton.LeftButton)
    await until(lambda: window.current is window.dashboard, what="the dashboard")
    await until(lambda: isinstance(settings_window.feed, OwnPreview), what="the settings' own preview again")
    await until(lambda: devices.cameras.isEnabled(), what="the pickers offered again")
    assert devices.owner_note.isHidden()
    settings_window.close()
    await until(lambda: settings_window.own_preview is None, what="the settings closed")


def test_relay_only_without_a_relay_is_said_plainly(qapp: QApplication) -> None:
    text = call_error_text(CallError(CallErrorKind.NO_RELAY, "no TURN server"))
    assert "“Relay only” is on" in text and "Settings → Server" in text


def test_an_sfu_that_does_not_answer_is_said_plainly(qapp: QApplication) -> None:
    text = call_error_text(CallError(CallErrorKind.SFU_UNREACHABLE, "the SFU is unreachable"))
    assert "media router (SFU) does not answer" in text and "Trying again" in text
