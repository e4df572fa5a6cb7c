"""The week page (and, with one column, the day page): a header of days over a scrolling grid of hours, meetings as
coloured blocks at their wall-clock time in the calendar's zone, side by side where they overlap, today's column
tinted and the current time a line across it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from PySide6.QtCore import QLocale, QPointF, QRectF, QSize, Qt, QTime, Signal
from PySide6.QtGui import QColor, QFont, QMouseEvent, QPainter, QPaintEvent, QPalette, QResizeEvent
from PySide6.QtWidgets import QFrame, QScrollArea, QSizePolicy, QVBoxLayout, QWidget

from nimeet_desktop.net.schedule_api import Occurrence
from nimeet_desktop.ui import theme
from nimeet_desktop.ui.calendar import blocks
from nimeet_desktop.ui.calendar import days as calendar_days
from nimeet_desktop.ui.calendar.zone import date_text, day_text, time_text
from nimeet_desktop.ui.untrusted import NAME_CHARS, clip, isolate

HOUR_HEIGHT = 44
GUTTER = 60  # the hours' column at the left
HEADER_HEIGHT = 40
DAY_MINUTES = 24 * 60
FIRST_HOUR_SHOWN = 7  # the grid opens scrolled to 07:00: the working day, not the night


@dataclass(frozen=True)
class Block(blocks.Block):
    day: dt.date


class _DayHeader(QWidget):
    """The days' names and dates above the columns (it does not scroll with the hours)."""

    def __init__(self, grid: HourGrid) -> None:
        super().__init__()
        self.grid = grid
        self.setFixedHeight(HEADER_HEIGHT)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        painter.fillRect(self.rect(), palette.color(QPalette.ColorRole.Base))
        secondary = palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
        text = palette.color(QPalette.ColorRole.Text)
        for index, day in enumerate(self.grid.days):
            column = self.grid.column(index)
            rect = QRectF(column.left(), 0, column.width(), HEADER_HEIGHT)
            label = day_text(day) if len(self.grid.days) > 1 else date_text(day, long=True)
            metrics = painter.fontMetrics()
            label = metrics.elidedText(label, Qt.TextElideMode.ElideRight, int(rect.width() - 8))
            if day == self.grid.today:
                width = min(rect.width() - 4, metrics.horizontalAdvance(label) + 16)
                pill = QRectF(rect.center().x() - width / 2, 8, width, HEADER_HEIGHT - 16)
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(theme.TODAY)
                painter.drawRoundedRect(pill, pill.height() / 2, pill.height() / 2)
                painter.setPen(theme.ON_ACCENT)
            else:
                painter.setPen(text if day >= self.grid.today else secondary)
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, label)
        painter.setPen(theme.calendar_line(palette))
        painter.drawLine(0, HEADER_HEIGHT - 1, self.width(), HEADER_HEIGHT - 1)
        painter.end()


class HourGrid(QWidget):
    """The 24 hours of ``days`` side by side; ``blocks`` is where each occurrence was laid out (tests click them)."""

    occurrence_clicked = Signal(object)  # Occurrence
    slot_clicked = Signal(object)  # an aware datetime: the half hour clicked, in the calendar's zone

    def __init__(self, zone: ZoneInfo, day_count: int) -> None:
        super().__init__()
        self.zone = zone
        self.day_count = day_count
        self.today = dt.datetime.now(zone).date()
        self.now: dt.datetime | None = None
        self.days: list[dt.date] = [self.today]
        self.occurrences: list[Occurrence] = []
        self.blocks: list[Block] = []
        self.setFixedHeight(HOUR_HEIGHT * 24 + 1)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMouseTracking(True)

    def sizeHint(self) -> QSize:
        return QSize(700, HOUR_HEIGHT * 24 + 1)

    def column(self, index: int) -> QRectF:
        width = (self.width() - GUTTER) / max(1, len(self.days))
        return QRectF(GUTTER + index * width, 0, width, self.height())

    def y_of(self, minute: int) -> float:
        return minute * HOUR_HEIGHT / 60

    def layout_blocks(self) -> None:
        self.blocks = []
        for index, day in enumerate(self.days):
            column = self.column(index)
            for piece in calendar_days.pieces_on(day, self.occurrences, self.zone):
                lane_width = (column.width() - 6) / piece.lanes
                top = self.y_of(piece.start_minute)
                height = max(self.y_of(piece.end_minute) - top, 18)
                rect = QRectF(column.left() + 2 + piece.lane * lane_width, top + 1, lane_width - 2, height - 2)
                self.blocks.append(Block(rect, piece.occurrence, day))
        self.update()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.layout_blocks()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        point = event.position()
        if (block := blocks.block_at(self.blocks, point)) is not None:
            self.occurrence_clicked.emit(block.occurrence)
            return
        moment = self.moment_at(point)
        if moment is not None:
            self.slot_clicked.emit(moment)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        blocks.point_at_blocks(self, self.blocks, event.position())

    def moment_at(self, point: QPointF) -> dt.datetime | None:
        for index, day in enumerate(self.days):
            if self.column(index).contains(point):
                half_hours = int(point.y() // (HOUR_HEIGHT / 2))
                hour, half = divmod(min(max(half_hours, 0), 47), 2)
                return dt.datetime.combine(day, dt.time(hour, 30 * half), self.zone)
        return None

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        painter.fillRect(self.rect(), palette.color(QPalette.ColorRole.Base))
        line = theme.calendar_line(palette)
        secondary = palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
        locale = QLocale()
        small = QFont(self.font())
        small.setPointSizeF(self.font().pointSizeF() * 0.9)
        painter.setFont(small)
        for index, day in enumerate(self.days):
            if day == self.today:
                tint = QColor(theme.TODAY)
                tint.setAlpha(22)
                painter.fillRect(self.column(index), tint)
        for hour in range(24):
            y = self.y_of(hour * 60)
            painter.setPen(line)
            painter.drawLine(QPointF(GUTTER, y), QPointF(self.width(), y))
            if hour:
                painter.setPen(secondary)
                label = locale.toString(QTime(hour, 0), QLocale.FormatType.ShortFormat)
                painter.drawText(
                    QRectF(0, y - 9, GUTTER - 8, 18), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, label
                )
        painter.setPen(line)
        for index in range(len(self.days)):
            x = self.column(index).left()
            painter.drawLine(QPointF(x, 0), QPointF(x, self.height()))
        metrics = painter.fontMetrics()
        for block in self.blocks:
            blocks.paint_block(painter, block, palette, 4)
            inner = block.rect.adjusted(7, 2, -4, -2)
            title = metrics.elidedText(
                clip(block.occurrence.title, NAME_CHARS), Qt.TextElideMode.ElideRight, int(inner.width())
            )
            when = f"{time_text(block.occurrence.start, self.zone)}–{time_text(block.occurrence.end, self.zone)}"
            if inner.height() >= 2 * metrics.height():
                painter.drawText(inner, Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft, title)
                lower = inner.adjusted(0, metrics.height(), 0, 0)
                painter.drawText(
                    lower,
                    Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft,
                    metrics.elidedText(when, Qt.TextElideMode.ElideRight, int(inner.width())),
                )
            else:
                one_line = metrics.elidedText(
                    f"{time_text(block.occurrence.start, self.zone)} {isolate(block.occurrence.title, NAME_CHARS)}",
                    Qt.TextElideMode.ElideRight,
                    int(inner.width()),
                )
                painter.drawText(inner, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, one_line)
        if self.now is not None and self.now.astimezone(self.zone).date() in self.days:
            local = self.now.astimezone(self.zone)
            column = self.column(self.days.index(local.date()))
            y = self.y_of(local.hour * 60 + local.minute)
            painter.setPen(theme.TODAY)
            painter.drawLine(QPointF(column.left(), y), QPointF(column.right(), y))
            painter.setBrush(theme.TODAY)
            painter.drawEllipse(QPointF(column.left(), y), 4, 4)
        painter.end()


class TimeGridView(QWidget):
    """A header and the scrolling hours for ``day_count`` days (7: the week page; 1: the day page)."""

    def __init__(self, zone: ZoneInfo, day_count: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.zone = zone
        self.first_weekday = QLocale().firstDayOfWeek().value - 1
        self.grid = HourGrid(zone, day_count)
        self.header = _DayHeader(self.grid)
        self.occurrence_clicked = self.grid.occurrence_clicked
        self.slot_clicked = self.grid.slot_clicked
        self.scroller = QScrollArea()
        self.scroller.setWidgetResizable(True)
        self.scroller.setFrameShape(QFrame.Shape.NoFrame)
        self.scroller.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroller.setWidget(self.grid)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.header)
        layout.addWidget(self.scroller, 1)
        self.scroll_to(FIRST_HOUR_SHOWN * 60)

    @property
    def days(self) -> list[dt.date]:
        return self.grid.days

    @property
    def blocks(self) -> list[Block]:
        return self.grid.blocks

    def show_days(self, anchor: dt.date, today: dt.date, now: dt.datetime | None = None) -> None:
        if self.grid.day_count == 7:
            self.grid.days = calendar_days.week_days(anchor, self.first_weekday)
        else:
            self.grid.days = [anchor]
        self.grid.today, self.grid.now = today, now
        self.grid.layout_blocks()
        self.header.update()

    def set_occurrences(self, occurrences: list[Occurrence]) -> None:
        self.grid.occurrences = list(occurrences)
        self.grid.layout_blocks()

    def span(self) -> tuple[dt.datetime, dt.datetime]:
        return calendar_days.span(self.grid.days, self.zone)

    def block_of(self, meeting_id: str, day: dt.date | None = None) -> Block | None:
        return next(
            (b for b in self.grid.blocks if b.occurrence.meeting_id == meeting_id and (day is None or b.day == day)),
            None,
        )

    def scroll_to(self, minute: int) -> None:
        """``minute`` of the day at the top, its hour's label whole (it is drawn across the line)."""
        self.scroller.verticalScrollBar().setValue(max(0, int(self.grid.y_of(minute)) - 10))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.header.update()
