"""Reactions: the row of emoji to send one (``ReactionPicker``, in a menu above the control bar's button), and an
emoji floating up over a tile and fading for ``FLOAT_MS`` (``ReactionBubble``).

A bubble is a small child widget of the tile, moved by one ``QVariantAnimation``: the emoji is drawn once into a
pixmap (per emoji, size and scale) and each step only moves the widget and blits that pixmap with some opacity. The
tile's own painting (its video, 30 times a second) is untouched; Qt repaints the strip the bubble leaves behind.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QEasingCurve, QPoint, QRectF, QSize, Qt, QVariantAnimation, Signal
from PySide6.QtGui import QFont, QPainter, QPaintEvent, QPixmap
from PySide6.QtWidgets import QHBoxLayout, QMenu, QToolButton, QWidget, QWidgetAction

from nimeet_desktop.ui.meeting.texts import reaction_name
from signaling_server.protocol import REACTIONS

FLOAT_MS = 3000
RISE_FRACTION = 0.55  # of the tile's height, from its lower part upwards
FADE_FROM = 0.6  # of the way: fully opaque until then, then fading out
MAX_BUBBLES = 6  # on one tile at once; the oldest goes first
BUBBLE_FRACTION = 0.22  # the emoji's size against the tile's shorter side
BUBBLE_MIN, BUBBLE_MAX = 28, 64  # logical px

_PIXMAPS: dict[tuple[str, int, float], QPixmap] = {}


def emoji_pixmap(emoji: str, side: int, device_pixel_ratio: float) -> QPixmap:
    """``emoji`` drawn once at ``side`` logical px (the system's colour emoji font), transparent around it."""
    key = (emoji, side, device_pixel_ratio)
    cached = _PIXMAPS.get(key)
    if cached is not None:
        return cached
    physical = max(1, math.ceil(side * device_pixel_ratio))
    pixmap = QPixmap(physical, physical)
    pixmap.setDevicePixelRatio(device_pixel_ratio)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
    font = QFont()
    font.setPixelSize(max(1, round(side * 0.8)))
    painter.setFont(font)
    painter.drawText(QRectF(0, 0, side, side), Qt.AlignmentFlag.AlignCenter, emoji)
    painter.end()
    if len(_PIXMAPS) > 64:
        _PIXMAPS.clear()
    _PIXMAPS[key] = pixmap
    return pixmap


class ReactionBubble(QWidget):
    """One emoji rising over ``tile`` and fading; it deletes itself when done. Clicks go through it to the tile."""

    def __init__(self, emoji: str, tile: QWidget, lane: int) -> None:
        super().__init__(tile)
        self.setObjectName("reactionBubble")
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground)
        self.emoji = emoji
        self.opacity = 1.0
        side = round(min(tile.width(), tile.height()) * BUBBLE_FRACTION)
        self.side = max(BUBBLE_MIN, min(BUBBLE_MAX, side))
        self.setFixedSize(self.side, self.side)
        self.pixmap = emoji_pixmap(emoji, self.side, self.devicePixelRatioF())
        # Lanes left and right of the centre, so a burst of reactions does not stack into one spot.
        offset = (-1 if lane % 2 else 1) * ((lane + 1) // 2) * self.side * 1.1
        self.left = round(tile.width() / 2 - self.side / 2 + offset)
        self.start_y = round(tile.height() * 0.8 - self.side / 2)
        self.rise = tile.height() * RISE_FRACTION
        self.animation = QVariantAnimation(self)
        self.animation.setStartValue(0.0)
        self.animation.setEndValue(1.0)
        self.animation.setDuration(FLOAT_MS)
        self.animation.setEasingCurve(QEasingCurve.Type.OutQuad)
        self.animation.valueChanged.connect(self._step)
        self.animation.finished.connect(self.deleteLater)
        self._step(0.0)
        self.show()
        self.animation.start()

    def _step(self, progress: object) -> None:
        value = float(progress) if isinstance(progress, float | int) else 0.0
        self.opacity = 1.0 if value < FADE_FROM else max(0.0, (1.0 - value) / (1.0 - FADE_FROM))
        self.move(QPoint(self.left, round(self.start_y - self.rise * value)))
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setOpacity(self.opacity)
        painter.drawPixmap(0, 0, self.pixmap)
        painter.end()


def float_reaction(tile: QWidget, emoji: str) -> ReactionBubble:
    """Start ``emoji`` floating over ``tile``; at most ``MAX_BUBBLES`` at once there (the oldest goes)."""
    bubbles = [b for b in tile.findChildren(ReactionBubble) if b.animation.state() == QVariantAnimation.State.Running]
    for old in bubbles[: max(0, len(bubbles) - MAX_BUBBLES + 1)]:
        old.animation.stop()
        old.deleteLater()
        bubbles.remove(old)
    return ReactionBubble(emoji, tile, lane=len(bubbles))


class ReactionPicker(QWidget):
    """The eight reactions in a row; ``picked`` carries the emoji."""

    picked = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("reactionPicker")
        self.buttons: list[QToolButton] = []
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.setSpacing(2)
        for emoji in REACTIONS:
            button = QToolButton()
            button.setObjectName("reactionChoice")
            button.setText(emoji)
            button.setToolTip(reaction_name(emoji))
            button.setAccessibleName(reaction_name(emoji))
            button.setMinimumSize(QSize(40, 40))
            button.clicked.connect(lambda _checked=False, e=emoji: self.picked.emit(e))
            layout.addWidget(button)
            self.buttons.append(button)


def reaction_menu(parent: QWidget) -> tuple[QMenu, ReactionPicker]:
    """A menu holding the picker; it closes when a reaction is picked."""
    menu = QMenu(parent)
    menu.setObjectName("reactionMenu")
    picker = ReactionPicker(menu)
    action = QWidgetAction(menu)
    action.setDefaultWidget(picker)
    menu.addAction(action)
    picker.picked.connect(lambda _emoji: menu.close())
    return menu, picker
