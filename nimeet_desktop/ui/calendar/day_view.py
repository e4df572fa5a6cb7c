"""The day page: the week page's grid of hours with one column."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from PySide6.QtWidgets import QWidget

from nimeet_desktop.ui.calendar.week_view import TimeGridView


class DayView(TimeGridView):
    def __init__(self, zone: ZoneInfo, parent: QWidget | None = None) -> None:
        super().__init__(zone, 1, parent)
        self.setObjectName("dayView")


class WeekView(TimeGridView):
    def __init__(self, zone: ZoneInfo, parent: QWidget | None = None) -> None:
        super().__init__(zone, 7, parent)
        self.setObjectName("weekView")
