"""A meeting as the calendar paints it: a rectangle standing for one occurrence, and what the pointer does over it
(the month and the week/day grids share both)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QPainter, QPalette
from PySide6.QtWidgets import QWidget

from nimeet_desktop.net.schedule_api import Occurrence
from nimeet_desktop.ui import theme


@dataclass(frozen=True)
class Block:
    rect: QRectF
    occurrence: Occurrence


B = TypeVar("B", bound=Block)


def block_at(blocks: Sequence[B], point: QPointF) -> B | None:
    """The block under ``point``: where blocks overlap, the one painted last, which is the one seen."""
    return next((block for block in reversed(blocks) if block.rect.contains(point)), None)


def point_at_blocks(widget: QWidget, blocks: Sequence[Block], point: QPointF) -> None:
    """A pointing hand over a block (it opens on a click), the arrow elsewhere."""
    over = block_at(blocks, point) is not None
    widget.setCursor(Qt.CursorShape.PointingHandCursor if over else Qt.CursorShape.ArrowCursor)


def paint_block(painter: QPainter, block: Block, palette: QPalette, radius: float) -> None:
    """The block's fill and its edge on the left, in the meeting's own colour; leaves the pen in the colour for the
    block's text."""
    fill, edge, ink = theme.meeting_colors(block.occurrence.meeting_id, palette)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(fill)
    painter.drawRoundedRect(block.rect, radius, radius)
    painter.setBrush(edge)
    painter.drawRect(QRectF(block.rect.left(), block.rect.top(), 3, block.rect.height()))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.setPen(ink)
