"""The icon set and its engine (every icon renders, in the colour asked for, sharp at 2x) and the theme (Fusion,
palettes that follow the colour scheme, the stylesheet rules other widgets rely on, stable avatar colours)."""

from __future__ import annotations

import gc
import logging
import zlib
from collections.abc import Callable, Iterator

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtGui import QColor, QIcon, QImage, QPainter, QPalette
from PySide6.QtWidgets import QApplication, QFrame, QLabel, QPushButton, QToolButton, QWidget

from nimeet_desktop.resources import icon_path
from nimeet_desktop.ui import theme
from nimeet_desktop.ui.icons import icon, svg_pixmap

# The names the rest of the app asks for; each must exist and be drawn in currentColor.
ICON_NAMES = [
    "mic",
    "mic-off",
    "camera",
    "camera-off",
    "screen-share",
    "screen-share-stop",
    "call-end",
    "copy",
    "pin",
    "people",
    "link",
    "user",
    "logout",
    "server",
    "refresh",
    "warning",
    "check",
    "settings",
    "speaker",
    "chevron-up",
    "statistics",
    # the meeting (issue 14): the panel, the hand, reactions, chat and files
    "hand",
    "chat",
    "reaction",
    "send",
    "attach",
    "lock",
    "more",
    "close",
    "file",
]

ORANGE = QColor("#ff8800")


def rgba_array(image: QImage) -> np.ndarray:
    """Height × width × (r, g, b, a), not premultiplied, so a half-covered edge pixel still has the icon's colour."""
    image = image.convertToFormat(QImage.Format.Format_RGBA8888)
    rows = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine())
    # A copy: the array must not outlive the QImage whose memory constBits() points into.
    return rows[:, : image.width() * 4].reshape(image.height(), image.width(), 4).copy()


def opaque_colours(image: QImage) -> set[tuple[int, int, int]]:
    pixels = rgba_array(image)
    solid = pixels[pixels[..., 3] == 255]
    return {(int(r), int(g), int(b)) for r, g, b, _ in solid}


def rgb(color: QColor) -> tuple[int, int, int]:
    return color.red(), color.green(), color.blue()


def contrast(a: QColor, b: QColor) -> float:
    """WCAG 2 contrast ratio."""

    def luminance(c: QColor) -> float:
        def channel(v: float) -> float:
            return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

        return 0.2126 * channel(c.redF()) + 0.7152 * channel(c.greenF()) + 0.0722 * channel(c.blueF())

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.fixture
def themed_app(qapp: QApplication) -> Iterator[QApplication]:
    """The session's QApplication with our theme applied, put back as it was afterwards for the other UI tests."""
    style_name, palette, sheet = qapp.style().name(), QPalette(qapp.palette()), qapp.styleSheet()
    theme.apply_theme(qapp)
    yield qapp
    qapp.setStyleSheet(sheet)
    qapp.setStyle(style_name)
    qapp.setPalette(palette)


# --- icons -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [*ICON_NAMES, "nimeet"])
def test_icon_file_is_small_tiny_svg(name: str) -> None:
    text = icon_path(name).read_text(encoding="utf-8")
    assert text.lstrip().startswith("<svg")
    assert len(text) < 2000
    # Features QtSvg (SVG Tiny 1.2) does not render, or renders differently from browsers.
    for unsupported in ("<style", "<mask", "<filter", "<clipPath", "class="):
        assert unsupported not in text
    if name != "nimeet":
        assert "currentColor" in text


@pytest.mark.parametrize(("size", "dpr"), [(24, 1.0), (48, 2.0)])
@pytest.mark.parametrize("name", ICON_NAMES)
def test_icon_renders_in_the_requested_colour(qapp: QApplication, name: str, size: int, dpr: float) -> None:
    pixmap = icon(name, ORANGE).pixmap(QSize(size, size), dpr)

    # Rendered at device pixels, not scaled up from a logical-size bitmap: that is what keeps it crisp.
    assert pixmap.size() == QSize(round(size * dpr), round(size * dpr))
    assert pixmap.devicePixelRatio() == dpr
    pixels = rgba_array(pixmap.toImage())
    coverage = np.count_nonzero(pixels[..., 3]) / (pixels.shape[0] * pixels.shape[1])
    assert 0.05 < coverage < 0.7, coverage
    assert opaque_colours(pixmap.toImage()) == {rgb(ORANGE)}


@pytest.mark.parametrize(
    "color",
    [pytest.param("#ff8800", id="hex string"), pytest.param("orange", id="colour name"), pytest.param(ORANGE)],
)
def test_colour_forms_are_accepted_and_share_a_cached_icon(qapp: QApplication, color: QColor | str) -> None:
    expected = QColor(color)
    got = icon("check", color)
    assert opaque_colours(got.pixmap(24, 24).toImage()) == {rgb(expected)}
    # One engine (and so one set of cached pixmaps) per name and colour, however the colour was spelt.
    assert got.cacheKey() == icon("check", QColor(expected)).cacheKey()


def test_default_colour_is_the_palette_button_text_at_call_time(qapp: QApplication) -> None:
    original = QPalette(qapp.palette())
    try:
        for colour in ("#123456", "#abcdef"):
            palette = QPalette(original)
            palette.setColor(QPalette.ColorRole.ButtonText, QColor(colour))
            qapp.setPalette(palette)
            assert opaque_colours(icon("user").pixmap(24, 24).toImage()) == {rgb(QColor(colour))}
    finally:
        qapp.setPalette(original)


def test_translucent_colour_fades_the_whole_icon_evenly(qapp: QApplication) -> None:
    # mic-off's slash crosses the microphone: overlapping strokes must not come out more opaque.
    pixels = rgba_array(icon("mic-off", QColor(0, 0, 255, 128)).pixmap(48, 48).toImage())
    assert int(pixels[..., 3].max()) == 128


def test_disabled_mode_is_faded(qapp: QApplication) -> None:
    the_icon = icon("camera", "white")
    normal = rgba_array(the_icon.pixmap(QSize(24, 24), QIcon.Mode.Normal).toImage())
    disabled = rgba_array(the_icon.pixmap(QSize(24, 24), QIcon.Mode.Disabled).toImage())
    assert int(normal[..., 3].max()) == 255
    assert 60 < int(disabled[..., 3].max()) < 160


@pytest.mark.parametrize("dpr", [1.0, 1.25, 1.5, 2.0])
def test_svg_pixmap_is_sized_for_the_device(qapp: QApplication, dpr: float) -> None:
    pixmap = svg_pixmap("mic-off", QSize(20, 20), "white", dpr)
    assert pixmap.size() == QSize(round(20 * dpr), round(20 * dpr))
    assert pixmap.devicePixelRatio() == dpr
    assert opaque_colours(pixmap.toImage()) == {(255, 255, 255)}


def test_qicon_paint_goes_through_the_engine_at_the_device_ratio(qapp: QApplication) -> None:
    image = QImage(96, 96, QImage.Format.Format_ARGB32_Premultiplied)
    image.setDevicePixelRatio(2.0)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    icon("settings", ORANGE).paint(painter, QRect(0, 0, 48, 48))
    painter.end()
    assert opaque_colours(image) == {rgb(ORANGE)}
    # Drawn into all 96 device pixels, not just the top-left 48.
    assert rgba_array(image)[48:, 48:, 3].any()


def test_detached_copy_uses_a_clone_that_stays_alive(qapp: QApplication) -> None:
    copy = QIcon(icon("pin", ORANGE))
    copy.setIsMask(True)  # modifying a shared QIcon makes Qt clone its engine
    gc.collect()
    assert opaque_colours(copy.pixmap(QSize(24, 24), 2.0).toImage()) == {rgb(ORANGE)}
    del copy
    gc.collect()


def test_logo_keeps_its_own_colours(qapp: QApplication) -> None:
    image = icon("nimeet", "red").pixmap(48, 48).toImage()
    assert image.pixelColor(QPoint(4, 24)) == theme.ACCENT  # the blue square
    assert image.pixelColor(QPoint(18, 24)) == QColor("white")  # the camera glyph


def test_missing_icon_is_logged_and_empty(qapp: QApplication, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="nimeet_desktop.ui.icons"):
        assert icon("no-such-icon").isNull()
        assert svg_pixmap("no-such-icon", QSize(24, 24), "white", 2.0).isNull()
    assert "no-such-icon" in caplog.text


# --- theme -----------------------------------------------------------------------------------------------------


def test_apply_theme_uses_fusion(themed_app: QApplication) -> None:
    themed_app.setStyle("Windows")
    theme.apply_theme(themed_app)
    # With a stylesheet set, style() is Qt's stylesheet wrapper; removing the sheet shows the style underneath.
    themed_app.setStyleSheet("")
    assert themed_app.style().name() == "fusion"


@pytest.mark.parametrize(
    ("scheme", "dark"),
    [(Qt.ColorScheme.Dark, True), (Qt.ColorScheme.Light, False), (Qt.ColorScheme.Unknown, False)],
)
def test_palette_for_scheme(scheme: Qt.ColorScheme, dark: bool) -> None:
    palette = theme.palette_for(scheme)
    window = palette.color(QPalette.ColorRole.Window)
    assert (window.lightnessF() < 0.2) is dark
    assert palette.color(QPalette.ColorRole.Highlight) == theme.ACCENT
    for text, background in [
        (QPalette.ColorRole.WindowText, QPalette.ColorRole.Window),
        (QPalette.ColorRole.Text, QPalette.ColorRole.Base),
        (QPalette.ColorRole.ButtonText, QPalette.ColorRole.Button),
        (QPalette.ColorRole.HighlightedText, QPalette.ColorRole.Highlight),
        (QPalette.ColorRole.ToolTipText, QPalette.ColorRole.ToolTipBase),
    ]:
        assert contrast(palette.color(text), palette.color(background)) >= 4.5, (text, background)
    assert contrast(palette.color(QPalette.ColorRole.Link), palette.color(QPalette.ColorRole.Base)) >= 4.5


def test_theme_follows_colour_scheme_changes(themed_app: QApplication) -> None:
    hints = themed_app.styleHints()
    hints.colorSchemeChanged.emit(Qt.ColorScheme.Dark)
    assert themed_app.palette().color(QPalette.ColorRole.Window) == QColor("#202124")
    hints.colorSchemeChanged.emit(Qt.ColorScheme.Light)
    assert themed_app.palette().color(QPalette.ColorRole.Window) == QColor("#f6f7f9")


def centre_colour(widget: QWidget) -> QColor:
    image = widget.grab().toImage()
    # A few pixels in from the left edge, half-way down: button background, clear of label text and icon.
    return image.pixelColor(QPoint(4, image.height() // 2))


def control_button() -> QWidget:
    button = QToolButton()
    button.setProperty("role", "control")
    return button


def leave_tool_button() -> QWidget:
    button = QToolButton()
    button.setProperty("role", "control")
    button.setObjectName("leaveButton")
    return button


def leave_push_button() -> QWidget:
    button = QPushButton("Leave")
    button.setObjectName("leaveButton")
    return button


def primary_button() -> QWidget:
    button = QPushButton("Join")
    button.setProperty("primary", True)
    return button


def card() -> QWidget:
    frame = QFrame()
    frame.setObjectName("card")
    frame.resize(120, 80)
    return frame


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        pytest.param(control_button, theme.CONTROL_BACKGROUND, id="control"),
        pytest.param(leave_tool_button, theme.DANGER, id="leave tool button"),
        pytest.param(leave_push_button, theme.DANGER, id="leave push button"),
        pytest.param(primary_button, theme.ACCENT, id="primary"),
        pytest.param(card, QColor("#ffffff"), id="card"),
    ],
)
def test_stylesheet_rules(qtbot, themed_app: QApplication, make: Callable[[], QWidget], expected: QColor) -> None:
    themed_app.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Light)
    widget = make()
    qtbot.addWidget(widget)
    assert centre_colour(widget) == expected


def test_control_button_is_round_and_48_px(qtbot, themed_app: QApplication) -> None:
    button = control_button()
    qtbot.addWidget(button)
    button.adjustSize()
    assert button.size() == QSize(48, 48)
    assert isinstance(button, QToolButton)
    assert button.iconSize() == QSize(24, 24)


def test_set_off_toggles_the_property_and_the_colour(qtbot, themed_app: QApplication) -> None:
    button = control_button()
    qtbot.addWidget(button)
    for off, colour in [(True, theme.DANGER), (False, theme.CONTROL_BACKGROUND), (True, theme.DANGER)]:
        theme.set_off(button, off)
        assert button.property("off") is off
        assert centre_colour(button) == colour


@pytest.mark.parametrize(("role", "light", "dark"), [("error", "#d93025", "#f28b82")])
def test_label_roles_follow_the_scheme(qtbot, themed_app: QApplication, role: str, light: str, dark: str) -> None:
    label = QLabel("Something went wrong")
    label.setProperty("role", role)
    qtbot.addWidget(label)
    for scheme, expected in [(Qt.ColorScheme.Light, light), (Qt.ColorScheme.Dark, dark)]:
        themed_app.styleHints().colorSchemeChanged.emit(scheme)
        label.ensurePolished()
        assert label.palette().color(label.foregroundRole()) == QColor(expected)
    assert label.font().pointSizeF() < themed_app.font().pointSizeF()


def test_title_label_is_larger_and_bold(qtbot, themed_app: QApplication) -> None:
    label = QLabel("Join a meeting")
    label.setProperty("role", "title")
    qtbot.addWidget(label)
    label.ensurePolished()
    assert label.font().bold()
    assert label.font().pointSizeF() > themed_app.font().pointSizeF() * 1.3


# --- avatar colours ----------------------------------------------------------------------------------------------


def test_avatar_colour_is_stable_and_varied() -> None:
    assert len(theme.AVATAR_COLORS) == 8
    assert len({c.name() for c in theme.AVATAR_COLORS}) == 8
    for key in ["alice", "bob", "Ünïcödé", ""]:
        assert theme.avatar_color(key) == theme.avatar_color(key)
        # A fixed function of the key, not of Python's per-process salted hash().
        assert theme.avatar_color(key) == theme.AVATAR_COLORS[zlib.crc32(key.encode()) % 8]
    assert len({theme.avatar_color(f"user-{i}").name() for i in range(64)}) >= 7


def test_avatar_colour_is_a_copy() -> None:
    colour = theme.avatar_color("alice")
    colour.setRed(0)
    colour.setGreen(0)
    assert theme.avatar_color("alice") != colour


@pytest.mark.parametrize("colour", theme.AVATAR_COLORS, ids=lambda c: c.name())
def test_avatar_colours_carry_white_initials(colour: QColor) -> None:
    assert contrast(colour, QColor("white")) >= 3.0
