"""The calendar screen: month, week and day pages with the user's meetings, previous / today / next, and the ways in
to scheduling (a new meeting, a meeting opened from an ``.ics`` file, editing one from its details).

Times are shown in ``zone`` (the user's, ``zone.local_zone()``, unless a test passes another); words and dates in
the UI language's locale. The occurrences of the page shown are asked for each time the page changes; an answer
that arrives after the user moved on is dropped.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import enum
import logging
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from PySide6.QtCore import QLocale, QTimer, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from nimeet_desktop.net.rest import RestError
from nimeet_desktop.net.schedule_api import Meeting, MeetingDraft, Occurrence, ScheduleApi
from nimeet_desktop.task_set import TaskSet
from nimeet_desktop.ui import messages
from nimeet_desktop.ui.calendar.day_view import DayView, WeekView
from nimeet_desktop.ui.calendar.ics_import import MAX_ICS_BYTES, IcsError, draft_from_ics
from nimeet_desktop.ui.calendar.meeting_details import MeetingDetails
from nimeet_desktop.ui.calendar.month_view import MonthView
from nimeet_desktop.ui.calendar.schedule_dialog import ScheduleDialog
from nimeet_desktop.ui.calendar.texts import CalendarTexts
from nimeet_desktop.ui.calendar.zone import date_text, local_zone, qdate
from nimeet_desktop.ui.context import AppContext
from nimeet_desktop.ui.form import error_label, show_error
from nimeet_desktop.ui.untrusted import plain_label

logger = logging.getLogger(__name__)

CLOCK_MS = 60_000


class Page(enum.Enum):
    MONTH = "month"
    WEEK = "week"
    DAY = "day"


class CalendarView(QWidget):
    back = Signal()
    join_requested = Signal(str)  # a room id: the dashboard checks it and pre-join follows
    toast = Signal(str)

    def __init__(self, context: AppContext, zone: ZoneInfo | None = None, *, now: dt.datetime | None = None) -> None:
        super().__init__()
        self.setObjectName("calendarView")
        self.context = context
        self.zone = zone or local_zone()
        self._fixed_now = now  # tests and screenshots: a calendar that always shows the same day
        self.anchor = self._today = self.now().date()
        self.page = Page.MONTH
        self.tasks = TaskSet("ui.calendar", log=logger)
        self.loading = TaskSet("ui.calendar-load", log=logger)
        self._load_task: asyncio.Task[Any] | None = None
        self.dialog: QDialog | None = None
        self.file_dialog: QFileDialog | None = None
        self.occurrences: list[Occurrence] = []

        self.back_button = QPushButton(self.tr("Back"))
        self.back_button.setObjectName("calendarBack")
        self.title = plain_label()
        self.title.setObjectName("calendarTitle")
        self.title.setProperty("role", "title")
        self.previous_button = QPushButton("‹")
        self.previous_button.setObjectName("calendarPrevious")
        self.previous_button.setAccessibleName(self.tr("Previous"))
        self.previous_button.setToolTip(self.tr("Previous"))
        self.today_button = QPushButton(self.tr("Today"))
        self.today_button.setObjectName("calendarToday")
        self.next_button = QPushButton("›")
        self.next_button.setObjectName("calendarNext")
        self.next_button.setAccessibleName(self.tr("Next"))
        self.next_button.setToolTip(self.tr("Next"))
        for arrow in (self.previous_button, self.next_button):
            arrow.setFixedWidth(arrow.sizeHint().height() + 8)
        self.page_buttons: dict[Page, QPushButton] = {}
        group = QButtonGroup(self)
        for page, text in ((Page.MONTH, self.tr("Month")), (Page.WEEK, self.tr("Week")), (Page.DAY, self.tr("Day"))):
            button = QPushButton(text)
            button.setObjectName(f"{page.value}Page")
            button.setCheckable(True)
            button.setProperty("role", "page")  # the page shown stands out (theme.py)
            group.addButton(button)
            self.page_buttons[page] = button
        self.page_buttons[Page.MONTH].setChecked(True)
        self.import_button = QPushButton(self.tr("Open .ics…"))
        self.import_button.setObjectName("importIcs")
        self.schedule_button = QPushButton(self.tr("Schedule"))
        self.schedule_button.setObjectName("scheduleMeeting")
        self.schedule_button.setProperty("primary", True)
        self.status = plain_label()
        self.status.setObjectName("calendarStatus")
        self.status.setProperty("role", "secondary")
        self.error = error_label()
        self.error.setObjectName("calendarError")

        self.month = MonthView(self.zone)
        self.week = WeekView(self.zone)
        self.day = DayView(self.zone)
        self.stack = QStackedWidget()
        for view in (self.month, self.week, self.day):
            self.stack.addWidget(view)

        top = QHBoxLayout()
        top.addWidget(self.back_button)
        top.addSpacing(8)
        top.addWidget(self.title, 1)
        top.addWidget(self.import_button)
        top.addWidget(self.schedule_button)
        navigation = QHBoxLayout()
        navigation.addWidget(self.previous_button)
        navigation.addWidget(self.today_button)
        navigation.addWidget(self.next_button)
        navigation.addSpacing(12)
        navigation.addWidget(self.status, 1)
        for page in Page:
            navigation.addWidget(self.page_buttons[page])
        outer = QVBoxLayout(self)
        outer.setContentsMargins(24, 16, 24, 16)
        outer.setSpacing(10)
        outer.addLayout(top)
        outer.addLayout(navigation)
        outer.addWidget(self.error)
        outer.addWidget(self.stack, 1)

        self.back_button.clicked.connect(self.back)
        self.previous_button.clicked.connect(lambda: self.step(-1))
        self.next_button.clicked.connect(lambda: self.step(1))
        self.today_button.clicked.connect(self.go_today)
        for page, button in self.page_buttons.items():
            button.clicked.connect(lambda _checked=False, p=page: self.show_page(p))
        self.schedule_button.clicked.connect(lambda: self.open_schedule())
        self.import_button.clicked.connect(self._choose_ics)
        for view in (self.month, self.week, self.day):
            view.occurrence_clicked.connect(self.open_occurrence)
        self.month.day_clicked.connect(self.open_day)
        self.week.slot_clicked.connect(lambda moment: self.open_day(moment.date()))
        # The line at the current time moves, and today's mark moves at midnight, while the screen is open.
        self.clock = QTimer(self)
        self.clock.setInterval(CLOCK_MS)
        self.clock.timeout.connect(self._tick)
        self.clock.start()
        self._show_anchor()

    # ---- what is shown ------------------------------------------------------------------------------------

    def now(self) -> dt.datetime:
        return self._fixed_now.astimezone(self.zone) if self._fixed_now is not None else dt.datetime.now(self.zone)

    @property
    def current(self) -> MonthView | WeekView | DayView:
        if self.page is Page.MONTH:
            return self.month
        return self.week if self.page is Page.WEEK else self.day

    def show_page(self, page: Page) -> None:
        self.page = page
        self.page_buttons[page].setChecked(True)
        self.stack.setCurrentWidget(self.current)
        self._show_anchor()

    def step(self, direction: int) -> None:
        """The previous (-1) or next (1) month, week or day."""
        delta = {
            Page.MONTH: relativedelta(months=direction),
            Page.WEEK: relativedelta(weeks=direction),
            Page.DAY: relativedelta(days=direction),
        }[self.page]
        self.anchor = self.anchor + delta
        self._show_anchor()

    def go_today(self) -> None:
        self.anchor = self.now().date()
        self._show_anchor()

    def go_to(self, day: dt.date, page: Page | None = None) -> None:
        self.anchor = day
        if page is not None:
            self.show_page(page)
        else:
            self._show_anchor()

    def open_day(self, day: dt.date) -> None:
        self.go_to(day, Page.DAY)

    def _show_anchor(self) -> None:
        now = self.now()
        today = self._today = now.date()
        if self.page is Page.MONTH:
            self.month.show_month(self.anchor, today)
        elif self.page is Page.WEEK:
            self.week.show_days(self.anchor, today, now)
        else:
            self.day.show_days(self.anchor, today, now)
        self.title.setText(self._title_text())
        self.refresh()

    def _tick(self) -> None:
        if not self.isVisible():
            return
        now = self.now()
        for grid in (self.week.grid, self.day.grid):
            grid.now = now
            grid.update()
        if now.date() != self._today:
            self._show_anchor()  # midnight: today is another day

    def _title_text(self) -> str:
        locale = QLocale()
        if self.page is Page.MONTH:
            month = locale.standaloneMonthName(self.anchor.month, QLocale.FormatType.LongFormat)
            return f"{month[:1].upper()}{month[1:]} {locale.toString(qdate(self.anchor), 'yyyy')}"
        if self.page is Page.WEEK:
            days = self.week.days
            first, last = qdate(days[0]), qdate(days[-1])
            return f"{locale.toString(first, 'd MMM')} – {locale.toString(last, 'd MMM yyyy')}"
        day = date_text(self.anchor, long=True)
        return f"{day[:1].upper()}{day[1:]}"  # a heading: Russian writes "пятница, 4 декабря" in lower case

    # ---- data -----------------------------------------------------------------------------------------------

    def refresh(self) -> None:
        if self._load_task is not None:
            self._load_task.cancel()
        self._load_task = self.loading.spawn(self._load(self.current), name="load-occurrences")

    async def _load(self, view: MonthView | WeekView | DayView) -> None:
        start, end = view.span()
        self.status.setText(self.tr("Loading…"))
        show_error(self.error, None)
        try:
            occurrences = await ScheduleApi(self.context.api).occurrences(start, end)
        except RestError as exc:
            self.status.setText("")
            show_error(
                self.error, self.tr("Could not load your meetings. {reason}").format(reason=messages.rest_error(exc))
            )
            return
        self.occurrences = occurrences
        view.set_occurrences(occurrences)
        self.status.setText(CalendarTexts().meetings(len(occurrences)) if occurrences else "")

    # ---- dialogs ----------------------------------------------------------------------------------------------

    def _open_dialog(self, dialog: QDialog) -> bool:
        if self.dialog is not None:  # one at a time: a double click opens one dialog
            dialog.deleteLater()
            return False
        self.dialog = dialog
        dialog.finished.connect(lambda _result: self._dialog_closed(dialog))
        dialog.open()
        return True

    def _dialog_closed(self, dialog: QDialog) -> None:
        if self.dialog is dialog:
            self.dialog = None
        self.tasks.spawn(_dispose(dialog), name="calendar-dialog-closed")

    def open_schedule(self, *, meeting: Meeting | None = None, prefill: MeetingDraft | None = None) -> None:
        day = self.anchor if self.page is not Page.MONTH or self.anchor != self.now().date() else None
        dialog = ScheduleDialog(self.context, self.zone, self, meeting=meeting, prefill=prefill, day=day)
        dialog.saved.connect(self._saved)
        self._open_dialog(dialog)

    def _saved(self, meeting: Meeting) -> None:
        self.context.reminders.refresh_now()  # its reminder follows the new time at once, not at the next fetch
        self.toast.emit(self.tr("Meeting saved"))
        self.go_to(meeting.start.astimezone(self.zone).date())

    def open_occurrence(self, occurrence: Occurrence) -> None:
        dialog = MeetingDetails(self.context, self.zone, occurrence, self)
        dialog.join_requested.connect(self.join_requested)
        dialog.changed.connect(self.refresh)
        dialog.changed.connect(self.context.reminders.refresh_now)  # cancelled or declined: no reminder
        dialog.edit_requested.connect(self._edit_later)
        self._open_dialog(dialog)

    def _edit_later(self, meeting: Meeting) -> None:
        """Edit from the details: once the details have closed (one dialog at a time)."""
        details = self.dialog
        if details is None:
            self.open_schedule(meeting=meeting)
            return
        details.finished.connect(lambda _r: self.open_schedule(meeting=meeting))

    # ---- .ics ---------------------------------------------------------------------------------------------

    def _choose_ics(self) -> None:
        dialog = QFileDialog(self, self.tr("Open a calendar file"))
        dialog.setObjectName("openIcsDialog")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setNameFilter(self.tr("Calendar files (*.ics)"))
        dialog.fileSelected.connect(lambda path: self.tasks.spawn(self.open_ics(Path(path)), name="open-ics"))
        self.file_dialog = dialog
        dialog.open()

    async def open_ics(self, path: Path) -> bool:
        """The scheduling dialog filled in from ``path``'s first event; False, and said, when it has none."""
        show_error(self.error, None)
        try:
            data = await asyncio.to_thread(_read_small, path)
            draft = draft_from_ics(data, self.zone)
        except (OSError, IcsError):
            show_error(self.error, self.tr("This file has no meeting this app can read."))
            return False
        self.open_schedule(prefill=draft)
        return True

    async def shutdown(self) -> None:
        dialog, self.dialog = self.dialog, None
        if dialog is not None:
            dialog.reject()
            await _dispose(dialog)
        self.clock.stop()
        await self.tasks.close()
        await self.loading.close()


def _read_small(path: Path) -> bytes:
    with path.open("rb") as file:
        return file.read(MAX_ICS_BYTES + 1)


async def _dispose(dialog: QDialog) -> None:
    shutdown = getattr(dialog, "shutdown", None)
    if shutdown is not None:
        await shutdown()
    dialog.deleteLater()


__all__ = ["CalendarView", "Page"]
