"""VideoTile painted offscreen from real av.VideoFrames; checked on the pixels it produces.

A tile converts on its converter's thread; ``snapshot`` asks for the newest frame, waits for the converter and then
grabs what paintEvent draws."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import cast

import av
import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, QSize, Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QWidget

from nimeet_desktop.call.quality import Quality
from nimeet_desktop.media import stamp
from nimeet_desktop.ui import theme
from nimeet_desktop.ui.frame_converter import THREAD_NAME
from nimeet_desktop.ui.video_tile import VideoTile, fit_size

TILE_W, TILE_H = 320, 180


def split_frame(width: int, height: int) -> av.VideoFrame:
    """Left half red, right half blue, as a decoder would hand it over (yuv420p)."""
    rgb = np.zeros((height, width, 3), np.uint8)
    rgb[:, : width // 2] = (255, 0, 0)
    rgb[:, width // 2 :] = (0, 0, 255)
    return av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p")


class Source:
    """A frame source whose frame the test swaps, like aiortc's receive loop replacing latest_frame."""

    def __init__(self, frame: av.VideoFrame | None) -> None:
        self.frame = frame

    def __call__(self) -> av.VideoFrame | None:
        return self.frame


def is_red(c: QColor) -> bool:
    return c.red() > 200 and c.green() < 60 and c.blue() < 60


def is_blue(c: QColor) -> bool:
    return c.blue() > 200 and c.green() < 60 and c.red() < 60


def near(a: QColor, b: QColor, tolerance: int = 10) -> bool:
    return max(abs(a.red() - b.red()), abs(a.green() - b.green()), abs(a.blue() - b.blue())) <= tolerance


def snapshot(tile: VideoTile) -> QImage:
    tile.refresh()
    assert tile.converter.wait_idle()
    return tile.grab().toImage()


def any_pixel(image: QImage, xs: range, ys: range, test: Callable[[QColor], bool]) -> bool:
    return any(test(image.pixelColor(x, y)) for y in ys for x in xs)


@pytest.fixture
def make_tile(qtbot) -> Callable[..., VideoTile]:
    def make(
        frame: av.VideoFrame | None = None, *, name: str = "Ann", is_self: bool = False, camera_on: bool = True
    ) -> VideoTile:
        """A shown tile (a tile nobody can see converts nothing)."""
        tile = VideoTile("t1", name, Source(frame), is_self=is_self)
        qtbot.addWidget(tile)
        tile.set_camera_on(camera_on)
        tile.resize(TILE_W, TILE_H)
        tile.show()
        qtbot.waitExposed(tile)
        return tile

    return make


def test_fit_size_never_stretches_or_crops() -> None:
    assert fit_size(160, 160, 320, 180) == (180, 180)  # pillarbox
    assert fit_size(320, 90, 320, 180) == (320, 90)  # letterbox
    assert fit_size(1280, 720, 640, 360) == (640, 360)
    assert fit_size(0, 720, 640, 360) == (0, 0)


def test_pillarbox_centres_the_picture_between_background_bars(make_tile) -> None:
    tile = make_tile(split_frame(160, 160))  # square frame in a 16:9 tile: 180×180 centred, bars of 70 px
    image = snapshot(tile)
    row = 60  # clear of the name label (bottom) and the badges (none set)
    for x in (5, 40, 69, 251, 290, 314):
        assert near(image.pixelColor(x, row), theme.TILE_BACKGROUND), x
    assert is_red(image.pixelColor(72, row)) and is_red(image.pixelColor(150, row))
    assert is_blue(image.pixelColor(170, row)) and is_blue(image.pixelColor(247, row))
    picture = [x for x in range(TILE_W) if not near(image.pixelColor(x, row), theme.TILE_BACKGROUND)]
    assert (picture[0], picture[-1]) == (70, 249)


def test_letterbox_bars_above_and_below(make_tile) -> None:
    tile = make_tile(split_frame(320, 90))  # wide frame: 320×90 at y 45..134
    image = snapshot(tile)
    for y in (5, 30, 44, 135, 140):
        assert near(image.pixelColor(250, y), theme.TILE_BACKGROUND), y
    assert is_red(image.pixelColor(80, 50)) and is_red(image.pixelColor(80, 130))
    assert is_blue(image.pixelColor(250, 50)) and is_blue(image.pixelColor(250, 130))


def test_own_tile_is_mirrored(make_tile) -> None:
    tile = make_tile(split_frame(320, 180), name="You", is_self=True)
    assert tile.mirrored
    image = snapshot(tile)
    assert is_blue(image.pixelColor(60, 60)) and is_red(image.pixelColor(260, 60))
    tile.set_mirrored(False)
    image = snapshot(tile)
    assert is_red(image.pixelColor(60, 60)) and is_blue(image.pixelColor(260, 60))


def test_remote_tile_is_not_mirrored_by_default(make_tile) -> None:
    tile = make_tile(split_frame(320, 180))
    assert not tile.mirrored
    image = snapshot(tile)
    assert is_red(image.pixelColor(60, 60)) and is_blue(image.pixelColor(260, 60))


def test_camera_off_shows_the_avatar_and_no_frame(make_tile) -> None:
    tile = make_tile(split_frame(320, 180), name="bob", camera_on=False)
    assert not tile.camera_on
    image = snapshot(tile)
    assert tile.conversions == 0
    assert not any_pixel(image, range(0, TILE_W, 4), range(0, TILE_H, 4), lambda c: is_red(c) or is_blue(c))
    # Inside the circle, beside the letter: the avatar colour. Outside it: the tile background.
    radius = TILE_H * 0.42 / 2
    assert near(image.pixelColor(round(TILE_W / 2 - 0.65 * radius), TILE_H // 2), theme.avatar_color("bob"))
    assert near(image.pixelColor(40, 40), theme.TILE_BACKGROUND)
    # The initial, in the text colour, somewhere in the middle of the circle.
    xs = range(round(TILE_W / 2 - radius / 2), round(TILE_W / 2 + radius / 2))
    ys = range(round(TILE_H / 2 - radius / 2), round(TILE_H / 2 + radius / 2))
    assert any_pixel(image, xs, ys, lambda c: near(c, theme.TILE_TEXT, 30))


def test_camera_on_without_a_frame_yet_shows_the_avatar(make_tile) -> None:
    tile = make_tile(None, name="Cy")
    image = snapshot(tile)
    radius = TILE_H * 0.42 / 2
    assert near(image.pixelColor(round(TILE_W / 2 - 0.65 * radius), TILE_H // 2), theme.avatar_color("Cy"))


def test_refresh_reports_each_new_frame_once(make_tile) -> None:
    source = Source(None)
    tile = make_tile()
    tile.set_frame_source(source)
    assert tile.refresh() is False  # nothing yet
    source.frame = split_frame(64, 36)
    assert tile.refresh() is True
    assert tile.refresh() is False
    snapshot(tile)
    assert tile.refresh() is False  # painted: still nothing new
    source.frame = split_frame(64, 36)
    assert tile.refresh() is True
    assert tile.refresh() is False
    tile.set_camera_on(False)
    source.frame = split_frame(64, 36)
    assert tile.refresh() is False  # behind an avatar a new frame changes nothing on screen


def test_one_conversion_per_new_frame(make_tile) -> None:
    source = Source(split_frame(320, 180))
    tile = make_tile()
    tile.set_frame_source(source)
    snapshot(tile)
    assert tile.conversions == 1
    tile.set_speaking(True)  # a repaint for another reason
    tile.set_quality(Quality.FAIR)
    snapshot(tile)
    assert tile.conversions == 1
    source.frame = split_frame(320, 180)
    snapshot(tile)
    snapshot(tile)
    assert tile.conversions == 2
    tile.resize(TILE_W * 2, TILE_H * 2)  # a new size needs new pixels
    snapshot(tile)
    assert tile.conversions == 3


def test_painted_frames_count_new_frames_painted(make_tile) -> None:
    source = Source(None)
    tile = make_tile()
    tile.set_frame_source(source)
    snapshot(tile)
    assert tile.painted_frames == 0, "the avatar is not a frame"
    source.frame = split_frame(320, 180)
    snapshot(tile)
    tile.set_speaking(True)  # a repaint for another reason paints the same frame again
    snapshot(tile)
    assert tile.painted_frames == 1
    source.frame = split_frame(320, 180)
    tile.refresh()  # asked to repaint, not painted yet
    assert tile.painted_frames == 1
    snapshot(tile)
    assert tile.painted_frames == 2


def stamped_frame(age_ms: int) -> av.VideoFrame:
    """A frame whose picture carries the synthetic capture stamp, captured ``age_ms`` ago."""
    frame = split_frame(640, 360)
    plane = frame.planes[0]
    luma = np.frombuffer(memoryview(plane), np.uint8).reshape(360, plane.line_size)[:, :640]
    stamp.draw(luma, stamp.Stamp(index=1, capture_ms=(int(time.time() * 1000) - age_ms) % (1 << 32)))
    return frame


def test_latency_is_read_at_paint_time_only_when_asked(make_tile) -> None:
    source = Source(stamped_frame(40))
    tile = make_tile()
    tile.set_frame_source(source)
    snapshot(tile)
    assert tile.take_latencies() == [], "off unless statistics are kept"
    tile.measure_latency = True
    source.frame = stamped_frame(40)
    snapshot(tile)
    [latency] = tile.take_latencies()
    assert 40 <= latency < 1000
    assert tile.take_latencies() == []


def test_double_click_asks_for_a_pin(make_tile, qtbot) -> None:
    tile = make_tile()
    tile.show()
    qtbot.waitExposed(tile)
    with qtbot.waitSignal(tile.pin_requested, timeout=1000) as blocker:
        qtbot.mouseDClick(tile, Qt.MouseButton.LeftButton, pos=QPoint(100, 60))
    assert blocker.args == ["t1"]


def test_speaking_ring(make_tile) -> None:
    tile = make_tile()
    assert near(snapshot(tile).pixelColor(1, TILE_H // 2), theme.TILE_BACKGROUND)
    tile.set_speaking(True)
    assert tile.speaking
    image = snapshot(tile)
    for x, y in ((1, TILE_H // 2), (TILE_W - 2, TILE_H // 2), (TILE_W // 2, 1), (TILE_W // 2, TILE_H - 2)):
        assert near(image.pixelColor(x, y), theme.SPEAKING, 40), (x, y)


def test_mic_off_badge_bottom_left(make_tile) -> None:
    tile = make_tile()
    corner = (range(0, TILE_W // 3), range(TILE_H * 2 // 3, TILE_H))
    assert not any_pixel(snapshot(tile), *corner, lambda c: near(c, theme.DANGER, 40))
    tile.set_mic_on(False)
    assert not tile.mic_on
    assert any_pixel(snapshot(tile), *corner, lambda c: near(c, theme.DANGER, 40))


@pytest.mark.parametrize(
    ("quality", "color", "text"),
    [
        (Quality.GOOD, "QUALITY_GOOD", "Connection: good"),
        (Quality.FAIR, "QUALITY_FAIR", "Connection: fair"),
        (Quality.POOR, "QUALITY_POOR", "Connection: poor"),
    ],
)
def test_quality_badge_top_right(make_tile, quality: Quality, color: str, text: str) -> None:
    tile = make_tile()
    corner = (range(TILE_W * 2 // 3, TILE_W), range(0, TILE_H // 3))
    expected: QColor = getattr(theme, color)
    assert not any_pixel(snapshot(tile), *corner, lambda c: near(c, expected, 20))
    tile.set_quality(quality)
    assert tile.quality is quality
    assert tile.toolTip() == text
    assert any_pixel(snapshot(tile), *corner, lambda c: near(c, expected, 20))
    tile.set_quality(None)
    assert tile.toolTip() == ""


def test_pin_glyph_top_left(make_tile) -> None:
    tile = make_tile()
    corner = (range(4, TILE_W // 4), range(4, TILE_H // 4))  # clear of the rounded corner
    assert not any_pixel(snapshot(tile), *corner, lambda c: near(c, theme.TILE_TEXT, 40))
    tile.set_pinned(True)
    assert tile.pinned
    assert any_pixel(snapshot(tile), *corner, lambda c: near(c, theme.TILE_TEXT, 40))


def test_long_name_is_elided_inside_the_tile(make_tile) -> None:
    tile = make_tile(name="Bartholomew Featherstonehaugh-Cholmondeley of Much Wenlock")
    tile.resize(160, 90)
    image = snapshot(tile)
    # The label stops a margin short of the right edge; its left end is there.
    label_row = 90 - 8 - 4
    assert near(image.pixelColor(157, label_row), theme.TILE_BACKGROUND)
    assert not near(image.pixelColor(12, label_row), theme.TILE_BACKGROUND)
    tile.set_name("Al")
    assert tile.name == "Al"
    assert near(snapshot(tile).pixelColor(120, label_row), theme.TILE_BACKGROUND)


def test_size_hints() -> None:
    tile = VideoTile("x", "X", lambda: None)
    try:
        assert tile.minimumSizeHint().width() <= 160 and tile.minimumSizeHint().height() <= 90
        assert tile.sizePolicy().horizontalPolicy().name == "Expanding"
        assert tile.sizePolicy().verticalPolicy().name == "Expanding"
    finally:
        tile.deleteLater()


@pytest.mark.parametrize(("width", "height"), [(466, 262), (333, 187), (161, 91), (1000, 101)])
def test_any_tile_size_shows_the_picture(make_tile, width: int, height: int) -> None:
    """Target rows whose bytes are not a multiple of the buffer alignment come with padding: still one image."""
    tile = make_tile(split_frame(64, 36))
    snapshot(tile)
    tile.resize(width, height)
    image = snapshot(tile)
    assert tile.conversions == 2  # at the first size, then at this one
    quarter = fit_size(64, 36, width, height)[0] / 4
    assert is_red(image.pixelColor(round(width / 2 - quarter), height // 3))
    assert is_blue(image.pixelColor(round(width / 2 + quarter), height // 3))


def test_quality_tooltip_only_over_the_badge(make_tile) -> None:
    tile = make_tile()
    assert tile.tooltip_at(QPointF(TILE_W - 16, 16)) == ""  # no badge yet
    tile.set_quality(Quality.POOR)
    assert tile.tooltip_at(QPointF(TILE_W - 16, 16)) == "Connection: poor"
    assert tile.tooltip_at(QPointF(100, 60)) == ""  # over someone's face: nothing pops up


# ---- the converter: once per new frame, at the fit size, nothing for a tile nobody sees ----------------------


def converter_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == THREAD_NAME]


@pytest.mark.parametrize(("width", "height"), [(320, 180), (466, 262), (333, 187), (200, 200), (1000, 101)])
def test_the_image_is_the_tiles_fit_size_in_device_pixels(make_tile, width: int, height: int) -> None:
    tile = make_tile(split_frame(640, 360))
    tile.resize(width, height)
    image = snapshot(tile)
    dpr = tile.devicePixelRatioF()
    fit_w, fit_h = fit_size(640, 360, width, height)
    assert tile.image_size == QSize(int(fit_w * dpr) & ~1, int(fit_h * dpr) & ~1)
    # Painted 1:1 and centred: the picture's columns are exactly the image's width.
    row = height // 3
    picture = [x for x in range(width) if is_red(image.pixelColor(x, row)) or is_blue(image.pixelColor(x, row))]
    assert picture[-1] - picture[0] + 1 == pytest.approx(tile.image_size.width() / dpr, abs=1)


def test_each_new_frame_is_converted_once_and_painted_once(make_tile) -> None:
    source = Source(split_frame(320, 180))
    tile = make_tile()
    tile.set_frame_source(source)
    snapshot(tile)
    assert (tile.conversions, tile.painted_frames) == (1, 1)
    for _ in range(3):  # clock ticks and repaints with nothing new
        assert tile.refresh() is False
        tile.set_speaking(not tile.speaking)
        snapshot(tile)
    assert (tile.conversions, tile.painted_frames) == (1, 1)
    frames = [split_frame(320, 180) for _ in range(3)]
    for frame in frames:  # three frames arrive between two ticks: only the newest is converted
        source.frame = frame
    snapshot(tile)
    snapshot(tile)
    assert (tile.conversions, tile.painted_frames) == (2, 2)
    ready = tile.slot.ready
    assert ready is not None and ready.frame is frames[-1]


def test_a_hidden_tile_converts_nothing_and_catches_up_when_shown(make_tile, qtbot) -> None:
    source = Source(split_frame(320, 180))
    tile = make_tile()
    tile.set_frame_source(source)
    snapshot(tile)
    tile.hide()
    for _ in range(3):
        source.frame = split_frame(320, 180)
        assert tile.refresh() is False
    assert tile.converter.wait_idle()
    assert tile.conversions == 1
    newest = source.frame
    tile.show()  # at once, not a tick later
    qtbot.waitExposed(tile)
    assert tile.converter.wait_idle()
    ready = tile.slot.ready
    assert tile.conversions == 2 and ready is not None and ready.frame is newest


def test_a_minimised_window_converts_nothing(make_tile, qtbot) -> None:
    source = Source(split_frame(320, 180))
    tile = make_tile()
    tile.set_frame_source(source)
    snapshot(tile)
    tile.showMinimized()
    qtbot.waitUntil(tile.isMinimized, timeout=1000)
    source.frame = split_frame(320, 180)
    assert tile.refresh() is False
    assert tile.converter.wait_idle() and tile.conversions == 1
    tile.showNormal()
    qtbot.waitUntil(lambda: not tile.isMinimized(), timeout=1000)
    tile.refresh()
    assert tile.converter.wait_idle() and tile.conversions == 2


def test_a_tile_out_of_sight_converts_nothing(qtbot) -> None:
    """Inside its window but with no visible region (here: outside its parent's area, as scrolled away)."""
    host = QWidget()
    qtbot.addWidget(host)
    host.resize(200, 200)
    source = Source(split_frame(320, 180))
    tile = VideoTile("t1", "Ann", source, parent=host)
    tile.setGeometry(300, 300, TILE_W, TILE_H)
    host.show()
    qtbot.waitExposed(host)
    assert tile.isVisible() and tile.visibleRegion().isEmpty()
    assert tile.refresh() is False
    assert tile.converter.wait_idle() and tile.conversions == 0
    tile.move(0, 0)
    assert tile.refresh() is True
    assert tile.converter.wait_idle() and tile.conversions == 1


def test_camera_off_converts_nothing(make_tile) -> None:
    source = Source(split_frame(320, 180))
    tile = make_tile()
    tile.set_frame_source(source)
    snapshot(tile)
    tile.set_camera_on(False)
    assert tile.slot.ready is None  # no pixels kept behind an avatar
    for _ in range(3):
        source.frame = split_frame(320, 180)
        snapshot(tile)
    assert tile.conversions == 1
    tile.set_camera_on(True)
    snapshot(tile)
    assert tile.conversions == 2


def test_an_image_for_the_old_size_is_never_painted_stretched(make_tile) -> None:
    """Resized before the converter delivered: the image in hand scaled into the new fit, aspect kept."""
    tile = make_tile(split_frame(320, 180))
    snapshot(tile)
    assert tile.image_size == QSize(320, 180)
    tile.hide()  # the converter gets nothing new while hidden: the old image is all there is
    tile.resize(180, 180)
    image = tile.grab().toImage()  # 16:9 in a square: 180×101, letterboxed at y 39..140
    assert tile.image_size == QSize(320, 180)
    for y in (5, 35, 145, 150):
        assert near(image.pixelColor(150, y), theme.TILE_BACKGROUND), y
    assert is_red(image.pixelColor(30, 45)) and is_red(image.pixelColor(30, 120))
    assert is_blue(image.pixelColor(150, 45)) and is_blue(image.pixelColor(150, 120))
    tile.show()
    snapshot(tile)
    assert tile.image_size == QSize(180, 100)


def test_mirroring_toggled_shows_the_image_in_hand_flipped(make_tile) -> None:
    tile = make_tile(split_frame(320, 180), name="You", is_self=True)
    snapshot(tile)
    tile.hide()  # nothing converted while hidden: the painter flips the mirrored image in hand
    tile.set_mirrored(False)
    image = tile.grab().toImage()
    assert is_red(image.pixelColor(60, 60)) and is_blue(image.pixelColor(260, 60))
    tile.show()
    image = snapshot(tile)
    assert is_red(image.pixelColor(60, 60)) and is_blue(image.pixelColor(260, 60))
    ready = tile.slot.ready
    assert ready is not None and not ready.target.mirrored


def test_a_tile_of_its_own_stops_its_converter_when_destroyed(qtbot) -> None:
    before = set(converter_threads())  # another test's tile may still be on its way out
    tile = VideoTile("t1", "Ann", Source(split_frame(64, 36)))
    tile.resize(TILE_W, TILE_H)
    tile.show()
    qtbot.waitExposed(tile)
    snapshot(tile)
    assert tile.converter.running and len(set(converter_threads()) - before) == 1
    converter = tile.converter
    with qtbot.waitSignal(tile.destroyed, timeout=1000):
        tile.deleteLater()
    assert not converter.running and not set(converter_threads()) - before
    converter.stop()  # idempotent


def test_the_picture_keeps_the_rounded_corners(make_tile) -> None:
    """The rows level with the corners are drawn under the outline's clip; the rest are plain copies."""
    tile = make_tile(split_frame(320, 180))  # fills the tile: every corner is over the picture
    image = snapshot(tile)
    for x, y in ((0, 0), (1, 1), (TILE_W - 1, 0), (0, TILE_H - 1), (TILE_W - 2, TILE_H - 2)):
        color = image.pixelColor(x, y)
        assert not is_red(color) and not is_blue(color), (x, y)
    assert is_red(image.pixelColor(12, 1)) and is_blue(image.pixelColor(TILE_W - 12, TILE_H - 2))  # edges, past the arc
    assert is_red(image.pixelColor(0, TILE_H // 2)) and is_blue(image.pixelColor(TILE_W - 1, TILE_H // 2))


def test_the_labels_follow_a_font_change(make_tile) -> None:
    """The overlays' layout is kept between paints; a new font lays them out again."""
    tile = make_tile(name="Ann")
    assert near(snapshot(tile).pixelColor(12, 130), theme.TILE_BACKGROUND)  # above the name label
    font = tile.font()
    font.setPixelSize(40)
    tile.setFont(font)
    assert not near(snapshot(tile).pixelColor(12, 130), theme.TILE_BACKGROUND)  # inside the taller label


def test_the_next_tick_paints_an_image_whose_signal_is_late(make_tile, qtbot) -> None:
    """On a loaded machine the converter's queued signal can come late; the next tick paints what is ready."""
    source = Source(split_frame(320, 180))
    tile = make_tile()
    tile.set_frame_source(source)
    snapshot(tile)
    qtbot.wait(100)  # repaints asked for so far are done
    painted = tile.painted_frames
    tile.converter.blockSignals(True)  # its "images ready" signal goes astray
    try:
        source.frame = split_frame(320, 180)
        assert tile.refresh() is True
        assert tile.converter.wait_idle() and tile.conversions == 2
        qtbot.wait(100)
        assert tile.painted_frames == painted  # nobody told the tile
        assert tile.refresh() is False  # the next tick: nothing newer to convert, but the ready image is painted
        qtbot.waitUntil(lambda: tile.painted_frames == painted + 1, timeout=1000)
    finally:
        tile.converter.blockSignals(False)


def test_a_tile_covered_by_an_opaque_sibling_converts_nothing(qtbot) -> None:
    host = QWidget()
    qtbot.addWidget(host)
    host.resize(400, 300)
    tile = VideoTile("t1", "Ann", Source(split_frame(320, 180)), parent=host)
    tile.setGeometry(10, 10, TILE_W, TILE_H)
    cover = QWidget(host)  # e.g. an opaque panel over the grid
    cover.setGeometry(0, 0, 400, 300)
    cover.setAutoFillBackground(True)
    host.show()
    qtbot.waitExposed(host)
    assert tile.converter.wait_idle()
    shown = tile.conversions  # the tile may convert once as it is shown, before its cover is
    assert tile.isVisible() and tile.visibleRegion().isEmpty()
    source = cast(Source, tile.frame_source)
    for _ in range(3):
        source.frame = split_frame(320, 180)
        assert tile.refresh() is False
    assert tile.converter.wait_idle() and tile.conversions == shown
    cover.hide()
    assert tile.refresh() is True
    assert tile.converter.wait_idle() and tile.conversions == shown + 1


def test_a_tile_with_a_backdrop_paints_its_corners_and_is_opaque(make_tile) -> None:
    """In the call the grid gives tiles the call view's colour: Qt then repaints a tile without repainting the view
    behind it, so the tile's own corners must be that colour, not whatever was there."""
    backdrop = QColor("#2a5d8f")
    tile = make_tile(split_frame(320, 180))
    tile.set_backdrop(backdrop)
    assert tile.testAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
    image = snapshot(tile)
    for x, y in ((0, 0), (TILE_W - 1, 0), (0, TILE_H - 1), (TILE_W - 1, TILE_H - 1)):
        assert near(image.pixelColor(x, y), backdrop), (x, y)
    assert is_red(image.pixelColor(60, TILE_H // 2)) and is_blue(image.pixelColor(TILE_W - 60, TILE_H // 2))
    tile.set_backdrop(None)
    assert not tile.testAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)


def test_the_name_label_is_drawn_once_per_layout(make_tile) -> None:
    tile = make_tile(split_frame(320, 180), name="Ann")
    snapshot(tile)
    labels = tile._labels_cache
    assert labels is not None and labels[3] is not None
    snapshot(tile)
    assert tile._labels_cache is labels, "the label was drawn again for an unchanged tile"
    tile.set_mic_on(False)
    snapshot(tile)
    assert tile._labels_cache is not labels and tile._labels_cache is not None
