"""One meeting opened from the calendar: its title, time in the user's zone, room, attendees and their answers, and
what the user may do with it: Join; Edit and Cancel (the organizer); Accept and Decline (an attendee); export it as
``.ics`` (a file, or the clipboard)."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from nimeet_desktop.net.rest import RestError
from nimeet_desktop.net.schedule_api import Attendee, Meeting, Occurrence, ScheduleApi
from nimeet_desktop.task_set import TaskSet
from nimeet_desktop.ui import messages
from nimeet_desktop.ui.calendar.zone import date_text, time_text
from nimeet_desktop.ui.context import AppContext
from nimeet_desktop.ui.form import error_label, grow_to_fit, show_error
from nimeet_desktop.ui.untrusted import NAME_CHARS, ElidedLabel, cap, clip, isolate, plain_label, tooltip

logger = logging.getLogger(__name__)

DESCRIPTION_SHOWN = 2000


class MeetingDetails(QDialog):
    """Window-modal. ``join_requested`` carries the room id; ``edit_requested`` the meeting; ``changed`` follows a
    cancel or an answer (the calendar reloads)."""

    join_requested = Signal(str)
    edit_requested = Signal(object)  # Meeting
    changed = Signal()

    def __init__(
        self, context: AppContext, zone: ZoneInfo, occurrence: Occurrence, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.context = context
        self.zone = zone
        self.occurrence = occurrence
        self.meeting: Meeting | None = None
        self.tasks = TaskSet("ui.meeting-details", log=logger)
        self.cancel_question: QMessageBox | None = None
        self.file_dialog: QFileDialog | None = None
        self.setObjectName("meetingDetails")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.setWindowTitle(self.tr("Meeting"))
        self.setMinimumWidth(460)

        self.title = ElidedLabel()
        self.title.setObjectName("meetingTitle")
        self.title.setProperty("role", "title")
        self.title.setText(clip(occurrence.title, NAME_CHARS))
        self.title.setToolTip(tooltip(occurrence.title, NAME_CHARS))
        self.when = plain_label(self._when_text(occurrence))
        self.when.setObjectName("meetingWhen")
        self.when.setWordWrap(True)
        self.repeats = plain_label()
        self.repeats.setProperty("role", "secondary")
        self.repeats.hide()
        self.room = plain_label(self.tr("Room {room}").format(room=clip(occurrence.room_id)))
        self.room.setObjectName("meetingRoomName")
        self.description = plain_label()
        self.description.setObjectName("meetingDescriptionText")
        self.description.setWordWrap(True)
        self.description.hide()
        self.attendees = QListWidget()
        self.attendees.setObjectName("meetingAttendees")
        self.attendees.setMaximumHeight(140)
        self.attendees.hide()
        self.attendees_title = plain_label(self.tr("Attendees"))
        self.attendees_title.setProperty("role", "section")
        self.attendees_title.hide()
        self.status = plain_label(self.tr("Loading…"))
        self.status.setProperty("role", "secondary")
        self.error = error_label()
        self.error.setObjectName("meetingError")

        self.join_button = QPushButton(self.tr("Join"))
        self.join_button.setObjectName("meetingJoin")
        self.join_button.setProperty("primary", True)
        self.edit_button = QPushButton(self.tr("Edit"))
        self.edit_button.setObjectName("meetingEdit")
        self.cancel_meeting_button = QPushButton(self.tr("Cancel meeting"))
        self.cancel_meeting_button.setObjectName("meetingCancel")
        self.accept_button = QPushButton(self.tr("Accept"))
        self.accept_button.setObjectName("meetingAccept")
        self.decline_button = QPushButton(self.tr("Decline"))
        self.decline_button.setObjectName("meetingDecline")
        self.save_ics_button = QPushButton(self.tr("Save .ics…"))
        self.save_ics_button.setObjectName("saveIcs")
        self.copy_ics_button = QPushButton(self.tr("Copy .ics"))
        self.copy_ics_button.setObjectName("copyIcs")
        self.close_button = QPushButton(self.tr("Close"))
        self.close_button.setObjectName("meetingClose")
        for button in (self.edit_button, self.cancel_meeting_button, self.accept_button, self.decline_button):
            button.hide()  # until the meeting says who the user is in it

        actions = QHBoxLayout()
        actions.addWidget(self.accept_button)
        actions.addWidget(self.decline_button)
        actions.addWidget(self.edit_button)
        actions.addWidget(self.cancel_meeting_button)
        actions.addStretch(1)
        actions.addWidget(self.join_button)
        export = QHBoxLayout()
        export.addWidget(self.save_ics_button)
        export.addWidget(self.copy_ics_button)
        export.addStretch(1)
        export.addWidget(self.close_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 16)
        layout.setSpacing(8)
        layout.addWidget(self.title)
        layout.addWidget(self.when)
        layout.addWidget(self.repeats)
        layout.addWidget(self.room)
        layout.addWidget(self.description)
        layout.addWidget(self.attendees_title)
        layout.addWidget(self.attendees)
        layout.addWidget(self.status)
        layout.addWidget(self.error)
        layout.addStretch(1)
        layout.addLayout(actions)
        layout.addLayout(export)

        self.join_button.clicked.connect(self._join)
        self.edit_button.clicked.connect(self._edit)
        self.cancel_meeting_button.clicked.connect(self._ask_cancel)
        self.accept_button.clicked.connect(lambda: self._respond("accepted"))
        self.decline_button.clicked.connect(lambda: self._respond("declined"))
        self.save_ics_button.clicked.connect(self._choose_ics_file)
        self.copy_ics_button.clicked.connect(lambda: self.tasks.spawn(self.copy_ics(), name="copy-ics"))
        self.close_button.clicked.connect(self.reject)
        self.tasks.spawn(self._load(), name="load-meeting")

    def event(self, event: QEvent) -> bool:
        handled = super().event(event)
        if event.type() == QEvent.Type.LayoutRequest:
            grow_to_fit(self)
        return handled

    def _when_text(self, occurrence: Occurrence) -> str:
        start, end = occurrence.start.astimezone(self.zone), occurrence.end.astimezone(self.zone)
        return self.tr("{date}, {start}–{end} ({zone})").format(
            date=date_text(start.date(), long=True),
            start=time_text(start, self.zone),
            end=time_text(end, self.zone),
            zone=self.zone.key,
        )

    @property
    def schedule(self) -> ScheduleApi:
        return ScheduleApi(self.context.api)

    async def _load(self) -> None:
        try:
            meeting = await self.schedule.get(self.occurrence.meeting_id)
        except RestError as exc:
            self.status.hide()
            show_error(self.error, messages.rest_error(exc))
            return
        info = await self.context.room_info(meeting.room_id)
        if info is not None:
            self.room.setText(self.tr("Room: {room}").format(room=isolate(info.room.name, NAME_CHARS)))
        self.show_meeting(meeting)

    def show_meeting(self, meeting: Meeting) -> None:
        self.meeting = meeting
        self.status.hide()
        self.title.setText(clip(meeting.title, NAME_CHARS))
        self.title.setToolTip(tooltip(meeting.title, NAME_CHARS))
        self.repeats.setText(self.tr("Repeats"))
        self.repeats.setVisible(meeting.recurrence is not None)
        description = cap(meeting.description or "", DESCRIPTION_SHOWN)
        self.description.setText(description)
        self.description.setVisible(bool(description))
        self.attendees.clear()
        for attendee in meeting.attendees:
            item = QListWidgetItem(self._attendee_text(attendee))
            item.setData(Qt.ItemDataRole.UserRole, attendee.response)
            self.attendees.addItem(item)
        self.attendees.setVisible(bool(meeting.attendees))
        self.attendees_title.setVisible(bool(meeting.attendees))
        user = self.context.user
        user_id = user.id if user is not None else None
        organizer = meeting.is_organizer(user_id)
        me = meeting.attendee(user_id)
        self.edit_button.setVisible(organizer)
        self.cancel_meeting_button.setVisible(organizer)
        self.accept_button.setVisible(me is not None and not organizer)
        self.decline_button.setVisible(me is not None and not organizer)
        if me is not None:
            self.accept_button.setEnabled(me.response != "accepted")
            self.decline_button.setEnabled(me.response != "declined")

    def _attendee_text(self, attendee: Attendee) -> str:
        who = isolate(attendee.username or attendee.email, NAME_CHARS)
        if attendee.response == "accepted":
            return self.tr("{who}: accepted").format(who=who)
        if attendee.response == "declined":
            return self.tr("{who}: declined").format(who=who)
        return self.tr("{who}: no answer yet").format(who=who)

    # ---- actions ----------------------------------------------------------------------------------------

    def _join(self) -> None:
        self.join_requested.emit(self.occurrence.room_id)
        self.accept()

    def _edit(self) -> None:
        if self.meeting is not None:
            self.edit_requested.emit(self.meeting)
            self.accept()

    def _respond(self, response: Literal["accepted", "declined"]) -> None:
        if not self.tasks.busy:
            self.tasks.spawn(self.respond(response), name="respond")

    async def respond(self, response: Literal["accepted", "declined"]) -> None:
        show_error(self.error, None)
        try:
            meeting = await self.schedule.respond(self.occurrence.meeting_id, response)
        except RestError as exc:
            show_error(self.error, messages.rest_error(exc))
            return
        self.show_meeting(meeting)
        self.changed.emit()

    def _ask_cancel(self) -> None:
        if self.cancel_question is not None:
            return
        question = QMessageBox(self)
        question.setObjectName("cancelMeetingQuestion")
        question.setIcon(QMessageBox.Icon.Warning)
        question.setWindowTitle(self.tr("Cancel meeting?"))
        question.setTextFormat(Qt.TextFormat.PlainText)
        question.setText(self.tr("Cancel “{title}” for everyone?").format(title=isolate(self.occurrence.title)))
        question.setInformativeText(self.tr("Every occurrence is cancelled, and the attendees are told."))
        yes = question.addButton(self.tr("Cancel meeting"), QMessageBox.ButtonRole.DestructiveRole)
        yes.setObjectName("confirmCancelMeeting")
        keep = question.addButton(self.tr("Keep it"), QMessageBox.ButtonRole.RejectRole)
        keep.setObjectName("keepMeeting")
        question.setDefaultButton(keep)
        question.setEscapeButton(keep)
        question.finished.connect(lambda _r: self._cancel_answered(question, question.clickedButton() is yes))
        self.cancel_question = question
        question.open()

    def _cancel_answered(self, question: QMessageBox, yes: bool) -> None:
        self.cancel_question = None
        question.deleteLater()
        if yes:
            self.tasks.spawn(self.cancel_meeting(), name="cancel-meeting")

    async def cancel_meeting(self) -> None:
        try:
            await self.schedule.cancel(self.occurrence.meeting_id)
        except RestError as exc:
            show_error(self.error, messages.rest_error(exc))
            return
        self.changed.emit()
        self.accept()

    # ---- .ics -----------------------------------------------------------------------------------------------

    def _choose_ics_file(self) -> None:
        dialog = QFileDialog(self, self.tr("Save the meeting as"))
        dialog.setObjectName("saveIcsDialog")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilter(self.tr("Calendar files (*.ics)"))
        dialog.setDefaultSuffix("ics")
        dialog.selectFile("meeting.ics")
        dialog.fileSelected.connect(lambda path: self.tasks.spawn(self.save_ics(Path(path)), name="save-ics"))
        self.file_dialog = dialog
        dialog.open()

    async def save_ics(self, path: Path) -> bool:
        try:
            text = await self.schedule.ics(self.occurrence.meeting_id)
            await asyncio.to_thread(path.write_text, text, encoding="utf-8", newline="")
        except RestError as exc:
            show_error(self.error, messages.rest_error(exc))
            return False
        except OSError:
            show_error(self.error, self.tr("Could not write {file}").format(file=clip(path.name)))
            return False
        self.status.setText(self.tr("Saved to {file}").format(file=clip(path.name)))
        self.status.show()
        return True

    async def copy_ics(self) -> bool:
        try:
            text = await self.schedule.ics(self.occurrence.meeting_id)
        except RestError as exc:
            show_error(self.error, messages.rest_error(exc))
            return False
        clipboard = QGuiApplication.clipboard()
        clipboard.setText(text)
        self.status.setText(self.tr("Copied: paste it into your calendar app"))
        self.status.show()
        return True

    async def shutdown(self) -> None:
        await self.tasks.close()
