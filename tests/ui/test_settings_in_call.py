"""In a real call against the real server with a bot: the settings window shows the call's own devices (never a
second opening of them) and will not change the server; a tile's volume slider sets that person's volume in the
call's mixer; speaking into a muted microphone shows the "you are muted" hint once per muting; the language chosen
in a call reaches the call window once the call is over, and the settings say so meanwhile."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterator

import av
import numpy as np
import pytest
from PySide6.QtWidgets import QApplication, QSlider
from pytestqt.qtbot import QtBot

from nimeet_desktop.media.audio_output import SILENCE_DBFS, audio_frame, rms_dbfs
from nimeet_desktop.media.base import AUDIO_SAMPLE_RATE, AUDIO_SAMPLES_PER_FRAME, AudioSource, FramePacer
from nimeet_desktop.media.device_watch import DeviceKind
from nimeet_desktop.media.provider import SyntheticMediaProvider
from nimeet_desktop.settings import Settings, SettingsStore
from nimeet_desktop.ui import i18n
from nimeet_desktop.ui.settings.feeds import CallDevices
from nimeet_desktop.ui.toast import ToastKind
from nimeet_desktop.ui.video_tile import VolumeControl
from tests.ui.conftest import AppHarness, engine_until, until
from tests.ui.test_call_window import Bots, enter_call, with_bots

pytestmark = [
    pytest.mark.qt_log_ignore("This plugin does not support raise"),
    pytest.mark.usefixtures("loopback_media"),
]

HINT = "You are muted. Press M to unmute."


class HearingTone(AudioSource):
    """A microphone in front of someone who talks (a -20 dBFS tone) or not (``talking``): it hears them muted or not
    and measures what it hears before muting, as ``MicrophoneSource`` does; muted, it sends silence."""

    def __init__(self) -> None:
        super().__init__("hearing tone")
        self.talking = True  # pre-join's meter moves
        self.audio_level = SILENCE_DBFS
        self._pacer = FramePacer(AUDIO_SAMPLE_RATE / AUDIO_SAMPLES_PER_FRAME, AUDIO_SAMPLE_RATE)
        t = np.arange(AUDIO_SAMPLES_PER_FRAME) / AUDIO_SAMPLE_RATE
        self._tone = (32767 * 0.1 * math.sqrt(2) * np.sin(2 * math.pi * 500 * t)).astype(
            np.int16
        )  # 500 Hz: whole periods
        self._silence = np.zeros(AUDIO_SAMPLES_PER_FRAME, dtype=np.int16)

    async def _next(self) -> av.AudioFrame:
        pts = await self._pacer.wait()
        heard = self._tone if self.talking else self._silence
        self.audio_level = rms_dbfs(heard)
        return audio_frame(heard if self.enabled else self._silence, pts)


class TalkingProvider(SyntheticMediaProvider):
    def __init__(self) -> None:
        super().__init__(320, 240)
        self.microphone = HearingTone()

    def open_microphone(self, device: str | None) -> AudioSource:
        return self.microphone


@pytest.fixture
def english(qapp: QApplication) -> Iterator[None]:
    yield
    i18n.uninstall(qapp)


@pytest.mark.usefixtures("english")
def test_settings_volume_hint_and_language_in_a_call(qtbot: QtBot, app: AppHarness) -> None:
    provider = TalkingProvider()
    app.provider = provider
    # Stored before the app starts: the call must be built with it (the synthetic camera keeps its own small size).
    SettingsStore(app.config_dir).save(
        Settings(server_url=app.server.url, start_local_server=False, video_quality=1080)
    )
    app.run(with_bots(app, qtbot, lambda a, b, q: in_a_call(a, b, q, provider.microphone)), timeout=150)


async def in_a_call(app: AppHarness, bots: Bots, qtbot: QtBot, microphone: HearingTone) -> None:
    window = await enter_call(app, qtbot)
    view = window.call_view
    call = view.call
    assert call is not None
    toasts: list[tuple[str, ToastKind]] = []
    view.toast.connect(lambda text, kind: toasts.append((text, kind)))

    # Settings from the call: the call's own camera and microphone, the server fixed while the call is on.
    view.settings_button.click()
    settings_window = window.settings_window
    assert settings_window.isVisible()
    assert isinstance(settings_window.feed, CallDevices) and settings_window.own_preview is None
    await until(lambda: settings_window.devices.tile.conversions > 3, what="the call's own picture in the settings")
    assert not settings_window.server.change_button.isEnabled()
    assert settings_window.server.in_call_note.isVisibleTo(settings_window.server)
    window.change_server()
    assert window.current is view, "the server changed in the middle of a call"

    # The video quality: the call is built with the settings' preset, the ceiling of its camera's encoding level.
    assert window.context.settings.video_quality == 1080  # as stored before the app started
    assert await call.read_engine(lambda c: c.session.video_quality) == 1080

    # A tile's volume: the slider in its menu sets that person's gain in the call's mixer.
    (bot,) = await bots.join(view.room_id, 1)
    await until(lambda: len(view.grid.tiles()) == 2, what="the bot's tile")
    me = bot.self_participant
    assert me is not None
    tile = view.grid.tile(me.socket_id)
    assert tile is not None
    own_tile = view.grid.tile("self")
    assert own_tile is not None and own_tile.build_menu() is None, "a volume for oneself"
    menu = tile.build_menu()
    assert menu is not None
    control = menu.findChild(VolumeControl)
    assert control is not None and control.slider.value() == 100
    control.slider.setValue(43)  # snapped to 40
    assert control.slider.value() == 40 and control.value_label.text() == "40%"
    assert call.volume(me.socket_id) == pytest.approx(0.4)
    await engine_until(call, lambda c: c.mixer.volume(me.socket_id) == pytest.approx(0.4), what="the mixer's gain")
    control.slider.triggerAction(QSlider.SliderAction.SliderToMaximum)
    assert call.volume(me.socket_id) == pytest.approx(2.0)
    reopened = tile.build_menu()
    assert reopened is not None
    again = reopened.findChild(VolumeControl)
    assert again is not None and again.slider.value() == 200, "the volume holds for the call"

    # "You are muted": talking unmuted says nothing; muted, once after 300 ms of it; silence muted says nothing.
    microphone.talking = True
    await until(lambda: call.own_level() > -30, what="the microphone heard")
    assert HINT not in [t for t, _ in toasts]
    microphone.talking = False
    view.toggle_microphone()
    await until(lambda: not call.microphone_on, what="muted")
    await asyncio.sleep(0.6)
    assert HINT not in [t for t, _ in toasts], "a hint with nobody talking"
    microphone.talking = True
    await until(lambda: HINT in [t for t, _ in toasts], what="the hint")
    # Heard while muted. Not one reading: the noise suppressor takes a steady tone for noise and pumps it (measured
    # -8 to -100 dBFS within a second), and a loaded CI read -72 once right after the hint.
    heard = []
    for _ in range(50):
        heard.append(call.muted_speech_level())
        await asyncio.sleep(0.02)
    assert max(heard) > -30, heard
    assert [t for t, _ in toasts].count(HINT) == 1, "a nag"
    view.toggle_microphone()
    await until(lambda: call.microphone_on, what="unmuted")
    assert call.muted_speech_level() == SILENCE_DBFS
    view.toggle_microphone()
    await until(lambda: [t for t, _ in toasts].count(HINT) == 2, what="the hint again after muting again")

    # The settings reach the running call at once: an audio stage, the video quality, a device.
    settings_window.audio.boxes["echo_cancellation"].click()
    await engine_until(
        call,
        lambda c: not c.audio_processor.config.echo_cancellation and c.audio_processor.config.noise_suppression,
        what="echo cancellation off in the call",
    )
    settings_window.audio.boxes["echo_cancellation"].click()
    await engine_until(call, lambda c: c.audio_processor.config.echo_cancellation, what="echo cancellation back on")
    camera_before = await call.read_engine(lambda c: c.session.camera.source if c.session.camera is not None else None)
    settings_window.video.buttons[360].click()
    await engine_until(
        call,
        lambda c: c.session.camera is not None and c.session.camera.source is not camera_before,
        what="the camera reopened at 360 lines",
    )
    assert app.provider.video_height == 360
    # ... and the lower preset is the encoding level's ceiling at once (at most: a loaded machine may already have
    # stepped below it, down to the 270p CPU floor).
    await engine_until(
        call,
        lambda c: c.session.video_quality == 360 and c.session.quality.level.height <= 360,
        what="the 360p preset in the engine",
    )
    switched: list[tuple[str, str | None]] = []
    original_switch = call.switch

    async def recording_switch(kind: DeviceKind, device: str | None) -> bool:
        switched.append((kind, device))
        return await original_switch(kind, device)

    call.switch = recording_switch  # type: ignore[method-assign]
    settings_window.device_chosen.emit("microphone", None)
    await until(lambda: switched == [("microphone", None)], what="the microphone switched from the settings")

    # The language in a call: the settings at once, the call window after the call.
    old_view = window.call_view
    picker = settings_window.general.language
    picker.setCurrentIndex(picker.findData("ru"))
    picker.activated.emit(picker.currentIndex())
    assert settings_window.windowTitle() == "Настройки"
    assert window.call_view is old_view and view.call is call, "the call was disturbed"
    assert not settings_window.general.language_note.isHidden()
    assert "звонок закончится" in settings_window.general.language_note.text()
    await bots.leave_all()
    view.leave()
    await until(lambda: window.current is window.dashboard, what="the dashboard after the call")
    assert window.call_view is not old_view
    assert window.dashboard.new_call_button.text() == "Новый звонок"
    assert settings_window.general.language_note.isHidden()
    # Out of the call, nobody has the devices: the settings window (still open) opens its own, and frees them.
    own = settings_window.own_preview
    assert own is not None and settings_window.feed is own
    settings_window.close()
    await until(lambda: own.closed and own.preview.camera is None, what="the settings' devices freed")
