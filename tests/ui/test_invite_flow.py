"""An invitation between two app instances through the real server on loopback: A copies the invite link, B (pointed
at another server address) opens it, is asked to switch, signs in or resumes there, and joins A's call.

"Another server" is the same server under another address (``http://localhost:<port>`` against the
``http://127.0.0.1:<port>`` that A uses and the server writes into ``inviteUrl``): to the app these are two servers
(two settings keys, two keyring entries), and both instances can still reach one call.
"""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from nimeet_desktop.net.links import InvalidLink, JoinTarget, join_link, parse_join_target
from nimeet_desktop.net.rest import ApiClient
from nimeet_desktop.settings import Settings, SettingsStore
from nimeet_desktop.ui.invitation import copy_app_link, copy_invite, invitation
from nimeet_desktop.ui.main_window import MainWindow
from nimeet_desktop.ui.single_instance import InstanceServer, forward, link_message
from nimeet_desktop.ui.toast import ToastKind
from signaling_server.api.invitations import app_link
from tests.support.server import ServerProcess
from tests.ui.conftest import AppHarness, Run, fill, new_user, register, start_new_call, until

pytestmark = pytest.mark.usefixtures("loopback_media")

_OPEN_IN_NIMEET = re.compile(r'<a class="open" href="([^"]+)"')


def other_address(server: ServerProcess) -> str:
    assert server.url.startswith("http://127.0.0.1:")
    return server.url.replace("127.0.0.1", "localhost", 1)


@pytest.fixture
def apps(ui_server: ServerProcess, tmp_path: Path, run: Run) -> Iterator[tuple[AppHarness, AppHarness]]:
    """A on the server's own address; B's settings name the other address."""
    a = AppHarness(ui_server, tmp_path / "a", run)
    b = AppHarness(ui_server, tmp_path / "b", run)
    SettingsStore(b.config_dir).save(Settings(server_url=other_address(ui_server), start_local_server=False))
    yield a, b
    b.close_all()
    a.close_all()


async def signed_in(qtbot: QtBot, window: MainWindow, link: JoinTarget | None = None) -> dict[str, str]:
    await window.start(link)
    user = new_user()
    register(qtbot, window, user)
    await until(lambda: window.current is window.dashboard, what="the dashboard")
    return user


async def in_prejoin_for_a_new_room(qtbot: QtBot, window: MainWindow) -> str:
    start_new_call(qtbot, window)
    await until(lambda: window.current is window.prejoin, what="pre-join")
    await until(lambda: window.prejoin.join_button.isEnabled(), what="pre-join ready")
    return window.prejoin.room_id


async def join_from_prejoin(qtbot: QtBot, window: MainWindow) -> None:
    await until(lambda: window.prejoin.join_button.isEnabled(), what="pre-join ready")
    qtbot.mouseClick(window.prejoin.join_button, Qt.MouseButton.LeftButton)
    await until(lambda: window.call_view.call is not None and window.call_view.grid.tile("self"), what="the call")


def showing(window: MainWindow, view: QWidget) -> bool:
    """``window.current is view`` where mypy has narrowed ``current`` by an earlier assert."""
    return window.current is view


def tile_names(window: MainWindow) -> set[str]:
    return {tile.name for tile in window.call_view.grid.tiles()}


async def switch_offer(window: MainWindow) -> None:
    await until(
        lambda: window.switch_dialog is not None and window.switch_dialog.isVisible(), what="the offer to switch"
    )


async def open_in_nimeet_link(server: ServerProcess, room_id: str) -> str:
    """The href of "Open in NIMeet" on the server's /join/<roomId> page, as a browser would hand it to the OS."""
    async with aiohttp.ClientSession() as http, http.get(f"{server.url}/join/{room_id}") as response:
        assert response.status == 200
        page = await response.text()
    found = _OPEN_IN_NIMEET.search(page)
    assert found is not None, page
    return html.unescape(found.group(1))


def test_an_invite_link_copied_in_one_app_brings_another_app_on_another_server_into_the_call(
    qtbot: QtBot, apps: tuple[AppHarness, AppHarness], ui_server: ServerProcess
) -> None:
    a_app, b_app = apps

    async def flow() -> None:
        # A: a new call; "Copy invite link" on pre-join copies the server's inviteUrl.
        a = a_app.build()
        a_user = await signed_in(qtbot, a)
        room_id = await in_prejoin_for_a_new_room(qtbot, a)
        QGuiApplication.clipboard().clear()
        qtbot.mouseClick(a.prejoin.copy_button, Qt.MouseButton.LeftButton)
        copied = QGuiApplication.clipboard().text()
        assert copied == f"{ui_server.url}/join/{room_id}"
        assert a.toasts.history[-1][1] == f"Invite link copied: {copied}"
        await join_from_prejoin(qtbot, a)
        # In the call, the control bar copies the same link, and its menu the app link the server's page opens.
        a.call_view.controls.invite_button.click()
        assert QGuiApplication.clipboard().text() == copied
        app_action = a.call_view.controls.invite_button.menu().findChild(QAction, "copyAppLink")
        assert app_action is not None
        app_action.trigger()
        assert QGuiApplication.clipboard().text() == await open_in_nimeet_link(ui_server, room_id)
        assert a.toasts.history[-1][1].startswith("App link copied: nimeet://join/")
        # During a call no link moves A anywhere, not even with a question.
        a.open_link(parse_join_target(f"{other_address(ui_server)}/join/{room_id}"))
        assert a.switch_dialog is None
        assert a.toasts.history[-1] == (ToastKind.ERROR, "Leave this call before joining another one")
        assert a.context.server_url == ui_server.url

        # B: signed in on the other address; the pasted link asks before anything changes.
        b = b_app.build()
        b_user = await signed_in(qtbot, b)
        assert b.context.server_url == other_address(ui_server)
        b.dashboard.join_edit.setText(copied)
        qtbot.mouseClick(b.dashboard.join_button, Qt.MouseButton.LeftButton)
        await switch_offer(b)
        assert b.switch_dialog is not None
        question = b.switch_dialog.text()
        assert ui_server.url in question and other_address(ui_server) in question
        assert "You are signed in to" in question
        assert b.switch_dialog.textFormat() == Qt.TextFormat.PlainText
        assert b.current is b.dashboard and b.context.server_url == other_address(ui_server), "switched before yes"

        qtbot.mouseClick(b.switch_dialog.switch_button, Qt.MouseButton.LeftButton)
        # No session kept for the invitation's server yet: sign in there (the same account: one database).
        await until(lambda: b.current is b.auth_view, what="sign-in on the invitation's server")
        assert b.switch_dialog is None
        assert b.context.server_url == ui_server.url
        assert SettingsStore(b_app.config_dir).load().server_url == ui_server.url, "the new server not saved"
        assert ui_server.url in b.auth_view.server_label.text()
        b.auth_view.set_registering(False)
        fill(qtbot, b, email=b_user["email"], password=b_user["password"])
        qtbot.mouseClick(b.auth_view.submit, Qt.MouseButton.LeftButton)
        await until(lambda: b.current is b.prejoin, what="B's pre-join for A's room")
        assert b.prejoin.room_id == room_id
        await join_from_prejoin(qtbot, b)

        # Both in one call, each seeing the other.
        await until(lambda: b_user["username"] in tile_names(a), timeout=15, what="B's tile at A")
        await until(lambda: a_user["username"] in tile_names(b), timeout=15, what="A's tile at B")
        assert a.call_view.controls.count.text() == b.call_view.controls.count.text() == "2"
        # Both sessions kept, one per server address.
        assert {user for _service, user in b_app.keyring.secrets} == {ui_server.url, other_address(ui_server)}
        await b.call_view.leave_async()
        await a.call_view.leave_async()

    a_app.run(flow(), timeout=120)


def test_declining_the_switch_changes_nothing_and_a_link_for_this_server_asks_nothing(
    qtbot: QtBot, apps: tuple[AppHarness, AppHarness], ui_server: ServerProcess
) -> None:
    a_app, b_app = apps

    async def flow() -> None:
        a = a_app.build()
        await signed_in(qtbot, a)
        room_id = await in_prejoin_for_a_new_room(qtbot, a)
        invite = f"{ui_server.url}/join/{room_id}"
        await a.prejoin.close_preview()
        a.prejoin.back.emit()
        await until(lambda: a.current is a.dashboard, what="A back on the dashboard")
        # The dashboard's copy button copies the listed room's inviteUrl, its menu the app link.
        rooms = a.dashboard.rooms
        await until(lambda: rooms.count() == 1 and not a.dashboard.loading.busy, what="the room listed")
        rooms.setCurrentRow(0)
        qtbot.mouseClick(a.dashboard.copy_button, Qt.MouseButton.LeftButton)
        assert QGuiApplication.clipboard().text() == invite
        app_action = a.dashboard.copy_menu.menu().findChild(QAction, "copyAppLink")
        assert app_action is not None
        app_action.trigger()
        assert QGuiApplication.clipboard().text() == app_link(ui_server.url, room_id)
        assert invite in rooms.item(0).toolTip()

        # A link for the server in use (either form) goes straight to pre-join.
        for link in (invite, join_link(room_id, ui_server.url)):
            a.open_link(parse_join_target(link))
            assert a.switch_dialog is None
            assert a.current is a.prejoin and a.prejoin.room_id == room_id
            await a.prejoin.close_preview()

        # B started with the invitation on its command line, no session anywhere: it says where it is, then asks.
        b = b_app.build()
        await b.start(parse_join_target(invite))
        await switch_offer(b)
        assert b.current is b.auth_view
        assert b.switch_dialog is not None
        assert "You are using" in b.switch_dialog.text()
        qtbot.mouseClick(b.switch_dialog.stay_button, Qt.MouseButton.LeftButton)
        await until(lambda: b.switch_dialog is None, what="the question gone")
        await asyncio.sleep(0.3)  # a switch would start at once: give it the chance to show itself
        assert b.current is b.auth_view
        assert b.context.server_url == other_address(ui_server)
        assert SettingsStore(b_app.config_dir).load().server_url == other_address(ui_server)
        assert b.pending_room is None, "a declined invitation must not come back after signing in"
        register(qtbot, b, new_user())
        await until(lambda: b.current is b.dashboard, what="B's dashboard, not the declined room")

        # A newer link replaces an open question: another server's asks again about that one, this server's
        # just opens.
        b.open_link(parse_join_target(invite))
        await switch_offer(b)
        first = b.switch_dialog
        b.open_link(parse_join_target("https://meet.example.org/join/elsewhere"))
        assert b.switch_dialog is not None and b.switch_dialog is not first
        assert "https://meet.example.org" in b.switch_dialog.text()
        assert first is not None and not first.isVisible(), "the older question still open"
        b.open_link(parse_join_target(f"{other_address(ui_server)}/join/{room_id}"))
        assert b.switch_dialog is None
        await until(lambda: showing(b, b.prejoin), what="pre-join on B's own server")
        await b.prejoin.close_preview()
        b.prejoin.back.emit()
        await until(lambda: showing(b, b.dashboard), what="B's dashboard again")
        assert b.context.server_url == other_address(ui_server)

        # Escape on a later offer is a no as well.
        b.open_link(parse_join_target(invite))
        await switch_offer(b)
        assert b.switch_dialog is not None
        qtbot.keyClick(b.switch_dialog, Qt.Key.Key_Escape)
        await until(lambda: b.switch_dialog is None, what="the question gone")
        await asyncio.sleep(0.3)
        assert showing(b, b.dashboard) and b.context.server_url == other_address(ui_server)

    a_app.run(flow(), timeout=90)


def test_the_servers_app_link_forwarded_by_a_second_launch_resumes_the_saved_session_there(
    qtbot: QtBot, apps: tuple[AppHarness, AppHarness], ui_server: ServerProcess, tmp_path: Path
) -> None:
    """The link a browser hands the OS from the /join page (``nimeet://join/<id>?server=...``) reaches the running
    app over the single-instance socket intact; with a session saved for that server there is no sign-in."""
    a_app, b_app = apps

    async def flow() -> None:
        a = a_app.build()
        await signed_in(qtbot, a)
        room_id = await in_prejoin_for_a_new_room(qtbot, a)
        await a.prejoin.close_preview()
        link = await open_in_nimeet_link(ui_server, room_id)
        assert link == app_link(ui_server.url, room_id) == join_link(room_id, ui_server.url)

        # B: signed in on the other address, and a session kept from before for the server's own address.
        b = b_app.build()
        b_user = await signed_in(qtbot, b)
        async with ApiClient(ui_server.url) as api:
            earlier = await api.login(b_user["email"], b_user["password"])
        b.context.credentials.save(ui_server.url, earlier.token)
        assert len(b_app.keyring.secrets) == 2

        name = f"nimeet-test-invite-{tmp_path.name[-8:]}"
        refused: list[InvalidLink] = []
        instance = InstanceServer(name, on_link=b.open_link, on_activate=lambda: None, on_bad=refused.append)
        try:
            assert forward(name, link_message(link))
            await switch_offer(b)
            assert b.switch_dialog is not None
            qtbot.mouseClick(b.switch_dialog.switch_button, Qt.MouseButton.LeftButton)
            await until(lambda: b.current is b.prejoin, what="pre-join without signing in again")
            assert b.prejoin.room_id == room_id
            assert b.context.server_url == ui_server.url
            assert b.context.user is not None and b.context.user.username == b_user["username"]
            assert refused == []
        finally:
            instance.close()
        await b.prejoin.close_preview()

    a_app.run(flow(), timeout=90)


def test_a_server_that_does_not_answer_is_not_switched_to(qtbot: QtBot, apps: tuple[AppHarness, AppHarness]) -> None:
    a_app, _b_app = apps

    async def flow() -> None:
        a = a_app.build()
        await signed_in(qtbot, a)
        before = a.context.server_url
        a.open_link(parse_join_target("nimeet://join/abc?server=http%3A%2F%2F127.0.0.1%3A9"))  # discard port
        await switch_offer(a)
        assert a.switch_dialog is not None
        qtbot.mouseClick(a.switch_dialog.switch_button, Qt.MouseButton.LeftButton)
        await until(
            lambda: any("No NIMeet server answers at http://127.0.0.1:9" in m for _k, m in a.toasts.history),
            what="the server not answering",
        )
        assert a.current is a.dashboard and a.context.server_url == before and a.context.user is not None

    a_app.run(flow(), timeout=60)


# ---- what "Copy invite link" copies ------------------------------------------------------------------------

ROOM = "Ab3_-xYz0123456789abcd"


@pytest.mark.parametrize(
    "invite_url",
    [
        None,
        "",
        "javascript:alert(1)",
        f"nimeet://join/{ROOM}?server=https%3A%2F%2Fevil.example",
        "https://meet.example.org/join/another-room",
        f"https://meet.example.org/join/{ROOM}?next=https://evil.example",
        f" https://meet.example.org/join/{ROOM}",
        f"https://meet.example.org\u2215join/{ROOM}",
        f"https://user@meet.example.org/join/{ROOM}",
    ],
)
def test_an_invite_url_the_app_would_not_accept_is_not_copied(qapp: object, invite_url: str | None) -> None:
    invite = invitation(ROOM, "https://meet.example.org", invite_url)
    assert invite.web is None
    toast = copy_invite(invite)
    assert QGuiApplication.clipboard().text() == f"nimeet://join/{ROOM}?server=https%3A%2F%2Fmeet.example.org"
    assert "no web link" in toast


def test_the_servers_invite_url_is_copied_even_under_its_public_address(qapp: object) -> None:
    """NIMEET_PUBLIC_URL may differ from the address this app uses (behind a proxy): the server knows best."""
    invite = invitation(ROOM, "http://10.0.0.5:8765", f"https://meet.example.org/nimeet/join/{ROOM}")
    assert copy_invite(invite) == f"Invite link copied: https://meet.example.org/nimeet/join/{ROOM}"
    assert QGuiApplication.clipboard().text() == f"https://meet.example.org/nimeet/join/{ROOM}"
    copy_app_link(invite)
    assert QGuiApplication.clipboard().text() == app_link("http://10.0.0.5:8765", ROOM)
