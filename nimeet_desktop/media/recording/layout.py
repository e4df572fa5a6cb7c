"""Where each participant goes in a recorded picture: the grid as the call lays it out, or a shared screen featured.

A pure function of the count, so the recording's layout is predictable and testable; yuv420p halves both chroma
axes, so every rectangle starts and spans an even number of pixels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

GAP = 8
"""Pixels between tiles (and around them): the tiles read as separate pictures, as in the call's grid."""
STRIP_SHARE = 0.2
"""The width of the strip of cameras beside a featured screen, as a share of the picture's."""


@dataclass(frozen=True, slots=True)
class Rect:
    x: int
    y: int
    width: int
    height: int


def _even(value: float) -> int:
    """A size: even, and never empty."""
    return max(2, int(value) // 2 * 2)


def _at(value: float) -> int:
    """A position: even, rounded down."""
    return max(0, int(value) // 2 * 2)


def grid(count: int, width: int, height: int) -> list[Rect]:
    """``count`` equal 16:9 tiles, as square a grid as fits (1, 2 side by side, 2×2, 3×2, 3×3 …), centred."""
    if count <= 0:
        return []
    columns = math.ceil(math.sqrt(count))
    rows = math.ceil(count / columns)
    cell_w = (width - GAP * (columns + 1)) / columns
    cell_h = (height - GAP * (rows + 1)) / rows
    tile_w, tile_h = min(cell_w, cell_h * 16 / 9), min(cell_h, cell_w * 9 / 16)
    tile_w, tile_h = _even(tile_w), _even(tile_h)
    used_w = columns * tile_w + (columns - 1) * GAP
    used_h = rows * tile_h + (rows - 1) * GAP
    x0, y0 = (width - used_w) // 2, (height - used_h) // 2
    rects = []
    for index in range(count):
        row, column = divmod(index, columns)
        # The last row, when short, is centred like the call's grid does.
        in_row = min(columns, count - row * columns)
        row_x0 = x0 + (columns - in_row) * (tile_w + GAP) // 2
        rects.append(Rect(_at(row_x0 + column * (tile_w + GAP)), _at(y0 + row * (tile_h + GAP)), tile_w, tile_h))
    return rects


def featured(others: int, width: int, height: int) -> tuple[Rect, list[Rect]]:
    """A shared screen on the left, as large as fits, and ``others`` camera tiles stacked in a strip on the right
    (as many as fit; the rest are left out, as the call's strip scrolls)."""
    strip_w = _even(width * STRIP_SHARE) if others else 0
    main = Rect(GAP, GAP, _even(width - 2 * GAP - (strip_w + GAP if others else 0)), _even(height - 2 * GAP))
    tile_h = _even(strip_w * 9 / 16) if others else 0
    fits = max(0, (height - GAP) // (tile_h + GAP)) if others else 0
    strip = [
        Rect(_at(width - GAP - strip_w), _at(GAP + index * (tile_h + GAP)), strip_w, tile_h)
        for index in range(min(others, fits))
    ]
    return main, strip


def fit(frame_width: int, frame_height: int, box: Rect) -> Rect:
    """The largest rectangle of the frame's aspect inside ``box``, centred (letterboxed, never stretched)."""
    scale = min(box.width / frame_width, box.height / frame_height)
    w, h = _even(frame_width * scale), _even(frame_height * scale)
    w, h = min(w, box.width), min(h, box.height)
    return Rect(_at(box.x + (box.width - w) // 2), _at(box.y + (box.height - h) // 2), w, h)
