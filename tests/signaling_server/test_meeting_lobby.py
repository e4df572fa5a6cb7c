"""Version 1.1, the lobby of a private room: waiting, knocking, admitting, denying, and leaving the lobby."""

from __future__ import annotations

from typing import Any

import pytest

from tests.signaling_server.meetings import (
    Connect,
    admit,
    emptied,
    fill,
    knock,
    lobby_room,
    newcomer,
    nothing_more,
    participant_count,
    promote,
    refused,
)
from tests.support.clients import Api, Peer

# Everything a socket can ask of a room once it is in it; a waiting socket is not (`not-in-room`).
ROOM_EVENTS: list[tuple[str, dict[str, Any]]] = [
    ("offer", {"target": "{host}", "description": {"type": "offer", "sdp": "v=0\r\n"}}),
    ("answer", {"target": "{host}", "description": {"type": "answer", "sdp": "v=0\r\n"}}),
    ("ice-candidate", {"target": "{host}", "candidate": None}),
    ("toggle-media", {"mediaType": "camera", "enabled": False}),
    ("chat-message", {"text": "let me in"}),
    ("chat-message", {"text": "let me in", "to": "{host}"}),
    ("raise-hand", {"raised": True}),
    ("reaction", {"emoji": "\U0001f44b"}),
    ("recording", {"active": True}),
    ("admit", {"target": "{other}"}),
    ("deny", {"target": "{other}"}),
    ("set-role", {"target": "{host}", "role": "participant"}),
    ("mute-participant", {"target": "{host}", "mediaType": "microphone"}),
    ("mute-all", {}),
    ("remove-participant", {"target": "{host}"}),
    ("lock-room", {"locked": True}),
    ("lower-hand", {"target": "{host}"}),
    ("end-meeting", {}),
]


def entry(peer: Peer, knock_ack: dict[str, Any]) -> dict[str, str]:
    """How a waiting socket appears in ``lobby-knock`` and ``lobby`` lists."""
    me = knock_ack["self"]
    return {"socketId": peer.sid, "userId": me["userId"], "username": me["username"]}


async def test_a_private_room_makes_people_wait_and_tells_the_hosts(api: Api, peers: Connect) -> None:
    lobbied = await lobby_room(api, peers, inside=1)
    host, member = lobbied.host, lobbied.inside[0]
    guest = await newcomer(api, peers)
    ack = await knock(guest, lobbied.room_id)
    assert set(ack) == {"ok", "waiting", "self"}
    assert ack["self"]["socketId"] == guest.sid and ack["self"]["role"] == "participant"
    assert await host.log.next("lobby-knock") == entry(guest, ack)
    # Nobody in the room hears of a person who is not in it, and a participant is not asked to admit anyone.
    await nothing_more("user-joined", host, member)
    await nothing_more("lobby-knock", member, guest, seconds=0)
    assert await participant_count(api, lobbied.room_id) == 2


async def test_the_owner_never_waits_and_a_hosts_ack_lists_the_lobby(api: Api, peers: Connect) -> None:
    owner = await api.register()
    room_id = (await api.create_room(owner["token"], isPrivate=True))["roomId"]
    first, second = await newcomer(api, peers), await newcomer(api, peers)
    # Nobody is in the room yet: they wait for a host all the same.
    acks = [await knock(first, room_id), await knock(second, room_id)]
    host = await peers(owner["token"])
    ack = await host.join(room_id)
    assert "waiting" not in ack and ack["self"]["role"] == "host" and ack["participants"] == []
    assert ack["lobby"] == [entry(first, acks[0]), entry(second, acks[1])]
    admitted = await admit_one(host, first, [host])
    assert "lobby" not in admitted  # a participant is not shown the lobby
    assert [p["socketId"] for p in admitted["participants"]] == [host.sid]
    assert admitted["self"]["socketId"] == first.sid and admitted["self"]["role"] == "participant"
    # The owner's second device joins straight in too, and as a host sees who still waits.
    again = await peers(owner["token"])
    ack = await again.join(room_id)
    assert "waiting" not in ack and ack["lobby"] == [entry(second, acks[1])]


async def admit_one(host: Peer, guest: Peer, room: list[Peer]) -> dict[str, Any]:
    assert await host.call("admit", {"target": guest.sid}) == {"ok": True}
    admitted: dict[str, Any] = await guest.log.next("admitted")
    for peer in room:
        assert (await peer.log.next("user-joined")) == admitted["self"]
    return admitted


async def test_admit_lets_the_person_in_with_the_room_and_its_chat(api: Api, peers: Connect) -> None:
    lobbied = await lobby_room(api, peers, inside=1, waiting=2)
    host, member = lobbied.host, lobbied.inside[0]
    guest, other = lobbied.waiting
    said = (await member.call("chat-message", {"text": "hello room"}))["message"]
    await host.log.next("chat-message")
    assert await host.call("admit", {"target": guest.sid}) == {"ok": True}
    admitted = await guest.log.next("admitted")
    assert set(admitted) == {"self", "participants", "chat"}
    assert admitted["self"]["socketId"] == guest.sid
    assert [p["socketId"] for p in admitted["participants"]] == [host.sid, member.sid]
    assert admitted["chat"] == [said]
    for peer in (host, member):
        assert await peer.log.next("user-joined") == admitted["self"]
    assert await host.log.next("lobby-left") == {"socketId": guest.sid}
    await nothing_more("lobby-left", member, guest, other)
    # Now in the room: its events reach the admitted person and theirs are relayed.
    assert await guest.call("toggle-media", {"mediaType": "camera", "enabled": False}) == {"ok": True}
    for peer in (host, member):
        assert (await peer.log.next("media-toggled"))["socketId"] == guest.sid
    assert await participant_count(api, lobbied.room_id) == 3
    # The other person still waits and heard nothing of it.
    await nothing_more("user-joined", other, seconds=0)
    assert other.log.events["media-toggled"] == [] and other.log.events["chat-message"] == []


async def test_admit_into_a_full_room_is_room_full(api: Api, peers: Connect) -> None:
    lobbied = await lobby_room(api, peers, waiting=2, maxParticipants=2)
    host, (first, second) = lobbied.host, lobbied.waiting
    await admit(lobbied, first)
    assert refused(await host.call("admit", {"target": second.sid})) == "room-full"
    await nothing_more("admitted", second)
    await nothing_more("lobby-left", host, seconds=0)
    # Still waiting: admitted once a seat is free.
    assert await first.call("leave-room", {"roomId": lobbied.room_id}) == {"ok": True}
    assert (await host.log.next("user-left"))["socketId"] == first.sid
    assert await host.call("admit", {"target": second.sid}) == {"ok": True}
    assert (await second.log.next("admitted"))["self"]["socketId"] == second.sid


async def test_a_full_private_room_refuses_before_the_lobby(api: Api, peers: Connect) -> None:
    lobbied = await lobby_room(api, peers, inside=1, maxParticipants=2)
    late = await newcomer(api, peers)
    assert refused(await late.join(lobbied.room_id)) == "room-full"
    await nothing_more("lobby-knock", lobbied.host)


async def test_deny_sends_the_person_away(api: Api, peers: Connect) -> None:
    lobbied = await lobby_room(api, peers, inside=1, waiting=1)
    host, member, guest = lobbied.host, lobbied.inside[0], lobbied.waiting[0]
    assert await host.call("deny", {"target": guest.sid}) == {"ok": True}
    assert await guest.log.next("denied") == {}
    assert await host.log.next("lobby-left") == {"socketId": guest.sid}
    await nothing_more("user-joined", host, member)
    assert guest.log.events["admitted"] == []
    # No longer waiting: neither admit nor deny finds them.
    for event in ("admit", "deny"):
        assert refused(await host.call(event, {"target": guest.sid})) == "unknown-target", event
    # They may knock again (a refusal is not a ban); the hosts hear it again.
    await knock(guest, lobbied.room_id)
    assert (await host.log.next("lobby-knock"))["socketId"] == guest.sid


@pytest.mark.parametrize("how", ["leave-room", "disconnect"])
async def test_leaving_the_lobby_tells_every_host(api: Api, peers: Connect, how: str) -> None:
    lobbied = await lobby_room(api, peers, inside=2, waiting=2)
    host, co_host, member = lobbied.host, *lobbied.inside
    await promote(host, co_host, lobbied.everyone)
    leaver, stayer = lobbied.waiting
    if how == "leave-room":
        assert await leaver.call("leave-room", {"roomId": lobbied.room_id}) == {"ok": True}
    else:
        await leaver.close()
    for peer in (host, co_host):
        assert await peer.log.next("lobby-left") == {"socketId": leaver.sid}
    await nothing_more("lobby-left", member, stayer)
    await nothing_more("user-left", host, co_host, member, seconds=0)  # it was never in the room
    assert refused(await host.call("admit", {"target": leaver.sid})) == "unknown-target"
    # A host who arrives now sees only who still waits.
    owner_again = await peers(host.token)
    assert [e["socketId"] for e in (await owner_again.join(lobbied.room_id))["lobby"]] == [stayer.sid]


async def test_every_host_hears_the_knock(api: Api, peers: Connect) -> None:
    lobbied = await lobby_room(api, peers, inside=2)
    host, co_host, member = lobbied.host, *lobbied.inside
    await promote(host, co_host, lobbied.everyone)
    guest = await newcomer(api, peers)
    await knock(guest, lobbied.room_id)
    for peer in (host, co_host):
        assert (await peer.log.next("lobby-knock"))["socketId"] == guest.sid
    await nothing_more("lobby-knock", member)
    # The promoted host may let them in.
    assert await co_host.call("admit", {"target": guest.sid}) == {"ok": True}
    assert (await guest.log.next("admitted"))["self"]["socketId"] == guest.sid


@pytest.mark.parametrize(("event", "payload"), ROOM_EVENTS)
async def test_a_waiting_socket_is_not_in_the_room(api: Api, peers: Connect, event: str, payload: Any) -> None:
    lobbied = await lobby_room(api, peers, inside=1, waiting=2)
    host, member = lobbied.host, lobbied.inside[0]
    waiting, other = lobbied.waiting
    ack = await waiting.call(event, fill(payload, host=host.sid, other=other.sid))
    assert refused(ack) == "not-in-room", ack
    await nothing_more("admitted", other)
    for peer in (host, member):
        for heard in ("receive-offer", "receive-answer", "receive-ice-candidate", "media-toggled", "chat-message"):
            assert peer.log.events[heard] == [], (event, heard)
        for heard in ("hand-raised", "reaction", "recording-changed", "role-changed", "muted-by-host", "removed"):
            assert peer.log.events[heard] == [], (event, heard)
        assert peer.log.events["room-updated"] == [] and peer.log.events["meeting-ended"] == []


async def test_a_waiting_socket_hears_nothing_of_the_room(api: Api, peers: Connect) -> None:
    lobbied = await lobby_room(api, peers, inside=1, waiting=1)
    host, member, waiting = lobbied.host, lobbied.inside[0], lobbied.waiting[0]
    await knock(await newcomer(api, peers), lobbied.room_id)
    await host.log.next("lobby-knock")
    assert await member.call("toggle-media", {"mediaType": "camera", "enabled": False}) == {"ok": True}
    assert (await member.call("chat-message", {"text": "hi"}))["ok"] is True
    assert await member.call("raise-hand", {"raised": True}) == {"ok": True}
    assert await member.call("reaction", {"emoji": "\U0001f44d"}) == {"ok": True}
    assert await host.call("recording", {"active": True}) == {"ok": True}
    assert await host.call("lock-room", {"locked": True}) == {"ok": True}
    assert await host.call("set-role", {"target": member.sid, "role": "host"}) == {"ok": True}
    assert await member.call("leave-room", {"roomId": lobbied.room_id}) == {"ok": True}
    # Everything above reached the host; the waiting socket got none of it.
    for event in ("media-toggled", "chat-message", "hand-raised", "reaction", "room-updated", "role-changed"):
        await host.log.next(event)
    assert (await host.log.next("user-left"))["socketId"] == member.sid
    await nothing_more("lobby-knock", waiting)  # not a host: a waiting socket hears no knock either
    heard = {event: received for event, received in waiting.log.events.items() if received}
    assert heard == {}


async def test_people_let_in_once_skip_the_lobby_until_the_meeting_ends(api: Api, peers: Connect) -> None:
    lobbied = await lobby_room(api, peers, waiting=1)
    host, guest = lobbied.host, lobbied.waiting[0]
    await admit(lobbied, guest)
    assert await guest.call("leave-room", {"roomId": lobbied.room_id}) == {"ok": True}
    await host.log.next("user-left")
    ack = await guest.join(lobbied.room_id)  # a dropped call comes back without knocking
    assert "waiting" not in ack and ack["self"]["role"] == "participant"
    assert (await host.log.next("user-joined"))["socketId"] == guest.sid
    # Another device of the same account is the same person.
    second_device = await peers(guest.token)
    assert "waiting" not in await second_device.join(lobbied.room_id)
    # The meeting ends when the room empties: the next meeting asks again.
    for peer in (host, guest, second_device):
        await peer.close()
    await emptied(api, lobbied.room_id)
    fresh = await peers(guest.token)
    await knock(fresh, lobbied.room_id)


async def test_people_waiting_keep_waiting_when_the_room_empties(api: Api, peers: Connect) -> None:
    lobbied = await lobby_room(api, peers, waiting=1)
    host, guest = lobbied.host, lobbied.waiting[0]
    assert await host.call("leave-room", {"roomId": lobbied.room_id}) == {"ok": True}
    await nothing_more("meeting-ended", guest)
    assert guest.log.events["denied"] == []
    ack = await host.join(lobbied.room_id)
    assert [e["socketId"] for e in ack["lobby"]] == [guest.sid]
    await admit(lobbied, guest)
