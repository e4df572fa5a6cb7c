"""Devices during a call in the real window: the arrow menus beside the microphone and camera, the toast when a
device in use is lost, the mic button re-opening a lost microphone, and "switch back" when a preferred device
returns. The app against the real server, synthetic devices (a provider whose lists the test changes), offscreen."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu
from pytestqt.qtbot import QtBot

from nimeet_desktop.call.desktop_call import DesktopCall
from nimeet_desktop.media.base import AudioSource, VideoSource
from nimeet_desktop.media.devices import DeviceUnavailable
from nimeet_desktop.media.provider import DeviceChoice, SyntheticMediaProvider
from nimeet_desktop.ui.engine_call import EngineCall
from nimeet_desktop.ui.main_window import MainWindow
from nimeet_desktop.ui.views.call_view import CallView
from tests.ui.conftest import AppHarness, engine_until, until
from tests.ui.test_call_window import enter_call

pytestmark = [
    pytest.mark.usefixtures("loopback_media"),
    # A menu popping up offscreen: the offscreen platform cannot raise it or grab the keyboard for it.
    pytest.mark.qt_log_ignore("This plugin does not support raise", "This plugin does not support grabbing"),
]


class Plugged(SyntheticMediaProvider):
    """Synthetic devices with lists the test plugs into and out of; ``broken`` ones will not open."""

    def __init__(self) -> None:
        super().__init__(320, 240)
        self.camera_list = [DeviceChoice("synthetic", "Synthetic camera"), DeviceChoice("usb", "USB camera")]
        self.microphone_list = [DeviceChoice("synthetic", "Synthetic tone"), DeviceChoice("headset", "Headset mic")]
        self.speaker_list = [DeviceChoice("headset-out", "Headset")]
        self.opened: list[tuple[str, str | None]] = []
        self.broken: set[str | None] = set()

    def cameras(self) -> list[DeviceChoice]:
        return list(self.camera_list)

    def microphones(self) -> list[DeviceChoice]:
        return list(self.microphone_list)

    def speakers(self) -> list[DeviceChoice]:
        return list(self.speaker_list)

    def open_camera(self, device: str | None) -> VideoSource:
        self.opened.append(("camera", device))
        return super().open_camera(device)

    def open_microphone(self, device: str | None) -> AudioSource:
        self.opened.append(("microphone", device))
        if device in self.broken:
            raise DeviceUnavailable(f"{device} is gone")
        return super().open_microphone(device)


async def open_menu(window: MainWindow, qtbot: QtBot, kind: str) -> QMenu:
    view = window.call_view
    arrow = view.controls.mic_devices_button if kind == "microphone" else view.controls.camera_devices_button
    before = view.controls.device_menu
    qtbot.mouseClick(arrow, Qt.MouseButton.LeftButton)
    await until(lambda: view.controls.device_menu not in (None, before), what="the device menu")
    menu = view.controls.device_menu
    assert menu is not None and menu.objectName() == "deviceMenu"
    await until(menu.isVisible, what="the menu shown")
    return menu


def entries(menu: QMenu) -> list[tuple[str, bool, bool]]:
    """(text, enabled, checked) of every entry that is not a separator."""
    return [(a.text(), a.isEnabled(), a.isChecked()) for a in menu.actions() if not a.isSeparator()]


def action(menu: QMenu, text: str) -> QAction:
    return next(a for a in menu.actions() if a.text() == text)


def call_of(view: CallView) -> EngineCall:
    assert view.call is not None
    return view.call


def test_the_arrow_menus_list_the_devices_and_switch_at_once(qtbot: QtBot, app: AppHarness) -> None:
    app.provider = Plugged()
    app.run(arrow_menus(app, qtbot), timeout=90)


async def arrow_menus(app: AppHarness, qtbot: QtBot) -> None:
    window = await enter_call(app, qtbot)
    view = window.call_view
    call = call_of(view)
    camera_in_use = call.device("camera")

    menu = await open_menu(window, qtbot, "camera")
    listed = entries(menu)
    assert [text for text, _, _ in listed] == ["Camera", "System default", "Synthetic camera", "USB camera"]
    assert listed[0][1] is False, "the section title is not a choice"
    checked = [text for text, _, on in listed if on]
    assert checked == (["System default"] if camera_in_use is None else ["Synthetic camera"])
    action(menu, "USB camera").trigger()
    await until(lambda: call.device("camera") == "usb", what="the camera switched")
    await engine_until(
        call, lambda c: c.session.camera is not None and c.session.camera.sources_replaced == 1, what="sent"
    )
    assert ("camera", "usb") in app.provider.opened  # type: ignore[attr-defined]
    assert view.context.settings.camera == "usb", "a device chosen in the call is the preferred one from now on"

    menu = await open_menu(window, qtbot, "microphone")
    texts = [text for text, _, _ in entries(menu)]
    assert texts == [
        "Microphone",
        "System default",
        "Synthetic tone",
        "Headset mic",
        "Speaker",
        "System default",
        "Headset",
    ]
    action(menu, "Headset mic").trigger()
    await until(lambda: call.device("microphone") == "headset", what="the microphone switched")
    audio = await call.read_engine(lambda c: c.session.audio)
    assert audio is not None and audio.sources_replaced == 1
    menu = await open_menu(window, qtbot, "microphone")
    speaker = "System default" if call.device("speaker") is None else "Headset"
    assert [text for text, _, on in entries(menu) if on] == ["Headset mic", speaker]
    menu.close()
    assert view.call is not None and view.call.errors == []


def unplug_microphone(call: DesktopCall) -> None:
    """On the engine's loop, where the microphone lives: its device goes away."""
    assert call.session.audio is not None
    call.session.audio.source.end("unplugged")


def test_a_lost_microphone_is_told_and_the_mic_button_opens_it_again(qtbot: QtBot, app: AppHarness) -> None:
    app.provider = Plugged()
    app.run(lost_microphone(app, qtbot), timeout=90)


async def lost_microphone(app: AppHarness, qtbot: QtBot) -> None:
    provider = app.provider
    assert isinstance(provider, Plugged)
    window = await enter_call(app, qtbot)
    view = window.call_view
    call = call_of(view)
    view.devices.choose("microphone", "headset")
    await until(lambda: call.device("microphone") == "headset", what="the headset in use")
    await engine_until(
        call, lambda c: c.session.audio is not None and c.session.audio.sources_replaced == 1, what="sent"
    )

    # Unplugged: the system default takes over, and the window says so.
    await call.read_engine(unplug_microphone)
    said = ("error", "Headset mic was disconnected; using the system default")
    await until(lambda: said in window.toasts.history, what="the fallback toast")
    assert call.microphone_on and call.device("microphone") is None

    # Unplugged with no other microphone: the button shows it off; pressing it once one is back opens it.
    provider.broken = {None, "headset"}
    await call.read_engine(unplug_microphone)
    await until(lambda: call.microphone_lost, what="the microphone given up")
    await until(lambda: view.controls.mic_button.property("off") is True, what="the mic button off")
    provider.broken = set()
    qtbot.mouseClick(view.controls.mic_button, Qt.MouseButton.LeftButton)
    await until(lambda: not call.microphone_lost and call.microphone_on, what="the microphone reopened")
    await until(lambda: view.controls.mic_button.property("off") is False, what="the mic button on")


def test_a_preferred_device_coming_back_is_offered(qtbot: QtBot, app: AppHarness) -> None:
    provider = Plugged()
    provider.camera_list = provider.camera_list[:1]  # the USB camera is not plugged in
    app.provider = provider
    app.run(switch_back(app, qtbot, provider), timeout=90)


async def switch_back(app: AppHarness, qtbot: QtBot, provider: Plugged) -> None:
    window = await enter_call(app, qtbot)
    view = window.call_view
    call = call_of(view)
    watch = view.devices.watch
    assert watch is not None
    await until(lambda: watch.ready, what="the first listing")
    view.context.settings.camera = "usb"  # preferred, as settings would keep it from an earlier call

    provider.camera_list.append(DeviceChoice("usb", "USB camera"))
    await watch.refresh()  # what the watch's poll does when /dev/video* changes
    offer = view.devices.offer
    await until(offer.isVisible, what="the switch-back offer")
    assert offer.text.text() == "USB camera is connected again"
    qtbot.mouseClick(offer.switch_button, Qt.MouseButton.LeftButton)
    await until(lambda: call.device("camera") == "usb", what="switched back")
    assert not offer.isVisible()

    # Gone again while in use: the call falls back to the system default and says so.
    provider.camera_list.pop()
    await watch.refresh()
    said = ("error", "USB camera was disconnected; using the system default")
    await until(lambda: said in window.toasts.history, what="the fallback toast")
    assert call.device("camera") is None
