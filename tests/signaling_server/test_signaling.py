"""The socket.io half of the contract: rooms, presence, relay, and the order in which checks refuse."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from signaling_server.protocol import MAX_CANDIDATE_BYTES, MAX_CANDIDATE_FIELD_BYTES, MAX_SDP_BYTES
from tests.support.clients import Api, Peer, bearer

Connect = Callable[[str | None], Awaitable[Peer]]
MEDIA_OFF = {"camera": False, "microphone": False, "screen": False}
SDP = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n" + "a=x\r\n" * 600  # ~3 KB like a real offer


async def room_with(api: Api, peers: Connect, count: int, **room: Any) -> tuple[str, list[Peer], list[dict[str, Any]]]:
    """A fresh room and ``count`` users joined to it in order; returns the join acks too."""
    owner = await api.register()
    room_id = (await api.create_room(owner["token"], **room))["roomId"]
    joined: list[Peer] = []
    acks = []
    for i in range(count):
        token = owner["token"] if i == 0 else (await api.register())["token"]
        peer = await peers(token)
        acks.append(await peer.join(room_id))
        assert acks[-1]["ok"] is True, acks[-1]
        joined.append(peer)
    return room_id, joined, acks


async def test_join_ack_lists_others_and_announces_newcomer(api: Api, peers: Connect) -> None:
    room_id, (a, b), acks = await room_with(api, peers, 2)
    assert acks[0]["participants"] == []
    ack_b = acks[1]
    assert ack_b["self"]["socketId"] == b.sid
    assert set(ack_b["self"]) == {"socketId", "userId", "username", "mediaState", "role", "handRaisedAt", "recording"}
    assert (ack_b["self"]["role"], ack_b["self"]["handRaisedAt"], ack_b["self"]["recording"]) == (
        "participant",
        None,
        False,
    )
    assert ack_b["self"]["mediaState"] == {"camera": True, "microphone": True, "screen": False}
    assert [p["socketId"] for p in ack_b["participants"]] == [a.sid]
    assert await a.log.next("user-joined") == ack_b["self"]
    assert await b.log.quiet("user-joined")  # the newcomer is not told about itself

    r = await api.http.get(f"/api/rooms/{room_id}", headers=bearer((await api.register())["token"]))
    assert r.json()["participantCount"] == 2


async def test_events_stay_inside_their_room(api: Api, peers: Connect) -> None:
    _, (a, b), _ = await room_with(api, peers, 2)
    _, (c, d), _ = await room_with(api, peers, 2)
    assert (await c.log.next("user-joined"))["socketId"] == d.sid
    assert await b.call("toggle-media", {"mediaType": "camera", "enabled": False}) == {"ok": True}
    assert await a.log.next("media-toggled") == {"socketId": b.sid, "mediaType": "camera", "enabled": False}
    await b.close()
    assert (await a.log.next("user-left"))["socketId"] == b.sid
    for other in (c, d):
        assert await other.log.quiet("media-toggled", 0.2)
        assert other.log.events["user-left"] == []
    assert b.log.events["media-toggled"] == []  # the sender is not echoed


async def test_media_state_is_tracked_for_later_joiners(api: Api, peers: Connect) -> None:
    room_id, (a,), _ = await room_with(api, peers, 1)
    for media, enabled in (("microphone", False), ("screen", True)):
        assert await a.call("toggle-media", {"mediaType": media, "enabled": enabled}) == {"ok": True}
    late = await peers((await api.register())["token"])
    ack = await late.join(room_id)
    assert ack["participants"][0]["mediaState"] == {"camera": True, "microphone": False, "screen": True}


async def test_relay_sets_from_and_reaches_only_the_target(api: Api, peers: Connect) -> None:
    _, (a, b, c), _ = await room_with(api, peers, 3)
    offer = {"target": b.sid, "from": c.sid, "description": {"type": "offer", "sdp": SDP}}
    assert await a.call("offer", offer) == {"ok": True}
    got = await b.log.next("receive-offer")
    assert got == {"from": a.sid, "description": {"type": "offer", "sdp": SDP}}  # the spoofed from is ignored

    assert await b.call("answer", {"target": a.sid, "description": {"type": "answer", "sdp": "v=0\r\n"}}) == {
        "ok": True
    }
    assert await a.log.next("receive-answer") == {"from": b.sid, "description": {"type": "answer", "sdp": "v=0\r\n"}}

    cand = {"candidate": "candidate:1 1 UDP 2122260223 127.0.0.1 50000 typ host", "sdpMid": "0", "sdpMLineIndex": 0}
    assert await a.call("ice-candidate", {"target": b.sid, "candidate": cand}) == {"ok": True}
    assert await b.log.next("receive-ice-candidate") == {"from": a.sid, "candidate": cand}
    assert await a.call("ice-candidate", {"target": b.sid, "candidate": None}) == {"ok": True}
    assert await b.log.next("receive-ice-candidate") == {"from": a.sid, "candidate": None}

    assert await c.log.quiet("receive-offer", 0.2)
    assert c.log.events["receive-ice-candidate"] == [] and c.log.events["receive-answer"] == []


async def test_candidate_before_offer_is_relayed_in_order(api: Api, peers: Connect) -> None:
    """The server keeps each sender's order; receivers queue early candidates themselves."""
    _, (a, b), _ = await room_with(api, peers, 2)
    cand = {"candidate": "candidate:1 1 UDP 1 127.0.0.1 9 typ host", "sdpMid": "0", "sdpMLineIndex": 0}
    sends = [a.sio.emit("ice-candidate", {"target": b.sid, "candidate": cand}) for _ in range(5)]
    for send in sends:
        await send
    assert await a.call("offer", {"target": b.sid, "description": {"type": "offer", "sdp": SDP}}) == {"ok": True}
    await b.log.next("receive-offer")
    assert len(b.log.events["receive-ice-candidate"]) == 5


async def test_target_outside_the_room_is_unknown(api: Api, peers: Connect) -> None:
    _, (a, _b), _ = await room_with(api, peers, 2)
    _, (stranger,), _ = await room_with(api, peers, 1)
    desc = {"type": "offer", "sdp": SDP}
    for target in (stranger.sid, a.sid, "no-such-socket"):
        ack = await a.call("offer", {"target": target, "description": desc})
        assert ack["ok"] is False and ack["error"]["code"] == "unknown-target", target
    assert await stranger.log.quiet("receive-offer", 0.2)
    assert a.log.events["receive-offer"] == []


async def test_sizes_are_checked_first(api: Api, peers: Connect) -> None:
    outsider = await peers((await api.register())["token"])
    _, (a, b), _ = await room_with(api, peers, 2)
    big_sdp = "a" * (MAX_SDP_BYTES + 1)
    cases = [
        # too large beats not-in-room and a malformed target
        (outsider, "offer", {"target": 42, "description": {"type": "offer", "sdp": big_sdp}}, "too-large"),
        (a, "answer", {"target": b.sid, "description": {"type": "answer", "sdp": big_sdp}}, "too-large"),
        # multi-byte: 2 bytes each, so half as many characters already break the limit
        (
            a,
            "offer",
            {"target": b.sid, "description": {"type": "offer", "sdp": "é" * (MAX_SDP_BYTES // 2 + 1)}},
            "too-large",
        ),
        (
            a,
            "ice-candidate",
            {"target": b.sid, "candidate": {"candidate": "c" * (MAX_CANDIDATE_BYTES + 1)}},
            "too-large",
        ),
        # the candidate's free-text fields too, also from outside any room and with a malformed target
        (
            outsider,
            "ice-candidate",
            {"target": 42, "candidate": {"candidate": "c", "sdpMid": "m" * (MAX_CANDIDATE_FIELD_BYTES + 1)}},
            "too-large",
        ),
        (
            a,
            "ice-candidate",
            {
                "target": b.sid,
                "candidate": {"candidate": "c", "usernameFragment": "u" * (MAX_CANDIDATE_FIELD_BYTES + 1)},
            },
            "too-large",
        ),
        # shape beats membership
        (outsider, "offer", {"target": b.sid, "description": {"type": "answer", "sdp": "v=0"}}, "invalid-input"),
        (outsider, "offer", {"target": b.sid, "description": {"type": "offer", "sdp": "v=0"}}, "not-in-room"),
    ]
    for peer, event, payload, code in cases:
        ack = await peer.call(event, payload)
        assert ack["ok"] is False and ack["error"]["code"] == code, (event, code, ack)
    assert MAX_CANDIDATE_FIELD_BYTES == 256
    ok = await a.call("offer", {"target": b.sid, "description": {"type": "offer", "sdp": "a" * MAX_SDP_BYTES}})
    assert ok == {"ok": True}  # exactly at the limit is allowed
    assert len((await b.log.next("receive-offer"))["description"]["sdp"]) == MAX_SDP_BYTES
    assert await b.log.quiet("receive-offer", 0.2)  # none of the refused ones was relayed
    assert b.log.events["receive-answer"] == [] and b.log.events["receive-ice-candidate"] == []


@pytest.mark.parametrize(
    ("event", "payload"),
    [
        ("join-room", None),
        ("join-room", "room"),
        ("join-room", {"roomId": "abc"}),
        ("join-room", {"roomId": "a/b", "mediaState": {"camera": True, "microphone": True, "screen": False}}),
        ("join-room", {"roomId": "abc", "mediaState": {"camera": "yes", "microphone": True, "screen": False}}),
        ("join-room", {"roomId": "abc", "mediaState": {"camera": 1, "microphone": True, "screen": False}}),
        ("join-room", {"roomId": "abc", "mediaState": MEDIA_OFF, "resumeId": "too-short"}),
        ("join-room", {"roomId": "abc", "mediaState": MEDIA_OFF, "resumeId": "no spaces allowed here"}),
        ("leave-room", {}),
        ("offer", {"target": "x"}),
        ("offer", {"target": "x", "description": {"type": "offer"}}),
        ("offer", {"target": "", "description": {"type": "offer", "sdp": "v=0"}}),
        ("offer", {"target": ["x"], "description": {"type": "offer", "sdp": "v=0"}}),
        ("answer", {"target": "x", "description": {"type": "offer", "sdp": "v=0"}}),
        ("ice-candidate", {"target": "x"}),
        ("ice-candidate", {"target": "x", "candidate": {"sdpMid": "0"}}),
        ("ice-candidate", {"target": "x", "candidate": {"candidate": "c", "sdpMLineIndex": "0"}}),
        ("ice-candidate", {"target": "x", "candidate": {"candidate": "c", "sdpMLineIndex": -1}}),
        ("toggle-media", {"mediaType": "webcam", "enabled": True}),
        ("toggle-media", {"mediaType": "camera", "enabled": "false"}),
        ("toggle-media", {"mediaType": "camera"}),
        ("toggle-media", [1, 2]),
    ],
)
async def test_malformed_payloads_get_invalid_input(api: Api, peers: Connect, event: str, payload: Any) -> None:
    peer = await peers((await api.register())["token"])
    ack = await peer.call(event, payload)
    assert ack["ok"] is False
    assert ack["error"]["code"] == "invalid-input", ack
    assert ack["error"]["message"]


async def test_extra_arguments_are_invalid_input(api: Api, peers: Connect) -> None:
    peer = await peers((await api.register())["token"])
    ack = await peer.sio.call("toggle-media", ({"mediaType": "camera", "enabled": True}, "extra"), timeout=5)
    assert ack["error"]["code"] == "invalid-input"


async def test_unknown_event_gets_an_error_ack(api: Api, peers: Connect) -> None:
    peer = await peers((await api.register())["token"])
    ack = await peer.call("make-coffee", {"sugar": 2})
    assert ack == {"ok": False, "error": {"code": "unknown-event", "message": "no such event: make-coffee"}}


async def test_room_not_found_full_and_already_in_room(api: Api, peers: Connect) -> None:
    room_id, (a, _b), _ = await room_with(api, peers, 2, maxParticipants=2)
    third = await peers((await api.register())["token"])
    ack = await third.join(room_id)
    assert ack["ok"] is False and ack["error"]["code"] == "room-full"
    ack = await third.join("NoSuchRoom0000000000000")
    assert ack["error"]["code"] == "room-not-found"
    other_room, _, _ = await room_with(api, peers, 0)
    ack = await a.join(other_room)
    assert ack["error"]["code"] == "already-in-room"
    ack = await a.join(room_id)
    assert ack["error"]["code"] == "already-in-room"
    # The refused joiner was never announced.
    assert a.log.events["user-joined"][-1]["socketId"] != third.sid


async def test_leave_and_not_in_room(api: Api, peers: Connect) -> None:
    room_id, (a, b), _ = await room_with(api, peers, 2)
    assert (await a.call("leave-room", {"roomId": "SomeOtherRoom"}))["error"]["code"] == "not-in-room"
    assert await b.call("leave-room", {"roomId": room_id}) == {"ok": True}
    assert await a.log.next("user-left") == {"socketId": b.sid, "userId": (await b.join(room_id))["self"]["userId"]}
    # b rejoined above on the same socket: a hears it and the room counts two again.
    assert (await a.log.next("user-joined"))["socketId"] == b.sid
    assert await b.call("leave-room", {"roomId": room_id}) == {"ok": True}
    for event, payload in [
        ("leave-room", {"roomId": room_id}),
        ("toggle-media", {"mediaType": "camera", "enabled": True}),
        ("offer", {"target": a.sid, "description": {"type": "offer", "sdp": "v=0"}}),
        ("answer", {"target": a.sid, "description": {"type": "answer", "sdp": "v=0"}}),
        ("ice-candidate", {"target": a.sid, "candidate": None}),
    ]:
        ack = await b.call(event, payload)
        assert ack["error"]["code"] == "not-in-room", event


async def test_disconnect_mid_call_cleans_up(api: Api, peers: Connect) -> None:
    room_id, (a, b, c), _ = await room_with(api, peers, 3, maxParticipants=3)
    user_b = b.log  # keep the log; the socket goes
    b_sid = b.sid
    await b.sio.eio.disconnect(abort=True)  # the connection drops without a goodbye
    for other in (a, c):
        left = await other.log.next("user-left", timeout=10)
        assert left["socketId"] == b_sid
    assert user_b.events["user-left"] == []
    token = (await api.register())["token"]
    r = await api.http.get(f"/api/rooms/{room_id}", headers=bearer(token))
    assert r.json()["participantCount"] == 2
    newcomer = await peers(token)
    assert (await newcomer.join(room_id))["ok"] is True  # the freed seat is usable
    ack = await a.call("offer", {"target": b_sid, "description": {"type": "offer", "sdp": "v=0"}})
    assert ack["error"]["code"] == "unknown-target"


async def test_oversize_event_is_refused_by_the_transport(api: Api, peers: Connect) -> None:
    _, (a, b), _ = await room_with(api, peers, 2)
    disconnected = asyncio.Event()
    a.sio.on("disconnect", lambda *args: disconnected.set())
    await a.sio.emit("offer", {"target": b.sid, "description": {"type": "offer", "sdp": "x" * (200 * 1024)}})
    await asyncio.wait_for(disconnected.wait(), 10)
    assert (await b.log.next("user-left"))["socketId"]
    assert b.log.events["receive-offer"] == []


async def test_one_user_may_join_from_two_sockets(api: Api, peers: Connect) -> None:
    """Two devices of one account are two participants (distinct socket ids, same user id)."""
    user = await api.register()
    room_id = (await api.create_room(user["token"]))["roomId"]
    first, second = await peers(user["token"]), await peers(user["token"])
    await first.join(room_id)
    ack = await second.join(room_id)
    assert ack["participants"][0]["userId"] == ack["self"]["userId"]
    assert ack["participants"][0]["socketId"] != ack["self"]["socketId"]
