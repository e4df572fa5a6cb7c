"""The dashboard's meetings card: the next meetings (today and tomorrow) with Join, which turns prominent from five
minutes before the start, and the invitations that await the user's answer, with Accept and Decline.

The contract has no "my invitations" query: the invitations are the meetings in the occurrence list of the coming
weeks whose attendee entry for this user still says ``needs-action`` (one GET per meeting, a bounded number).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import Any, Final, Literal
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from nimeet_desktop.net.rest import RestError
from nimeet_desktop.net.schedule_api import Meeting, Occurrence, ScheduleApi
from nimeet_desktop.task_set import TaskSet
from nimeet_desktop.ui import messages
from nimeet_desktop.ui.calendar.days import day_bounds
from nimeet_desktop.ui.calendar.texts import CalendarTexts
from nimeet_desktop.ui.calendar.zone import day_text, local_zone, time_text
from nimeet_desktop.ui.context import AppContext
from nimeet_desktop.ui.form import card, title
from nimeet_desktop.ui.untrusted import NAME_CHARS, ElidedLabel, clip, plain_label, tooltip

logger = logging.getLogger(__name__)

PROMINENT_BEFORE: Final = dt.timedelta(minutes=5)  # Join turns prominent this long before the start
INVITATIONS_AHEAD: Final = relativedelta(days=60)  # invitations looked for in this much of the future
MAX_INVITATION_LOOKUPS: Final = 30  # meetings asked about per refresh, at most
MAX_UPCOMING_SHOWN: Final = 5
TICK_MS: Final = 20_000  # how often "in 5 minutes" and Join's prominence are brought up to date


class UpcomingRow(QFrame):
    """One upcoming occurrence: when, its title, and Join."""

    def __init__(self, occurrence: Occurrence, zone: ZoneInfo) -> None:
        super().__init__()
        self.setObjectName("upcomingMeeting")
        self.occurrence = occurrence
        self.zone = zone
        self.when = ElidedLabel()  # elided, not wrapped: the card sits beside the rooms and must stay narrow
        self.when.setObjectName("upcomingWhen")
        self.when.setProperty("role", "secondary")
        self.title = ElidedLabel()
        self.title.setText(clip(occurrence.title, NAME_CHARS))
        self.title.setToolTip(tooltip(occurrence.title, NAME_CHARS))
        self.join_button = QPushButton(self.tr("Join"))
        self.join_button.setObjectName("upcomingJoin")
        text = QVBoxLayout()
        text.setSpacing(0)
        text.addWidget(self.title)
        text.addWidget(self.when)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 2, 0, 2)
        row.addLayout(text, 1)
        row.addWidget(self.join_button, 0, Qt.AlignmentFlag.AlignVCenter)

    def update_for(self, now: dt.datetime) -> None:
        start = self.occurrence.start
        local = start.astimezone(self.zone)
        today = now.astimezone(self.zone).date()
        clock = f"{time_text(start, self.zone)}–{time_text(self.occurrence.end, self.zone)}"
        if start <= now < self.occurrence.end:
            self.when.setText(self.tr("Now, {time}").format(time=clock))
        elif local.date() == today and start - now <= dt.timedelta(hours=1):
            minutes = max(1, int((start - now).total_seconds() // 60))
            self.when.setText(CalendarTexts().starts_in(minutes, clock))
        elif local.date() == today:
            self.when.setText(self.tr("Today, {time}").format(time=clock))
        else:
            self.when.setText(self.tr("Tomorrow, {time}").format(time=clock))
        prominent = start - PROMINENT_BEFORE <= now < self.occurrence.end
        if bool(self.join_button.property("primary")) != prominent:
            self.join_button.setProperty("primary", prominent)
            self.join_button.style().unpolish(self.join_button)
            self.join_button.style().polish(self.join_button)

    @property
    def prominent(self) -> bool:
        return bool(self.join_button.property("primary"))


class InvitationRow(QFrame):
    """A meeting the user is invited to and has not answered: title, when, Accept and Decline."""

    def __init__(self, meeting: Meeting, zone: ZoneInfo) -> None:
        super().__init__()
        self.setObjectName("invitation")
        self.meeting = meeting
        self.title = ElidedLabel()
        self.title.setText(clip(meeting.title, NAME_CHARS))
        self.title.setToolTip(tooltip(meeting.title, NAME_CHARS))
        start = meeting.start.astimezone(zone)
        self.when = ElidedLabel()
        self.when.setText(self.tr("{day}, {time}").format(day=day_text(start.date()), time=time_text(start, zone)))
        self.when.setProperty("role", "secondary")
        self.accept_button = QPushButton(self.tr("Accept"))
        self.accept_button.setObjectName("invitationAccept")
        self.decline_button = QPushButton(self.tr("Decline"))
        self.decline_button.setObjectName("invitationDecline")
        # The answer's buttons under the words, not beside them: beside, a Russian title was left a few letters.
        buttons = QHBoxLayout()
        buttons.setSpacing(8)  # a child layout takes its parent's spacing, which is 0 here
        buttons.setContentsMargins(0, 4, 0, 0)
        buttons.addStretch(1)
        buttons.addWidget(self.accept_button)
        buttons.addWidget(self.decline_button)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 2, 0, 2)
        column.setSpacing(0)
        column.addWidget(self.title)
        column.addWidget(self.when)
        column.addLayout(buttons)


class UpcomingMeetings(QWidget):
    """The card. ``refresh()`` asks the server again (the dashboard calls it whenever it shows)."""

    join_requested = Signal(str)  # a room id
    toast = Signal(str)

    def __init__(self, context: AppContext, zone: ZoneInfo | None = None, *, now: dt.datetime | None = None) -> None:
        super().__init__()
        self.context = context
        self.zone = zone or local_zone()
        self._fixed_now = now
        self.tasks = TaskSet("ui.upcoming", log=logger)
        self.loading = TaskSet("ui.upcoming-load", log=logger)
        self._load_task: asyncio.Task[Any] | None = None
        self.rows: list[UpcomingRow] = []
        self.invitation_rows: list[InvitationRow] = []

        frame, layout = card()
        self.meetings = QVBoxLayout()
        self.meetings.setSpacing(4)
        self.empty = plain_label(self.tr("No meetings today or tomorrow."))
        self.empty.setObjectName("noUpcoming")
        self.empty.setProperty("role", "secondary")
        self.invitations_title = plain_label()
        self.invitations_title.setObjectName("invitationsTitle")
        self.invitations_title.setProperty("role", "section")
        self.invitations_title.hide()
        self.invitations = QVBoxLayout()
        self.invitations.setSpacing(4)
        self.status = plain_label()
        self.status.setProperty("role", "secondary")
        self.status.setWordWrap(True)
        self.status.hide()
        layout.addWidget(title(self.tr("Upcoming meetings")))
        layout.addLayout(self.meetings)
        layout.addWidget(self.empty)
        layout.addWidget(self.invitations_title)
        layout.addLayout(self.invitations)
        layout.addWidget(self.status)
        layout.addStretch(1)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(frame)

        self.timer = QTimer(self)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self.tick)
        self.timer.start()

    def now(self) -> dt.datetime:
        return self._fixed_now if self._fixed_now is not None else dt.datetime.now(self.zone)

    def tick(self) -> None:
        now = self.now()
        if any(row.occurrence.end <= now for row in self.rows):
            self.refresh()  # a meeting is over: the card moves on to the next ones
            return
        for row in self.rows:
            row.update_for(now)

    def refresh(self) -> None:
        if self.context.user is None:
            return
        if self._load_task is not None:
            self._load_task.cancel()
        self._load_task = self.loading.spawn(self._load(), name="load-upcoming")

    async def _load(self) -> None:
        schedule = ScheduleApi(self.context.api)
        now = self.now()
        today = now.astimezone(self.zone).date()
        until = day_bounds(today + relativedelta(days=1), self.zone)[1]
        try:
            upcoming = await schedule.occurrences(now, until)
            ahead = await schedule.occurrences(now, now + INVITATIONS_AHEAD)
            invitations = await self._invitations(schedule, ahead)
        except RestError as exc:
            self.status.setText(messages.rest_error(exc))
            self.status.show()
            return
        self.status.hide()
        self._show(upcoming[:MAX_UPCOMING_SHOWN], invitations, now)

    async def _invitations(self, schedule: ScheduleApi, occurrences: list[Occurrence]) -> list[Meeting]:
        user = self.context.user
        if user is None:
            return []
        ids = list(dict.fromkeys(o.meeting_id for o in occurrences))[:MAX_INVITATION_LOOKUPS]
        meetings = await asyncio.gather(*(schedule.get(i) for i in ids), return_exceptions=True)
        waiting: list[Meeting] = []
        for meeting in meetings:
            if isinstance(meeting, BaseException):
                if not isinstance(meeting, RestError):
                    raise meeting
                continue
            me = meeting.attendee(user.id)
            if me is not None and me.response == "needs-action" and not meeting.is_organizer(user.id):
                waiting.append(meeting)
        return waiting

    def _show(self, upcoming: list[Occurrence], invitations: list[Meeting], now: dt.datetime) -> None:
        for row in [*self.rows, *self.invitation_rows]:
            row.hide()
            row.deleteLater()
        self.rows, self.invitation_rows = [], []
        for occurrence in upcoming:
            row = UpcomingRow(occurrence, self.zone)
            row.join_button.clicked.connect(lambda _c=False, r=occurrence.room_id: self.join_requested.emit(r))
            row.update_for(now)
            self.meetings.addWidget(row)
            self.rows.append(row)
        self.empty.setVisible(not upcoming)
        for meeting in invitations:
            invitation = InvitationRow(meeting, self.zone)
            invitation.accept_button.clicked.connect(
                lambda _c=False, m=meeting.meeting_id: self._respond(m, "accepted")
            )
            invitation.decline_button.clicked.connect(
                lambda _c=False, m=meeting.meeting_id: self._respond(m, "declined")
            )
            self.invitations.addWidget(invitation)
            self.invitation_rows.append(invitation)
        self.invitations_title.setText(CalendarTexts().invitations(len(invitations)))
        self.invitations_title.setVisible(bool(invitations))

    def _respond(self, meeting_id: str, response: Literal["accepted", "declined"]) -> None:
        self.tasks.spawn(self.respond(meeting_id, response), name="respond")

    async def respond(self, meeting_id: str, response: Literal["accepted", "declined"]) -> None:
        try:
            await ScheduleApi(self.context.api).respond(meeting_id, response)
        except RestError as exc:
            self.status.setText(messages.rest_error(exc))
            self.status.show()
            return
        self.toast.emit(self.tr("Invitation accepted") if response == "accepted" else self.tr("Invitation declined"))
        self.refresh()
        self.context.reminders.refresh_now()  # a declined meeting is not reminded of

    async def shutdown(self) -> None:
        self.timer.stop()
        await self.tasks.close()
        await self.loading.close()
