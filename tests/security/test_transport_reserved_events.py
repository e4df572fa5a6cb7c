"""Issue 10, item 17: reserved event names were callable. ``42["disconnect"]`` ran the disconnect handler (the socket
left its room but stayed connected) and ``42["connect",{},{"token":...}]`` re-ran the connect handler, swapping the
socket's identity for another user's. Now every reserved name closes the connection (1008) before any handler runs:
no conforming client can send one, so whoever does is probing."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from tests.security.transport_attacks import RawSocket, raw_member
from tests.support.clients import Api, Peer
from tests.support.server import ServerProcess

POLICY_VIOLATION = 1008
RESERVED = ["connect", "disconnect", "connect_error", "disconnecting", "newListener", "removeListener", "*"]


@dataclass
class Scene:
    """A room holding the attacker (a raw socket) and a witness (the room's owner)."""

    room_id: str
    raw: RawSocket
    raw_sid: str
    attacker: dict[str, str]  # the attacker's user
    witness: Peer
    witness_user_id: str


async def room_with_attacker(server: ServerProcess, api: Api) -> Scene:
    owner = await api.register()
    room_id = (await api.create_room(owner["token"]))["roomId"]
    attacker = await api.register()
    raw, raw_sid = await raw_member(server.url, attacker["token"], room_id)
    witness = await Peer(server.url, owner["token"]).connect()
    await witness.join(room_id)
    return Scene(room_id, raw, raw_sid, attacker["user"], witness, owner["user"]["id"])


async def test_connect_event_with_another_users_token_does_not_take_their_identity(
    server: ServerProcess, api: Api
) -> None:
    scene = await room_with_attacker(server, api)
    victim = await api.register()
    await scene.raw.send_text('421["connect",{},' + json.dumps({"token": victim["token"]}) + "]")
    assert await scene.raw.closed_by_server(timeout=5) == POLICY_VIOLATION
    # The room saw the attacker leave as who it was, and nobody ever became the victim.
    left = await scene.witness.log.next("user-left")
    assert left == {"socketId": scene.raw_sid, "userId": scene.attacker["id"]}
    newcomer = await Peer(server.url, (await api.register())["token"]).connect()
    ack = await newcomer.join(scene.room_id)
    assert [p["userId"] for p in ack["participants"]] == [scene.witness_user_id]
    assert all(event.get("userId") != victim["user"]["id"] for event in scene.witness.log.events["user-joined"])
    await newcomer.close()
    await scene.witness.close()


async def test_disconnect_event_does_not_run_the_disconnect_handler_on_a_live_socket(
    server: ServerProcess, api: Api
) -> None:
    scene = await room_with_attacker(server, api)
    await scene.raw.send_text('42["disconnect"]')
    # Before: the handler ran (user-left) and the socket stayed connected, outside any room. Now the connection is
    # closed, so the one user-left the room sees is the socket really going.
    assert await scene.raw.closed_by_server(timeout=5) == POLICY_VIOLATION
    assert await scene.witness.log.next("user-left") == {"socketId": scene.raw_sid, "userId": scene.attacker["id"]}
    assert await scene.witness.log.quiet("user-left", 0.5)
    await scene.witness.close()


@pytest.mark.parametrize("name", RESERVED)
async def test_every_reserved_event_name_closes_the_connection(server: ServerProcess, api: Api, name: str) -> None:
    raw = await RawSocket.open(server.url)
    await raw.socketio_connect((await api.register())["token"])
    await raw.send_text("423" + json.dumps([name, {}]))
    assert await raw.closed_by_server(timeout=5) == POLICY_VIOLATION


async def test_an_unknown_event_name_still_gets_its_ack(server: ServerProcess, api: Api) -> None:
    """Refusing reserved names must not turn ordinary unknown events into closes."""
    raw = await RawSocket.open(server.url)
    await raw.socketio_connect((await api.register())["token"])
    for ack_id, name in enumerate(["no-such-event", "message", "connected", "Disconnect"], start=1):
        ack = await raw.call(name, {}, ack_id=ack_id)
        assert isinstance(ack, dict) and ack["error"]["code"] == "unknown-event", (name, ack)
    raw.abort()
