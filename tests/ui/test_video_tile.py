"""VideoTile painted offscreen from real av.VideoFrames; checked on the pixels it produces."""

from __future__ import annotations

import time
from collections.abc import Callable

import av
import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QImage

from nimeet_desktop.call.quality import Quality
from nimeet_desktop.media import stamp
from nimeet_desktop.ui import theme
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
    return tile.grab().toImage()


def any_pixel(image: QImage, xs: range, ys: range, test: Callable[[QColor], bool]) -> bool:
    return any(test(image.pixelColor(x, y)) for y in ys for x in xs)


@pytest.fixture
def make_tile(qtbot) -> Callable[..., VideoTile]:
    def make(frame: av.VideoFrame | None = None, *, name: str = "Ann", is_self: bool = False) -> VideoTile:
        tile = VideoTile("t1", name, Source(frame), is_self=is_self)
        qtbot.addWidget(tile)
        tile.resize(TILE_W, TILE_H)
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
    tile = make_tile(split_frame(320, 180), name="bob")
    tile.set_camera_on(False)
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
    tile.resize(width, height)
    image = snapshot(tile)
    assert tile.conversions == 1
    quarter = fit_size(64, 36, width, height)[0] / 4
    assert is_red(image.pixelColor(round(width / 2 - quarter), height // 3))
    assert is_blue(image.pixelColor(round(width / 2 + quarter), height // 3))


def test_quality_tooltip_only_over_the_badge(make_tile) -> None:
    tile = make_tile()
    assert tile.tooltip_at(QPointF(TILE_W - 16, 16)) == ""  # no badge yet
    tile.set_quality(Quality.POOR)
    assert tile.tooltip_at(QPointF(TILE_W - 16, 16)) == "Connection: poor"
    assert tile.tooltip_at(QPointF(100, 60)) == ""  # over someone's face: nothing pops up
