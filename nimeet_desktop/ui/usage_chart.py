"""The history screen's chart: minutes in meetings per day, with the day's meetings counted above each bar.

Drawn with QPainter (no image, no plotting library): bars in the theme's chart colour, text and grid lines from the
palette, so it follows light and dark. Hovering a bar shows its day in words.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from PySide6.QtCore import QDate, QEvent, QLocale, QPoint, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QHelpEvent, QMouseEvent, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from nimeet_desktop.ui import theme


@dataclass(frozen=True)
class DayUsage:
    day: date
    minutes: int
    meetings: int


# Room for the axis labels around the plot, in pixels.
_LEFT, _RIGHT, _TOP, _BOTTOM = 44, 8, 18, 22


class UsageChart(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("usageChart")
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self._days: list[DayUsage] = []
        self._hover: int | None = None

    @property
    def days(self) -> list[DayUsage]:
        return list(self._days)

    def set_days(self, days: list[DayUsage]) -> None:
        self._days = list(days)
        self._hover = None
        total = sum(day.minutes for day in days)
        self.setAccessibleName(self.tr("Minutes in meetings per day"))
        self.setAccessibleDescription(self.tr("%n minute(s) in the last 30 days", "", total))
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(560, 180)

    def minimumSizeHint(self) -> QSize:
        return QSize(240, 120)

    # ---- geometry --------------------------------------------------------------------------------------

    def _plot(self) -> QRectF:
        return QRectF(_LEFT, _TOP, max(1, self.width() - _LEFT - _RIGHT), max(1, self.height() - _TOP - _BOTTOM))

    def _scale_top(self) -> int:
        """The value of the top grid line: the largest day rounded up in its leading digit (65 -> 70, 340 -> 400),
        at least 10 minutes, so the tallest bar nearly fills the chart."""
        peak = max((day.minutes for day in self._days), default=0)
        if peak <= 10:
            return 10
        step = int(10 ** math.floor(math.log10(peak)))
        return math.ceil(peak / step) * step

    def _bar(self, index: int) -> QRectF:
        plot = self._plot()
        slot = plot.width() / max(1, len(self._days))
        gap = min(4.0, slot * 0.25)
        top = self._scale_top()
        height = plot.height() * self._days[index].minutes / top
        return QRectF(plot.left() + index * slot + gap / 2, plot.bottom() - height, slot - gap, height)

    def _index_at(self, point: QPoint) -> int | None:
        plot = self._plot()
        if not self._days or not plot.contains(point.toPointF()):
            return None
        slot = plot.width() / len(self._days)
        index = int((point.x() - plot.left()) // slot)
        return index if 0 <= index < len(self._days) else None

    # ---- painting --------------------------------------------------------------------------------------

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        text = palette.color(QPalette.ColorRole.WindowText)
        grid = palette.color(QPalette.ColorRole.PlaceholderText)
        plot = self._plot()
        top = self._scale_top()
        metrics = painter.fontMetrics()

        # Grid: the zero line, the middle and the top, each labelled with its minutes.
        for fraction in (0.0, 0.5, 1.0):
            y = plot.bottom() - plot.height() * fraction
            pen = QPen(grid, 1, Qt.PenStyle.SolidLine if fraction == 0 else Qt.PenStyle.DotLine)
            painter.setPen(pen)
            painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            painter.setPen(text)
            label = self.locale().toString(round(top * fraction))
            box = QRectF(0, y - metrics.height() / 2, _LEFT - 6, metrics.height())
            painter.drawText(box, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, label)

        for index, day in enumerate(self._days):
            bar = self._bar(index)
            if day.minutes:
                painter.fillRect(bar, theme.CHART_BAR_HOVER if index == self._hover else theme.CHART_BAR)
            if day.meetings:
                painter.setPen(text)
                above = QRectF(bar.left() - 6, bar.top() - metrics.height() - 1, bar.width() + 12, metrics.height())
                painter.drawText(above, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom, str(day.meetings))

        # Dates under the first, middle and last day: enough to read the axis without crowding it.
        if self._days:
            painter.setPen(text)
            last = len(self._days) - 1
            ends = (
                (0, Qt.AlignmentFlag.AlignLeft),
                (last // 2, Qt.AlignmentFlag.AlignHCenter),
                (last, Qt.AlignmentFlag.AlignRight),
            )
            for index, align in ends:
                bar = self._bar(index)
                label = self._short_date(self._days[index].day)
                width = metrics.horizontalAdvance(label) + 4
                if align == Qt.AlignmentFlag.AlignLeft:
                    left = bar.left()
                elif align == Qt.AlignmentFlag.AlignRight:
                    left = bar.right() - width
                else:
                    left = bar.center().x() - width / 2
                box = QRectF(left, plot.bottom() + 3, width, _BOTTOM - 3)
                painter.drawText(box, align | Qt.AlignmentFlag.AlignTop, label)
        painter.end()

    def _short_date(self, day: date) -> str:
        # The UI language's own order and month names ("3 Dec" / "3 дек."), not a fixed pattern.
        return self.locale().toString(QDate(day.year, day.month, day.day), self.tr("d MMM"))

    # ---- hover -----------------------------------------------------------------------------------------

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        index = self._index_at(event.position().toPoint())
        if index != self._hover:
            self._hover = index
            self.update()
        super().mouseMoveEvent(event)

    def leaveEvent(self, event: QEvent) -> None:
        self._hover = None
        self.update()
        super().leaveEvent(event)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            index = self._index_at(event.pos())
            if index is None:
                QToolTip.hideText()
            else:
                QToolTip.showText(event.globalPos(), self.day_text(index), self)
            return True
        return super().event(event)

    def day_text(self, index: int) -> str:
        """The day's numbers in words, for the tooltip: "Wednesday, 3 December: 2 meetings, 45 minutes"."""
        day = self._days[index]
        when = self.locale().toString(QDate(day.day.year, day.day.month, day.day.day), QLocale.FormatType.LongFormat)
        return self.tr("{day}: {meetings}, {minutes}").format(
            day=when,
            meetings=self.tr("%n meeting(s)", "", day.meetings),
            minutes=self.tr("%n minute(s)", "", day.minutes),
        )
