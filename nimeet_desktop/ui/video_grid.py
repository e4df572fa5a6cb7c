"""The call's tiles laid out as a grid, or as one big focused tile over a strip of the others.

Focus is a pinned tile (the user double-clicked it) or else a featured one (the call window features a screen
share). A large room is shown a page at a time (``PAGE_SIZE`` tiles, 3×3; under a focused tile, ``STRIP_MAX``),
people who speak moving onto the first page; ``visible_changed`` tells whose tiles show, so that an SFU sends only
their video. The grid also runs the frame clock: one timer for all tiles asks each visible tile whether its source has a
new frame, so a tile repaints at most at the clock rate however fast frames arrive; its tiles share one
``FrameConverter``, whose thread turns those frames into images of each tile's size (docs/architecture.md).
"""

from __future__ import annotations

import math

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QPushButton, QWidget

from nimeet_desktop.ui import theme
from nimeet_desktop.ui.frame_converter import FrameConverter
from nimeet_desktop.ui.untrusted import plain_label
from nimeet_desktop.ui.video_tile import VideoTile

CLOCK_INTERVAL_MS = 16  # twice what cameras send: a 30 Hz look at 30 fps frames beats against them and misses some
SPACING = 8  # logical px between tiles and around the grid
FOCUS_STRETCH = 4  # the focused tile's row against each strip row's 1
STRIP_MAX = 6  # tiles per strip row under a focused tile; more wrap to another strip row
STRIP_MIN = 4  # a strip is laid out for at least this many columns, so two tiles are not half the width each
PAGE_SIZE = 9  # tiles per page of the grid: 3×3 stays readable on a laptop, and nine videos decode on a modest one


def grid_shape(count: int) -> tuple[int, int]:
    """(rows, cols) for ``count`` equal tiles: as square as possible, wider than tall when not square."""
    if count <= 1:
        return 1, 1
    cols = math.ceil(math.sqrt(count))
    return math.ceil(count / cols), cols


class VideoGrid(QWidget):
    """Owns the tiles' layout, the pin/featured focus, the pages, the frame clock and the tiles' converter."""

    visible_changed = Signal(list)  # the tile ids shown now (own tile included), after a page, order or count change

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.layout_grid = QGridLayout(self)
        self.layout_grid.setContentsMargins(SPACING, SPACING, SPACING, SPACING)
        self.layout_grid.setHorizontalSpacing(0)  # gutter columns instead: see _reflow
        self.layout_grid.setVerticalSpacing(SPACING)
        self._tiles: list[VideoTile] = []
        self._pinned: str | None = None
        self._featured: str | None = None
        self._page = 0
        self._visible: list[str] = []
        self._visible_of = 0  # how many tiles there were when ``_visible`` was told
        self.pager = QWidget(self)  # under the tiles: ‹ Page 2 of 3 ›; shown only when there is more than one page
        self.pager.setObjectName("gridPager")
        self.previous_page = QPushButton("‹")
        self.previous_page.setObjectName("previousPage")
        self.next_page = QPushButton("›")
        self.next_page.setObjectName("nextPage")
        for button in (self.previous_page, self.next_page):
            button.setFixedSize(36, 32)
        self.page_label = plain_label()
        self.page_label.setObjectName("pageLabel")
        self.page_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        pager_row = QHBoxLayout(self.pager)
        pager_row.setContentsMargins(0, 0, 0, 0)
        pager_row.addStretch(1)
        pager_row.addWidget(self.previous_page)
        pager_row.addWidget(self.page_label)
        pager_row.addWidget(self.next_page)
        pager_row.addStretch(1)
        self.previous_page.clicked.connect(lambda: self.set_page(self._page - 1))
        self.next_page.clicked.connect(lambda: self.set_page(self._page + 1))
        self._retranslate_pager()
        self.frames_painted = 0  # conversions the clock asked for because a tile had a new frame
        self._clock = QTimer(self)
        self._clock.setInterval(CLOCK_INTERVAL_MS)
        self._clock.timeout.connect(self._tick)
        self.converter = FrameConverter()  # its thread starts with the first frame, stops with the clock
        self.destroyed.connect(self.converter.stop)

    # ---- tiles ------------------------------------------------------------------------------------------

    def add_tile(self, tile: VideoTile) -> None:
        if self.tile(tile.tile_id) is not None:
            raise ValueError(f"a tile {tile.tile_id!r} is already in the grid")
        # Own tile first: people look for themselves in the same place every call.
        self._tiles.insert(0 if tile.is_self else len(self._tiles), tile)
        tile.setParent(self)
        tile.set_backdrop(theme.CALL_BACKGROUND)  # the call view's, around every tile
        tile.set_converter(self.converter)
        tile.pin_requested.connect(self.toggle_pin)
        self._reflow()  # shows it, if it is on the page in view

    def remove_tile(self, tile_id: str) -> VideoTile | None:
        """Take the tile out and delete it (later, once Qt is done with its events); the rest re-flow."""
        tile = self.tile(tile_id)
        if tile is None:
            return None
        self._tiles.remove(tile)
        tile.pin_requested.disconnect(self.toggle_pin)
        self.converter.forget(tile.slot)
        self.layout_grid.removeWidget(tile)
        tile.hide()  # until deleteLater runs it would still paint at its old place
        tile.deleteLater()
        if self._pinned == tile_id:
            self._pinned = None
        if self._featured == tile_id:
            self._featured = None
        self._reflow()
        return tile

    def tile(self, tile_id: str) -> VideoTile | None:
        return next((t for t in self._tiles if t.tile_id == tile_id), None)

    def tiles(self) -> list[VideoTile]:
        """In display order: own tile first, then in the order they were added (or moved up by ``bring_forward``)."""
        return list(self._tiles)

    # ---- pages ------------------------------------------------------------------------------------------

    @property
    def page(self) -> int:
        return self._page

    @property
    def page_count(self) -> int:
        return max(1, math.ceil(len(self._pageable()) / self._page_size()))

    def visible_tile_ids(self) -> list[str]:
        return list(self._visible)

    def set_page(self, page: int) -> None:
        page = min(max(page, 0), self.page_count - 1)
        if page != self._page:
            self._page = page
            self._reflow()

    def swap(self, tile_id: str, other_id: str) -> None:
        """Put each of the two tiles where the other was (a speaker off the page takes the place of someone quiet
        on it); every other tile stays where it is."""
        first, second = self.tile(tile_id), self.tile(other_id)
        if first is None or second is None or first is second:
            return
        i, j = self._tiles.index(first), self._tiles.index(second)
        self._tiles[i], self._tiles[j] = second, first
        self._reflow()

    def _page_size(self) -> int:
        return STRIP_MAX if self.tile(self.focused_tile_id or "") is not None else PAGE_SIZE

    def _pageable(self) -> list[VideoTile]:
        focused = self.tile(self.focused_tile_id or "")
        return [t for t in self._tiles if t is not focused]

    def _retranslate_pager(self) -> None:
        self.previous_page.setToolTip(self.tr("Previous page"))
        self.next_page.setToolTip(self.tr("Next page"))
        self.previous_page.setAccessibleName(self.tr("Previous page"))
        self.next_page.setAccessibleName(self.tr("Next page"))
        self.page_label.setText(self.tr("Page {page} of {count}").format(page=self._page + 1, count=self.page_count))

    # ---- the meeting: hands and reactions ---------------------------------------------------------------

    def set_hand_raised(self, tile_id: str, raised: bool) -> None:
        """Show or take away the raised hand on ``tile_id``'s tile (nothing if there is no such tile)."""
        tile = self.tile(tile_id)
        if tile is not None:
            tile.set_hand_raised(raised)

    def show_reaction(self, tile_id: str, emoji: str) -> bool:
        """``emoji`` floats up over ``tile_id``'s tile; False if there is no such tile."""
        tile = self.tile(tile_id)
        if tile is None:
            return False
        tile.show_reaction(emoji)
        return True

    # ---- focus ------------------------------------------------------------------------------------------

    @property
    def focused_tile_id(self) -> str | None:
        """The tile in the big spot: the pinned one, else the featured one, else None (a plain grid)."""
        return self._pinned or self._featured

    @property
    def pinned_tile_id(self) -> str | None:
        return self._pinned

    @property
    def featured_tile_id(self) -> str | None:
        return self._featured

    def set_featured(self, tile_id: str | None) -> None:
        """Give ``tile_id`` (a screen share) the big spot unless a pin overrides it; None or unknown: no feature."""
        featured = tile_id if tile_id is not None and self.tile(tile_id) is not None else None
        if featured != self._featured:
            self._featured = featured
            self._reflow()

    def toggle_pin(self, tile_id: str) -> None:
        """Pin ``tile_id``; pinning the pinned tile unpins it. Connected to every tile's double-click."""
        self.set_pinned(None if self._pinned == tile_id else tile_id)

    def set_pinned(self, tile_id: str | None) -> None:
        pinned = tile_id if tile_id is not None and self.tile(tile_id) is not None else None
        if pinned != self._pinned:
            self._pinned = pinned
            self._reflow()

    # ---- frame clock ------------------------------------------------------------------------------------

    def start_clock(self) -> None:
        self._clock.start()

    def stop_clock(self) -> None:
        """Stop the clock and the converter's thread (idempotent); start_clock and a new frame start them again."""
        self._clock.stop()
        self.converter.stop()

    @property
    def clock_running(self) -> bool:
        return self._clock.isActive()

    def _tick(self) -> None:
        for tile in self._tiles:
            if tile.refresh():  # nothing for a tile nobody can see
                self.frames_painted += 1

    # ---- layout -----------------------------------------------------------------------------------------

    def _reflow(self) -> None:
        """Place every tile afresh. Cheap (a handful of widgets) and far simpler than moving tiles around.

        Column scheme: each tile is two "half" columns wide, so a short last row can be centred by an odd
        number of halves. Half ``h`` is layout column ``2h``; the odd columns between halves are fixed
        ``SPACING``-wide gutters. The layout's own horizontal spacing is 0 because QGridLayout applies it
        unevenly inside multi-column spans (some tiles came out 8 px narrower than their neighbours);
        explicit gutters make every tile exactly two halves and one gutter wide.
        """
        grid = self.layout_grid
        while grid.count():
            grid.takeAt(0)  # the tiles stay our children; only their layout items go
        # Stretches stick to row/column numbers, and the grid never shrinks its row/column count: reset them all.
        for row in range(grid.rowCount()):
            grid.setRowStretch(row, 0)
        for col in range(grid.columnCount()):
            grid.setColumnStretch(col, 0)
            grid.setColumnMinimumWidth(col, 0)
        for tile in self._tiles:
            tile.set_pinned(tile.tile_id == self._pinned)

        focused = self.tile(self.focused_tile_id) if self.focused_tile_id else None
        pageable, size = self._pageable(), self._page_size()
        pages = max(1, math.ceil(len(pageable) / size))
        self._page = min(self._page, pages - 1)
        shown = pageable[self._page * size : (self._page + 1) * size]
        for tile in pageable:
            tile.setVisible(tile in shown)
        if focused is None:
            rows, cols = grid_shape(len(shown))
            self._place_rows(shown, first_row=0, cols=cols)
            for row in range(rows):
                grid.setRowStretch(row, 1)
            used_rows = rows
        else:
            focused.setVisible(True)
            cols = max(STRIP_MIN, min(STRIP_MAX, len(shown)))
            grid.addWidget(focused, 0, 0, 1, _span(2 * cols))
            grid.setRowStretch(0, FOCUS_STRETCH)
            strip_rows = self._place_rows(shown, first_row=1, cols=cols)
            for row in range(1, 1 + strip_rows):
                grid.setRowStretch(row, 1)
            used_rows = 1 + strip_rows
        self.pager.setVisible(pages > 1)
        if pages > 1:
            grid.addWidget(self.pager, used_rows, 0, 1, _span(2 * cols))
        self._retranslate_pager()
        self.previous_page.setEnabled(self._page > 0)
        self.next_page.setEnabled(self._page < pages - 1)
        visible = [t.tile_id for t in ([focused] if focused is not None else []) + shown]
        # Told again when only the number of tiles changed: a tile added off the page leaves the view as it was,
        # but no longer everyone's (an SFU would otherwise go on sending the newcomer's video).
        if visible != self._visible or len(self._tiles) != self._visible_of:
            self._visible, self._visible_of = visible, len(self._tiles)
            self.visible_changed.emit(visible)
        halves = 2 * cols
        for half in range(halves):
            grid.setColumnStretch(2 * half, 1)
            if half < halves - 1:
                grid.setColumnMinimumWidth(2 * half + 1, SPACING)

    def _place_rows(self, tiles: list[VideoTile], first_row: int, cols: int) -> int:
        """Lay ``tiles`` in rows of ``cols``, the last row centred; return how many rows were used."""
        rows = math.ceil(len(tiles) / cols)
        for index, tile in enumerate(tiles):
            row, col = divmod(index, cols)
            in_row = min(cols, len(tiles) - row * cols)
            first_half = (cols - in_row) + 2 * col  # a short row starts (cols - in_row) halves in: centred
            self.layout_grid.addWidget(tile, first_row + row, 2 * first_half, 1, _span(2))
        return rows


def _span(halves: int) -> int:
    """Layout columns covered by ``halves`` half columns and the gutters between them."""
    return 2 * halves - 1
