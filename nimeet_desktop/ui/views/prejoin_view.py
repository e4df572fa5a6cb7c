"""Before joining: see yourself, pick the camera, microphone and speaker, check the level, join with either off."""

from __future__ import annotations

import asyncio
import logging

import av
from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QResizeEvent, QShortcut, QStandardItemModel
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from nimeet_desktop.media.background import Mode as BackgroundMode
from nimeet_desktop.media.base import AudioSource, VideoSource
from nimeet_desktop.media.devices import DeviceProblem
from nimeet_desktop.media.preview import DevicePreview, PreviewDevice
from nimeet_desktop.media.provider import DeviceChoice
from nimeet_desktop.task_set import TaskSet
from nimeet_desktop.ui import background_choice, icons
from nimeet_desktop.ui.context import AppContext
from nimeet_desktop.ui.control_bar import SHORTCUTS, control_button, show_media
from nimeet_desktop.ui.device_messages import DeviceProblems
from nimeet_desktop.ui.device_pickers import device_pickers
from nimeet_desktop.ui.form import card, error_label, show_error
from nimeet_desktop.ui.invitation import Invitation, copy_app_link, copy_invite, invitation, invite_menu, menu_button
from nimeet_desktop.ui.password_prompt import PasswordProblem, PasswordPrompt
from nimeet_desktop.ui.untrusted import ElidedLabel, clip, plain_label
from nimeet_desktop.ui.video_tile import VideoTile
from signaling_server.protocol import Room, RoomInfoResponse

logger = logging.getLogger(__name__)

ROOM_NAME_WAIT_S = 3.0  # how long Join waits for the room's name before it lets people join without it

METER_FLOOR_DBFS = -60.0  # the meter's empty end: quieter than a quiet room


def meter_value(level_dbfs: float) -> int:
    """0–100 for a level in dBFS, linear in dB between the floor and full scale."""
    return round(100 * min(1.0, max(0.0, (level_dbfs - METER_FLOOR_DBFS) / -METER_FLOOR_DBFS)))


class PreJoinView(QWidget):
    join = Signal(str, bool, bool)  # room id, camera on, microphone on; the room's password is ``password``
    back = Signal()
    toast = Signal(str)

    def __init__(self, context: AppContext) -> None:
        super().__init__()
        self.context = context
        self.tasks = TaskSet("ui.prejoin", log=logger)
        self.preview = DevicePreview(context.provider, on_error=self._device_error)
        self.room_id = ""
        self.room_name: str | None = None  # once known: the call window's title, without asking the server again
        self.invite_url: str | None = None  # the server's inviteUrl once known: copied here and in the call
        self.room: Room | None = None  # once known
        # The room's password as typed in the prompt, for this join only (kept nowhere else, never saved).
        self.password: str | None = None
        self.password_prompt: PasswordPrompt | None = None
        self._join_when_ready = False  # the prompt was answered before the devices were listed

        # The room's name once known: the server's words, elided to the card's width.
        self.heading = ElidedLabel(self.tr("Ready to join?"))
        self.heading.setProperty("role", "title")
        self.room_label = plain_label()
        self.room_label.setObjectName("roomLabel")
        self.room_label.setWordWrap(True)  # "3 in the call · <a 22-character id>" is wider than a narrow card
        # The camera as it will be sent: through the background effect the settings hold (off the GUI thread).
        self.effect: background_choice.EffectPreview | None = None  # while pre-join is open
        self._effects_closing: list[asyncio.Future[None]] = []
        self.tile = VideoTile("preview", self.tr("You"), self._preview_frame, is_self=True)
        self.tile.setMinimumWidth(480)
        # The call's own buttons, checkable here: before joining, the buttons are the state.
        self.camera_button = control_button("previewCamera")
        self.mic_button = control_button("previewMic")
        for button in (self.camera_button, self.mic_button):
            button.setCheckable(True)
        toggles = QHBoxLayout()
        toggles.addStretch(1)
        toggles.addWidget(self.mic_button)
        toggles.addWidget(self.camera_button)
        toggles.addStretch(1)

        pickers = device_pickers()
        self.cameras, self.microphones, self.speakers = pickers.cameras, pickers.microphones, pickers.speakers
        self.meter = pickers.meter
        # Background: the same setting as the settings window's (ui/background_choice.py), a quick switch here.
        self.background_box = QComboBox()
        self.background_box.setObjectName("prejoinBackground")
        for mode, text in background_choice.mode_texts().items():
            self.background_box.addItem(text, mode)
        self.background_box.addItem(self.tr("Choose image…"), "choose")
        self.background_error = error_label()
        self.file_dialog: QFileDialog | None = None
        self._effects_unavailable = False  # the model cannot run here (``_background_unavailable``)
        self.device_error = error_label()
        self._device_problems = DeviceProblems(self.device_error)  # shown under the pickers, one sentence each

        side, side_layout = card()
        side.setMinimumWidth(300)
        form = QFormLayout()
        # Labels made here, not by addRow(text, ...): QFormLayout's own labels are AutoText (ui/untrusted.py).
        form.addRow(plain_label(self.tr("Camera")), self.cameras)
        form.addRow(plain_label(self.tr("Microphone")), self.microphones)
        form.addRow(plain_label(), self.meter)
        form.addRow(plain_label(self.tr("Speaker")), self.speakers)
        form.addRow(plain_label(self.tr("Background")), self.background_box)
        self.join_button = QPushButton(self.tr("Join now"))
        self.join_button.setObjectName("joinNow")
        self.join_button.setProperty("primary", True)
        self.join_button.setDefault(True)
        self.copy_button = QPushButton(icons.icon("copy"), self.tr("Copy invite link"))
        self.copy_button.setObjectName("copyInvite")
        self.copy_menu = menu_button(invite_menu(self, self._copy, self._copy_app_link), "inviteMenuButton")
        copy_row = QHBoxLayout()
        copy_row.setSpacing(4)
        copy_row.addWidget(self.copy_button, 1)
        copy_row.addWidget(self.copy_menu)
        back_button = QPushButton(self.tr("Back"))
        back_button.setObjectName("back")
        self.join_error = error_label()
        side_layout.addWidget(self.heading)
        side_layout.addWidget(self.room_label)
        side_layout.addLayout(form)
        side_layout.addWidget(self.background_error)
        side_layout.addWidget(self.device_error)
        side_layout.addSpacing(12)
        side_layout.addWidget(self.join_error)
        side_layout.addWidget(self.join_button)
        side_layout.addLayout(copy_row)
        side_layout.addWidget(back_button)

        left = QVBoxLayout()
        left.addStretch(1)
        left.addWidget(self.tile)
        left.addLayout(toggles)
        left.addStretch(1)
        outer = QHBoxLayout(self)
        outer.setContentsMargins(32, 24, 32, 24)
        outer.setSpacing(24)
        outer.addLayout(left, 3)
        outer.addWidget(side, 2, Qt.AlignmentFlag.AlignVCenter)

        self._clock = QTimer(self)
        self._clock.setInterval(33)
        self._clock.timeout.connect(self._tick)

        self.camera_button.toggled.connect(self._camera_toggled)
        self.mic_button.toggled.connect(self._mic_toggled)
        self.cameras.activated.connect(lambda _i: self._camera_toggled(self.camera_button.isChecked()))
        self.microphones.activated.connect(lambda _i: self._reopen_microphone())
        self.speakers.activated.connect(lambda _i: self._remember_devices())
        self.join_button.clicked.connect(self._join)
        self.background_box.activated.connect(lambda _i: self._background_chosen())
        # The keys the call uses (and the tooltips name) work here too.
        QShortcut(QKeySequence(SHORTCUTS["microphone"]), self, self.mic_button.toggle)
        QShortcut(QKeySequence(SHORTCUTS["camera"]), self, self.camera_button.toggle)
        self.copy_button.clicked.connect(self._copy)
        back_button.clicked.connect(self._back)

    def changeEvent(self, event: QEvent) -> None:
        # Icons drawn in the palette's colour: redraw them when the system switches between light and dark.
        if event.type() == QEvent.Type.PaletteChange:
            self.copy_button.setIcon(icons.icon("copy"))
        super().changeEvent(event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        # The preview keeps a camera's 16:9 instead of a tall box with black bars above and below.
        super().resizeEvent(event)
        self.tile.setFixedHeight(max(self.tile.minimumSizeHint().height(), self.tile.width() * 9 // 16))

    # ---- entering and leaving ---------------------------------------------------------------------------

    def open(self, room_id: str, info: RoomInfoResponse | None = None) -> None:
        """Pre-join for ``room_id``; ``info`` when the caller has just fetched or created it (else fetched here)."""
        self.room_id = room_id
        self.room_name = None
        self.invite_url = None
        self.room = None
        self.password = None
        self._join_when_ready = False
        self._dismiss_password_prompt()
        user = self.context.user
        self.tile.set_avatar_name(user.username if user else None)  # "You", but with the user's own initial
        self.heading.setText(self.tr("Ready to join?"))
        self.room_label.setText(self.tr("Room {room}").format(room=clip(room_id)))
        if info is not None:
            self._show_room(info)
        show_error(self.join_error, None)
        self._device_problems.clear()
        settings = self.context.settings
        # Silently: a toggled() here would save the settings while the pickers are still empty, forgetting the
        # chosen devices.
        for button, on in (
            (self.camera_button, settings.join_with_camera),
            (self.mic_button, settings.join_with_microphone),
        ):
            button.blockSignals(True)
            button.setChecked(on)
            button.blockSignals(False)
        self._paint_toggles()
        self.join_button.setEnabled(False)
        self._open_effect()
        self._clock.start()
        self.tasks.spawn(self._start(), name="prejoin-start")
        self.tasks.spawn(self._check_background(), name="prejoin-background-check")

    async def _start(self) -> None:
        provider = self.context.provider
        # The room's name is asked for with the devices: Join waits for it (briefly), or a quick click would take no
        # name into the lobby and the call's title ("Room <id>" instead).
        room_fetch = self.tasks.spawn(self._fetch_room(), name="room-info") if self.room_name is None else None
        cameras, microphones, speakers = await asyncio.gather(
            asyncio.to_thread(provider.cameras),
            asyncio.to_thread(provider.microphones),
            asyncio.to_thread(provider.speakers),
        )
        settings = self.context.settings
        self._fill(self.cameras, cameras, settings.camera, self.tr("No camera found"))
        self._fill(self.microphones, microphones, settings.microphone, self.tr("No microphone found"))
        self._fill(self.speakers, speakers, settings.speaker, self.tr("System default"))
        if room_fetch is not None:
            # A slow server still lets people join: the name then follows in pre-join only. (``wait``: the fetch's
            # own failure is the fetch's business, logged by the task set, never a reason not to join.)
            await asyncio.wait({room_fetch}, timeout=ROOM_NAME_WAIT_S)
        self.join_button.setEnabled(True)
        self.join_button.setFocus()
        if self._join_when_ready:
            self._join_when_ready = False
            self._join()
        await asyncio.gather(self._open_camera(), self._open_microphone())

    async def _fetch_room(self) -> None:
        if (info := await self.context.room_info(self.room_id)) is not None:
            self._show_room(info)

    def _show_room(self, info: RoomInfoResponse) -> None:
        self.room = info.room
        self.room_name = info.room.name
        self.invite_url = info.room.invite_url
        self.heading.setText(info.room.name)
        people = info.participant_count
        if people == 0:
            who = self.tr("Nobody is in the call yet · {room}")
        else:
            who = self.tr("%n participant(s) in the call · {room}", "", people)
        self.room_label.setText(who.format(room=clip(self.room_id)))

    @staticmethod
    def _fill(box: QComboBox, choices: list[DeviceChoice], chosen: str | None, empty: str) -> None:
        box.clear()
        for choice in choices:
            box.addItem(choice.name, choice.id)
        if not choices:
            box.addItem(empty, None)
        index = box.findData(chosen) if chosen is not None else -1
        box.setCurrentIndex(max(0, index))
        box.setEnabled(bool(choices))

    @staticmethod
    def _chosen(box: QComboBox) -> str | None:
        data = box.currentData()
        return None if data is None else str(data)

    async def close_preview(self) -> None:
        self._dismiss_password_prompt()
        self._clock.stop()
        self._close_effect()
        await self.tasks.cancel_all()
        await self.preview.close()

    async def hand_over(self) -> tuple[VideoSource | None, AudioSource | None]:
        self._clock.stop()
        self._close_effect()  # the call composites with its own effect, from the same settings
        await self.tasks.cancel_all()
        return await self.preview.hand_over()

    # ---- devices ----------------------------------------------------------------------------------------

    def _tick(self) -> None:
        self._show_background()
        self.tile.refresh()
        self.meter.setValue(meter_value(self.preview.level_dbfs))

    def _paint_toggles(self) -> None:
        camera_on, mic_on = self.camera_button.isChecked(), self.mic_button.isChecked()
        show_media(self.camera_button, "camera", camera_on)
        show_media(self.mic_button, "microphone", mic_on)
        self.tile.set_camera_on(camera_on)
        self.tile.set_mic_on(mic_on)

    async def _open_camera(self) -> None:
        on = self.camera_button.isChecked() and self.cameras.isEnabled()
        if await self.preview.set_camera(self._chosen(self.cameras), enabled=on):
            self._device_ok("camera")

    def _camera_toggled(self, _on: bool) -> None:
        self._paint_toggles()
        self._remember_devices()
        self.tasks.spawn(self._open_camera(), name="preview-camera")

    def _mic_toggled(self, _on: bool) -> None:
        # Muting here keeps the microphone open: the meter tells people it works, and unmuting in the call is instant.
        self._paint_toggles()
        self._remember_devices()

    def _reopen_microphone(self) -> None:
        self._remember_devices()
        self.tasks.spawn(self._open_microphone(), name="preview-microphone")

    async def _open_microphone(self) -> None:
        if await self.preview.set_microphone(self._chosen(self.microphones)):
            self._device_ok("microphone")

    def _device_error(self, device: PreviewDevice, problem: DeviceProblem) -> None:
        # A sentence for people; what the driver said is in the log (DevicePreview logs it).
        self._device_problems.failed(device, problem)

    def _device_ok(self, device: PreviewDevice) -> None:
        self._device_problems.ok(device)

    def _remember_devices(self) -> None:
        settings = self.context.settings
        settings.camera = self._chosen(self.cameras)
        settings.microphone = self._chosen(self.microphones)
        settings.speaker = self._chosen(self.speakers)
        settings.join_with_camera = self.camera_button.isChecked()
        settings.join_with_microphone = self.mic_button.isChecked()
        self.context.save_settings()

    # ---- actions ----------------------------------------------------------------------------------------

    def _join(self) -> None:
        if self.password is None and self._needs_password():
            self.ask_password(None)  # asked before the devices go to the call: a refusal would close them
            return
        self._remember_devices()
        self.join.emit(self.room_id, self.camera_button.isChecked(), self.mic_button.isChecked())

    def _needs_password(self) -> bool:
        """The room says it has a password, and the user is not its owner (the owner never types it). The server
        decides in the end: a room that gained one since is asked for by ``ask_password`` when the join fails."""
        user = self.context.user
        return self.room is not None and self.room.has_password and (user is None or user.id != self.room.owner_id)

    # ---- the room's password ------------------------------------------------------------------------------

    def ask_password(self, problem: PasswordProblem | None) -> None:
        """Ask for the room's password (``problem``: why again); answered, pre-join joins with it."""
        self._dismiss_password_prompt()
        prompt = PasswordPrompt(self, self.room_name, problem)
        self.password_prompt = prompt
        prompt.finished.connect(lambda result: self._password_answered(prompt, result))
        prompt.open()

    def _password_answered(self, prompt: PasswordPrompt, result: int) -> None:
        if self.password_prompt is not prompt:
            return  # dismissed by a newer question, or by leaving pre-join
        self.password_prompt = None
        prompt.deleteLater()
        if result != PasswordPrompt.DialogCode.Accepted:
            return  # pre-join stays: Join asks again, Back goes back
        self.password = prompt.password
        if self.join_button.isEnabled():
            self._join()
        else:
            self._join_when_ready = True

    def _dismiss_password_prompt(self) -> None:
        prompt, self.password_prompt = self.password_prompt, None
        if prompt is not None:
            prompt.reject()
            prompt.deleteLater()

    def invitation(self) -> Invitation:
        return invitation(self.room_id, self.context.server_url, self.invite_url)

    def _copy(self) -> None:
        self.toast.emit(copy_invite(self.invitation()))

    def _copy_app_link(self) -> None:
        self.toast.emit(copy_app_link(self.invitation()))

    def _back(self) -> None:
        self.back.emit()

    async def shutdown(self) -> None:
        """Close the preview's devices and stop what this screen started; the window awaits it when it closes."""
        await self.close_preview()
        await self.tasks.close()
        closing, self._effects_closing = self._effects_closing, []
        await asyncio.gather(*closing)

    # ---- background blur and replacement --------------------------------------------------------------------

    def _preview_frame(self) -> av.VideoFrame | None:
        raw = self.preview.latest_frame
        return raw if self.effect is None else self.effect.frame(raw)

    def _open_effect(self) -> None:
        if self.effect is None:
            self.effect = background_choice.EffectPreview(self.context.settings, self.context.provider)
            self.effect.failed.connect(lambda: self._background_unavailable(background_choice.unavailable_text()))
        show_error(self.background_error, None)
        self._show_background()

    def _close_effect(self) -> None:
        """Frees the model's thread (in a worker thread; ``shutdown`` waits for it)."""
        effect, self.effect = self.effect, None
        if effect is not None:
            self._effects_closing = [*(f for f in self._effects_closing if not f.done()), effect.close()]

    async def _check_background(self) -> None:
        problem = await background_choice.effects_unavailable(self.context.provider)
        if problem is not None:
            self._background_unavailable(problem)

    def _background_unavailable(self, why: str) -> None:
        """No model here: only "No effect" can be chosen (an effect turned on elsewhere, the account's preferences
        say, can still be turned off), and the switch says why."""
        self._effects_unavailable = True
        box = self.background_box
        model = box.model()
        assert isinstance(model, QStandardItemModel)
        for row in range(box.count()):
            item = model.item(row)
            if item is not None and item.data(Qt.ItemDataRole.UserRole) != "off":
                item.setEnabled(False)
        box.setToolTip(why)
        self._show_background()

    def _show_background(self) -> None:
        """The switch as the settings are (the settings window may change them while pre-join is open)."""
        mode = self.context.settings.background_mode
        index = self.background_box.findData(mode)
        if index != self.background_box.currentIndex():
            self.background_box.setCurrentIndex(index)
        if self._effects_unavailable:
            self.background_box.setEnabled(mode != "off")

    def _background_chosen(self) -> None:
        show_error(self.background_error, None)
        settings = self.context.settings
        wanted = str(self.background_box.currentData())
        if wanted == "choose" or (wanted == "replace" and settings.background_image is None):
            self._show_background()  # until a picture is read, the choice stays as it was
            self.choose_image()
            return
        mode: BackgroundMode = "off" if wanted == "off" else "blur" if wanted == "blur" else "replace"
        if mode != settings.background_mode:
            background_choice.choose(settings, mode, settings.background_image)
            self.context.save_settings()

    def choose_image(self) -> None:
        self.file_dialog = background_choice.image_dialog(self, self.image_chosen, self.file_dialog)

    def image_chosen(self, path: str) -> None:
        self.file_dialog = None
        self.tasks.spawn(self._take_image(path), name="prejoin-background-image")

    async def _take_image(self, path: str) -> None:
        refusal = await background_choice.take_image(self.context.settings, path)
        if refusal is not None:
            show_error(self.background_error, refusal)
            return
        self.context.save_settings()
        self._show_background()
