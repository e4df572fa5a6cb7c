"""What the meeting tests (protocol version 1.1) share: rooms with people in them, a lobby or a password, and short
ways to say what an ack must be and what nobody may receive."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tests.signaling_server.test_signaling import room_with
from tests.support.clients import Api, Peer, bearer

Connect = Callable[[str | None], Awaitable[Peer]]
MEDIA_ON = {"camera": True, "microphone": True, "screen": False}
# Long enough for an event the server sends at once to arrive on loopback; a test waits it once for all its peers.
SETTLE_S = 0.2


def refused(ack: dict[str, Any]) -> str:
    """The error code of a refusing ack (fails on a success)."""
    assert ack["ok"] is False, ack
    code: str = ack["error"]["code"]
    assert ack["error"]["message"], ack
    return code


def when(text: str) -> datetime:
    """An ISO time from the wire, checked to carry its offset and to be about now."""
    moment = datetime.fromisoformat(text)
    assert moment.tzinfo is not None, text
    assert abs((datetime.now(UTC) - moment).total_seconds()) < 60, text
    return moment


def fill(template: dict[str, Any], **sids: str) -> dict[str, Any]:
    """The payload with its ``"{name}"`` placeholders replaced by those sockets' ids."""
    filled = dict(template)
    for key, value in template.items():
        if isinstance(value, str) and value.startswith("{"):
            filled[key] = sids[value.strip("{}")]
    return filled


async def newcomer(api: Api, peers: Connect) -> Peer:
    """A connected socket of a newly registered user."""
    return await peers((await api.register())["token"])


async def nothing_more(event: str, *receivers: Peer, seconds: float = SETTLE_S) -> None:
    """None of ``receivers`` gets an ``event`` the test has not taken with ``log.next``, now or within ``seconds``."""
    await asyncio.sleep(seconds)
    for peer in receivers:
        assert peer.log.untaken(event) == [], (event, peer.sid, peer.log.untaken(event))


async def room_info(api: Api, room_id: str, token: str | None = None) -> dict[str, Any]:
    """GET /api/rooms/{roomId}: ``{room, participantCount}``."""
    token = token or (await api.register())["token"]
    r = await api.http.get(f"/api/rooms/{room_id}", headers=bearer(token))
    assert r.status_code == 200, r.text
    info: dict[str, Any] = r.json()
    return info


async def participant_count(api: Api, room_id: str) -> int:
    count: int = (await room_info(api, room_id))["participantCount"]
    return count


async def emptied(api: Api, room_id: str) -> None:
    """Wait until the server has seen everyone leave (a disconnect is processed after the client's close returns)."""
    token = (await api.register())["token"]
    for _ in range(100):
        if (await room_info(api, room_id, token))["participantCount"] == 0:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"room {room_id} still has people in it")


async def in_room(api: Api, peers: Connect, count: int, **room: Any) -> tuple[str, list[Peer], list[dict[str, Any]]]:
    """``room_with`` (the owner first), with every setup ``user-joined`` taken, so a test's ``log.next`` sees only
    what its own steps cause."""
    room_id, joined, acks = await room_with(api, peers, count, **room)
    for i, peer in enumerate(joined):
        for _ in range(count - 1 - i):
            await peer.log.next("user-joined")
        peer.log.take_all()
    return room_id, joined, acks


@dataclass
class Lobbied:
    """A private room: its owner in it (the host), people a host let in, and sockets waiting in its lobby."""

    room_id: str
    host: Peer
    inside: list[Peer] = field(default_factory=list)
    waiting: list[Peer] = field(default_factory=list)

    @property
    def everyone(self) -> list[Peer]:
        """Everyone in the room (not the lobby), the owner first."""
        return [self.host, *self.inside]


async def knock(peer: Peer, room_id: str, password: str | None = None) -> dict[str, Any]:
    """``join-room`` that must end in the lobby."""
    ack = await peer.join(room_id, password=password)
    assert ack["ok"] is True and ack["waiting"] is True, ack
    return ack


async def admit(lobbied: Lobbied, peer: Peer) -> dict[str, Any]:
    """The host lets ``peer`` in; every consequence a setup step causes is awaited and taken."""
    assert await lobbied.host.call("admit", {"target": peer.sid}) == {"ok": True}
    admitted: dict[str, Any] = await peer.log.next("admitted")
    assert (await lobbied.host.log.next("lobby-left"))["socketId"] == peer.sid
    for other in lobbied.everyone:
        assert (await other.log.next("user-joined"))["socketId"] == peer.sid
    lobbied.waiting.remove(peer)
    lobbied.inside.append(peer)
    return admitted


async def lobby_room(api: Api, peers: Connect, *, inside: int = 0, waiting: int = 0, **room: Any) -> Lobbied:
    """A private room with its owner in it, ``inside`` people admitted, then ``waiting`` in its lobby (in order)."""
    owner = await api.register()
    room_id = (await api.create_room(owner["token"], isPrivate=True, **room))["roomId"]
    host = await peers(owner["token"])
    ack = await host.join(room_id)
    assert "waiting" not in ack and ack["self"]["role"] == "host", ack
    lobbied = Lobbied(room_id, host)
    for _ in range(inside):
        peer = await newcomer(api, peers)
        await knock(peer, room_id)
        await host.log.next("lobby-knock")
        lobbied.waiting.append(peer)
        await admit(lobbied, peer)
    for _ in range(waiting):
        peer = await newcomer(api, peers)
        await knock(peer, room_id)
        assert (await host.log.next("lobby-knock"))["socketId"] == peer.sid
        lobbied.waiting.append(peer)
    return lobbied


async def promote(host: Peer, target: Peer, room: list[Peer]) -> None:
    """``host`` makes ``target`` a host; everyone in ``room`` hears it (awaited and taken)."""
    assert await host.call("set-role", {"target": target.sid, "role": "host"}) == {"ok": True}
    for peer in room:
        assert await peer.log.next("role-changed") == {"socketId": target.sid, "role": "host"}
