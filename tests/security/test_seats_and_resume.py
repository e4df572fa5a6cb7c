"""Issue 10, item 16: one account holds at most ``NIMEET_MAX_SEATS_PER_USER`` seats in one room (default 3; more is
``room-full`` saying why), and a client re-joining its call with the same ``resumeId`` replaces its own older
socket at once: the others hear ``user-left`` for the old socket then ``user-joined`` for the new one, and the old
socket is disconnected. Before the fix one account could fill a room, and a reconnect after a silent network death
showed the person twice for ~47 s (until the ping timeout)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import pytest

from signaling_server.config import Settings
from tests.security.sockets_attacks import MEDIA, RawSocket, limits, participant_count
from tests.support.clients import Api, Peer, bearer
from tests.support.server import ServerProcess

SEATS = Settings.model_fields["max_seats_per_user"].default
RESUME = "call-0123456789abcdef"


def join_payload(room_id: str, resume_id: Any = None) -> dict[str, Any]:
    payload: dict[str, Any] = {"roomId": room_id, "mediaState": MEDIA}
    if resume_id is not None:
        payload["resumeId"] = resume_id
    return payload


async def next_events(raw: RawSocket, count: int, timeout: float = 5.0) -> list[tuple[str, Any]]:
    """The next ``count`` server events on a raw socket, in the order they came (pings answered)."""
    events: list[tuple[str, Any]] = []
    while len(events) < count:
        frame = str(await asyncio.wait_for(raw.ws.recv(), timeout))
        if frame == "2":
            await raw.ws.send("3")
        elif frame.startswith("42["):
            name, data = json.loads(frame[2:])
            events.append((name, data))
    return events


@pytest.fixture
def limited(make_server: Callable[..., ServerProcess]) -> ServerProcess:
    server = make_server(env=limits())
    server.start()
    return server


async def test_one_account_holds_at_most_its_seats_in_a_room(limited: ServerProcess) -> None:
    api = Api(limited.url)
    user = await api.register()
    room_id = (await api.create_room(user["token"], maxParticipants=8))["roomId"]
    sockets = [await Peer(limited.url, user["token"]).connect() for _ in range(SEATS + 2)]
    acks = [await peer.join(room_id) for peer in sockets]
    assert [ack["ok"] for ack in acks] == [True] * SEATS + [False, False]
    refused = acks[SEATS]["error"]
    assert refused["code"] == "room-full" and f"{SEATS} seats" in refused["message"]
    other = await Peer(limited.url, (await api.register())["token"]).connect()
    assert (await other.join(room_id))["ok"] is True  # the room itself is not full
    assert await participant_count(api, user["token"], room_id) == SEATS + 1
    # A seat freed is a seat to take.
    assert await sockets[0].call("leave-room", {"roomId": room_id}) == {"ok": True}
    assert (await sockets[SEATS].join(room_id))["ok"] is True
    for peer in (*sockets, other):
        await peer.close()
    await api.aclose()
    limited.stop_gracefully()


async def test_rejoin_after_a_silent_network_death_replaces_the_old_socket(limited: ServerProcess) -> None:
    api = Api(limited.url)
    person = await api.register()
    room_id = (await api.create_room(person["token"]))["roomId"]
    async with RawSocket.opened(limited.url, (await api.register())["token"]) as watcher:
        assert (await watcher.call("join-room", join_payload(room_id)))["ok"] is True
        # The person's first socket: joined, then its network dies silently (the connection is never closed).
        async with RawSocket.opened(limited.url, person["token"]) as dead:
            first_ack = await dead.call("join-room", join_payload(room_id, RESUME))
            assert first_ack["ok"] is True
            assert await next_events(watcher, 1) == [("user-joined", first_ack["self"])]
            again = await Peer(limited.url, person["token"]).connect()
            ack = await again.call("join-room", join_payload(room_id, RESUME))
            assert ack["ok"] is True
            assert [p["socketId"] for p in ack["participants"]] == [watcher.sid]  # not its own old socket
            left, joined = await next_events(watcher, 2)
            assert left == ("user-left", {"socketId": dead.sid, "userId": person["user"]["id"]})
            assert joined == ("user-joined", ack["self"])
            # At once, not after a ping timeout: the person is in the room once.
            assert await participant_count(api, person["token"], room_id) == 2
            frames = []
            while "41" not in frames:
                frames.append(str(await asyncio.wait_for(dead.ws.recv(), 5)))
        # The old socket's seat is really free: the new one can do everything.
        offer = {"target": watcher.sid, "description": {"type": "offer", "sdp": "v=0\r\n"}}
        assert await again.call("offer", offer) == {"ok": True}
        await again.close()
    await api.aclose()
    limited.stop_gracefully()


async def test_a_resume_id_replaces_only_the_same_accounts_socket(limited: ServerProcess) -> None:
    api = Api(limited.url)
    owner, stranger = await api.register(), await api.register()
    room_id = (await api.create_room(owner["token"]))["roomId"]
    first = await Peer(limited.url, owner["token"]).connect()
    assert (await first.call("join-room", join_payload(room_id, RESUME)))["ok"] is True
    copycat = await Peer(limited.url, stranger["token"]).connect()
    ack = await copycat.call("join-room", join_payload(room_id, RESUME))
    assert ack["ok"] is True and [p["socketId"] for p in ack["participants"]] == [first.sid]
    assert first.sio.connected and await first.log.quiet("user-left", 0.3)
    r = await api.http.get(f"/api/rooms/{room_id}", headers=bearer(owner["token"]))
    assert r.json()["participantCount"] == 2
    for peer in (first, copycat):
        await peer.close()
    await api.aclose()
    limited.stop_gracefully()


@pytest.mark.parametrize(
    "resume_id", ["short", "x" * 65, "has space in it!!", "ünïcødé-0123456789", 1234567890123456789, ["a" * 20]]
)
async def test_a_malformed_resume_id_is_invalid_input(server: ServerProcess, api: Api, resume_id: Any) -> None:
    user = await api.register()
    room_id = (await api.create_room(user["token"]))["roomId"]
    peer = await Peer(server.url, user["token"]).connect()
    ack = await peer.call("join-room", join_payload(room_id, resume_id))
    assert ack["ok"] is False and ack["error"]["code"] == "invalid-input", ack
    assert "resumeId" in ack["error"]["message"]
    await peer.close()
