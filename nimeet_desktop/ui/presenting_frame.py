"""A frame around what we share, with a "You are presenting" tab: so nobody forgets that the others see it.

The frame is a window of its own, on top, that takes no input and is only its border: a window shaped with a mask
(not a translucent one), so it looks the same with or without a compositor. It follows a shared window as it moves
(its place looked up twice a second off the GUI thread). On X11 the region captured is the screen's, so people
sharing a whole monitor see the frame's thin border and its tab at its edges too; around a window, the frame and
its tab sit just outside it and the others do not see them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from PySide6.QtCore import QRect, Qt, QTimer
from PySide6.QtGui import QGuiApplication, QPainter, QPaintEvent, QRegion
from PySide6.QtWidgets import QWidget

from nimeet_desktop.task_set import TaskSet
from nimeet_desktop.ui import theme

logger = logging.getLogger(__name__)

BORDER = 4
TAB_HEIGHT = 24
TAB_PADDING = 12
FOLLOW_MS = 500

Area = tuple[int, int, int, int]  # left, top, width, height in the display's (device) pixels


class PresentingFrame(QWidget):
    """``area()`` (blocking: called in a worker thread) says where the shared thing is now."""

    def __init__(self, area: Callable[[], Area | None]) -> None:
        flags = (
            Qt.WindowType.Tool
            | Qt.WindowType.FramelessWindowHint
            | Qt.WindowType.WindowStaysOnTopHint
            | Qt.WindowType.WindowTransparentForInput
            | Qt.WindowType.WindowDoesNotAcceptFocus
        )
        super().__init__(None, flags)
        self.setObjectName("presentingFrame")
        self.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)
        self._area = area
        self.text = self.tr("You are presenting")
        self.shown_area: Area | None = None
        self._tab = QRect()
        self._tasks = TaskSet("ui.presenting-frame", log=logger)
        self._timer = QTimer(self)
        self._timer.setInterval(FOLLOW_MS)
        self._timer.timeout.connect(lambda: self._tasks.spawn(self._follow(), name="presenting-frame"))

    def start(self) -> None:
        self._timer.start()
        self._tasks.spawn(self._follow(), name="presenting-frame")

    async def stop(self) -> None:
        self._timer.stop()
        self.hide()
        await self._tasks.close()

    async def _follow(self) -> None:
        area = await asyncio.to_thread(self._area)
        if area is None:
            self.hide()
            return
        if area != self.shown_area or not self.isVisible():
            self._place(area)

    def _place(self, area: Area) -> None:
        self.shown_area = area
        ratio, screen_top = self.devicePixelRatioF() or 1.0, 0
        for screen in QGuiApplication.screens():  # the screen it is on says how many device pixels a pixel is
            geometry = screen.geometry()
            if geometry.contains(int(area[0] / screen.devicePixelRatio()), int(area[1] / screen.devicePixelRatio())):
                ratio, screen_top = screen.devicePixelRatio(), geometry.top()
                break
        left, top, width, height = (round(value / ratio) for value in area)
        tab_width = self.fontMetrics().horizontalAdvance(self.text) + 2 * TAB_PADDING
        # The tab sits above the area, outside what is captured; a whole screen has no room above it, so there it
        # sits inside, at the top, and the others see it too.
        above = TAB_HEIGHT if top - BORDER - TAB_HEIGHT >= screen_top else 0
        outer = QRect(left - BORDER, top - BORDER - above, width + 2 * BORDER, height + 2 * BORDER + above)
        self.setGeometry(outer)
        ring = QRegion(0, above, outer.width(), outer.height() - above).subtracted(
            QRegion(BORDER, BORDER + above, width, height)
        )
        self._tab = QRect((outer.width() - tab_width) // 2, 0, tab_width, TAB_HEIGHT)
        self.setMask(ring.united(QRegion(self._tab)))
        self.show()
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), theme.PRESENTING)
        painter.setPen(theme.ON_ACCENT)
        painter.drawText(self._tab, Qt.AlignmentFlag.AlignCenter, self.text)
