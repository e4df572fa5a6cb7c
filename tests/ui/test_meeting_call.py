"""The meeting in the call window: the control bar's hand, reactions and panel buttons with their counts, raised
hands and floating reactions on the tiles, the panel beside the grid, the "muted by a host" toast, and chat
notifications. Offscreen, with the app's theme; the call window is built without a call (nothing of the engine)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from nimeet_desktop.media.provider import SyntheticMediaProvider
from nimeet_desktop.net.credentials import CredentialStore
from nimeet_desktop.settings import Settings, SettingsStore
from nimeet_desktop.ui import theme
from nimeet_desktop.ui.context import AppContext
from nimeet_desktop.ui.control_bar import SHORTCUTS, ControlBar
from nimeet_desktop.ui.meeting import reactions
from nimeet_desktop.ui.notifications import Notifier
from nimeet_desktop.ui.toast import ToastKind
from nimeet_desktop.ui.video_grid import VideoGrid
from nimeet_desktop.ui.video_tile import VideoTile
from nimeet_desktop.ui.views.call_view import SELF_TILE, CallView
from signaling_server.protocol import REACTIONS
from tests.support.memory_keyring import MemoryKeyring
from tests.ui.meeting_data import NOW, message, minutes, person

pytestmark = [
    pytest.mark.usefixtures("ui_loop"),  # the app's theme
    pytest.mark.qt_log_ignore("This plugin does not support raise", "This plugin does not support grabbing"),
]

THUMBS_UP = REACTIONS[0]


def no_frame() -> None:
    return None


def near(a: QColor, b: QColor, tolerance: int = 24) -> bool:
    return max(abs(a.red() - b.red()), abs(a.green() - b.green()), abs(a.blue() - b.blue())) <= tolerance


@pytest.fixture
def shown(qtbot: QtBot) -> Iterator[list[QWidget]]:
    """Windows a test shows, kept alive until it ends (qtbot holds them weakly)."""
    windows: list[QWidget] = []
    yield windows
    for window in windows:
        window.close()


def show(qtbot: QtBot, shown: list[QWidget], widget: QWidget, width: int, height: int) -> None:
    qtbot.addWidget(widget)
    shown.append(widget)
    widget.resize(width, height)
    widget.show()
    qtbot.waitExposed(widget)


# ---- the control bar ----------------------------------------------------------------------------------------


def test_the_meetings_controls_show_only_when_asked(qtbot: QtBot, shown: list[QWidget]) -> None:
    bar = ControlBar()
    show(qtbot, shown, bar, 1000, 70)
    meeting = [bar.hand_button, bar.reactions_button, bar.people_button, bar.chat_button]
    assert not any(button.isVisible() for button in meeting)  # a call without a meeting: the bar as before
    bar.set_meeting_controls(True)
    assert all(button.isVisible() for button in meeting)
    # The call's own controls stay centred in the bar.
    middle = (bar.mic_button.geometry().left() + bar.leave_button.geometry().right()) / 2
    assert abs(middle - bar.width() / 2) < bar.width() * 0.08


def test_the_hand_button_asks_and_shows_what_it_is_told(qtbot: QtBot, shown: list[QWidget]) -> None:
    bar = ControlBar()
    bar.set_meeting_controls(True)
    show(qtbot, shown, bar, 1000, 70)
    asked: list[bool] = []
    bar.raise_hand.connect(asked.append)
    qtbot.mouseClick(bar.hand_button, Qt.MouseButton.LeftButton)
    assert asked == [True]
    assert not bar.hand_button.isChecked()  # not raised until the call says so
    bar.set_hand_raised(True)
    assert bar.hand_button.isChecked()
    assert bar.hand_button.accessibleName() == "Lower your hand"
    assert SHORTCUTS["hand"] in bar.hand_button.toolTip()
    qtbot.mouseClick(bar.hand_button, Qt.MouseButton.LeftButton)
    assert asked == [True, False]


def test_the_reactions_menu_sends_one(qtbot: QtBot, shown: list[QWidget]) -> None:
    bar = ControlBar()
    bar.set_meeting_controls(True)
    show(qtbot, shown, bar, 1000, 70)
    qtbot.mouseClick(bar.reactions_button, Qt.MouseButton.LeftButton)
    menu, picker = bar.reaction_menu, bar.reaction_picker
    assert menu is not None and picker is not None
    qtbot.waitUntil(menu.isVisible)
    assert [button.text() for button in picker.buttons] == list(REACTIONS)
    assert picker.buttons[0].accessibleName() == "Thumbs up"
    with qtbot.waitSignal(bar.react) as sent:
        qtbot.mouseClick(picker.buttons[4], Qt.MouseButton.LeftButton)
    assert sent.args == ["\u2764\ufe0f"]
    qtbot.waitUntil(lambda: bar.reaction_menu is None)  # picked: closed


def test_badges_count_and_go(qtbot: QtBot, shown: list[QWidget]) -> None:
    bar = ControlBar()
    bar.set_meeting_controls(True)
    show(qtbot, shown, bar, 1000, 70)
    badge = bar.chat_badge.label
    assert not badge.isVisible()
    bar.set_unread(3)
    assert badge.isVisible() and badge.text() == "3"
    assert "3" in bar.chat_button.toolTip()
    bar.set_unread(12)
    assert badge.text() == "9+"
    # On the button's top right corner, whole.
    assert bar.chat_button.rect().contains(badge.geometry())
    assert badge.geometry().right() == bar.chat_button.width() - 1
    bar.set_unread(0)
    assert not badge.isVisible()
    bar.set_waiting(2)
    assert bar.people_badge.label.isVisible() and bar.people_badge.label.text() == "2"


# ---- tiles: hands and reactions -----------------------------------------------------------------------------


def test_a_raised_hand_shows_on_the_tile(qtbot: QtBot, shown: list[QWidget]) -> None:
    tile = VideoTile("a", "ada", no_frame)
    show(qtbot, shown, tile, 320, 180)
    rect = tile.hand_rect()
    edge = QPoint(round(rect.left()) + 2, round(rect.center().y()))  # the disc, beside the glyph
    assert not near(tile.grab().toImage().pixelColor(edge), theme.HAND_RAISED)
    tile.set_hand_raised(True)
    assert near(tile.grab().toImage().pixelColor(edge), theme.HAND_RAISED)
    # Pinned, the hand moves beside the pin.
    tile.set_pinned(True)
    assert tile.hand_rect().left() > rect.right()
    tile.set_hand_raised(False)
    image = tile.grab().toImage()
    moved = tile.hand_rect()
    assert not near(image.pixelColor(QPoint(round(moved.left()) + 2, round(moved.center().y()))), theme.HAND_RAISED)


def test_a_reaction_floats_up_and_goes(qtbot: QtBot, shown: list[QWidget], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reactions, "FLOAT_MS", 600)
    host = QWidget()
    show(qtbot, shown, host, 960, 540)
    grid = VideoGrid(host)
    grid.resize(960, 540)
    grid.add_tile(VideoTile(SELF_TILE, "You", no_frame, is_self=True))
    grid.add_tile(VideoTile("a", "ada", no_frame))
    grid.show()
    tile = grid.tile("a")
    assert tile is not None
    qtbot.waitUntil(tile.isVisible)
    assert grid.show_reaction("a", THUMBS_UP)
    assert not grid.show_reaction("nobody", THUMBS_UP)
    (bubble,) = tile.reactions()
    assert bubble.emoji == THUMBS_UP and grid.tile(SELF_TILE).reactions() == []  # type: ignore[union-attr]
    start = bubble.y()
    assert tile.rect().contains(bubble.geometry())
    qtbot.waitUntil(lambda: bubble.y() < start - 20, timeout=2000)  # rising
    qtbot.waitUntil(lambda: tile.reactions() == [], timeout=3000)  # and gone
    # A burst keeps at most MAX_BUBBLES on one tile.
    for _ in range(reactions.MAX_BUBBLES + 3):
        tile.show_reaction(THUMBS_UP)
    qtbot.wait(10)
    assert len(tile.reactions()) == reactions.MAX_BUBBLES


def test_the_grid_shows_hands(qtbot: QtBot, shown: list[QWidget]) -> None:
    host = QWidget()
    show(qtbot, shown, host, 640, 360)
    grid = VideoGrid(host)
    grid.add_tile(VideoTile("a", "ada", no_frame))
    grid.set_hand_raised("a", True)
    grid.set_hand_raised("nobody", True)  # no such tile: nothing
    tile = grid.tile("a")
    assert tile is not None and tile.hand_raised


# ---- the call window ----------------------------------------------------------------------------------------


@pytest.fixture
def view(qtbot: QtBot, tmp_path: Path, shown: list[QWidget]) -> CallView:
    settings = Settings(server_url="http://127.0.0.1:9", start_local_server=False)
    context = AppContext(
        SettingsStore(tmp_path), settings, CredentialStore(backend=MemoryKeyring()), SyntheticMediaProvider(160, 120)
    )
    made = CallView(context)
    for tile_id, name in ((SELF_TILE, "You"), ("a", "ada"), ("g", "grace")):
        made.grid.add_tile(VideoTile(tile_id, name, no_frame, is_self=tile_id == SELF_TILE))
    show(qtbot, shown, made, 1100, 700)
    return made


EVERYONE = [
    person("me", "margaret", role="host"),
    person("a", "ada", hand_at=NOW),
    person("g", "grace"),
]


def test_without_meeting_data_the_call_window_is_as_before(qtbot: QtBot, view: CallView) -> None:
    assert not view.controls.meeting_controls_shown and not view.panel_open
    assert not view.hand_shortcut.isEnabled()
    view.show_meeting_controls(True)
    assert view.controls.meeting_controls_shown and view.hand_shortcut.isEnabled()


def test_the_panel_opens_beside_the_grid_and_the_grid_follows(qtbot: QtBot, view: CallView) -> None:
    view.show_meeting_controls(True)
    view.set_people("me", EVERYONE, am_host=True)
    full = view.grid.width()
    tile = view.grid.tile("a")
    assert tile is not None
    tile_width = tile.width()
    qtbot.mouseClick(view.controls.people_button, Qt.MouseButton.LeftButton)
    assert view.panel_open and view.meeting.current_tab == "people"
    assert view.controls.people_button.isChecked() and not view.controls.chat_button.isChecked()
    qtbot.waitUntil(lambda: view.grid.width() < full)
    assert view.side.geometry().left() > view.grid.geometry().right()  # right of the grid
    qtbot.waitUntil(lambda: tile.width() < tile_width)  # the tiles re-flow into what is left
    qtbot.mouseClick(view.controls.chat_button, Qt.MouseButton.LeftButton)  # the other tab: stays open
    assert view.panel_open and view.controls.chat_button.isChecked()
    assert str(view.meeting.current_tab) == "chat"
    qtbot.mouseClick(view.controls.chat_button, Qt.MouseButton.LeftButton)  # the same: closes
    assert not view.panel_open and not view.controls.chat_button.isChecked()
    qtbot.waitUntil(lambda: view.grid.width() == full)
    view.toggle_panel("people")
    qtbot.mouseClick(view.meeting.close_button, Qt.MouseButton.LeftButton)
    assert not view.panel_open and not view.controls.people_button.isChecked()


def test_set_people_puts_hands_on_tiles_and_on_our_button(qtbot: QtBot, view: CallView) -> None:
    view.show_meeting_controls(True)
    view.set_people("me", EVERYONE, am_host=True)
    hands = {tile.tile_id: tile.hand_raised for tile in view.grid.tiles()}
    assert hands == {SELF_TILE: False, "a": True, "g": False}
    assert not view.controls.hand_button.isChecked()
    view.set_hand_raised("me", True)  # ours: our own tile and our button
    assert view.grid.tile(SELF_TILE).hand_raised  # type: ignore[union-attr]
    assert view.controls.hand_button.isChecked()
    view.show_reaction("me", THUMBS_UP)
    assert len(view.grid.tile(SELF_TILE).reactions()) == 1  # type: ignore[union-attr]


def test_the_hand_shortcut_and_typing_in_the_chat(qtbot: QtBot, view: CallView) -> None:
    view.show_meeting_controls(True)
    view.set_people("me", EVERYONE, am_host=False)
    asked: list[bool] = []
    view.raise_hand.connect(asked.append)
    view.controls.hand_button.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert asked == [True]

    # Typing "m" in the chat writes an m: the microphone's single-key shortcut does not fire.
    microphone = next(s for s in view.findChildren(QShortcut) if s.key() == QKeySequence(SHORTCUTS["microphone"]))
    fired: list[bool] = []
    microphone.activated.connect(lambda: fired.append(True))
    view.toggle_panel("chat")
    chat_input = view.meeting.chat.input
    chat_input.setFocus()
    qtbot.waitUntil(chat_input.hasFocus)
    qtbot.keyClicks(chat_input, "mv")
    assert chat_input.toPlainText() == "mv" and fired == []
    view.controls.mic_button.setFocus()
    qtbot.keyClick(view.controls.mic_button, Qt.Key.Key_M)
    assert fired == [True]  # elsewhere it does: the check above can fail


def test_the_unread_badge_counts_while_the_chat_is_closed_and_clears(qtbot: QtBot, view: CallView) -> None:
    view.show_meeting_controls(True)
    view.set_people("me", EVERYONE, am_host=False)
    badge = view.controls.chat_badge
    notified: list[tuple[str, str, str, bool]] = []
    view.chat_received.connect(lambda *args: notified.append(args))
    view.meeting.add_message(message(1, "a", "ada", "hello"), mine=False)
    view.meeting.add_message(message(2, "a", "ada", "psst", to="me", at=NOW + minutes(1)), mine=False)
    assert badge.count == 2 and badge.label.isVisible()
    assert notified == [("ada", "hello", "", False), ("ada", "psst", "", True)]
    view.toggle_panel("people")
    assert badge.count == 2  # People is open, not Chat
    qtbot.mouseClick(view.controls.chat_button, Qt.MouseButton.LeftButton)
    assert badge.count == 0 and not badge.label.isVisible()


def test_the_lobby_count_shows_on_the_people_button_for_hosts(qtbot: QtBot, view: CallView) -> None:
    from tests.ui.meeting_data import waiting

    view.show_meeting_controls(True)
    view.set_people("me", EVERYONE, am_host=True)
    view.meeting.set_lobby([waiting("w1", "dorothy")])
    assert view.controls.people_badge.count == 1
    view.set_people("me", EVERYONE, am_host=False)  # demoted: not yours to let in
    assert view.controls.people_badge.count == 0


def test_a_toast_says_who_muted_you(qtbot: QtBot, view: CallView) -> None:
    toasts: list[tuple[str, ToastKind]] = []
    view.toast.connect(lambda text, kind: toasts.append((text, kind)))
    view.muted_by_host("microphone", "ada")
    view.muted_by_host("camera", "<b>grace</b>")
    view.muted_by_host("microphone", None)
    assert toasts == [
        ("\u2068ada\u2069 muted your microphone", ToastKind.INFO),
        ("\u2068<b>grace</b>\u2069 turned your camera off", ToastKind.INFO),
        ("A host muted your microphone", ToastKind.INFO),
    ]


# ---- notifications ------------------------------------------------------------------------------------------


def test_chat_messages_notify_while_the_window_is_not_active(qtbot: QtBot) -> None:
    shown_texts: list[str] = []
    active = [False]
    notifier = Notifier(lambda _title, text: shown_texts.append(text), lambda: active[0], min_gap_s=0.3)
    notifier.chat("ada", "see   you\nat <b>3</b>", "", False)
    qtbot.waitUntil(lambda: len(shown_texts) == 1)
    assert shown_texts == ["\u2068ada\u2069: see you at \u2039b\u203a3\u2039/b\u203a"]  # one line, no markup
    notifier.chat("ada", "one", "", True)
    notifier.chat("grace", "", "plan.pdf", False)
    notifier.chat("linus", "three", "", False)
    qtbot.waitUntil(lambda: len(shown_texts) == 2)
    assert shown_texts[1] == "3 new messages in the chat"  # within the gap: one notification
    active[0] = True
    notifier.chat("ada", "seen in the window", "", False)
    qtbot.wait(500)
    assert len(shown_texts) == 2
    notifier.deleteLater()
