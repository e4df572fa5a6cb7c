"""Recording in the call window: the red "REC" notice with who records (everyone sees it, a late joiner too: it
comes from the meeting's participants), and a host's Record, Pause/Resume and Stop in the top bar.

``RecordingBar`` shows; ``RecordingController`` acts: the file goes to the recordings folder
(``nimeet_desktop/recordings.py``), the engine tells the room (``call/room_recording.py``), and every end of a
recording says where its file is: stopped, left, no longer a host, or the disk full (the part written is kept).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QObject, QSize, Qt, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QToolButton, QWidget

from nimeet_desktop.call.meeting import MeetingSnapshot
from nimeet_desktop.media.recording.recorder import RecordingError, RecordingResult, RecordingState
from nimeet_desktop.net.signaling import SignalingError
from nimeet_desktop.recordings import new_recording_path, recordings_folder
from nimeet_desktop.task_set import TaskSet
from nimeet_desktop.ui import icons, messages, theme
from nimeet_desktop.ui.context import AppContext
from nimeet_desktop.ui.engine_call import EngineCall
from nimeet_desktop.ui.meeting.texts import clock_time
from nimeet_desktop.ui.toast import ToastKind
from nimeet_desktop.ui.untrusted import isolate, plain_label

if TYPE_CHECKING:
    from nimeet_desktop.ui.views.call_view import CallView

logger = logging.getLogger(__name__)

TICK_MS = 1000  # the recorded time shown while we record
BUTTON_ICON = QSize(20, 20)


def _tool_button(name: str, icon: str) -> QToolButton:
    button = QToolButton()
    button.setObjectName(name)
    button.setAutoRaise(True)  # a flat glyph on the dark call background, like the top bar's others
    button.setIcon(icons.icon(icon, theme.CONTROL_FOREGROUND))
    button.setIconSize(BUTTON_ICON)
    button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
    return button


def _say(button: QToolButton, text: str) -> None:
    button.setToolTip(text)
    button.setAccessibleName(text)


class RecordingBar(QWidget):
    """Shows; the controller decides. Hidden parts take no room: a call nobody records shows only a host's Record."""

    start_requested = Signal()
    pause_requested = Signal()
    resume_requested = Signal()
    stop_requested = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("recordingBar")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        self.notice = plain_label(QCoreApplication.translate("Recording", "REC"))
        self.notice.setObjectName("recNotice")
        self.notice.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.who = plain_label()
        self.who.setObjectName("recWho")
        self.record_button = _tool_button("recordButton", "record")
        _say(self.record_button, self.tr("Start recording"))
        self.pause_button = _tool_button("recordPauseButton", "pause")
        self.stop_button = _tool_button("recordStopButton", "stop")
        _say(self.stop_button, self.tr("Stop recording"))
        for widget in (self.notice, self.who, self.record_button, self.pause_button, self.stop_button):
            layout.addWidget(widget)
        self.record_button.clicked.connect(self.start_requested)
        self.pause_button.clicked.connect(self._pause_or_resume)
        self.stop_button.clicked.connect(self.stop_requested)
        self.own = RecordingState.IDLE
        self.show_state(can_record=False, own=RecordingState.IDLE, elapsed_s=0.0, others=[])

    def who_records(self, names: list[str]) -> str:
        """The others who record (untrusted names), in one sentence. ``self.tr`` with ``n``: lupdate records a
        plural only from that form (ui/messages.py, ``MessagePlurals``)."""
        if len(names) == 1:
            return self.tr("{name} is recording").format(name=isolate(names[0]))
        return self.tr("{name} and %n other(s) are recording", "", len(names) - 1).replace("{name}", isolate(names[0]))

    def _pause_or_resume(self) -> None:
        (self.resume_requested if self.own is RecordingState.PAUSED else self.pause_requested).emit()

    def show_state(self, *, can_record: bool, own: RecordingState, elapsed_s: float, others: list[str]) -> None:
        """``own``: our recording (IDLE or STOPPED: none); ``others``: the names of everyone else who records."""
        self.own = own
        mine = own in (RecordingState.RECORDING, RecordingState.PAUSED)
        parts: list[str] = []
        if own is RecordingState.RECORDING:
            parts.append(self.tr("You are recording · {time}").format(time=clock_time(elapsed_s)))
        elif own is RecordingState.PAUSED:
            parts.append(self.tr("Recording paused · {time}").format(time=clock_time(elapsed_s)))
        if others:
            parts.append(self.who_records(others))
        self.who.setText(" · ".join(parts))
        self.who.setVisible(bool(parts))
        # The red REC while anyone is being recorded (a paused recording records nobody).
        self.notice.setVisible(own is RecordingState.RECORDING or bool(others))
        self.notice.setToolTip(self.who.text())
        self.record_button.setVisible(can_record and not mine)
        self.pause_button.setVisible(mine)
        self.stop_button.setVisible(mine)
        _say(
            self.pause_button,
            self.tr("Resume recording") if own is RecordingState.PAUSED else self.tr("Pause recording"),
        )
        self.pause_button.setIcon(
            icons.icon("record" if own is RecordingState.PAUSED else "pause", theme.CONTROL_FOREGROUND)
        )
        self.setVisible(self.notice.isVisibleTo(self) or self.who.isVisibleTo(self) or can_record)


def recording_error_text(error: RecordingError) -> str:
    name = isolate(error.path.name)
    if error.kind == "cannot-open":
        return QCoreApplication.translate(
            "Recording", "The recording cannot start: {file} cannot be created in {folder}."
        ).format(file=name, folder=isolate(str(error.path.parent)))
    if error.kind == "disk-full":
        return QCoreApplication.translate(
            "Recording", "The recording stopped: the disk is full. What was recorded is kept in {file}."
        ).format(file=name)
    return QCoreApplication.translate(
        "Recording", "The recording stopped: the file could not be written. What was recorded is kept in {file}."
    ).format(file=name)


class RecordingController(QObject):
    """One call's recording: the bar's requests to the engine, the engine's and the meeting's news to the bar."""

    def __init__(self, view: CallView, call: EngineCall, context: AppContext) -> None:
        super().__init__(call)
        self.view = view
        self.bar: RecordingBar = view.recording_bar
        self.call = call
        self.context = context
        self.tasks = TaskSet("ui.recording", on_error=self._failed, log=logger)
        self.can_record = False
        self.others: list[str] = []
        self.own = RecordingState.IDLE
        self.elapsed_s = 0.0
        self._busy = False  # a start, pause, resume or stop is on its way: the bar's clicks wait for it
        self._tick = QTimer(self)
        self._tick.setInterval(TICK_MS)
        self._tick.timeout.connect(lambda: self.tasks.spawn(self._refresh(), name="recording time"))
        call.meeting_changed.connect(self._meeting)
        call.recording_stopped.connect(self._stopped_by_itself)
        self.bar.start_requested.connect(lambda: self._act(self._start))
        self.bar.pause_requested.connect(lambda: self._act(self._pause))
        self.bar.resume_requested.connect(lambda: self._act(self._resume))
        self.bar.stop_requested.connect(lambda: self._act(self._stop))
        self._show()

    @property
    def recording(self) -> bool:
        return self.own in (RecordingState.RECORDING, RecordingState.PAUSED)

    def _show(self) -> None:
        self.bar.show_state(can_record=self.can_record, own=self.own, elapsed_s=self.elapsed_s, others=self.others)

    def _meeting(self, meeting: MeetingSnapshot) -> None:
        if meeting.me is None:
            return
        self.can_record = meeting.is_host
        self.others = [p.username for p in meeting.participants if p.recording]
        self._show()
        self._keep_to_the_role()

    def _keep_to_the_role(self) -> None:
        """The right to record came with the role: a host made a participant stops (the file is kept). Checked
        again after each step, as the role may change while a start is on its way."""
        if self.recording and not self.can_record and not self._busy:
            saying = self.tr("You are no longer a host, so the recording stopped. It is saved as {file}.")
            self._act(lambda: self._stop(saying))

    def _act(self, action: Callable[[], Awaitable[None]]) -> None:
        if self._busy:  # a double click, or the role changing during a stop: one step at a time
            return
        self._busy = True

        async def run() -> None:
            try:
                await action()
            finally:
                self._busy = False
                self._show()
            self._keep_to_the_role()

        self.tasks.spawn(run(), name="recording")

    async def _start(self) -> None:
        folder = recordings_folder(self.context.settings.recordings_folder)
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            self.view.toast.emit(
                self.tr("The recordings folder {folder} cannot be created: {reason}").format(
                    folder=isolate(str(folder)), reason=exc.strerror or str(exc)
                ),
                ToastKind.ERROR,
            )
            return
        title = self.view.room_name or self.view.room_id
        path = new_recording_path(folder, title, datetime.now())
        try:
            error = await self.call.start_recording(path)
        except SignalingError as exc:
            self.view.toast.emit(messages.signaling_error(exc), ToastKind.ERROR)
            return
        if error is not None:
            self.view.toast.emit(recording_error_text(error), ToastKind.ERROR)
            return
        self.own, self.elapsed_s = RecordingState.RECORDING, 0.0
        self._tick.start()
        self.view.toast.emit(self.tr("Recording. Everyone in the call sees that you record."), ToastKind.INFO)

    async def _pause(self) -> None:
        await self.call.pause_recording()
        await self._refresh()

    async def _resume(self) -> None:
        try:
            await self.call.resume_recording()
        except SignalingError as exc:  # the room could not be told: still paused
            self.view.toast.emit(messages.signaling_error(exc), ToastKind.ERROR)
        await self._refresh()

    async def _stop(self, saying: str | None = None) -> None:
        result = await self.call.stop_recording()
        self._ended()
        if result is not None:
            self._say_saved(result, saying)

    def _say_saved(self, result: RecordingResult, saying: str | None = None) -> None:
        if result.error is not None:
            self.view.toast.emit(recording_error_text(result.error), ToastKind.ERROR)
            return
        text = saying or self.tr("Recording saved as {file}.")
        self.view.toast.emit(text.format(file=isolate(result.path.name)), ToastKind.INFO)

    def _stopped_by_itself(self, result: RecordingResult) -> None:
        self._ended()
        self._show()
        self.view.toast.emit(
            recording_error_text(result.error) if result.error else self.tr("The recording stopped."), ToastKind.ERROR
        )

    def _ended(self) -> None:
        self._tick.stop()
        self.own, self.elapsed_s = RecordingState.IDLE, 0.0

    async def _refresh(self) -> None:
        state, elapsed = await self.call.recording_state()
        if self.recording:  # not ended meanwhile
            self.own = state if state in (RecordingState.RECORDING, RecordingState.PAUSED) else RecordingState.IDLE
            self.elapsed_s = elapsed
            self._show()

    async def close(self) -> None:
        """The call is being left: finish the file first and say where it is. Asks the engine, not our picture
        of it: a start still on its way when the person left is stopped too."""
        self._tick.stop()
        await self.tasks.close()
        self._busy = True  # nothing more from the bar
        try:
            result = await self.call.stop_recording()
        except Exception:  # the engine is gone already: DesktopCall.leave stopped it there
            logger.exception("stopping the recording on leave")
            result = None
        self._ended()
        if result is not None:
            self._say_saved(result)

    def _failed(self, exc: BaseException) -> None:
        self.view.toast.emit(messages.unexpected_error(exc), ToastKind.ERROR)
