"""The meeting's side panel (ui/meeting/): the People tab (lobby, hosts' actions, hands in order) and the Chat tab
(groups, links and markup, private messages, Enter, files dropped, sent and saved), offscreen with the app's theme."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QObject, QPoint, QPointF, Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices, QDragEnterEvent, QDropEvent, QTextCursor
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from nimeet_desktop.ui.meeting.chat import GROUP_S
from nimeet_desktop.ui.meeting.chat_text import open_link, safe_link
from nimeet_desktop.ui.meeting.panel import PANEL_WIDTH, MeetingPanel
from nimeet_desktop.ui.meeting.people import PeopleTab, initial
from nimeet_desktop.ui.untrusted import link_spans
from signaling_server.protocol import CHAT_TEXT_MAX, FileInfo
from tests.ui.layout_checks import clipped_widgets
from tests.ui.meeting_data import NOW, file_info, message, minutes, person, waiting

pytestmark = [
    pytest.mark.usefixtures("ui_loop"),  # the app's theme
    # Menus and dialogs pop up: the offscreen platform says it cannot raise them or grab the keyboard.
    pytest.mark.qt_log_ignore("This plugin does not support raise", "This plugin does not support grabbing"),
]

IMG = '<img src="file:///dev/zero">'


@pytest.fixture
def panel(qtbot: QtBot) -> Iterator[MeetingPanel]:
    """A shown panel in a layout-less window (as the grid tests host theirs)."""
    host = QWidget()
    qtbot.addWidget(host)
    host.resize(PANEL_WIDTH, 720)
    made = MeetingPanel(host)
    made.resize(PANEL_WIDTH, 720)
    host.show()
    qtbot.waitExposed(host)
    yield made
    host.close()  # and only now may the window go: the panel is its child


def people_of(tab: PeopleTab) -> list[str]:
    """The socket ids of the rows, top to bottom."""
    layout = tab.people_list
    items = [layout.itemAt(i) for i in range(layout.count())]
    rows = [item.widget() for item in items if item is not None]
    by_row = {row: socket_id for socket_id, row in tab.rows.items()}
    return [by_row[row] for row in rows if row in by_row]


# ---- People -------------------------------------------------------------------------------------------------


def test_the_lobby_buttons_emit_admit_deny_and_admit_all(qtbot: QtBot, panel: MeetingPanel) -> None:
    panel.set_people("me", [person("me", "margaret", role="host")], am_host=True)
    with qtbot.waitSignal(panel.waiting_changed) as counted:
        panel.set_lobby([waiting("w1", "dorothy"), waiting("w2", "mary")])
    assert counted.args == [2]
    people = panel.people
    assert people.lobby_box.isVisible() and people.admit_all_button.isVisible()
    with qtbot.waitSignal(panel.admit) as admitted:
        qtbot.mouseClick(people.lobby_rows["w2"].admit_button, Qt.MouseButton.LeftButton)
    assert admitted.args == ["w2"]
    with qtbot.waitSignal(panel.deny) as denied:
        qtbot.mouseClick(people.lobby_rows["w1"].deny_button, Qt.MouseButton.LeftButton)
    assert denied.args == ["w1"]
    with qtbot.waitSignal(panel.admit_all):
        qtbot.mouseClick(people.admit_all_button, Qt.MouseButton.LeftButton)
    panel.set_lobby([])
    assert not people.lobby_box.isVisible() and panel.waiting == 0


def test_a_participant_sees_no_host_actions(qtbot: QtBot, panel: MeetingPanel) -> None:
    everyone = [person("me", "margaret"), person("a", "ada", role="host")]
    panel.set_people("me", everyone, am_host=False)
    panel.set_lobby([waiting("w1", "dorothy")])  # a stale lobby must not show either
    people = panel.people
    assert not people.lobby_box.isVisible()
    assert not people.host_box.isVisible()  # no "Mute everyone", no lock
    assert panel.waiting == 0
    assert all(row.menu_button.isHidden() for row in people.rows.values())
    assert people.build_menu("a") is None
    # And a host does see them: the check above can fail.
    panel.set_people("me", everyone, am_host=True)
    assert people.lobby_box.isVisible() and people.host_box.isVisible()
    assert not any(row.menu_button.isHidden() for row in people.rows.values())


def action_names(panel: MeetingPanel, socket_id: str) -> dict[str, bool]:
    menu = panel.people.build_menu(socket_id)
    assert menu is not None
    names = {action.objectName(): action.isEnabled() for action in menu.actions() if action.objectName()}
    menu.deleteLater()
    return names


def test_a_hosts_menu_on_each_person(qtbot: QtBot, panel: MeetingPanel) -> None:
    everyone = [
        person("me", "margaret", role="host"),
        person("a", "ada", hand_at=NOW),
        person("g", "grace", microphone=False, camera=False, role="host"),
    ]
    panel.set_people("me", everyone, am_host=True)
    assert action_names(panel, "a") == {
        "muteAction": True,
        "cameraOffAction": True,
        "roleAction": True,
        "lowerHandAction": True,
        "removeAction": True,
    }
    # Already muted and without a camera: nothing to turn off; a host can be made a participant; no hand.
    assert action_names(panel, "g") == {
        "muteAction": False,
        "cameraOffAction": False,
        "roleAction": True,
        "removeAction": True,
    }
    # Yourself: only your role (the server refuses the rest on yourself).
    assert action_names(panel, "me") == {"roleAction": True}

    def trigger(socket_id: str, name: str) -> None:
        menu = panel.people.build_menu(socket_id)
        assert menu is not None
        action = next(a for a in menu.actions() if a.objectName() == name)
        action.trigger()
        menu.deleteLater()

    with qtbot.waitSignal(panel.mute) as muted:
        trigger("a", "muteAction")
    assert muted.args == ["a", "microphone"]
    with qtbot.waitSignal(panel.mute) as camera_off:
        trigger("a", "cameraOffAction")
    assert camera_off.args == ["a", "camera"]
    with qtbot.waitSignal(panel.set_role) as promoted:
        trigger("a", "roleAction")
    assert promoted.args == ["a", "host"]
    with qtbot.waitSignal(panel.set_role) as demoted:
        trigger("g", "roleAction")
    assert demoted.args == ["g", "participant"]
    with qtbot.waitSignal(panel.lower_hand) as lowered:
        trigger("a", "lowerHandAction")
    assert lowered.args == ["a"]
    with qtbot.waitSignal(panel.mute_all):
        qtbot.mouseClick(panel.people.mute_all_button, Qt.MouseButton.LeftButton)


def test_the_menu_button_opens_the_menu(qtbot: QtBot, panel: MeetingPanel) -> None:
    panel.set_people("me", [person("me", "margaret", role="host"), person("a", "ada")], am_host=True)
    qtbot.mouseClick(panel.people.rows["a"].menu_button, Qt.MouseButton.LeftButton)
    menu = panel.people.menu
    assert menu is not None
    qtbot.waitUntil(menu.isVisible)
    assert menu.property("socketId") == "a"
    menu.close()
    qtbot.waitUntil(lambda: panel.people.menu is None)


def test_remove_asks_first(qtbot: QtBot, panel: MeetingPanel) -> None:
    panel.set_people("me", [person("me", "margaret", role="host"), person("a", IMG)], am_host=True)
    removed: list[str] = []
    panel.remove.connect(removed.append)
    people = panel.people

    people.confirm_remove("a")
    box = people.confirmation
    assert box is not None
    qtbot.waitUntil(box.isVisible)
    assert box.textFormat() == Qt.TextFormat.PlainText  # the name is someone else's text
    assert IMG in box.text()
    box.button(QMessageBox.StandardButton.Cancel).click()
    qtbot.waitUntil(lambda: people.confirmation is None)
    assert removed == []  # cancelled: nobody removed

    people.confirm_remove("a")
    box = people.confirmation
    assert box is not None
    confirm = box.findChild(QWidget, "confirmRemoveButton")
    assert confirm is not None
    with qtbot.waitSignal(panel.remove) as asked:
        qtbot.mouseClick(confirm, Qt.MouseButton.LeftButton)
    assert asked.args == ["a"]
    assert removed == ["a"]


def test_raised_hands_come_first_earliest_first(qtbot: QtBot, panel: MeetingPanel) -> None:
    everyone = [
        person("me", "margaret"),
        person("a", "ada", hand_at=NOW + minutes(2)),
        person("g", "grace"),
        person("l", "linus", hand_at=NOW),
        person("k", "katherine", hand_at=NOW + minutes(1)),
    ]
    panel.set_people("me", everyone, am_host=False)
    assert people_of(panel.people) == ["l", "k", "a", "me", "g"]
    assert [not panel.people.rows[s].hand.isHidden() for s in ("l", "k", "a", "me", "g")] == [True] * 3 + [False] * 2
    # linus lowers his hand, grace raises hers: the order follows.
    everyone[3] = person("l", "linus")
    everyone[2] = person("g", "grace", hand_at=NOW + minutes(3))
    panel.set_people("me", everyone, am_host=False)
    assert people_of(panel.people) == ["k", "a", "g", "me", "l"]
    # Someone leaves: their row goes.
    panel.set_people("me", everyone[:3], am_host=False)
    assert people_of(panel.people) == ["a", "g", "me"]
    assert set(panel.people.rows) == {"me", "a", "g"}


def test_the_lock_shows_what_the_server_says(qtbot: QtBot, panel: MeetingPanel) -> None:
    panel.set_people("me", [person("me", "margaret", role="host")], am_host=True)
    box = panel.people.lock_box
    with qtbot.waitSignal(panel.lock) as asked:
        qtbot.mouseClick(box, Qt.MouseButton.LeftButton)
    assert asked.args == [True]
    assert not box.isChecked()  # not until the room says so
    panel.set_locked(True)
    assert box.isChecked()
    with qtbot.waitSignal(panel.lock) as unlock:
        qtbot.mouseClick(box, Qt.MouseButton.LeftButton)
    assert unlock.args == [False]


def fits(qtbot: QtBot, panel: MeetingPanel) -> None:
    """Every text whole, and nothing wider than the panel (its lists never scroll sideways)."""
    qtbot.wait(50)
    assert clipped_widgets(panel) == []
    for area in (panel.people.scroll_area, panel.chat.scroll_area):
        content = area.widget()
        assert content is not None
        assert content.minimumSizeHint().width() <= area.viewport().width(), area.parentWidget()


def people_and_chat(panel: MeetingPanel) -> None:
    everyone = [person("me", "margaret", role="host"), person("a", "W" * 32, hand_at=NOW, microphone=False)]
    panel.set_people("me", everyone, am_host=True)
    panel.set_lobby([waiting("w1", "dorothy"), waiting("w2", "W" * 32)])
    panel.add_message(message(1, "a", "W" * 32, "W" * 300, to="me"), mine=False)
    panel.add_message(message(2, "a", "W" * 32, "", file=file_info("f", "W" * 200)), mine=False)
    panel.download_finished("f", None)
    panel.upload_started("t", "W" * 200, 10)


@pytest.mark.parametrize("language", ["en", "ru"])
def test_both_tabs_fit_their_text(qtbot: QtBot, request: pytest.FixtureRequest, language: str) -> None:
    """In each language: a Russian "Mute everyone" beside "Lock room" once pushed the People tab sideways."""
    if language == "ru":
        request.getfixturevalue("russian")  # before the panel is built: its words are set once
    host = QWidget()
    qtbot.addWidget(host)
    host.resize(PANEL_WIDTH, 720)
    made = MeetingPanel(host)
    made.resize(PANEL_WIDTH, 720)
    host.show()
    qtbot.waitExposed(host)
    people_and_chat(made)
    fits(qtbot, made)
    made.show_tab("chat")
    fits(qtbot, made)
    host.close()


# ---- Chat ---------------------------------------------------------------------------------------------------


def test_messages_are_grouped_by_sender(qtbot: QtBot, panel: MeetingPanel) -> None:
    panel.set_people("me", [person("me", "margaret"), person("a", "ada"), person("g", "grace")], am_host=False)
    panel.set_history(
        [
            message(1, "a", "ada", "one", at=NOW),
            message(2, "a", "ada", "two", at=NOW + minutes(1)),
            message(3, "g", "grace", "three", at=NOW + minutes(2)),
            message(4, "me", "margaret", "four", at=NOW + minutes(3)),  # ours, from the history: told by user id
            message(5, "me", "margaret", "five", at=NOW + minutes(3)),
            message(6, "a", "ada", "six", at=NOW + minutes(4)),
            message(7, "a", "ada", "seven", at=NOW + minutes(4) + minutes(GROUP_S / 60 + 1)),  # long after: new group
        ]
    )
    groups = panel.chat.groups
    assert [g.name.full_text for g in groups] == ["ada", "grace", "You", "ada", "ada"]
    assert [[t.toPlainText() for t in g.texts()] for g in groups] == [
        ["one", "two"],
        ["three"],
        ["four", "five"],
        ["six"],
        ["seven"],
    ]
    # Each group says the time of its first message, on this computer's clock.
    assert groups[0].time.text() and groups[0].time.text() != groups[1].time.text()


def test_html_in_a_message_shows_as_text_and_a_link_opens(qtbot: QtBot, panel: MeetingPanel) -> None:
    class Browser(QObject):
        def __init__(self) -> None:
            super().__init__()
            self.opened: list[str] = []

        @Slot(QUrl)
        def open(self, url: QUrl) -> None:
            self.opened.append(url.toString())

    browser = Browser()
    for scheme in ("http", "https"):
        # PySide's stub says bytes; at run time only the slot's name as str is accepted.
        QDesktopServices.setUrlHandler(scheme, browser, "open")  # type: ignore[arg-type]
    try:
        text = f'{IMG} <a href="file:///etc/passwd">x</a> javascript:alert(1) see https://example.org/plan.'
        panel.set_people("me", [person("me", "margaret"), person("a", "ada")], am_host=False)
        panel.add_message(message(1, "a", "ada", text), mine=False)
        panel.show_tab("chat")
        (shown,) = panel.chat.groups[0].texts()
        assert shown.toPlainText().replace("\u2068", "").replace("\u2069", "") == text  # every character, literally
        assert shown.urls == ["https://example.org/plan"]  # the only link; file: and javascript: are words
        document = shown.document()
        block = document.begin()
        formats = []
        while block.isValid():
            iterator = block.begin()
            while not iterator.atEnd():
                formats.append(iterator.fragment().charFormat())
                iterator += 1
            block = block.next()
        assert not any(f.isImageFormat() for f in formats)
        assert [f.anchorHref() for f in formats if f.isAnchor()] == ["https://example.org/plan"]

        # Click the link where it is drawn.
        qtbot.waitUntil(lambda: shown.isVisible() and shown.height() > 0)
        at = shown.toPlainText().index("https://")
        cursor = QTextCursor(document)
        cursor.setPosition(at + 3)
        point = shown.cursorRect(cursor).center()
        with qtbot.waitSignal(shown.link_opened):
            qtbot.mouseClick(shown.viewport(), Qt.MouseButton.LeftButton, pos=point)
        assert browser.opened == ["https://example.org/plan"]
        # Words are not links: a click elsewhere opens nothing.
        qtbot.mouseClick(shown.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(2, 2))
        assert browser.opened == ["https://example.org/plan"]
    finally:
        for scheme in ("http", "https"):
            QDesktopServices.unsetUrlHandler(scheme)


def test_only_http_and_https_links_open() -> None:
    assert safe_link(QUrl("https://example.org/x"))
    assert safe_link(QUrl("http://example.org"))
    for refused in ("file:///etc/passwd", "javascript:alert(1)", "nimeet://join/x", "https://", "ftp://example.org"):
        assert not safe_link(QUrl(refused)), refused
        assert not open_link(QUrl(refused))


def test_addresses_in_text_end_where_sentences_do() -> None:
    site = "https://example.org"
    assert link_spans(f"see {site}.") == [("see ", None), (site, site), (".", None)]
    wiki = "https://en.wikipedia.org/wiki/Foo_(bar)"
    assert link_spans(f"({wiki})") == [("(", None), (wiki, wiki), (")", None)]
    assert link_spans("nothing here, http:// alone") == [("nothing here, http:// alone", None)]
    # A text-direction override cannot be part of an address (it would show it backwards).
    assert link_spans("\u202ehttps://moc.example") == [("\u202e", None), ("https://moc.example", "https://moc.example")]


def test_private_messages_are_marked(qtbot: QtBot, panel: MeetingPanel) -> None:
    panel.set_people("me", [person("me", "margaret"), person("a", "ada"), person("g", "grace")], am_host=False)
    panel.add_message(message(1, "a", "ada", "just between us", to="me"), mine=False)
    panel.add_message(message(2, "me", "margaret", "sure", to="g"), mine=True)
    panel.add_message(message(3, "me", "margaret", "hello all", at=NOW + minutes(1)), mine=True)
    groups = panel.chat.groups
    assert len(groups) == 3  # a private message is never grouped with a public one
    assert groups[0].private.text() == "Privately to you"
    assert groups[1].private.text() == "Privately to \u2068grace\u2069"
    assert not groups[2].private.isVisibleTo(panel.chat) and groups[2].private.text() == ""


def test_the_recipient_choice_sends_privately(qtbot: QtBot, panel: MeetingPanel) -> None:
    panel.set_people("me", [person("me", "margaret"), person("a", "ada"), person("g", "grace")], am_host=False)
    chat = panel.chat
    assert [chat.recipient.itemText(i) for i in range(chat.recipient.count())] == ["Everyone", "ada", "grace"]
    chat.recipient.setCurrentIndex(chat.recipient.findData("g"))
    chat.input.setPlainText("psst")
    with qtbot.waitSignal(panel.send_chat) as sent:
        chat.send()
    assert sent.args == ["psst", "g"]
    # grace leaves: the choice goes back to everyone.
    panel.set_people("me", [person("me", "margaret"), person("a", "ada")], am_host=False)
    assert chat.to is None


def test_enter_sends_and_shift_enter_starts_a_new_line(qtbot: QtBot, panel: MeetingPanel) -> None:
    panel.show_tab("chat")
    chat = panel.chat
    sent: list[tuple[str, object]] = []
    panel.send_chat.connect(lambda text, to: sent.append((text, to)))
    chat.input.setFocus()
    qtbot.keyClicks(chat.input, "first line")
    qtbot.keyClick(chat.input, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClicks(chat.input, "second line")
    assert sent == []
    assert chat.input.toPlainText() == "first line\nsecond line"
    qtbot.keyClick(chat.input, Qt.Key.Key_Return)
    assert sent == [("first line\nsecond line", None)]
    assert chat.input.toPlainText() == ""
    # Nothing to send: Enter sends nothing.
    qtbot.keyClick(chat.input, Qt.Key.Key_Enter)
    qtbot.keyClicks(chat.input, "   ")
    qtbot.keyClick(chat.input, Qt.Key.Key_Return)
    assert len(sent) == 1
    # Too long: said, and not sent.
    chat.input.setPlainText("x" * (CHAT_TEXT_MAX + 1))
    assert chat.too_long.isVisible() and not chat.send_button.isEnabled()
    qtbot.keyClick(chat.input, Qt.Key.Key_Return)
    assert len(sent) == 1


def test_the_unread_count_rises_while_the_chat_is_not_in_view_and_clears(qtbot: QtBot, panel: MeetingPanel) -> None:
    panel.set_people("me", [person("me", "margaret"), person("a", "ada")], am_host=False)
    panel.show_tab("people")
    counts: list[int] = []
    panel.unread_changed.connect(counts.append)
    panel.add_message(message(1, "a", "ada", "one"), mine=False)
    panel.add_message(message(2, "a", "ada", "two"), mine=False)
    panel.add_message(message(3, "me", "margaret", "mine"), mine=True)  # ours are never unread
    assert panel.unread == 2
    panel.show_tab("chat")
    assert panel.unread == 0 and counts == [1, 2, 0]
    panel.add_message(message(4, "a", "ada", "seen at once"), mine=False)
    assert panel.unread == 0
    panel.hide()  # the panel closed: the Chat tab is not in view either
    panel.add_message(message(5, "a", "ada", "while closed"), mine=False)
    assert panel.unread == 1
    panel.show()
    assert panel.unread == 0
    panel.set_history([message(6, "a", "ada", "history is not news")])
    assert panel.unread == 0


def drop(widget: QWidget, urls: list[QUrl]) -> tuple[bool, bool]:
    """Drag ``urls`` onto ``widget`` and drop them; whether the drag was accepted, and the drop."""
    mime = QMimeData()
    mime.setUrls(urls)
    centre = QPointF(widget.rect().center())
    enter = QDragEnterEvent(
        centre.toPoint(), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(widget, enter)
    entered = enter.isAccepted()
    dropped = QDropEvent(
        centre, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(widget, dropped)
    return entered, dropped.isAccepted()


def test_a_file_dropped_on_the_chat_is_sent(qtbot: QtBot, panel: MeetingPanel, tmp_path: Path) -> None:
    panel.show_tab("chat")
    report = tmp_path / "report.pdf"
    report.write_bytes(b"%PDF-1.4")
    sent: list[str] = []
    panel.send_file.connect(sent.append)
    assert drop(panel.chat, [QUrl.fromLocalFile(str(report))]) == (True, True)
    assert sent == [str(report)]
    # A folder or a web address is not a file to send: the drag is refused.
    assert drop(panel.chat, [QUrl.fromLocalFile(str(tmp_path))]) == (False, False)
    assert drop(panel.chat, [QUrl("https://example.org/x.pdf")]) == (False, False)
    assert sent == [str(report)]


def test_an_upload_row_shows_progress_and_cancel(qtbot: QtBot, panel: MeetingPanel) -> None:
    chat = panel.chat
    panel.show_tab("chat")
    panel.upload_started("t1", "slides.pdf", 2_000_000)
    row = chat.uploads["t1"]
    qtbot.waitUntil(row.isVisible)
    assert row.progress.value() == 0
    panel.upload_progress("t1", 0.5)
    assert row.progress.value() == row.progress.maximum() // 2
    assert "50" in row.detail.text()
    with qtbot.waitSignal(panel.cancel_upload) as cancelled:
        qtbot.mouseClick(row.cancel_button, Qt.MouseButton.LeftButton)
    assert cancelled.args == ["t1"]
    panel.upload_finished("t1", None)  # up: its message follows through add_message
    assert "t1" not in chat.uploads

    panel.upload_started("t2", "big.iso", 10**9)
    panel.upload_finished("t2", "The file is too large for this server")
    failed = chat.uploads["t2"]
    assert failed.detail.text() == "The file is too large for this server"
    assert failed.close_button.isVisibleTo(failed) and not failed.cancel_button.isVisibleTo(failed)
    qtbot.mouseClick(failed.close_button, Qt.MouseButton.LeftButton)
    assert "t2" not in chat.uploads


def test_a_received_file_is_saved_with_progress_and_checked(qtbot: QtBot, panel: MeetingPanel, tmp_path: Path) -> None:
    chat = panel.chat
    panel.show_tab("chat")
    info = file_info("f1", "../../plan.pdf")
    panel.add_message(message(1, "a", "ada", "", file=info), mine=False)
    row = chat.files["f1"]
    assert row.name.full_text == "../../plan.pdf" and row.detail.text() == "1.4 MB"
    assert chat.groups[0].texts() == []  # a file with no words: no empty text under the name

    qtbot.mouseClick(row.save_button, Qt.MouseButton.LeftButton)
    dialog = chat.file_dialog
    assert dialog is not None
    qtbot.waitUntil(dialog.isVisible)
    assert dialog.selectedFiles()[0].endswith("/plan.pdf")  # its own name, never a path of the sender's
    target = str(tmp_path / "plan.pdf")
    saved: list[tuple[FileInfo, str]] = []
    panel.save_file.connect(lambda what, where: saved.append((what, where)))
    dialog.fileSelected.emit(target)
    dialog.close()
    assert saved == [(info, target)]
    assert row.progress_row.isVisibleTo(row) and not row.save_button.isEnabled()

    panel.download_progress("f1", 0.25)
    assert row.progress.value() == row.progress.maximum() // 4
    with qtbot.waitSignal(panel.cancel_download) as cancelled:
        qtbot.mouseClick(row.cancel_button, Qt.MouseButton.LeftButton)
    assert cancelled.args == ["f1"]
    panel.download_finished("f1", None)
    assert not row.progress_row.isVisibleTo(row) and row.save_button.isEnabled()
    assert "checked" in row.detail.text()
    panel.download_finished("f1", "What was saved does not match the file that was sent")
    assert row.detail.text() == "What was saved does not match the file that was sent"
    assert row.detail.property("role") == "error"


def test_a_message_shows_all_its_lines(qtbot: QtBot, panel: MeetingPanel) -> None:
    panel.show_tab("chat")
    panel.add_message(message(1, "a", "ada", "W" * 300 + "\n" + "and more " * 40), mine=False)
    (shown,) = panel.chat.groups[0].texts()
    qtbot.waitUntil(lambda: shown.isVisible() and shown.height() > 3 * shown.fontMetrics().height())
    assert shown.height() >= shown.document().size().height() - 1  # every line, and no scroll bar of its own
    assert shown.verticalScrollBar().maximum() == 0


def test_clear_forgets_the_meeting(qtbot: QtBot, panel: MeetingPanel) -> None:
    panel.set_people("me", [person("me", "margaret", role="host"), person("a", "ada")], am_host=True)
    panel.set_lobby([waiting("w", "dorothy")])
    panel.show_tab("people")
    panel.add_message(message(1, "a", "ada", "hi"), mine=False)
    panel.upload_started("t", "x", 1)
    panel.clear()
    assert panel.people.rows == {} and panel.waiting == 0 and panel.chat.groups == []
    assert panel.chat.uploads == {} and panel.unread == 0


def test_an_avatar_shows_a_letter_whatever_the_name_begins_with() -> None:
    assert initial("ada") == "A"
    assert initial("\u202egpj.exe") == "G"  # not the invisible override
    assert initial('<img src="x">') == "I"
    assert initial("...") == "?"


def test_the_input_grows_with_its_lines_up_to_a_limit(qtbot: QtBot, panel: MeetingPanel) -> None:
    panel.show_tab("chat")
    box = panel.chat.input
    qtbot.waitUntil(box.isVisible)
    one = box.height()
    box.setPlainText("a\nb\nc")
    three = box.height()
    assert three >= one + 2 * box.fontMetrics().lineSpacing() - 1
    assert box.verticalScrollBarPolicy() == Qt.ScrollBarPolicy.ScrollBarAlwaysOff  # all lines show: no bar
    box.setPlainText("\n".join("line" for _ in range(20)))
    assert box.height() < 20 * box.fontMetrics().lineSpacing()  # capped; the rest scrolls
    assert box.verticalScrollBarPolicy() == Qt.ScrollBarPolicy.ScrollBarAsNeeded
    box.clear()
    assert box.height() == one
