"""The month page: six weeks of days, today marked, each day's meetings as coloured blocks (as many as fit, then
"+N more"). Painted with QPainter; a click on a block opens that meeting, a click elsewhere in a day picks the day."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from PySide6.QtCore import QLocale, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QFont, QMouseEvent, QPainter, QPaintEvent, QPalette, QResizeEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from nimeet_desktop.net.schedule_api import Occurrence
from nimeet_desktop.ui import theme
from nimeet_desktop.ui.calendar import days as calendar_days
from nimeet_desktop.ui.calendar.blocks import Block, block_at, paint_block, point_at_blocks
from nimeet_desktop.ui.calendar.texts import CalendarTexts
from nimeet_desktop.ui.calendar.zone import time_text
from nimeet_desktop.ui.untrusted import NAME_CHARS, isolate

HEADER_HEIGHT = 28
BLOCK_HEIGHT = 20
BLOCK_GAP = 2
DAY_NUMBER_HEIGHT = 24


class MonthView(QWidget):
    occurrence_clicked = Signal(object)  # Occurrence
    day_clicked = Signal(object)  # datetime.date

    def __init__(self, zone: ZoneInfo, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("monthView")
        self.zone = zone
        self.first_weekday = QLocale().firstDayOfWeek().value - 1  # Qt: 1 = Monday; ours: 0 = Monday
        self.anchor = dt.datetime.now(zone).date()
        self.today = self.anchor
        self.days: list[dt.date] = calendar_days.month_days(self.anchor, self.first_weekday)
        self.occurrences: list[Occurrence] = []
        self.blocks: list[Block] = []
        self.more: dict[dt.date, QRectF] = {}  # the "+N more" line of a day whose blocks do not all fit
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMouseTracking(True)

    def sizeHint(self) -> QSize:
        return QSize(700, 520)

    def minimumSizeHint(self) -> QSize:
        return QSize(420, 320)

    def show_month(self, anchor: dt.date, today: dt.date) -> None:
        self.anchor, self.today = anchor, today
        self.days = calendar_days.month_days(anchor, self.first_weekday)
        self._layout()

    def set_occurrences(self, occurrences: list[Occurrence]) -> None:
        self.occurrences = list(occurrences)
        self._layout()

    def span(self) -> tuple[dt.datetime, dt.datetime]:
        return calendar_days.span(self.days, self.zone)

    # ---- geometry ---------------------------------------------------------------------------------------

    def cell(self, index: int) -> QRectF:
        width = self.width() / 7
        height = (self.height() - HEADER_HEIGHT) / calendar_days.MONTH_WEEKS
        row, column = divmod(index, 7)
        return QRectF(column * width, HEADER_HEIGHT + row * height, width, height)

    def _layout(self) -> None:
        self.blocks = []
        self.more = {}
        for index, day in enumerate(self.days):
            cell = self.cell(index)
            pieces = calendar_days.pieces_on(day, self.occurrences, self.zone)
            room = int((cell.height() - DAY_NUMBER_HEIGHT - BLOCK_GAP) // (BLOCK_HEIGHT + BLOCK_GAP))
            shown = pieces if len(pieces) <= room else pieces[: max(0, room - 1)]
            top = cell.top() + DAY_NUMBER_HEIGHT
            for piece in shown:
                rect = QRectF(cell.left() + 3, top, cell.width() - 6, BLOCK_HEIGHT)
                self.blocks.append(Block(rect, piece.occurrence))
                top += BLOCK_HEIGHT + BLOCK_GAP
            if len(shown) < len(pieces):
                self.more[day] = QRectF(cell.left() + 3, top, cell.width() - 6, BLOCK_HEIGHT)
        self.update()

    def block_of(self, meeting_id: str, day: dt.date | None = None) -> Block | None:
        """The block of that meeting (on ``day``, when given): for tests and for keyboard users' future focus."""
        for block in self.blocks:
            if block.occurrence.meeting_id != meeting_id:
                continue
            if day is None or self.day_at(block.rect.center()) == day:
                return block
        return None

    def day_at(self, point: QPointF) -> dt.date | None:
        for index, day in enumerate(self.days):
            if self.cell(index).contains(point):
                return day
        return None

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._layout()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        point = event.position()
        if (block := block_at(self.blocks, point)) is not None:
            self.occurrence_clicked.emit(block.occurrence)
            return
        day = self.day_at(point)
        if day is not None:
            self.day_clicked.emit(day)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        point_at_blocks(self, self.blocks, event.position())

    # ---- painting -----------------------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        painter.fillRect(self.rect(), palette.color(QPalette.ColorRole.Base))
        line = theme.calendar_line(palette)
        text = palette.color(QPalette.ColorRole.Text)
        secondary = palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
        locale = QLocale()
        small = QFont(self.font())
        small.setPointSizeF(self.font().pointSizeF() * 0.9)
        painter.setFont(small)
        width = self.width() / 7
        for column in range(7):
            name = locale.dayName(self.days[column].isoweekday(), QLocale.FormatType.ShortFormat)
            painter.setPen(secondary)
            painter.drawText(
                QRectF(column * width, 0, width, HEADER_HEIGHT), Qt.AlignmentFlag.AlignCenter, name.upper()
            )
        # The grid as single lines (each cell's own rectangle would draw every inner line twice, unevenly thick).
        painter.setPen(line)
        for row in range(calendar_days.MONTH_WEEKS + 1):
            y = HEADER_HEIGHT + row * (self.height() - HEADER_HEIGHT - 1) / calendar_days.MONTH_WEEKS
            painter.drawLine(QPointF(0, y), QPointF(self.width(), y))
        for column in range(8):
            x = column * (self.width() - 1) / 7
            painter.drawLine(QPointF(x, HEADER_HEIGHT), QPointF(x, self.height()))
        for index, day in enumerate(self.days):
            cell = self.cell(index)
            number = QRectF(cell.left() + 4, cell.top() + 2, 22, 20)
            if day == self.today:
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(theme.TODAY)
                painter.drawEllipse(number)
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.setPen(theme.ON_ACCENT)
            else:
                painter.setPen(text if day.month == self.anchor.month else secondary)
            painter.drawText(number, Qt.AlignmentFlag.AlignCenter, locale.toString(day.day))
        metrics = painter.fontMetrics()
        for block in self.blocks:
            paint_block(painter, block, palette, 3)
            # Isolated: direction marks in a title must not move the time to its other side.
            label = f"{time_text(block.occurrence.start, self.zone)} {isolate(block.occurrence.title, NAME_CHARS)}"
            inner = block.rect.adjusted(6, 0, -3, 0)
            elided = metrics.elidedText(label, Qt.TextElideMode.ElideRight, int(inner.width()))
            painter.drawText(inner, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, elided)
        texts = CalendarTexts()
        for day, rect in self.more.items():
            hidden = len(calendar_days.pieces_on(day, self.occurrences, self.zone)) - sum(
                1 for b in self.blocks if self.day_at(b.rect.center()) == day
            )
            painter.setPen(secondary)
            more = metrics.elidedText(texts.more(hidden), Qt.TextElideMode.ElideRight, int(rect.width() - 6))
            painter.drawText(rect.adjusted(6, 0, 0, 0), Qt.AlignmentFlag.AlignVCenter, more)
        painter.end()
