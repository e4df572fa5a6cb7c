"""Deep links: ``nimeet <link>`` on the command line, links forwarded by a later launch to the running app, and
what the window does with them. Links are untrusted input: the tables mix real links with junk and path tricks."""

from __future__ import annotations

import asyncio
import secrets
import uuid

import pytest
from pytestqt.qtbot import QtBot

from nimeet_desktop.app import main
from nimeet_desktop.net.links import InvalidLink, JoinTarget, parse_join_target
from nimeet_desktop.ui.single_instance import ACTIVATE, InstanceServer, forward
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
        name = f"dl{secrets.token_hex(4)}"
        window.auth_view.set_registering(True)
        fill(qtbot, window, username=name, email=f"{name}@example.org", password="correct horse battery")
        window.auth_view.submit.click()
        await until(lambda: window.current is window.prejoin, what="pre-join for the linked room")
        assert window.prejoin.room_id == room["roomId"]
        await until(lambda: window.prejoin.heading.text() == "Standup", what="the room's name")

        # Linked to another server: refused with a message, nothing else changes.
        await window.prejoin.close_preview()
        window.open_link(parse_join_target(f"https://other.example/join/{room['roomId']}"))
        await asyncio.sleep(0)
        assert any("another server" in message for _kind, message in window.toasts.history)

    app.run(flow())
