"""Scheduling a meeting, or changing one the user organises: title, description, date, start and end in the user's
zone, repeat, attendees, reminder and room.

As the room dialog does, it sends the request itself and closes only once the server has said yes. A 409
``schedule-conflict`` names the meeting in the way (its title fetched by id); a 422 is shown next to its field.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
from typing import Any, Final
from zoneinfo import ZoneInfo

from PySide6.QtCore import QDate, QEvent, QLocale, Qt, QTime, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDateTimeEdit,
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QRadioButton,
    QSpinBox,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from nimeet_desktop.net.rest import ApiError, RestError
from nimeet_desktop.net.schedule_api import Meeting, MeetingDraft, ScheduleApi
from nimeet_desktop.task_set import TaskSet
from nimeet_desktop.ui import messages
from nimeet_desktop.ui.calendar import zone as zones
from nimeet_desktop.ui.calendar.recurrence import MAX_COUNT, RecurrenceError, Repeat, RepeatRule, parse_rrule, to_rrule
from nimeet_desktop.ui.context import AppContext
from nimeet_desktop.ui.form import Field, dialog_buttons, error_label, grow_to_fit, show_error
from nimeet_desktop.ui.room_dialog import TextBox
from nimeet_desktop.ui.untrusted import NAME_CHARS, cap, clip, isolate, plain_label
from signaling_server.protocol import MEETING_DESCRIPTION_MAX, MEETING_TITLE_MAX, REMINDER_MINUTES_MAX, ErrorCode

logger = logging.getLogger(__name__)

TITLE_MAX: Final = MEETING_TITLE_MAX
DESCRIPTION_MAX: Final = MEETING_DESCRIPTION_MAX
REMINDER_MAX: Final = REMINDER_MINUTES_MAX
DEFAULT_REMINDER: Final = 10
DEFAULT_LENGTH: Final = dt.timedelta(minutes=30)
DIALOG_WIDTH: Final = 520
_ATTENDEE_SPLIT: Final = re.compile(r"[\s,;]+")


NO_REMINDER: Final = -1  # the reminder box's "No reminder" (``reminderMinutes: null``); 0 is "at the start"


def default_reminder(context: AppContext) -> int | None:
    """The user's reminder preference when the app has one (``reminder_minutes`` in the settings, synced with the
    account; None there is "no reminder"), else 10 minutes."""
    if not hasattr(context.settings, "reminder_minutes"):
        return DEFAULT_REMINDER
    value = getattr(context.settings, "reminder_minutes", None)
    if value is None:
        return None
    return value if isinstance(value, int) and 0 <= value <= REMINDER_MAX else DEFAULT_REMINDER


def split_attendees(text: str) -> tuple[str, ...]:
    """Emails or usernames separated by commas, semicolons, spaces or lines; each once, in the order typed."""
    return tuple(dict.fromkeys(part for part in _ATTENDEE_SPLIT.split(text) if part))


class ScheduleDialog(QDialog):
    """Window-modal. ``saved`` carries the meeting as the server now has it. ``meeting``: edit that one (the user is
    its organizer); ``prefill``: a new meeting filled in from elsewhere (an ``.ics`` file); ``day``: the day a new
    meeting is on (the calendar's selected day)."""

    saved = Signal(object)  # Meeting

    def __init__(
        self,
        context: AppContext,
        zone: ZoneInfo,
        parent: QWidget | None = None,
        *,
        meeting: Meeting | None = None,
        prefill: MeetingDraft | None = None,
        day: dt.date | None = None,
        now: dt.datetime | None = None,
    ) -> None:
        super().__init__(parent)
        self.context = context
        self.zone = zone
        self.meeting = meeting
        self.tasks = TaskSet("ui.schedule-dialog", log=logger)
        self.loading = TaskSet("ui.schedule-rooms", log=logger)
        self._request: asyncio.Task[Any] | None = None
        self.setObjectName("scheduleDialog")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.setWindowTitle(self.tr("Schedule a meeting") if meeting is None else self.tr("Edit meeting"))
        self.setMinimumWidth(DIALOG_WIDTH)

        heading = plain_label(self.tr("Schedule a meeting") if meeting is None else self.tr("Edit meeting"))
        heading.setProperty("role", "title")
        self.title = Field(self.tr("Title"), name="meetingTitle")
        self.title.set_check(self._title_error)
        self.description = TextBox(
            self.tr("Description (optional)"), self._description_error, name="meetingDescription"
        )

        # ---- when ----
        self.date = QDateEdit()
        self.date.setObjectName("meetingDate")
        self.date.setCalendarPopup(True)
        self.start = QTimeEdit()
        self.start.setObjectName("meetingStart")
        self.end = QTimeEdit()
        self.end.setObjectName("meetingEnd")
        height = self.title.edit.sizeHint().height()
        edit: QDateTimeEdit
        for edit in (self.date, self.start, self.end):
            edit.setMinimumHeight(height)  # as tall as the line edits: Fusion's own are a few pixels shorter
            edit.setMinimumWidth(edit.sizeHint().width() + 16)
        when = QGridLayout()
        when.setHorizontalSpacing(12)
        when.setVerticalSpacing(2)
        for column, (text, edit) in enumerate(
            ((self.tr("Date"), self.date), (self.tr("Starts"), self.start), (self.tr("Ends"), self.end))
        ):
            label = plain_label(text)
            label.setBuddy(edit)
            when.addWidget(label, 0, column)
            when.addWidget(edit, 1, column)
        when.setColumnStretch(3, 1)
        self.zone_note = plain_label(self.tr("Times in {zone}").format(zone=zone.key))
        self.zone_note.setObjectName("zoneNote")
        self.zone_note.setProperty("role", "secondary")
        self.when_error = error_label()
        self.when_error.setObjectName("whenError")

        # ---- repeat ----
        self.repeat = QComboBox()
        self.repeat.setObjectName("repeat")
        for text, value in (
            (self.tr("Does not repeat"), Repeat.NONE),
            (self.tr("Daily"), Repeat.DAILY),
            (self.tr("Weekly"), Repeat.WEEKLY),
            (self.tr("Monthly"), Repeat.MONTHLY),
        ):
            self.repeat.addItem(text, value)
        repeat_label = plain_label(self.tr("Repeat"))
        repeat_label.setBuddy(self.repeat)
        repeat_row = QHBoxLayout()
        repeat_row.addWidget(repeat_label)
        repeat_row.addWidget(self.repeat, 1)
        self.weekday_boxes: list[QCheckBox] = []
        self.weekdays = QWidget()
        weekday_row = QHBoxLayout(self.weekdays)
        weekday_row.setContentsMargins(0, 0, 0, 0)
        locale = QLocale()
        first = locale.firstDayOfWeek().value  # Qt: 1 = Monday … 7 = Sunday
        for offset in range(7):
            qt_day = (first - 1 + offset) % 7 + 1
            box = QCheckBox(locale.dayName(qt_day, QLocale.FormatType.ShortFormat))
            box.setObjectName(f"weekday{qt_day - 1}")
            box.setProperty("weekday", qt_day - 1)  # 0 = Monday, as recurrence.py counts
            self.weekday_boxes.append(box)
            weekday_row.addWidget(box)
        weekday_row.addStretch(1)
        self.ends = QWidget()
        # Two lines, not one: the Russian words and a date did not fit the dialog's width side by side.
        ends_row = QGridLayout(self.ends)
        ends_row.setContentsMargins(0, 0, 0, 0)
        ends_row.setVerticalSpacing(4)
        self.ends_after = QRadioButton(self.tr("Ends after"))
        self.ends_after.setObjectName("endsAfter")
        self.count = QSpinBox()
        self.count.setObjectName("repeatCount")
        self.count.setRange(1, MAX_COUNT)
        self.count.setValue(10)
        self.count.setMinimumHeight(height)
        self.count.setMinimumWidth(self.count.sizeHint().width() + 16)
        self.count_label = plain_label()
        self.ends_on = QRadioButton(self.tr("Ends on"))
        self.ends_on.setObjectName("endsOn")
        self.until = QDateEdit()
        self.until.setObjectName("repeatUntil")
        self.until.setCalendarPopup(True)
        self.until.setMinimumHeight(height)
        self.until.setMinimumWidth(self.until.sizeHint().width() + 16)
        group = QButtonGroup(self)
        group.addButton(self.ends_after)
        group.addButton(self.ends_on)
        self.ends_after.setChecked(True)
        ends_row.addWidget(self.ends_after, 0, 0)
        ends_row.addWidget(self.count, 0, 1)
        ends_row.addWidget(self.count_label, 0, 2)
        ends_row.addWidget(self.ends_on, 1, 0)
        ends_row.addWidget(self.until, 1, 1, 1, 2, Qt.AlignmentFlag.AlignLeft)
        ends_row.setColumnStretch(3, 1)
        self.repeat_error = error_label()
        self.repeat_error.setObjectName("repeatError")

        # ---- who, reminder, room ----
        self.attendees = TextBox(
            self.tr("Attendees: emails or usernames, separated by commas"), lambda _text: None, name="attendees"
        )
        self.reminder = QSpinBox()
        self.reminder.setObjectName("reminder")
        self.reminder.setRange(NO_REMINDER, REMINDER_MAX)
        self.reminder.setSpecialValueText(self.tr("No reminder"))  # shown at NO_REMINDER
        self.reminder.setMinimumHeight(height)
        self.reminder.setMinimumWidth(self.reminder.sizeHint().width() + 16)
        reminder_label = plain_label(self.tr("Reminder, minutes before"))
        reminder_label.setBuddy(self.reminder)
        self.reminder_error = error_label()
        self.room = QComboBox()
        self.room.setObjectName("meetingRoom")
        self.room.addItem(self.tr("A new room"), None)
        room_label = plain_label(self.tr("Room"))
        room_label.setBuddy(self.room)
        self.room_error = error_label()
        self.room_error.setObjectName("roomError")
        options = QGridLayout()
        options.setHorizontalSpacing(12)
        options.addWidget(reminder_label, 0, 0)
        options.addWidget(self.reminder, 0, 1, Qt.AlignmentFlag.AlignLeft)
        options.addWidget(room_label, 1, 0)
        options.addWidget(self.room, 1, 1)
        options.setColumnStretch(1, 1)

        self.conflict = error_label()
        self.conflict.setObjectName("conflict")
        self.error = error_label()
        self.error.setObjectName("scheduleError")
        primary = self.tr("Schedule") if meeting is None else self.tr("Save")
        self.cancel_button, self.save_button, buttons = dialog_buttons(self.tr("Cancel"), primary, "schedule")
        self._primary_text = primary

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 16)
        layout.setSpacing(8)
        layout.addWidget(heading)
        layout.addWidget(self.title)
        layout.addWidget(self.description)
        layout.addLayout(when)
        layout.addWidget(self.zone_note)
        layout.addWidget(self.when_error)
        layout.addLayout(repeat_row)
        layout.addWidget(self.weekdays)
        layout.addWidget(self.ends)
        layout.addWidget(self.repeat_error)
        layout.addWidget(self.attendees)
        layout.addLayout(options)
        layout.addWidget(self.reminder_error)
        layout.addWidget(self.room_error)
        layout.addWidget(self.conflict)
        layout.addWidget(self.error)
        layout.addStretch(1)
        layout.addSpacing(6)
        layout.addLayout(buttons)

        self._fill(meeting, prefill, day, now or dt.datetime.now(zone))
        self.repeat.currentIndexChanged.connect(lambda _i: self._repeat_changed())
        self.count.valueChanged.connect(lambda _v: self._count_changed())
        for edit in (self.date, self.start, self.end):
            edit.dateTimeChanged.connect(lambda _v: self._when_changed())
        # Until the user picks weekdays themselves, a weekly meeting repeats on the weekday of its date.
        source = meeting or prefill
        self._weekdays_chosen = source is not None and source.recurrence is not None
        for box in self.weekday_boxes:
            box.clicked.connect(self._weekday_clicked)
        self.date.dateChanged.connect(lambda _d: self._follow_date())
        self.save_button.clicked.connect(self.save)
        self.cancel_button.clicked.connect(self.reject)
        self.title.edit.returnPressed.connect(self.save)
        self._repeat_changed()
        self._count_changed()
        chosen_room = meeting.room_id if meeting else prefill.room_id if prefill else None
        self.loading.spawn(self._load_rooms(chosen_room), name="schedule-rooms")
        self.title.edit.setFocus()

    def event(self, event: QEvent) -> bool:
        handled = super().event(event)
        if event.type() == QEvent.Type.LayoutRequest:  # an error line or the repeat options came or went
            grow_to_fit(self)
        return handled

    # ---- filling in -------------------------------------------------------------------------------------

    def _fill(
        self, meeting: Meeting | None, prefill: MeetingDraft | None, day: dt.date | None, now: dt.datetime
    ) -> None:
        source: Meeting | MeetingDraft | None = meeting or prefill
        if source is not None:
            # The server's (or a file's) words: capped before a widget measures them, above the limit so that a
            # title too long is refused on Save rather than cut silently.
            self.title.edit.setText(cap(source.title, 2 * TITLE_MAX))
            self.description.edit.setPlainText(cap(source.description or "", 2 * DESCRIPTION_MAX))
            start, end = source.start.astimezone(self.zone), source.end.astimezone(self.zone)
            if isinstance(source, Meeting):
                attendees = [a.username or a.email for a in source.attendees]
            else:
                attendees = list(source.attendees)
            self.attendees.edit.setPlainText(cap(", ".join(attendees), 20_000))
            self.reminder.setValue(source.reminder_minutes if source.reminder_minutes is not None else NO_REMINDER)
            self._fill_repeat(source.recurrence, start)
        else:
            # The next half hour on the chosen day (today: from now), half an hour long.
            base = now.astimezone(self.zone)
            minutes = 30 - base.minute % 30
            start = (base + dt.timedelta(minutes=minutes)).replace(second=0, microsecond=0)
            if day is not None and day != base.date():
                start = zones.at(day, dt.time(9, 0), self.zone)
            end = start + DEFAULT_LENGTH
            default = default_reminder(self.context)
            self.reminder.setValue(default if default is not None else NO_REMINDER)
            self.until.setDate(zones.qdate(start.date() + dt.timedelta(weeks=4)))
        self.description.set_error(None)
        self.date.setDate(zones.qdate(start.date()))
        self.start.setTime(zones.qtime(start.time()))
        self.end.setTime(zones.qtime(end.time()))
        for box in self.weekday_boxes:
            if not any(b.isChecked() for b in self.weekday_boxes):
                box.setChecked(box.property("weekday") == start.weekday())

    def _fill_repeat(self, recurrence: str | None, start: dt.datetime) -> None:
        try:
            rule = parse_rrule(recurrence, self.zone)
        except RecurrenceError:
            show_error(self.repeat_error, self.tr("This meeting repeats in a way this app cannot show or change."))
            rule = RepeatRule()
        self.repeat.setCurrentIndex(max(0, self.repeat.findData(rule.repeat)))
        for box in self.weekday_boxes:
            box.setChecked(box.property("weekday") in rule.weekdays)
        if rule.until is not None:
            self.ends_on.setChecked(True)
            self.until.setDate(zones.qdate(rule.until))
        else:
            self.until.setDate(zones.qdate(start.date() + dt.timedelta(weeks=4)))
            if rule.count is not None:
                self.count.setValue(min(rule.count, MAX_COUNT))

    async def _load_rooms(self, selected: str | None) -> None:
        """The rooms the user owns (only those can hold a scheduled meeting); the meeting's own stays chosen."""
        user = self.context.user
        try:
            rooms = await self.context.api.list_rooms()
        except RestError as exc:
            logger.info("rooms not listed for scheduling: %s", type(exc).__name__)
            rooms = []
        for room in rooms:
            if user is not None and room.owner_id == user.id:
                self.room.addItem(f"{isolate(room.name, NAME_CHARS)}  ·  {clip(room.room_id)}", room.room_id)
        if selected is not None:
            index = self.room.findData(selected)
            if index < 0:
                self.room.addItem(clip(selected), selected)
                index = self.room.count() - 1
            self.room.setCurrentIndex(index)

    # ---- reacting -----------------------------------------------------------------------------------------

    def _repeat_changed(self) -> None:
        repeat = self.repeat.currentData()
        self.weekdays.setVisible(repeat == Repeat.WEEKLY)
        self.ends.setVisible(repeat not in (None, Repeat.NONE))
        show_error(self.repeat_error, None)

    def _count_changed(self) -> None:
        self.count_label.setText(self.tr("time(s)", "", self.count.value()))

    def _weekday_clicked(self) -> None:
        self._weekdays_chosen = True

    def _follow_date(self) -> None:
        if self._weekdays_chosen:
            return
        weekday = _pydate(self.date.date()).weekday()
        for box in self.weekday_boxes:
            box.setChecked(box.property("weekday") == weekday)

    def _when_changed(self) -> None:
        show_error(self.when_error, None)
        show_error(self.conflict, None)

    def _title_error(self, text: str) -> str | None:
        if not text.strip():
            return self.tr("Give the meeting a title")
        if len(text.strip()) > TITLE_MAX:
            return self.tr("At most {count} characters").format(count=TITLE_MAX)
        return None

    def _description_error(self, text: str) -> str | None:
        if len(text.strip()) > DESCRIPTION_MAX:
            return self.tr("At most {count} characters").format(count=DESCRIPTION_MAX)
        return None

    # ---- saving -------------------------------------------------------------------------------------------

    def times(self) -> tuple[dt.datetime, dt.datetime]:
        """The start and end as typed, aware in the user's zone."""
        day = _pydate(self.date.date())
        return zones.at(day, _pytime(self.start.time()), self.zone), zones.at(day, _pytime(self.end.time()), self.zone)

    def repeat_rule(self) -> RepeatRule:
        repeat = Repeat(self.repeat.currentData())
        if repeat is Repeat.NONE:
            return RepeatRule()
        days = frozenset(int(b.property("weekday")) for b in self.weekday_boxes if b.isChecked())
        if self.ends_on.isChecked():
            return RepeatRule(repeat, days, until=_pydate(self.until.date()))
        return RepeatRule(repeat, days, count=self.count.value())

    def draft(self) -> MeetingDraft | None:
        """What to send, or None after showing what is wrong next to its field."""
        problems: list[tuple[Field | TextBox, str | None]] = [
            (self.title, self._title_error(self.title.text)),
            (self.description, self._description_error(self.description.text)),
        ]
        for field, problem in problems:
            field.set_error(problem)
        bad: QWidget | None = next((field.edit for field, problem in problems if problem is not None), None)
        start, end = self.times()
        if end <= start:
            show_error(self.when_error, self.tr("The meeting must end after it starts"))
            bad = bad or self.end
        try:
            recurrence = to_rrule(self.repeat_rule(), start)
        except RecurrenceError as exc:
            show_error(self.repeat_error, self._recurrence_problem(exc.reason))
            recurrence = None
            bad = bad or self.repeat
        if bad is not None:
            bad.setFocus()
            return None
        room = self.room.currentData()
        return MeetingDraft(
            title=self.title.text.strip(),
            start=start,
            end=end,
            description=self.description.text.strip() or None,
            timezone=self.zone.key,
            recurrence=recurrence,
            attendees=split_attendees(self.attendees.text),
            reminder_minutes=self.reminder.value() if self.reminder.value() != NO_REMINDER else None,
            room_id=room if isinstance(room, str) else None,
        )

    def _recurrence_problem(self, reason: str) -> str:
        if reason == "until":
            return self.tr("The last day must be after the first and within two years")
        if reason == "count":
            return self.tr("A meeting repeats at most {count} times").format(count=MAX_COUNT)
        if reason == "start":
            return self.tr("The date must be one of the days the meeting repeats on")
        return self.tr("This repetition never happens: check the days chosen")

    def save(self) -> None:
        if self.tasks.busy:
            return
        for label in (self.error, self.conflict, self.when_error, self.room_error, self.reminder_error):
            show_error(label, None)
        draft = self.draft()
        if draft is not None:
            self._request = self.tasks.spawn(self._send(draft), name="save-meeting")

    async def _send(self, draft: MeetingDraft) -> None:
        self._set_busy(True)
        schedule = ScheduleApi(self.context.api)
        try:
            if self.meeting is None:
                meeting = await schedule.create(draft)
            else:
                meeting = await schedule.update_from(self.meeting.meeting_id, draft)
        except ApiError as exc:
            await self._show_api_error(schedule, exc)
            return
        except RestError as exc:
            show_error(self.error, messages.rest_error(exc))
            return
        finally:
            self._set_busy(False)
        self.saved.emit(meeting)
        self.accept()

    async def _show_api_error(self, schedule: ScheduleApi, exc: ApiError) -> None:
        if exc.status == 409 and exc.code == ErrorCode.SCHEDULE_CONFLICT:
            await self._show_conflict(schedule, exc.conflicts_with)
            return
        if exc.status == 403:
            show_error(self.room_error, self.tr("You can only schedule in rooms you own"))
            return
        if exc.status == 404:
            show_error(self.error, self.tr("This meeting or its room no longer exists"))
            return
        message = messages.api_error(exc)
        field = exc.field
        if field == "title":
            self.title.set_error(message)
        elif field == "description":
            self.description.set_error(message)
        elif field in ("start", "end", "timezone"):
            show_error(self.when_error, message)
        elif field == "recurrence":
            show_error(self.repeat_error, message)
        elif field is not None and field.startswith("attendees"):
            self.attendees.set_error(message)
        elif field == "reminderMinutes":
            show_error(self.reminder_error, message)
        elif field == "roomId":
            show_error(self.room_error, message)
        else:
            show_error(self.error, message)

    async def _show_conflict(self, schedule: ScheduleApi, meeting_id: str | None) -> None:
        title: str | None = None
        if meeting_id is not None:
            try:
                title = (await schedule.get(meeting_id)).title
            except (RestError, ValueError):
                title = None  # the sentence without the name still says what is wrong
        if title is None:
            text = self.tr("Another meeting in this room overlaps this time. Choose another time or room.")
        else:
            text = self.tr("“{title}” is already in this room at this time. Choose another time or room.").format(
                title=isolate(title, NAME_CHARS)
            )
        show_error(self.conflict, text)

    def _set_busy(self, busy: bool) -> None:
        for widget in (self.title.edit, self.save_button, self.date, self.start, self.end, self.repeat, self.room):
            widget.setEnabled(not busy)
        self.save_button.setText(self.tr("Please wait…") if busy else self._primary_text)

    def done(self, result: int) -> None:
        if self._request is not None:
            self._request.cancel()
        super().done(result)

    async def shutdown(self) -> None:
        await self.tasks.close()
        await self.loading.close()


def _pydate(value: QDate) -> dt.date:
    return dt.date(value.year(), value.month(), value.day())


def _pytime(value: QTime) -> dt.time:
    return dt.time(value.hour(), value.minute())
