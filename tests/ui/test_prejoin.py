"""Pre-join on a machine without devices, in the real window against the real server."""

from __future__ import annotations

from PySide6.QtWidgets import QAbstractButton, QLabel
from pytestqt.qtbot import QtBot

from nimeet_desktop.media.base import AudioSource, VideoSource
from nimeet_desktop.media.devices import DeviceUnavailable, audio_problem
from nimeet_desktop.media.provider import DeviceChoice, SyntheticMediaProvider
from tests.ui.conftest import AppHarness, new_user, register, start_new_call, until
from tests.ui.layout_checks import clipped_widgets

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
