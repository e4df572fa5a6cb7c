"""Pre-join on a machine without devices, and Join clicked while the microphone still opens, in the real window
against the real server."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QLabel
from pytestqt.qtbot import QtBot

from nimeet_desktop.media.base import AudioSource, VideoSource
from nimeet_desktop.media.devices import DeviceUnavailable, audio_problem
from nimeet_desktop.media.provider import DeviceChoice, SyntheticMediaProvider
from tests.ui.conftest import AppHarness, new_user, register, start_new_call, until
from tests.ui.layout_checks import clipped_widgets
from tests.ui.test_joining_meetings import signed_in

# What sounddevice says on a machine with no sound card, as MicrophoneSource words it.
RAW = "microphone None cannot be opened: Error querying device -1"


class NoDevices(SyntheticMediaProvider):
    def cameras(self) -> list[DeviceChoice]:
        return []

    def microphones(self) -> list[DeviceChoice]:
        return []

    def speakers(self) -> list[DeviceChoice]:
        return []

    def open_camera(self, device: str | None) -> VideoSource:
        raise AssertionError("no camera is listed: pre-join must not try to open one")

    def open_microphone(self, device: str | None) -> AudioSource:
        raise DeviceUnavailable(RAW, audio_problem(RuntimeError("Error querying device -1")))


def test_no_devices_is_said_in_a_sentence_and_the_preview_shows_my_initial(qtbot: QtBot, app: AppHarness) -> None:
    """Regression: pre-join showed "Microphone: microphone None cannot be opened: Error querying device -1", and
    the own preview an avatar "Y" (of "You") instead of the user's initial."""
    app.provider = NoDevices(320, 240)

    async def flow() -> None:
        window = app.build()
        await window.start()
        user = {**new_user(), "username": f"zoe{new_user()['username']}"}
        register(qtbot, window, user)
        await until(lambda: window.current is window.dashboard, what="the dashboard")
        start_new_call(qtbot, window)
        prejoin = window.prejoin
        await until(lambda: prejoin.device_error.isVisible(), what="the microphone problem in pre-join")
        assert prejoin.device_error.text() == "No microphone was found"
        texts = [w.text() for w in window.findChildren(QLabel) + window.findChildren(QAbstractButton)]
        assert not [t for t in texts if "querying" in t or "None" in t], "driver text shown to people"
        assert prejoin.tile.initial == "Z"
        assert prejoin.join_button.isEnabled(), "joining without devices is still possible"
        assert clipped_widgets(prejoin) == []

    app.run(flow(), timeout=60)


class SlowMicrophone(SyntheticMediaProvider):
    """A microphone whose worker thread opens it only once the test sets ``gate``: the open a loaded machine
    makes slow, made slow on purpose."""

    def __init__(self) -> None:
        super().__init__(320, 240)
        self.opening = threading.Event()
        self.gate = threading.Event()
        self.opened: list[AudioSource] = []

    def open_microphone(self, device: str | None) -> AudioSource:
        self.opening.set()
        if not self.gate.wait(30):
            raise TimeoutError("the test never let the microphone open")
        source = super().open_microphone(device)
        self.opened.append(source)
        return source


@pytest.mark.usefixtures("loopback_media")
def test_join_clicked_while_the_microphone_opens_joins_with_it(qtbot: QtBot, app: AppHarness) -> None:
    """Regression test: Join is enabled before pre-join's devices have opened, and a click while the microphone
    was still opening (a loaded CI machine: test_the_app_waits_is_let_in_muted_and_removed) cancelled the open. The
    call got no microphone and stayed without one, although the user joined with it on; the microphone the thread
    went on to open was never stopped."""
    provider = app.provider = SlowMicrophone()

    async def flow() -> None:
        try:
            window = await signed_in(app, qtbot)
            start_new_call(qtbot, window)
            prejoin = window.prejoin
            await until(lambda: prejoin.join_button.isEnabled() and provider.opening.is_set(), what="pre-join")
            assert prejoin.mic_button.isChecked()
            qtbot.mouseClick(prejoin.join_button, Qt.MouseButton.LeftButton)
            # Pre-join has cancelled its own tasks (its step opening the devices among them): it hands over now.
            await until(lambda: len(prejoin.tasks) == 0, what="pre-join handing its devices to the call")
            provider.gate.set()
            view = window.call_view
            await until(lambda: window.current is view and view.call is not None, what="the call", timeout=30)
            call = view.call
            assert call is not None
            await until(lambda: call.media_state.microphone, what="the microphone on", timeout=30)
            assert call.has_microphone
            assert len(provider.opened) == 1, "one microphone, the call's: none opened twice or left running"
            assert provider.opened[0].readyState == "live"
        finally:
            provider.gate.set()

    app.run(flow(), timeout=90)
