"""VideoGrid: where tiles go for each count, focus (featured and pinned), re-flow, and the frame clock."""

from __future__ import annotations

import itertools
import math
import threading
from collections.abc import Callable, Iterator
from typing import cast

import av
import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QWidget

from nimeet_desktop.ui.frame_converter import THREAD_NAME
from nimeet_desktop.ui.video_grid import FOCUS_STRETCH, PAGE_SIZE, SPACING, STRIP_MAX, VideoGrid, grid_shape
from nimeet_desktop.ui.video_tile import VideoTile

GRID_W, GRID_H = 960, 540


def frame() -> av.VideoFrame:
    return av.VideoFrame.from_ndarray(np.full((36, 64, 3), 128, np.uint8), format="rgb24").reformat(format="yuv420p")


class Source:
    def __init__(self, frame: av.VideoFrame | None = None) -> None:
        self.frame = frame

    def __call__(self) -> av.VideoFrame | None:
        return self.frame


@pytest.fixture
def make_grid(qtbot) -> Iterator[Callable[[int], VideoGrid]]:
    """A shown 960×540 grid with ``count`` tiles: "self" (own tile) then "p1", "p2", ..."""
    hosts: list[QWidget] = []  # qtbot holds widgets weakly: the test must keep them alive

    def make(count: int) -> VideoGrid:
        # Hosted in a layout-less window: a top-level with a layout pushes size hints to the platform window,
        # which the offscreen plugin answers with a warning (and a warning fails the test).
        host = QWidget()
        hosts.append(host)
        qtbot.addWidget(host)
        host.resize(GRID_W, GRID_H)
        grid = VideoGrid(host)
        grid.resize(GRID_W, GRID_H)
        for index in range(count):
            tile_id = "self" if index == 0 else f"p{index}"
            grid.add_tile(VideoTile(tile_id, tile_id, Source(), is_self=index == 0))
        host.show()
        qtbot.waitExposed(host)
        return grid

    yield make
    hosts.clear()


def settle(grid: VideoGrid) -> None:
    """Apply a re-flow now; Qt otherwise lays out on the next turn of the event loop."""
    grid.layout_grid.activate()


def position(grid: VideoGrid, tile_id: str) -> tuple[int, int, int]:
    """(row, first half column, half columns spanned), read back from the QGridLayout.

    Layout column 2h is half column h; the odd layout columns are the fixed gutters between halves.
    """
    tile = grid.tile(tile_id)
    assert tile is not None
    layout = grid.layout_grid
    row, col, row_span, col_span = cast(tuple[int, int, int, int], layout.getItemPosition(layout.indexOf(tile)))
    assert row_span == 1 and col % 2 == 0 and col_span % 2 == 1
    return row, col // 2, (col_span + 1) // 2


@pytest.mark.parametrize(
    ("count", "shape"),
    [
        *[(0, (1, 1)), (1, (1, 1)), (2, (1, 2)), (3, (2, 2)), (4, (2, 2)), (5, (2, 3)), (6, (2, 3)), (7, (3, 3))],
        *[(9, (3, 3)), (10, (3, 4)), (12, (3, 4)), (13, (4, 4)), (16, (4, 4)), (17, (4, 5)), (25, (5, 5))],
    ],
)
def test_grid_shape(count: int, shape: tuple[int, int]) -> None:
    assert grid_shape(count) == shape


@pytest.mark.parametrize(
    ("count", "expected"),
    [
        (1, [(0, 0, 2)]),
        (2, [(0, 0, 2), (0, 2, 2)]),
        # 3 in 2×2: the third is centred under the first two (offset by one half column).
        (3, [(0, 0, 2), (0, 2, 2), (1, 1, 2)]),
        (4, [(0, 0, 2), (0, 2, 2), (1, 0, 2), (1, 2, 2)]),
        (5, [(0, 0, 2), (0, 2, 2), (0, 4, 2), (1, 1, 2), (1, 3, 2)]),
        (6, [(0, 0, 2), (0, 2, 2), (0, 4, 2), (1, 0, 2), (1, 2, 2), (1, 4, 2)]),
    ],
)
def test_positions_by_count(make_grid, count: int, expected: list[tuple[int, int, int]]) -> None:
    grid = make_grid(count)
    assert [position(grid, t.tile_id) for t in grid.tiles()] == expected
    assert grid.focused_tile_id is None


@pytest.mark.parametrize("count", [7, 8, 9])
def test_larger_grids_fill_rows_and_centre_the_last(make_grid, count: int) -> None:
    grid = make_grid(count)
    rows, cols = grid_shape(count)
    for index, tile in enumerate(grid.tiles()):
        row, col = divmod(index, cols)
        in_row = min(cols, count - row * cols)
        assert position(grid, tile.tile_id) == (row, cols - in_row + 2 * col, 2)
    assert_even(grid.tiles())
    assert len({t.y() for t in grid.tiles()}) == rows


def assert_even(tiles: list[VideoTile]) -> None:
    """Same size (to the pixel the layout must round somewhere) and the same gutter between neighbours."""
    widths, heights = [t.width() for t in tiles], [t.height() for t in tiles]
    assert max(widths) - min(widths) <= 1 and max(heights) - min(heights) <= 1
    by_row: dict[int, list[VideoTile]] = {}
    for tile in tiles:
        by_row.setdefault(tile.y(), []).append(tile)
    for row in by_row.values():
        row.sort(key=lambda t: t.x())
        for left, right in itertools.pairwise(row):
            assert right.x() - left.geometry().right() - 1 == SPACING


def test_tiles_share_the_space_evenly_and_the_short_row_is_centred(make_grid) -> None:
    grid = make_grid(3)
    a, b, c = grid.tiles()
    assert_even([a, b, c])
    assert a.width() == pytest.approx((GRID_W - 3 * SPACING) / 2, abs=1)
    assert c.geometry().center().x() == pytest.approx(GRID_W / 2, abs=2)
    assert c.y() > a.y()


def test_empty_and_single(make_grid) -> None:
    grid = make_grid(0)
    assert grid.tiles() == [] and grid.layout_grid.count() == 0
    grid.grab()  # paints nothing, warns nothing
    grid = make_grid(1)
    (only,) = grid.tiles()
    assert only.geometry() == grid.rect().adjusted(SPACING, SPACING, -SPACING, -SPACING)


def test_own_tile_comes_first_whenever_added(qtbot) -> None:
    grid = VideoGrid()
    qtbot.addWidget(grid)
    grid.add_tile(VideoTile("a", "A", Source()))
    grid.add_tile(VideoTile("b", "B", Source()))
    grid.add_tile(VideoTile("me", "You", Source(), is_self=True))
    assert [t.tile_id for t in grid.tiles()] == ["me", "a", "b"]
    assert position(grid, "me") == (0, 0, 2)
    with pytest.raises(ValueError, match="already"):
        grid.add_tile(VideoTile("a", "A again", Source()))


def test_removal_reflows_and_deletes(make_grid, qtbot) -> None:
    grid = make_grid(5)
    assert grid.remove_tile("nobody") is None
    tile = grid.tile("p2")
    assert tile is not None
    with qtbot.waitSignal(tile.destroyed, timeout=1000):
        assert grid.remove_tile("p2") is tile
    assert [t.tile_id for t in grid.tiles()] == ["self", "p1", "p3", "p4"]
    assert grid.tile("p2") is None
    settle(grid)
    assert [position(grid, t.tile_id) for t in grid.tiles()] == [(0, 0, 2), (0, 2, 2), (1, 0, 2), (1, 2, 2)]
    # The old 3-column layout left no trace: the four tiles fill the grid two by two.
    assert grid.tiles()[1].geometry().right() == pytest.approx(GRID_W - SPACING - 1, abs=1)


def test_featured_tile_spans_the_width_over_a_strip(make_grid) -> None:
    grid = make_grid(4)
    grid.set_featured("p2")
    settle(grid)
    assert grid.focused_tile_id == "p2" and grid.featured_tile_id == "p2"
    assert position(grid, "p2") == (0, 0, 2 * 4)  # a strip of (at least) 4 tiles' width
    featured = grid.tile("p2")
    assert featured is not None
    assert featured.width() == GRID_W - 2 * SPACING
    assert grid.layout_grid.rowStretch(0) == FOCUS_STRETCH and grid.layout_grid.rowStretch(1) == 1
    strip = [t for t in grid.tiles() if t is not featured]
    assert [t.tile_id for t in strip] == ["self", "p1", "p3"]
    assert all(position(grid, t.tile_id)[0] == 1 for t in strip)
    assert all(t.y() > featured.geometry().bottom() for t in strip)
    assert featured.height() > 3 * strip[0].height()
    assert_even(strip)
    # Centred strip: as much room left of the first as right of the last.
    left, right = strip[0].x(), GRID_W - strip[-1].geometry().right() - 1
    assert left == pytest.approx(right, abs=2)
    grid.set_featured(None)
    assert grid.focused_tile_id is None
    assert position(grid, "p2") == (1, 0, 2)
    grid.set_featured("nobody")  # an unknown id features nothing
    assert grid.focused_tile_id is None


def test_a_long_strip_pages_instead_of_wrapping(make_grid) -> None:
    grid = make_grid(1 + STRIP_MAX + 2)
    grid.set_featured("self")
    rows = {position(grid, t.tile_id)[0] for t in grid.tiles() if t.tile_id != "self" and t.isVisible()}
    assert rows == {1}
    assert grid.visible_tile_ids() == ["self", *[f"p{i}" for i in range(1, STRIP_MAX + 1)]]
    assert grid.page_count == 2
    grid.set_page(1)
    assert grid.visible_tile_ids() == ["self", f"p{STRIP_MAX + 1}", f"p{STRIP_MAX + 2}"]


def shown(grid: VideoGrid) -> list[str]:
    return [t.tile_id for t in grid.tiles() if t.isVisible()]


def test_a_large_room_shows_a_page_of_nine_and_tells_whose_tiles_show(make_grid, qtbot) -> None:
    grid = make_grid(20)
    assert PAGE_SIZE == 9
    told: list[list[str]] = []
    grid.visible_changed.connect(told.append)
    assert shown(grid) == grid.visible_tile_ids() == ["self", *[f"p{i}" for i in range(1, 9)]]
    assert (grid.page, grid.page_count) == (0, 3)
    assert grid.pager.isVisible() and grid.page_label.text() == "Page 1 of 3"
    assert not grid.previous_page.isEnabled() and grid.next_page.isEnabled()
    assert {position(grid, t)[0] for t in shown(grid)} == {0, 1, 2}  # 3×3

    qtbot.mouseClick(grid.next_page, Qt.MouseButton.LeftButton)
    assert shown(grid) == [f"p{i}" for i in range(9, 18)]
    assert told == [[f"p{i}" for i in range(9, 18)]]
    grid.set_page(5)  # past the end: the last page
    assert shown(grid) == ["p18", "p19"] and grid.page_label.text() == "Page 3 of 3"
    assert grid.previous_page.isEnabled() and not grid.next_page.isEnabled()

    grid.set_page(0)
    told.clear()
    grid.add_tile(VideoTile("p20", "p20", Source()))  # off the page: the view is the same, but not everyone's
    assert told == [grid.visible_tile_ids()] and "p20" not in told[0]
    grid.remove_tile("p20")
    grid.set_page(2)
    grid.remove_tile("p18")
    grid.remove_tile("p19")  # the last page empties: back to the one before
    assert grid.page == 1 and shown(grid) == [f"p{i}" for i in range(9, 18)]
    for index in range(9, 18):
        grid.remove_tile(f"p{index}")
    assert grid.page_count == 1 and not grid.pager.isVisible()
    assert told[-1] == grid.visible_tile_ids() == ["self", *[f"p{i}" for i in range(1, 9)]]


def test_a_swap_trades_two_places_and_leaves_the_rest(make_grid) -> None:
    grid = make_grid(12)
    grid.swap("p11", "p3")
    assert shown(grid) == ["self", "p1", "p2", "p11", "p4", "p5", "p6", "p7", "p8"]
    grid.set_page(1)
    assert shown(grid) == ["p9", "p10", "p3"]


def test_pinning_by_double_click(make_grid, qtbot) -> None:
    grid = make_grid(4)
    grid.set_featured("p1")  # a screen share...
    tile = grid.tile("p3")
    assert tile is not None
    qtbot.mouseDClick(tile, Qt.MouseButton.LeftButton, pos=QPoint(20, 20))
    assert grid.focused_tile_id == "p3" and grid.pinned_tile_id == "p3"  # ...a pin overrides it
    assert tile.pinned
    assert position(grid, "p3")[:2] == (0, 0)
    other = grid.tile("p2")
    assert other is not None
    qtbot.mouseDClick(other, Qt.MouseButton.LeftButton, pos=QPoint(20, 20))
    assert grid.pinned_tile_id == "p2" and other.pinned and not tile.pinned  # the pin moved
    qtbot.mouseDClick(other, Qt.MouseButton.LeftButton, pos=QPoint(20, 20))
    assert grid.pinned_tile_id is None and not other.pinned  # unpinned: back to the featured share
    assert grid.focused_tile_id == "p1"


def test_removing_the_focused_tile_clears_focus(make_grid) -> None:
    grid = make_grid(3)
    grid.toggle_pin("p1")
    grid.remove_tile("p1")
    assert grid.focused_tile_id is None and grid.pinned_tile_id is None
    assert [position(grid, t.tile_id) for t in grid.tiles()] == [(0, 0, 2), (0, 2, 2)]
    grid.set_featured("p2")
    grid.remove_tile("p2")
    assert grid.focused_tile_id is None and grid.featured_tile_id is None
    assert position(grid, "self") == (0, 0, 2)


def test_frame_clock_repaints_tiles_with_new_frames(make_grid, qtbot) -> None:
    grid = make_grid(3)
    qtbot.wait(100)  # the first paints (from showing) land; from here on only the clock asks for repaints
    tiles = grid.tiles()
    first, second = (t.frame_source for t in tiles[:2])
    assert isinstance(first, Source) and isinstance(second, Source)
    first.frame = frame()
    qtbot.wait(100)
    assert tiles[0].conversions == 0  # a new frame alone repaints nothing
    grid.start_clock()
    assert grid.clock_running
    qtbot.waitUntil(lambda: tiles[0].conversions == 1, timeout=2000)
    assert grid.frames_painted == 1
    second.frame = frame()
    qtbot.waitUntil(lambda: tiles[1].conversions == 1, timeout=2000)
    qtbot.wait(100)  # several more ticks: the same frames, nothing to repaint or convert
    assert grid.frames_painted == 2
    assert [t.conversions for t in tiles] == [1, 1, 0]
    grid.stop_clock()
    assert not grid.clock_running
    first.frame = frame()
    qtbot.wait(100)
    assert grid.frames_painted == 2 and tiles[0].conversions == 1


def test_clock_skips_hidden_tiles(make_grid, qtbot) -> None:
    grid = make_grid(2)
    tile = grid.tiles()[1]
    grid.hide()
    tile.set_frame_source(Source(frame()))
    grid.start_clock()
    qtbot.wait(100)
    assert grid.frames_painted == 0 and tile.conversions == 0
    grid.stop_clock()


def converter_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == THREAD_NAME]


def test_tiles_share_the_grids_converter_whose_thread_ends_with_the_clock_and_the_grid(make_grid, qtbot) -> None:
    before = set(converter_threads())  # another test's grid may still be on its way out

    def threads() -> int:
        return len(set(converter_threads()) - before)

    grid = make_grid(3)
    tiles = grid.tiles()
    assert all(t.converter is grid.converter for t in tiles)
    sources = [cast(Source, t.frame_source) for t in tiles]
    grid.start_clock()
    for source in sources:
        source.frame = frame()
    qtbot.waitUntil(lambda: all(t.painted_frames == 1 for t in tiles), timeout=2000)
    assert [t.conversions for t in tiles] == [1, 1, 1]
    assert grid.converter.running and threads() == 1  # one thread for all the tiles
    grid.stop_clock()
    assert not grid.converter.running and threads() == 0
    grid.stop_clock()  # idempotent
    grid.start_clock()  # a next call: the thread starts again with the next frame
    sources[0].frame = frame()
    qtbot.waitUntil(lambda: tiles[0].painted_frames == 2, timeout=2000)
    assert grid.converter.running
    converter = grid.converter
    with qtbot.waitSignal(grid.destroyed, timeout=1000):
        grid.deleteLater()
    assert not converter.running and threads() == 0


def test_grid_shape_is_as_square_as_possible() -> None:
    for count in range(2, 50):
        rows, cols = grid_shape(count)
        assert rows * cols >= count > (rows - 1) * cols
        assert cols == math.ceil(math.sqrt(count)) and rows <= cols
