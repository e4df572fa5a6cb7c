"""The app's look: Fusion with our own light and dark palettes, one global stylesheet, and the colours painters use.

Fusion because it looks the same on every platform and honours the palette completely (native styles on Windows
and macOS ignore parts of it), so the dark palette really is dark everywhere. Which palette follows the system's
colour scheme, live. The stylesheet only styles widgets that opt in through an object name or a dynamic property
(``role``, ``primary``, ``off``); everything else is plain Fusion.
"""

from __future__ import annotations

import logging
import zlib
from functools import partial

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QWidget

logger = logging.getLogger(__name__)

# Colours painters use directly (video tiles, quality bars, avatars); widgets get theirs from the palette.
ACCENT = QColor("#1a73e8")
DANGER = QColor("#d93025")
SPEAKING = QColor("#34a853")
PRESENTING = QColor("#34a853")  # the frame around what we share, and its "You are presenting" tab (white text)
TILE_BACKGROUND = QColor("#1f1f1f")
TILE_TEXT = QColor("#ffffff")
QUALITY_GOOD = QColor("#34a853")
QUALITY_FAIR = QColor("#fbbc04")
QUALITY_POOR = QColor("#ea4335")
# The call control bar is dark grey with white glyphs in both themes (the video grid behind it is dark too).
CONTROL_BACKGROUND = QColor("#3c4043")
CONTROL_FOREGROUND = QColor("#ffffff")
ON_ACCENT = QColor("#ffffff")  # text and glyphs on an ACCENT or DANGER face (primary and leave buttons)

# The call screen is dark in both schemes, like every call app's: video reads best on it. Its colours therefore
# do not come from the palette.
CALL_BACKGROUND = QColor("#121212")
CALL_TEXT = QColor("#ffffff")
CALL_TEXT_SECONDARY = QColor("#e8eaed")
OVERLAY_SHADE = QColor(0, 0, 0, 150)  # the reconnecting cover: the call shows through, dimmed
BADGE_FILL = QColor(0, 0, 0, 165)  # translucent dark behind white text/icons on a tile: readable on any video
DIM_BAR = QColor(255, 255, 255, 70)  # the unlit bars of a tile's signal badge
HAND_RAISED = QColor("#fbbc04")  # the raised hand on a tile and in the people list: yellow reads on video and badges
BADGE_COUNT = DANGER  # the round count on a control (unread messages, people waiting in the lobby), white digits
# The history screen's usage chart: minutes per day as bars in the accent colour (readable on both palettes); its
# text, grid and axis come from the palette.
CHART_BAR = ACCENT
CHART_BAR_HOVER = QColor("#4285f4")

# Toasts float over any screen, light or dark: their own dark (or red) face with white text reads on both.
TOAST_INFO = QColor(32, 33, 36, 230)
TOAST_ERROR = QColor(217, 48, 37, 235)
TOAST_TEXT = QColor("#ffffff")

# Avatar discs behind white initials: saturated, distinct from each other, and each at least 3:1 against white
# (WCAG's ratio for large text), which tests/ui/test_theme_icons.py checks.
AVATAR_COLORS: list[QColor] = [
    QColor(hex_code)
    for hex_code in (
        "#1967d2",  # blue
        "#188038",  # green
        "#c5221f",  # red
        "#8430ce",  # purple
        "#c26401",  # amber
        "#007b83",  # teal
        "#c2185b",  # pink
        "#3f51b5",  # indigo
    )
]

# Meetings in the calendar (ui/calendar/): a tinted block with a saturated edge and text in a dark shade of the same
# hue (light palette) or a light one (dark palette), each text colour at least 4.5:1 on its fill. (fill, edge, text).
MEETING_COLORS_LIGHT: list[tuple[QColor, QColor, QColor]] = [
    (QColor(fill), QColor(edge), QColor(text))
    for fill, edge, text in (
        ("#d2e3fc", "#1a73e8", "#0b3d91"),  # blue
        ("#ceead6", "#188038", "#0d4a21"),  # green
        ("#e9d2fd", "#8430ce", "#4a148c"),  # purple
        ("#feefc3", "#c26401", "#6b3300"),  # amber
        ("#fad2cf", "#c5221f", "#7a1411"),  # red
    )
]
MEETING_COLORS_DARK: list[tuple[QColor, QColor, QColor]] = [
    (QColor(fill), QColor(edge), QColor(text))
    for fill, edge, text in (
        ("#1c3a63", "#8ab4f8", "#d2e3fc"),
        ("#17402a", "#81c995", "#ceead6"),
        ("#3d2360", "#c58af9", "#f3e8fd"),
        ("#4a3308", "#fdd663", "#feefc3"),
        ("#5c1e1b", "#f28b82", "#fce8e6"),
    )
]
CALENDAR_LINE_LIGHT = QColor("#dadce0")  # the calendar's grid lines on the light Base
CALENDAR_LINE_DARK = QColor("#3c4043")
TODAY = ACCENT  # the disc behind today's date (ON_ACCENT digits) and the line at the current time


def is_dark(palette: QPalette) -> bool:
    """The dark palette is in use (its window colour is dark): painters pick their colour set by it."""
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def calendar_line(palette: QPalette) -> QColor:
    return QColor(CALENDAR_LINE_DARK if is_dark(palette) else CALENDAR_LINE_LIGHT)


def meeting_colors(key: str, palette: QPalette) -> tuple[QColor, QColor, QColor]:
    """(fill, edge, text) for the meeting ``key`` (its id): the same hue on every run, in the palette's set."""
    colors = MEETING_COLORS_DARK if is_dark(palette) else MEETING_COLORS_LIGHT
    fill, edge, text = colors[zlib.crc32(key.encode("utf-8")) % len(colors)]
    return QColor(fill), QColor(edge), QColor(text)


# Set on the QApplication once apply_theme has connected to colour-scheme changes, so calling it again does not
# connect a second time.
_FOLLOWING_SCHEME = "nimeetFollowsColorScheme"


def avatar_color(key: str) -> QColor:
    """The avatar colour for ``key`` (a user id or name): the same on every run and every machine.

    CRC-32 rather than ``hash()``: Python salts string hashes per process, and a person's colour must not change
    between calls or between the two ends of one."""
    return QColor(AVATAR_COLORS[zlib.crc32(key.encode("utf-8")) % len(AVATAR_COLORS)])


def _palette(colors: dict[QPalette.ColorRole, str], disabled: dict[QPalette.ColorRole, str]) -> QPalette:
    palette = QPalette()
    for role, value in colors.items():
        palette.setColor(role, QColor(value))  # every colour group: active and inactive windows look the same
    for role, value in disabled.items():
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor(value))
    return palette


_R = QPalette.ColorRole

# Google-style neutrals. Dark: text #e8eaed on #202124 is about 14:1; light: #202124 on #f6f7f9 about 15:1.
_DARK = _palette(
    {
        _R.Window: "#202124",
        _R.WindowText: "#e8eaed",
        _R.Base: "#2b2c2f",
        _R.AlternateBase: "#323336",
        _R.Text: "#e8eaed",
        _R.PlaceholderText: "#9aa0a6",
        _R.Button: "#303134",
        _R.ButtonText: "#e8eaed",
        _R.BrightText: "#ffffff",
        _R.ToolTipBase: "#3c4043",
        _R.ToolTipText: "#e8eaed",
        # Fusion draws bevels, frames and focus rims from these: a gentle ramp around the window colour.
        _R.Light: "#4a4d51",
        _R.Midlight: "#3c4043",
        _R.Mid: "#2b2c2f",
        _R.Dark: "#17181a",
        _R.Shadow: "#000000",
        _R.Highlight: "#1a73e8",
        _R.HighlightedText: "#ffffff",
        _R.Accent: "#1a73e8",
        _R.Link: "#8ab4f8",  # the accent blue is too dark to read as text on #202124
        _R.LinkVisited: "#c58af9",
    },
    {
        _R.WindowText: "#6f7378",
        _R.Text: "#6f7378",
        _R.ButtonText: "#6f7378",
        _R.Button: "#292a2d",
        _R.Base: "#252629",
        _R.Highlight: "#3c4043",
        _R.HighlightedText: "#9aa0a6",
    },
)

_LIGHT = _palette(
    {
        _R.Window: "#f6f7f9",
        _R.WindowText: "#202124",
        _R.Base: "#ffffff",
        _R.AlternateBase: "#f1f3f4",
        _R.Text: "#202124",
        _R.PlaceholderText: "#80868b",
        _R.Button: "#ffffff",
        _R.ButtonText: "#202124",
        _R.BrightText: "#ffffff",
        _R.ToolTipBase: "#3c4043",
        _R.ToolTipText: "#ffffff",
        _R.Light: "#ffffff",
        _R.Midlight: "#eceef1",
        _R.Mid: "#c4c7cc",
        _R.Dark: "#9aa0a6",
        _R.Shadow: "#5f6368",
        _R.Highlight: "#1a73e8",
        _R.HighlightedText: "#ffffff",
        _R.Accent: "#1a73e8",
        _R.Link: "#1a73e8",
        _R.LinkVisited: "#681da8",
    },
    {
        _R.WindowText: "#9aa0a6",
        _R.Text: "#9aa0a6",
        _R.ButtonText: "#9aa0a6",
        _R.Button: "#f1f3f4",
        _R.Base: "#f1f3f4",
        _R.Highlight: "#dadce0",
        _R.HighlightedText: "#5f6368",
    },
)

# Per-scheme colours the stylesheet needs that are not palette roles.
_SHEET_COLORS: dict[bool, dict[str, str]] = {
    # dark
    True: {
        "card": "#2b2c2f",
        "card_border": "#3c4043",
        "error": "#f28b82",
        "primary_disabled": "#3c4043",
        "secondary": "#9aa0a6",  # 6.0:1 on the card
        "private": "#f6aea9",  # a private message's mark
        "hover": "#3c4043",
        "drop": "#8ab4f8",
        "reminder_border": "#80868b",  # the reminder's dark face needs an edge on the dark window
    },
    # light: #d93025 on white is 4.7:1; on the dark theme it is too dim, hence Google's lighter #f28b82 there
    False: {
        "card": "#ffffff",
        "card_border": "#dadce0",
        "error": "#d93025",
        "primary_disabled": "#dadce0",
        "secondary": "#5f6368",  # 6.4:1 on white
        "private": "#c5221f",
        "hover": "#f1f3f4",
        "drop": "#1a73e8",
        "reminder_border": "#202124",
    },
}


def opacity_mask(opacity: float) -> QColor:
    """A colour whose alpha alone matters: composed with DestinationIn it scales a drawing's alpha by ``opacity``."""
    mask = QColor(0, 0, 0)
    mask.setAlpha(round(255 * opacity))
    return mask


def _css(color: QColor) -> str:
    """A colour as stylesheet text, alpha included (``QColor.name()`` drops it)."""
    if color.alpha() == 255:
        return color.name()
    return f"rgba({color.red()}, {color.green()}, {color.blue()}, {color.alpha()})"


def palette_for(scheme: Qt.ColorScheme) -> QPalette:
    """Our palette for a system colour scheme; Unknown (no preference, or no way to ask) gets the light one."""
    return QPalette(_DARK if scheme == Qt.ColorScheme.Dark else _LIGHT)


def stylesheet_for(scheme: Qt.ColorScheme, base_point_size: float) -> str:
    """The global stylesheet. Fonts are in points relative to the app font, so they follow the user's font size
    setting; geometry is in Qt's logical pixels, which Qt multiplies by the display's scale factor."""
    colors = _SHEET_COLORS[scheme == Qt.ColorScheme.Dark]
    title_pt = round(base_point_size * 1.45, 1)
    small_pt = round(base_point_size * 0.9, 1)
    # Selectors on a dynamic property match its value as a string: True becomes "true".
    return f"""
QToolButton[role="control"] {{
    background-color: {CONTROL_BACKGROUND.name()};
    color: {CONTROL_FOREGROUND.name()};
    border: none;
    border-radius: 24px;
    min-width: 48px; max-width: 48px; min-height: 48px; max-height: 48px;
    padding: 0px;
    qproperty-iconSize: 24px 24px;
}}
QToolButton[role="control"]:hover {{ background-color: #4a4e52; }}
QToolButton[role="control"]:pressed {{ background-color: #5f6368; }}
QToolButton[role="control"]:focus {{ border: 2px solid #8ab4f8; }}
QToolButton[role="control"]:disabled {{ background-color: #2d2f31; color: #80868b; }}
QToolButton[role="control"][off="true"] {{ background-color: {DANGER.name()}; }}
QToolButton[role="control"][off="true"]:hover {{ background-color: #e0463b; }}
QToolButton[role="control"][off="true"]:pressed {{ background-color: #b3261e; }}

QToolButton#leaveButton, QPushButton#leaveButton {{
    background-color: {DANGER.name()};
    color: #ffffff;
    border: none;
}}
QToolButton#leaveButton {{ border-radius: 24px; min-width: 48px; min-height: 48px; }}
QPushButton#leaveButton {{ border-radius: 6px; padding: 0.45em 1.4em; font-weight: bold; }}
QToolButton#leaveButton:hover, QPushButton#leaveButton:hover {{ background-color: #e0463b; }}
QToolButton#leaveButton:pressed, QPushButton#leaveButton:pressed {{ background-color: #b3261e; }}
QToolButton#leaveButton:focus, QPushButton#leaveButton:focus {{ border: 2px solid #8ab4f8; }}

QPushButton[primary="true"] {{
    background-color: {ACCENT.name()};
    color: #ffffff;
    border: none;
    border-radius: 6px;
    padding: 0.45em 1.4em;
    font-weight: bold;
}}
QPushButton[primary="true"]:hover {{ background-color: #1765cc; }}
QPushButton[primary="true"]:pressed {{ background-color: #185abc; }}
QPushButton[primary="true"]:focus {{ border: 2px solid #8ab4f8; }}
QPushButton[primary="true"]:disabled {{ background-color: {colors["primary_disabled"]}; color: #80868b; }}

QLabel[role="error"] {{ color: {colors["error"]}; font-size: {small_pt}pt; }}
QLabel[role="title"] {{ font-size: {title_pt}pt; font-weight: bold; }}

QLineEdit {{
    padding: 0.3em 0.5em;
    border: 1px solid {colors["card_border"]};
    border-radius: 6px;
    background-color: palette(base);
}}
QLineEdit:focus {{ border: 2px solid {ACCENT.name()}; }}
/* A spin box draws its own frame: the line edit inside it is not a field of its own (the rule above squashed it). */
QAbstractSpinBox QLineEdit {{ padding: 0px; border: none; border-radius: 0px; background-color: transparent; }}
QPushButton {{ padding: 0.35em 1em; }}
QPushButton[flat="true"] {{ color: palette(link); border: none; text-decoration: underline; }}
QListWidget#recentRooms::item {{ padding: 0.45em 0.3em; }}

QFrame#card {{
    background-color: {colors["card"]};
    border: 1px solid {colors["card_border"]};
    border-radius: 12px;
}}

QWidget#callView {{ background-color: {_css(CALL_BACKGROUND)}; }}
QLabel#callTitle {{ color: {_css(CALL_TEXT)}; font-weight: 600; }}
QLabel#participantCount {{ color: {_css(CONTROL_FOREGROUND)}; }}
QLabel#recNotice {{
    background-color: {_css(DANGER)}; color: {_css(ON_ACCENT)}; font-weight: 700; border-radius: 4px; padding: 1px 6px;
}}
QLabel#recWho {{ color: {_css(CALL_TEXT)}; }}
QLabel#pageLabel {{ color: {_css(CALL_TEXT)}; padding: 0 8px; }}
QPushButton#previousPage, QPushButton#nextPage {{
    background-color: {_css(CONTROL_BACKGROUND)}; color: {_css(CONTROL_FOREGROUND)}; border: none;
    border-radius: 16px; font-size: 14pt; padding: 0px;
}}
QPushButton#previousPage:disabled, QPushButton#nextPage:disabled {{ color: #80868b; }}
QWidget#reconnectingOverlay {{ background-color: {_css(OVERLAY_SHADE)}; }}
QLabel#reconnectingTitle {{ color: {_css(CALL_TEXT)}; font-size: 16pt; font-weight: 600; }}
QLabel#reconnectingDetail {{ color: {_css(CALL_TEXT_SECONDARY)}; }}

QLabel#toast {{
    background-color: {_css(TOAST_INFO)};
    color: {_css(TOAST_TEXT)};
    border-radius: 8px;
    padding: 8px 14px;
}}
QLabel#toast[kind="error"] {{ background-color: {_css(TOAST_ERROR)}; }}
QFrame#deviceOffer {{ background-color: {_css(TOAST_INFO)}; border-radius: 8px; }}

QToolButton[role="control"]:checked {{ background-color: {ACCENT.name()}; }}
QToolButton[role="control"]:checked:hover {{ background-color: #1765cc; }}
QToolButton[panelToggle="true"] {{
    border: none;
    border-radius: 20px;
    min-width: 40px; max-width: 40px; min-height: 40px; max-height: 40px;
    padding: 0px;
}}
QToolButton[panelToggle="true"]:hover {{ background-color: #4a4e52; }}
QToolButton[panelToggle="true"]:checked {{ background-color: {CONTROL_BACKGROUND.name()}; }}
QToolButton[panelToggle="true"]:focus {{ border: 2px solid #8ab4f8; }}
QLabel#controlBadge {{
    background-color: {BADGE_COUNT.name()};
    color: {ON_ACCENT.name()};
    border-radius: 9px;
    font-size: {small_pt}pt;
    font-weight: bold;
    padding: 0px 5px;
    min-height: 18px;
    max-height: 18px;
}}
QToolButton#reactionChoice {{
    font-size: {round(base_point_size * 1.9, 1)}pt;
    border: none;
    border-radius: 8px;
    padding: 2px;
}}
QToolButton#reactionChoice:hover, QToolButton#reactionChoice:focus {{ background-color: {colors["hover"]}; }}

QWidget#meetingPanel {{
    background-color: {colors["card"]};
    border-radius: 12px;
}}
QWidget#meetingPanel QScrollArea {{ background-color: transparent; border: none; }}
QWidget#peopleContent, QWidget#chatTranscript {{ background-color: transparent; }}
QTabBar#meetingTabs::tab {{
    background-color: transparent;
    border: none;
    border-bottom: 3px solid transparent;
    color: {colors["secondary"]};
    padding: 6px 10px;
    margin-right: 4px;
}}
QTabBar#meetingTabs::tab:selected {{ border-bottom-color: {ACCENT.name()}; color: palette(window-text); }}
QTabBar#meetingTabs::tab:hover {{ background-color: {colors["hover"]}; }}
QLabel[role="secondary"] {{ color: {colors["secondary"]}; font-size: {small_pt}pt; }}

QPushButton[role="page"] {{
    background-color: palette(button);
    border: 1px solid {colors["card_border"]};
    border-radius: 4px;
    padding: 0.3em 1em;
}}
QPushButton[role="page"]:hover {{ background-color: {colors["hover"]}; }}
QPushButton[role="page"]:checked {{ background-color: {ACCENT.name()}; border-color: {ACCENT.name()}; color: #ffffff; }}
QPushButton[role="page"]:focus {{ border: 2px solid #8ab4f8; }}
QLabel[role="section"] {{ font-weight: bold; }}
QLabel[role="private"] {{ color: {colors["private"]}; font-size: {small_pt}pt; font-style: italic; }}
QLabel[role="chatName"] {{ font-weight: bold; }}
QTextBrowser#chatText {{ background-color: transparent; border: none; }}
QWidget#personRow:hover {{ background-color: {colors["hover"]}; border-radius: 8px; }}
QToolButton#personMenu {{ border: none; border-radius: 14px; padding: 2px; }}
QToolButton#personMenu:hover, QToolButton#personMenu:focus {{ background-color: {colors["card_border"]}; }}
QFrame#transferRow {{ border: 1px solid {colors["card_border"]}; border-radius: 8px; }}
QWidget#chatTab[dropping="true"] {{ border: 2px dashed {colors["drop"]}; border-radius: 8px; }}
QPlainTextEdit#chatInput {{
    border: 1px solid {colors["card_border"]};
    border-radius: 8px;
    padding: 2px 4px;
    background-color: palette(base);
}}
QPlainTextEdit#chatInput:focus {{ border-color: {ACCENT.name()}; }}
QLabel#deviceOfferText {{ color: {_css(TOAST_TEXT)}; }}
QFrame#reminderBanner {{
    background-color: {_css(TOAST_INFO)};
    border: 1px solid {colors["reminder_border"]};
    border-radius: 8px;
}}
QLabel#reminderText {{ color: {_css(TOAST_TEXT)}; }}
QToolButton#reminderDismiss {{ color: {_css(TOAST_TEXT)}; border: none; font-size: 14pt; }}
QToolButton#dismissOfferButton {{ color: {_css(TOAST_TEXT)}; border: none; font-size: 14pt; }}
"""


def apply_theme(app: QApplication) -> None:
    """Fusion, the palette for the system's colour scheme, and the stylesheet; again whenever the scheme changes."""
    app.setStyle("Fusion")
    hints = app.styleHints()
    apply_scheme(app, hints.colorScheme())
    if not app.property(_FOLLOWING_SCHEME):
        # Bound to this app object (not looked up later via QApplication.instance()) so a test's app is the one
        # that is re-themed.
        hints.colorSchemeChanged.connect(partial(apply_scheme, app))
        app.setProperty(_FOLLOWING_SCHEME, True)


def apply_scheme(app: QApplication, scheme: Qt.ColorScheme) -> None:
    """The palette and stylesheet of ``scheme`` (``apply_theme`` calls it for the system's; the screenshot script
    forces dark with it, which Qt's generic Unix theme offers no other way to do)."""
    logger.debug("applying the %s colour scheme", scheme.name)
    app.setPalette(palette_for(scheme))
    # A different stylesheet string per scheme, so Qt re-polishes every widget with the new card and error colours.
    point_size = app.font().pointSizeF()
    # -1 when the app font was given in pixels; 10 pt is the common desktop default.
    app.setStyleSheet(stylesheet_for(scheme, point_size if point_size > 0 else 10.0))


def set_off(button: QWidget, off: bool) -> None:
    """Mark a control button as "off" (muted microphone, stopped camera): the stylesheet turns it red.

    Qt evaluates property selectors only when a widget is polished, so changing the property alone would leave the
    old colour on screen; unpolish and polish make the style look again."""
    button.setProperty("off", off)
    style = button.style()
    style.unpolish(button)
    style.polish(button)
    button.update()
