"""Waiting in a room's lobby: the join was answered ``waiting: true``, and a host has yet to let us in.

The call is open underneath (the engine's socket waits in the lobby): Cancel leaves it, as the call's Leave does.
What follows is the engine's news, through ``MainWindow``: ``show_admitted`` (the call), or ``show_call_ended``
(denied, the meeting ended, the room deleted).
"""

from __future__ import annotations

import time

from PySide6.QtCore import QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QHideEvent, QPainter, QPaintEvent, QPalette, QShowEvent
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from nimeet_desktop.ui import theme
from nimeet_desktop.ui.form import card, centred, title
from nimeet_desktop.ui.untrusted import ElidedLabel, plain_label

CARD_WIDTH = 460
SWEEP_S = 1.6  # one pass of the busy bar's segment, there and back in twice that
FRAME_MS = 33


class BusyBar(QWidget):
    """A thin track with a segment gliding to and fro: "still waiting", with no end in sight.

    Not an indeterminate QProgressBar: Fusion draws that as a full bar, which reads as "done" when its animation
    is not running (a screenshot, a busy machine)."""

    def __init__(self) -> None:
        super().__init__()
        self.setFixedHeight(4)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self._timer = QTimer(self)
        self._timer.setInterval(FRAME_MS)
        self._timer.timeout.connect(self.update)

    def sizeHint(self) -> QSize:
        return QSize(200, 4)

    def showEvent(self, event: QShowEvent) -> None:
        self._timer.start()  # only while it shows: a hidden screen costs nothing
        super().showEvent(event)

    def hideEvent(self, event: QHideEvent) -> None:
        self._timer.stop()
        super().hideEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        radius = self.height() / 2
        track = QColor(self.palette().color(QPalette.ColorRole.WindowText))  # faint in either scheme
        track.setAlpha(40)
        painter.setBrush(track)
        painter.drawRoundedRect(QRectF(self.rect()), radius, radius)
        phase = (time.monotonic() / SWEEP_S) % 2.0
        position = phase if phase <= 1.0 else 2.0 - phase  # 0 → 1 → 0
        segment = self.width() * 0.3
        painter.setBrush(theme.ACCENT)
        painter.drawRoundedRect(QRectF(position * (self.width() - segment), 0, segment, self.height()), radius, radius)


class LobbyView(QWidget):
    cancelled = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("lobbyView")
        frame, layout = card()
        self.heading = title(self.tr("Waiting for the host to let you in"))
        self.heading.setObjectName("lobbyTitle")
        self.heading.setWordWrap(True)
        # The room's name: the server's words, elided to the card's width.
        self.room_label = ElidedLabel()
        self.room_label.setObjectName("lobbyRoom")
        self.busy = BusyBar()
        self.busy.setObjectName("lobbyBusy")
        explanation = plain_label(self.tr("You join the call as soon as a host lets you in."))
        explanation.setObjectName("lobbyExplanation")
        explanation.setWordWrap(True)
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self.cancel_button.setObjectName("lobbyCancel")
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        layout.addWidget(self.heading)
        layout.addWidget(self.room_label)
        layout.addSpacing(4)
        layout.addWidget(self.busy)
        layout.addSpacing(4)
        layout.addWidget(explanation)
        layout.addLayout(buttons)

        outer = QVBoxLayout(self)
        outer.addStretch(1)
        outer.addLayout(centred(frame, CARD_WIDTH))
        outer.addStretch(2)
        self.cancel_button.clicked.connect(self.cancelled)

    def open(self, room_name: str) -> None:
        self.room_label.setText(room_name)
        self.cancel_button.setEnabled(True)
        self.cancel_button.setFocus()

    async def shutdown(self) -> None:
        """Nothing of its own runs: the call it waits for is the call view's."""
