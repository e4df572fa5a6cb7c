"""Deep links: ``nimeet <link>`` on the command line, links forwarded by a later launch to the running app, and
what the window does with them. Links are untrusted input: the tables mix real links with junk and path tricks."""

from __future__ import annotations

import asyncio
import secrets
import uuid

import pytest
from PySide6.QtCore import QCoreApplication, QUrl
from PySide6.QtGui import QFileOpenEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from nimeet_desktop.app import build_parser, main
from nimeet_desktop.net.links import MAX_LINK_LENGTH, InvalidLink, JoinTarget, LinkProblem, parse_join_target
from nimeet_desktop.ui.file_open import FileOpenLinks
from nimeet_desktop.ui.single_instance import ACTIVATE, InstanceServer, forward, link_message
from tests.ui.conftest import AppHarness, fill, until

ROOM = "Zx9_kQ-3fT"

VALID = [
    ("nimeet link", f"nimeet://join/{ROOM}", JoinTarget(ROOM)),
    ("scheme in capitals", f"NIMEET://join/{ROOM}", JoinTarget(ROOM)),
    ("surrounding blanks", f"  nimeet://join/{ROOM}\n", JoinTarget(ROOM)),
    ("bare id", ROOM, JoinTarget(ROOM)),
    ("longest bare id", "a" * 64, JoinTarget("a" * 64)),
    ("web link", f"https://meet.example.org/join/{ROOM}", JoinTarget(ROOM, "https://meet.example.org")),
    ("web link with port", f"http://127.0.0.1:8765/join/{ROOM}", JoinTarget(ROOM, "http://127.0.0.1:8765")),
    ("web link under a prefix", f"https://example.org/meet/join/{ROOM}", JoinTarget(ROOM, "https://example.org/meet")),
    (
        "app link with its server",
        f"nimeet://join/{ROOM}?server=https%3A%2F%2Fmeet.example.org%3A8443",
        JoinTarget(ROOM, "https://meet.example.org:8443"),
    ),
]

INVALID = [
    ("empty", ""),
    ("no room", "nimeet://join/"),
    ("id too long", "a" * 65),
    ("dot-dot in the path", f"nimeet://join/../{ROOM}"),
    ("dot-dot after the id", f"nimeet://join/{ROOM}/../../etc/passwd"),
    ("encoded dot-dot", "nimeet://join/%2e%2e%2fetc"),
    ("trailing slash", f"nimeet://join/{ROOM}/"),
    ("extra segment", f"nimeet://join/{ROOM}/extra"),
    ("query", f"nimeet://join/{ROOM}?next=https://evil.example"),
    ("fragment", f"nimeet://join/{ROOM}#x"),
    ("other action", f"nimeet://settings/{ROOM}"),
    ("file URL", "file:///etc/passwd"),
    ("javascript", "javascript:alert(1)"),
    ("web link with userinfo", f"https://meet.example.org@evil.example/join/{ROOM}"),
    ("backslashes", f"nimeet:\\\\join\\{ROOM}"),
    ("control character", f"nimeet://join/{ROOM}\x1b[2J"),
    ("right-to-left override", f"nimeet://join/\u202e{ROOM}"),
    ("lookalike letters", "r\u043e\u043em"),
    ("huge", "nimeet://join/" + "a" * 5000),
    ("server twice", f"nimeet://join/{ROOM}?server=https%3A%2F%2Fa.example&server=https%3A%2F%2Fb.example"),
    ("another parameter", f"nimeet://join/{ROOM}?server=https%3A%2F%2Fa.example&then=x"),
    ("encoded control character", f"nimeet://join/{ROOM}?server=https%3A%2F%2Fa.example%0D%0A"),
    ("double-encoded server", f"nimeet://join/{ROOM}?server=https%253A%252F%252Fa.example"),
]


@pytest.mark.parametrize(("why", "text", "target"), VALID, ids=[v[0] for v in VALID])
def test_valid_launch_links(why: str, text: str, target: JoinTarget) -> None:
    assert parse_join_target(text) == target


@pytest.mark.parametrize(("why", "text"), INVALID, ids=[v[0] for v in INVALID])
def test_junk_is_refused_before_anything_starts(why: str, text: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(InvalidLink):
        parse_join_target(text)
    # The command line: a clear message and exit status 2, before Qt, the log file or the server are touched.
    assert main(["--", text]) == 2
    assert "not a join link" in capsys.readouterr().err


def test_a_room_id_starting_with_a_dash_is_taken_after_double_dash() -> None:
    """Older servers (and this one before) made one room id in 64 start with '-': after ``--`` it is a link."""
    assert build_parser().parse_args(["--", "-Zx9_kQ"]).link == "-Zx9_kQ"
    assert parse_join_target("-Zx9_kQ") == JoinTarget("-Zx9_kQ")


def test_an_option_shaped_link_is_not_an_option() -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--server=http://evil.example", "--definitely-not-an-option"])
    assert exited.value.code == 2


def test_a_later_launch_hands_its_link_to_the_running_app(qtbot: QtBot, run: object) -> None:
    received: list[JoinTarget] = []
    activated: list[bool] = []
    refused: list[InvalidLink] = []
    name = f"nimeet-test-{uuid.uuid4().hex[:12]}"
    server = InstanceServer(name, received.append, lambda: activated.append(True), refused.append)
    try:
        assert server.listening
        assert forward(name, f"nimeet://join/{ROOM}")
        qtbot.waitUntil(lambda: received == [JoinTarget(ROOM)])
        assert forward(name, ACTIVATE)
        qtbot.waitUntil(lambda: activated == [True])
        for _why, text in INVALID[3:10]:
            assert forward(name, text)
        qtbot.waitUntil(lambda: len(refused) == 7)
        assert received == [JoinTarget(ROOM)], "a junk link got through"
    finally:
        server.close()
    assert not forward(name, ROOM), "nobody should answer after close"


def test_a_link_opens_pre_join_after_signing_in(qtbot: QtBot, app: AppHarness) -> None:
    async def flow() -> None:
        window = app.build()
        # A room someone else made.
        from tests.support.clients import Api

        api = Api(app.server.url)
        owner = await api.register()
        room = await api.create_room(owner["token"], name="Standup")
        await api.aclose()

        await window.start(parse_join_target(f"nimeet://join/{room['roomId']}"))
        assert window.current is window.auth_view, "not signed in yet: sign in first"
        # The sign-in screen says why it is there: the invitation waits for the sign-in.
        note = window.auth_view.invitation_note
        await until(note.isVisible, what="the invitation note on the sign-in screen")
        assert note.text() == "Sign in or create an account to join the call you were invited to."
        name = f"dl{secrets.token_hex(4)}"
        window.auth_view.set_registering(True)
        fill(qtbot, window, username=name, email=f"{name}@example.org", password="correct horse battery")
        window.auth_view.submit.click()
        await until(lambda: window.current is window.prejoin, what="pre-join for the linked room")
        assert window.prejoin.room_id == room["roomId"]
        assert not note.isVisibleTo(window.auth_view), "the invitation has been followed"
        await until(lambda: window.prejoin.heading.text() == "Standup", what="the room's name")

        # Linked to another server: a question, and nothing changes until it is answered.
        await window.prejoin.close_preview()
        window.open_link(parse_join_target(f"https://other.example/join/{room['roomId']}"))
        await asyncio.sleep(0)
        assert window.switch_dialog is not None and window.switch_dialog.isVisible()
        assert "https://other.example" in window.switch_dialog.text()
        assert window.stack.currentWidget() is window.prejoin and window.context.server_url == app.server.url
        window.switch_dialog.stay_button.click()
        await until(lambda: window.switch_dialog is None, what="the question answered")
        assert window.context.server_url == app.server.url

    app.run(flow())


def test_a_forwarded_app_link_arrives_whole(qtbot: QtBot, run: object) -> None:
    """The ``?server=`` link, the longest link the parser takes, and a room id that reads like the activate message
    all arrive as they were sent."""
    received: list[JoinTarget] = []
    activated: list[bool] = []
    refused: list[InvalidLink] = []
    name = f"nimeet-test-{uuid.uuid4().hex[:12]}"
    server = InstanceServer(name, received.append, lambda: activated.append(True), refused.append)
    app_link = f"nimeet://join/{ROOM}?server=http%3A%2F%2F127.0.0.1%3A8765%2Fnimeet"
    prefix = "/p" * ((MAX_LINK_LENGTH - 40) // 2)
    longest = f"https://meet.example.org{prefix}/join/{ROOM}"
    longest = longest.replace("/p/", "/pp/", MAX_LINK_LENGTH - len(longest))
    assert len(longest) == MAX_LINK_LENGTH
    too_long = longest.replace("/p/", "/pp/", 1)
    assert len(too_long) == MAX_LINK_LENGTH + 1
    try:
        # What `nimeet <link>` sends for each (app.py): a room called "activate" must not just raise the window.
        for text in (app_link, longest, "activate", "  activate\n"):
            assert forward(name, link_message(text))
        assert forward(name, ACTIVATE)
        qtbot.waitUntil(lambda: len(received) + len(refused) == 4 and activated == [True])
        assert received == [
            JoinTarget(ROOM, "http://127.0.0.1:8765/nimeet"),
            parse_join_target(longest),
            JoinTarget("activate"),
            JoinTarget("activate"),
        ]
        assert received[1].server_url is not None and received[1].server_url.endswith(prefix[-40:])
        assert refused == []
        # One character more is refused whole, not cut to a shorter link that still parses.
        assert forward(name, too_long)
        qtbot.waitUntil(lambda: len(refused) == 1)
        assert len(received) == 4
    finally:
        server.close()


def test_macos_hands_links_over_as_file_open_events(qtbot: QtBot, qapp: QApplication) -> None:
    """The same strict parser: the ``?server=`` form as Qt gives it (encoded, not decoded for display), and junk."""
    received: list[JoinTarget] = []
    refused: list[InvalidLink] = []
    links = FileOpenLinks(on_link=received.append, on_bad=refused.append)
    qapp.installEventFilter(links)
    try:
        for text in (
            f"nimeet://join/{ROOM}?server=https%3A%2F%2Fmeet.example.org%2Fapp",
            f"nimeet://join/{ROOM}",
            f"https://meet.example.org/join/{ROOM}",
        ):
            QCoreApplication.postEvent(qapp, QFileOpenEvent(QUrl(text)))
        for junk in (
            f"nimeet://join/{ROOM}?server=https%3A%2F%2Fa.example&next=x",
            f"nimeet://join/{ROOM}?server=https%3A%2F%2Fa.example%0A",
            # Qt's display form would show %20 as a space: the parser must see the escape the sender wrote.
            f"nimeet://join/{ROOM}?server=https%3A%2F%2Fa.example%20",
            f"nimeet://join/{ROOM}/../../x",
            "file:///etc/passwd",
        ):
            QCoreApplication.postEvent(qapp, QFileOpenEvent(QUrl(junk)))
        QCoreApplication.postEvent(qapp, QFileOpenEvent("/Users/someone/Documents/notes.txt"))
        qtbot.waitUntil(lambda: len(received) + len(refused) == 9)
    finally:
        qapp.removeEventFilter(links)
    assert received == [
        JoinTarget(ROOM, "https://meet.example.org/app"),
        JoinTarget(ROOM),
        JoinTarget(ROOM, "https://meet.example.org"),
    ]
    assert [exc.problem for exc in refused] == [
        LinkProblem.BAD_NIMEET_QUERY,
        LinkProblem.BAD_SERVER,
        LinkProblem.BAD_SERVER,
        LinkProblem.BAD_NIMEET_LINK,
        LinkProblem.UNSUPPORTED_SCHEME,
        LinkProblem.UNSUPPORTED_SCHEME,  # a document's path arrives as a file:// URL
    ]
