"""History and statistics: the user's last 30 days (totals and a chart of minutes per day) and, per room, its
meetings with their date, length and who took part (the server's ``/api/stats/me`` and ``/sessions``)."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any

from PySide6.QtCore import QCoreApplication, QDateTime, QEvent, QLocale, Qt, QTimeZone, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from nimeet_desktop.net.rest import ApiError, RestError
from nimeet_desktop.task_set import TaskSet
from nimeet_desktop.ui import icons, messages
from nimeet_desktop.ui.context import AppContext
from nimeet_desktop.ui.form import card, title
from nimeet_desktop.ui.untrusted import NAME_CHARS, clip, isolate, plain_label, tooltip
from nimeet_desktop.ui.usage_chart import DayUsage, UsageChart
from signaling_server.protocol import MeetingSession, MyStatsResponse, Room, SessionParticipant

logger = logging.getLogger(__name__)

ROOM_ROLE = Qt.ItemDataRole.UserRole


def local_time(moment: datetime) -> QDateTime:
    """A UTC time from the server as this computer's local time."""
    return QDateTime.fromMSecsSinceEpoch(round(moment.timestamp() * 1000)).toLocalTime()


def when_text(moment: datetime) -> str:
    """ "3 December 2026, 14:05" in the UI language (QLocale's month names and time format)."""
    shown = local_time(moment)
    locale = QLocale()
    day = locale.toString(shown.date(), QCoreApplication.translate("HistoryView", "d MMMM yyyy"))
    return f"{day}, {locale.toString(shown.time(), QLocale.FormatType.ShortFormat)}"


def time_text(moment: datetime) -> str:
    return QLocale().toString(local_time(moment).time(), QLocale.FormatType.ShortFormat)


def session_seconds(session: MeetingSession, now: datetime) -> int:
    return max(0, round(((session.ended_at or now) - session.started_at).total_seconds()))


class HistoryView(QWidget):
    back = Signal()

    def __init__(self, context: AppContext) -> None:
        super().__init__()
        self.context = context
        self.loading = TaskSet("ui.history", log=logger)
        # The latest load of each kind supersedes one still out: an older answer must not land on top of a newer one.
        self._stats_task: asyncio.Task[Any] | None = None
        self._rooms_task: asyncio.Task[Any] | None = None
        self._sessions_task: asyncio.Task[Any] | None = None

        self.back_button = QPushButton(self.tr("Back"))
        self.back_button.setObjectName("historyBack")
        self.refresh_button = QPushButton(icons.icon("refresh"), "")
        self.refresh_button.setObjectName("historyRefresh")
        self.refresh_button.setToolTip(self.tr("Refresh"))
        self.refresh_button.setAccessibleName(self.tr("Refresh"))
        header = QHBoxLayout()
        heading = title(self.tr("History and statistics"))
        heading.setObjectName("historyTitle")
        header.addWidget(heading, 1)
        header.addWidget(self.refresh_button, 0, Qt.AlignmentFlag.AlignTop)
        header.addWidget(self.back_button, 0, Qt.AlignmentFlag.AlignTop)

        stats, stats_layout = card()
        self.meetings_label = plain_label()
        self.meetings_label.setObjectName("statMeetings")
        self.minutes_label = plain_label()
        self.minutes_label.setObjectName("statMinutes")
        self.hosted_label = plain_label()
        self.hosted_label.setObjectName("statHosted")
        totals = QHBoxLayout()
        totals.setSpacing(24)
        for label in (self.meetings_label, self.minutes_label, self.hosted_label):
            label.setProperty("role", "title")
            totals.addWidget(label)
        totals.addStretch(1)
        self.chart = UsageChart()
        self.chart_note = plain_label(self.tr("Bars: minutes in meetings per day; numbers: meetings that day."))
        self.chart_note.setProperty("role", "secondary")
        self.stats_status = plain_label()
        self.stats_status.setObjectName("statsStatus")
        stats_layout.addWidget(title(self.tr("Your last 30 days")))
        stats_layout.addLayout(totals)
        stats_layout.addWidget(self.chart, 1)
        stats_layout.addWidget(self.chart_note)
        stats_layout.addWidget(self.stats_status)

        rooms, rooms_layout = card()
        self.room_box = QComboBox()
        self.room_box.setObjectName("historyRoom")
        self.room_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.room_box.setMinimumContentsLength(24)
        self.sessions = QTreeWidget()
        self.sessions.setObjectName("roomSessions")
        self.sessions.setColumnCount(3)
        self.sessions.setHeaderLabels([self.tr("When"), self.tr("Duration"), self.tr("Who took part")])
        self.sessions.setAlternatingRowColors(True)
        self.sessions.setUniformRowHeights(True)
        self.sessions.header().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.sessions.header().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.sessions.header().setStretchLastSection(True)
        self.sessions_status = plain_label()
        self.sessions_status.setObjectName("sessionsStatus")
        room_row = QHBoxLayout()
        room_row.addWidget(title(self.tr("Meetings in")))
        room_row.addWidget(self.room_box, 1)
        rooms_layout.addLayout(room_row)
        rooms_layout.addWidget(self.sessions, 1)
        rooms_layout.addWidget(self.sessions_status)

        outer = QVBoxLayout(self)
        outer.setContentsMargins(32, 24, 32, 24)
        outer.setSpacing(16)
        outer.addLayout(header)
        outer.addWidget(stats, 1)
        outer.addWidget(rooms, 1)

        self.back_button.clicked.connect(self.back)
        self.refresh_button.clicked.connect(self.refresh)
        self.room_box.currentIndexChanged.connect(lambda _index: self._load_selected_room())

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            self.refresh_button.setIcon(icons.icon("refresh"))
        super().changeEvent(event)

    # ---- data -------------------------------------------------------------------------------------------

    def refresh(self) -> None:
        for task in (self._stats_task, self._rooms_task):
            if task is not None:
                task.cancel()
        self._stats_task = self.loading.spawn(self._load_stats(), name="load-stats")
        self._rooms_task = self.loading.spawn(self._load_rooms(), name="load-history-rooms")

    async def _load_stats(self) -> None:
        self.stats_status.setText(self.tr("Loading…"))
        self.stats_status.show()
        # The days are this computer's calendar days: the server counts them in its time zone.
        zone = bytes(QTimeZone.systemTimeZoneId().data()).decode("ascii", "replace") or "UTC"
        try:
            stats = await self.context.api.my_stats(zone)
        except ApiError as exc:
            if exc.status != 422:
                self._stats_failed(exc)
                return
            try:  # a zone the server does not know: its UTC days rather than nothing
                stats = await self.context.api.my_stats("UTC")
            except RestError as again:
                self._stats_failed(again)
                return
        except RestError as exc:
            self._stats_failed(exc)
            return
        self.show_stats(stats)

    def _stats_failed(self, exc: RestError) -> None:
        self.stats_status.setText(
            self.tr("Could not load your statistics. {reason}").format(reason=messages.rest_error(exc))
        )
        self.stats_status.show()

    def show_stats(self, stats: MyStatsResponse) -> None:
        self.meetings_label.setText(self.tr("%n meeting(s)", "", stats.meetings))
        self.minutes_label.setText(self.tr("%n minute(s)", "", stats.minutes))
        self.hosted_label.setText(self.tr("%n in your rooms", "", stats.hosted))
        self.chart.set_days([DayUsage(day.date, day.minutes, day.meetings) for day in stats.days])
        self.stats_status.setText("")
        self.stats_status.hide()

    async def _load_rooms(self) -> None:
        try:
            rooms = await self.context.api.list_rooms()
        except RestError as exc:
            self._sessions_failed(exc)
            return
        selected = self.selected_room()
        self.room_box.blockSignals(True)
        self.room_box.clear()
        for room in rooms:
            self.room_box.addItem(isolate(room.name, NAME_CHARS), room)
            self.room_box.setItemData(self.room_box.count() - 1, tooltip(room.name), Qt.ItemDataRole.ToolTipRole)
        ids = [room.room_id for room in rooms]
        self.room_box.setCurrentIndex(ids.index(selected) if selected in ids else 0 if ids else -1)
        self.room_box.blockSignals(False)
        if not rooms:
            self.sessions.clear()
            self.sessions_status.setText(self.tr("No rooms yet: meetings you hold or join appear here."))
            self.sessions_status.show()
            return
        self._load_selected_room()

    def selected_room(self) -> str | None:
        room = self.room_box.currentData()
        return room.room_id if isinstance(room, Room) else None

    def select_room(self, room_id: str) -> bool:
        for index in range(self.room_box.count()):
            room = self.room_box.itemData(index)
            if isinstance(room, Room) and room.room_id == room_id:
                self.room_box.setCurrentIndex(index)
                return True
        return False

    def _load_selected_room(self) -> None:
        room_id = self.selected_room()
        if room_id is None:
            return
        if self._sessions_task is not None:
            self._sessions_task.cancel()
        self._sessions_task = self.loading.spawn(self._load_sessions(room_id), name="load-sessions")

    async def _load_sessions(self, room_id: str) -> None:
        self.sessions_status.setText(self.tr("Loading…"))
        self.sessions_status.show()
        try:
            sessions = await self.context.api.room_sessions(room_id)
        except ApiError as exc:
            if exc.status == 403:
                self.sessions.clear()
                self.sessions_status.setText(
                    self.tr("Only the room's owner and people who took part see its meetings.")
                )
                self.sessions_status.show()
                return
            self._sessions_failed(exc)
            return
        except RestError as exc:
            self._sessions_failed(exc)
            return
        self.show_sessions(sessions)

    def _sessions_failed(self, exc: RestError) -> None:
        self.sessions_status.setText(
            self.tr("Could not load the room's meetings. {reason}").format(reason=messages.rest_error(exc))
        )
        self.sessions_status.show()

    def show_sessions(self, sessions: list[MeetingSession], now: datetime | None = None) -> None:
        now = now or datetime.now().astimezone()
        self.sessions.clear()
        for session in sessions:
            people = len({stay.user_id for stay in session.participants})
            length = self.duration_text(session_seconds(session, now)) if session.ended_at else self.tr("going on")
            item = QTreeWidgetItem([when_text(session.started_at), length, self.tr("%n person(s)", "", people)])
            item.setToolTip(2, self.tr("At most %n at once", "", session.peak_participants))
            for stay in session.participants:
                item.addChild(self._stay_item(stay))
            self.sessions.addTopLevelItem(item)
        latest = self.sessions.topLevelItem(0)
        if latest is not None:
            latest.setExpanded(True)  # the latest meeting's people at a glance
        self.sessions_status.setText("" if sessions else self.tr("No meetings in this room yet."))
        self.sessions_status.setVisible(not sessions)

    def _stay_item(self, stay: SessionParticipant) -> QTreeWidgetItem:
        until = time_text(stay.left_at) if stay.left_at else self.tr("now")
        span = self.tr("{start}–{end}").format(start=time_text(stay.joined_at), end=until)
        item = QTreeWidgetItem([span, self.duration_text(stay.duration_s), clip(stay.username, NAME_CHARS)])
        item.setToolTip(2, tooltip(stay.username))
        return item

    def duration_text(self, seconds: int) -> str:
        """ "45 seconds", "12 minutes", "1 h 5 min", with the UI language's plural forms."""
        if seconds < 60:
            return self.tr("%n second(s)", "", seconds)
        minutes = round(seconds / 60)
        if minutes < 60:
            return self.tr("%n minute(s)", "", minutes)
        hours, rest = divmod(minutes, 60)
        if not rest:
            return self.tr("{hours} h").format(hours=hours)
        return self.tr("{hours} h {minutes} min").format(hours=hours, minutes=rest)

    async def shutdown(self) -> None:
        await self.loading.close()
