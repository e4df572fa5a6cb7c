"""Version 1.1, "Moderation (hosts only)": the check order of every host action, and what each one does."""

from __future__ import annotations

from typing import Any

import pytest

from tests.signaling_server.meetings import (
    Connect,
    admit,
    emptied,
    fill,
    in_room,
    knock,
    lobby_room,
    newcomer,
    nothing_more,
    participant_count,
    promote,
    refused,
    room_info,
)
from tests.support.clients import Api

# Each host action with a payload that is valid for a host: "{x}" stands for socket x's id (``fill``).
HOST_ACTIONS: list[tuple[str, dict[str, Any]]] = [
    ("admit", {"target": "{waiting}"}),
    ("deny", {"target": "{waiting}"}),
    ("set-role", {"target": "{other}", "role": "host"}),
    ("set-role", {"target": "{sender}", "role": "host"}),  # no one makes themselves host
    ("set-role", {"target": "{host}", "role": "participant"}),
    ("mute-participant", {"target": "{other}", "mediaType": "microphone"}),
    ("mute-participant", {"target": "{host}", "mediaType": "camera"}),
    ("mute-all", {}),
    ("remove-participant", {"target": "{other}"}),
    ("remove-participant", {"target": "{host}"}),
    ("lock-room", {"locked": True}),
    ("lower-hand", {"target": "{other}"}),
    ("end-meeting", {}),
    ("recording", {"active": True}),
    # forbidden comes before unknown-target
    ("admit", {"target": "no-such-socket"}),
    ("remove-participant", {"target": "no-such-socket"}),
]
# What any host action could make someone receive.
EFFECTS = [
    "admitted",
    "denied",
    "role-changed",
    "muted-by-host",
    "media-toggled",
    "removed",
    "user-left",
    "user-joined",
    "room-updated",
    "hand-raised",
    "meeting-ended",
    "recording-changed",
    "lobby-left",
]


@pytest.mark.parametrize(("event", "payload"), HOST_ACTIONS)
async def test_a_participant_may_take_no_host_action(api: Api, peers: Connect, event: str, payload: Any) -> None:
    lobbied = await lobby_room(api, peers, inside=2, waiting=1)
    host, (sender, other), waiting = lobbied.host, lobbied.inside, lobbied.waiting[0]
    assert await other.call("raise-hand", {"raised": True}) == {"ok": True}
    for peer in (host, sender):
        await peer.log.next("hand-raised")
    ack = await sender.call(
        event, fill(payload, waiting=waiting.sid, other=other.sid, sender=sender.sid, host=host.sid)
    )
    assert refused(ack) == "forbidden", ack
    await nothing_more("admitted", waiting)  # one wait for all: every effect would have been sent at once
    for peer in (host, sender, other, waiting):
        for effect in EFFECTS:
            assert peer.log.untaken(effect) == [], (event, effect)
    assert (await room_info(api, lobbied.room_id))["room"]["locked"] is False


@pytest.mark.parametrize(
    ("event", "payload"),
    [
        ("admit", {}),
        ("admit", {"target": 7}),
        ("admit", {"target": ""}),
        ("admit", {"target": "x" * 65}),
        ("deny", {"target": None}),
        ("set-role", {"target": "x", "role": "admin"}),
        ("set-role", {"target": "x"}),
        ("set-role", {"role": "host"}),
        ("mute-participant", {"target": "x", "mediaType": "screen"}),  # a host cannot stop a screen share
        ("mute-participant", {"target": "x"}),
        ("mute-all", []),
        ("mute-all", "all"),
        ("remove-participant", {"target": ["x"]}),
        ("lock-room", {"locked": "true"}),
        ("lock-room", {"locked": 1}),
        ("lock-room", {}),
        ("lower-hand", {}),
        ("end-meeting", None),
        ("recording", {"active": "yes"}),
        ("recording", {}),
    ],
)
async def test_a_malformed_host_action_is_invalid_input_first(
    api: Api, peers: Connect, event: str, payload: Any
) -> None:
    _, (host, member), _ = await in_room(api, peers, 2)
    outsider = await newcomer(api, peers)
    # The shape is checked before membership (outsider), before the role (member), and for hosts too.
    for sender in (outsider, member, host):
        assert refused(await sender.call(event, payload)) == "invalid-input", sender.sid


@pytest.mark.parametrize(("event", "payload"), HOST_ACTIONS)
async def test_a_host_action_needs_a_room(api: Api, peers: Connect, event: str, payload: Any) -> None:
    _, (host, member), _ = await in_room(api, peers, 2)
    outsider = await newcomer(api, peers)  # not in a room beats not a host
    sids = {"waiting": member.sid, "other": member.sid, "sender": outsider.sid, "host": host.sid}
    assert refused(await outsider.call(event, fill(payload, **sids))) == "not-in-room"


async def test_host_action_targets_must_be_in_this_room(api: Api, peers: Connect) -> None:
    lobbied = await lobby_room(api, peers, inside=1, waiting=1)
    host, member, waiting = lobbied.host, lobbied.inside[0], lobbied.waiting[0]
    elsewhere = await lobby_room(api, peers, inside=1, waiting=1)
    stranger, strangers_waiting = elsewhere.inside[0], elsewhere.waiting[0]
    gone = await newcomer(api, peers)
    await knock(gone, lobbied.room_id)
    await host.log.next("lobby-knock")
    await gone.close()
    await host.log.next("lobby-left")
    cases: list[tuple[str, dict[str, Any]]] = [
        # admit and deny: someone waiting in this room's lobby
        ("admit", {"target": member.sid}),
        ("admit", {"target": host.sid}),
        ("admit", {"target": strangers_waiting.sid}),
        ("admit", {"target": gone.sid}),
        ("deny", {"target": member.sid}),
        ("deny", {"target": strangers_waiting.sid}),
        ("deny", {"target": "no-such-socket"}),
        # the rest: someone in this room (not its lobby), never the sender itself (set-role excepted)
        ("set-role", {"target": waiting.sid, "role": "host"}),
        ("set-role", {"target": stranger.sid, "role": "host"}),
        ("mute-participant", {"target": host.sid, "mediaType": "microphone"}),
        ("mute-participant", {"target": waiting.sid, "mediaType": "microphone"}),
        ("mute-participant", {"target": stranger.sid, "mediaType": "camera"}),
        ("remove-participant", {"target": host.sid}),
        ("remove-participant", {"target": waiting.sid}),
        ("remove-participant", {"target": stranger.sid}),
        ("lower-hand", {"target": host.sid}),
        ("lower-hand", {"target": waiting.sid}),
        ("lower-hand", {"target": "no-such-socket"}),
    ]
    for event, payload in cases:
        assert refused(await host.call(event, payload)) == "unknown-target", (event, payload)
    await nothing_more("admitted", waiting, strangers_waiting)
    for peer in (host, member, waiting, stranger, strangers_waiting):
        for effect in EFFECTS:
            assert peer.log.untaken(effect) == [], (peer.sid, effect)
    assert await participant_count(api, lobbied.room_id) == 2


async def test_set_role_is_heard_by_everyone_and_gives_the_powers(api: Api, peers: Connect) -> None:
    room_id, (a, b, c), _ = await in_room(api, peers, 3)
    await promote(a, b, [a, b, c])
    late = await newcomer(api, peers)
    roles = {p["socketId"]: p["role"] for p in (await late.join(room_id))["participants"]}
    assert roles == {a.sid: "host", b.sid: "host", c.sid: "participant"}
    for peer in (a, b, c):
        await peer.log.next("user-joined")
    # The new host may act as one.
    assert await b.call("mute-participant", {"target": c.sid, "mediaType": "camera"}) == {"ok": True}
    assert (await c.log.next("muted-by-host"))["by"] == b.sid
    # A host may step down while another host remains; itself as the target is valid for set-role.
    assert await b.call("set-role", {"target": b.sid, "role": "participant"}) == {"ok": True}
    for peer in (a, b, c, late):
        assert await peer.log.next("role-changed") == {"socketId": b.sid, "role": "participant"}
    assert refused(await b.call("lock-room", {"locked": True})) == "forbidden"
    # The owner, the only host again, may not step down: the contract's last-host (with another host: forbidden,
    # test_the_owner_stays_host_and_in_the_room).
    assert refused(await a.call("set-role", {"target": a.sid, "role": "participant"})) == "last-host"
    await nothing_more("role-changed", a, b, c, late)
    # A host demotes another host.
    await promote(a, c, [a, b, c, late])
    assert await a.call("set-role", {"target": c.sid, "role": "participant"}) == {"ok": True}
    for peer in (a, b, c, late):
        assert await peer.log.next("role-changed") == {"socketId": c.sid, "role": "participant"}


async def test_the_only_host_may_not_step_down(api: Api, peers: Connect) -> None:
    room_id, (a, b, c), _ = await in_room(api, peers, 3)
    assert await a.call("leave-room", {"roomId": room_id}) == {"ok": True}
    for peer in (b, c):
        assert await peer.log.next("role-changed") == {"socketId": b.sid, "role": "host"}
    assert refused(await b.call("set-role", {"target": b.sid, "role": "participant"})) == "last-host"
    await nothing_more("role-changed", b, c)
    # With a second host, the first may.
    await promote(b, c, [b, c])
    assert await b.call("set-role", {"target": b.sid, "role": "participant"}) == {"ok": True}
    for peer in (b, c):
        assert await peer.log.next("role-changed") == {"socketId": b.sid, "role": "participant"}


async def test_the_owner_stays_host_and_in_the_room(api: Api, peers: Connect) -> None:
    """Silent in the contract beyond "the owner is host whenever present": nobody can demote or remove the room's
    owner, the owner itself included (this server answers ``forbidden`` once another host is present; alone, the
    owner gets the contract's ``last-host``)."""
    _, (a, b, c), _ = await in_room(api, peers, 3)
    await promote(a, b, [a, b, c])
    assert refused(await b.call("set-role", {"target": a.sid, "role": "participant"})) == "forbidden"
    assert refused(await a.call("set-role", {"target": a.sid, "role": "participant"})) == "forbidden"
    assert refused(await b.call("remove-participant", {"target": a.sid})) == "forbidden"
    await nothing_more("role-changed", a, b, c)
    await nothing_more("removed", a, seconds=0)
    assert a.log.events["user-left"] == b.log.events["user-left"] == c.log.events["user-left"] == []


async def test_an_owner_who_is_the_only_host_gets_last_host_when_stepping_down(api: Api, peers: Connect) -> None:
    """The contract's letter: "a host demoting itself while it is the only host -> last-host", the owner too (with
    another host present the owner still may not: ``forbidden``, above)."""
    _, (a, b), _ = await in_room(api, peers, 2)
    assert refused(await a.call("set-role", {"target": a.sid, "role": "participant"})) == "last-host"
    await nothing_more("role-changed", a, b)


@pytest.mark.parametrize("media", ["microphone", "camera"])
async def test_mute_participant(api: Api, peers: Connect, media: str) -> None:
    room_id, (a, b, c), acks = await in_room(api, peers, 3)
    assert await a.call("mute-participant", {"target": b.sid, "mediaType": media}) == {"ok": True}
    muted = await b.log.next("muted-by-host")
    assert muted["mediaType"] == media and muted["by"] == a.sid
    assert muted["byUsername"] == acks[0]["self"]["username"]
    for peer in (a, c):
        assert await peer.log.next("media-toggled") == {"socketId": b.sid, "mediaType": media, "enabled": False}
    await nothing_more("media-toggled", b)
    await nothing_more("muted-by-host", a, c, seconds=0)
    late = await newcomer(api, peers)
    state = {p["socketId"]: p["mediaState"] for p in (await late.join(room_id))["participants"]}
    assert state[b.sid][media] is False
    assert state[a.sid] == state[c.sid] == {"camera": True, "microphone": True, "screen": False}
    # The muted person may turn it on again.
    assert await b.call("toggle-media", {"mediaType": media, "enabled": True}) == {"ok": True}
    for peer in (a, c, late):
        assert await peer.log.next("media-toggled") == {"socketId": b.sid, "mediaType": media, "enabled": True}


async def test_mute_all_mutes_every_non_host(api: Api, peers: Connect) -> None:
    room_id, (a, b, c, d), _ = await in_room(api, peers, 4)
    await promote(a, b, [a, b, c, d])
    assert await a.call("mute-all", {}) == {"ok": True}
    for peer in (c, d):
        muted = await peer.log.next("muted-by-host")
        assert muted["mediaType"] == "microphone" and muted["by"] == a.sid
    await nothing_more("muted-by-host", a, b)
    expected = {
        a.sid: {c.sid, d.sid},
        b.sid: {c.sid, d.sid},
        c.sid: {d.sid},
        d.sid: {c.sid},
    }
    for peer in (a, b, c, d):
        heard = set()
        for _ in expected[peer.sid]:
            toggled = await peer.log.next("media-toggled")
            assert toggled["mediaType"] == "microphone" and toggled["enabled"] is False
            heard.add(toggled["socketId"])
        assert heard == expected[peer.sid]
    await nothing_more("media-toggled", a, b, c, d)
    late = await newcomer(api, peers)
    mics = {p["socketId"]: p["mediaState"]["microphone"] for p in (await late.join(room_id))["participants"]}
    assert mics == {a.sid: True, b.sid: True, c.sid: False, d.sid: False}


async def test_remove_participant_until_the_meeting_ends(api: Api, peers: Connect) -> None:
    room_id, (a, b, c), acks = await in_room(api, peers, 3)
    b_user = acks[1]["self"]["userId"]
    assert await a.call("remove-participant", {"target": b.sid}) == {"ok": True}
    removed = await b.log.next("removed")
    assert removed["by"] == a.sid
    assert removed["byUsername"] == acks[0]["self"]["username"]
    for peer in (a, c):
        assert await peer.log.next("user-left") == {"socketId": b.sid, "userId": b_user}
    await nothing_more("user-left", b)
    assert await participant_count(api, room_id) == 2
    # Out of the room: its relays are refused and it hears nothing more from it.
    assert refused(await b.call("toggle-media", {"mediaType": "camera", "enabled": False})) == "not-in-room"
    assert await c.call("toggle-media", {"mediaType": "camera", "enabled": False}) == {"ok": True}
    await a.log.next("media-toggled")
    await nothing_more("media-toggled", b)
    # Back in: refused on any socket of that user while the meeting goes on...
    assert refused(await b.join(room_id)) == "removed-from-room"
    assert refused(await (await peers(b.token)).join(room_id)) == "removed-from-room"
    # ...and welcome in the next one.
    for peer in (a, c):
        assert await peer.call("leave-room", {"roomId": room_id}) == {"ok": True}
    await emptied(api, room_id)
    assert (await b.join(room_id))["ok"] is True


async def test_lock_room_is_live_and_ends_with_the_meeting(api: Api, peers: Connect) -> None:
    room_id, (a, b), _ = await in_room(api, peers, 2)
    before = (await room_info(api, room_id))["room"]
    assert before["locked"] is False
    assert await a.call("lock-room", {"locked": True}) == {"ok": True}
    for peer in (a, b):  # the sender too
        updated = await peer.log.next("room-updated")
        assert updated == {"room": {**before, "locked": True}}
    assert (await room_info(api, room_id))["room"]["locked"] is True
    assert refused(await (await newcomer(api, peers)).join(room_id)) == "room-locked"
    await nothing_more("user-joined", a, b)
    # Emptied, the room forgets its lock: the next meeting is open.
    await a.close()
    await b.close()
    await emptied(api, room_id)
    assert (await room_info(api, room_id))["room"]["locked"] is False
    assert (await (await newcomer(api, peers)).join(room_id))["ok"] is True


async def test_unlock_room(api: Api, peers: Connect) -> None:
    room_id, (a, b), _ = await in_room(api, peers, 2)
    for locked in (True, False):
        assert await a.call("lock-room", {"locked": locked}) == {"ok": True}
        for peer in (a, b):
            assert (await peer.log.next("room-updated"))["room"]["locked"] is locked
    assert (await room_info(api, room_id))["room"]["locked"] is False
    assert (await (await newcomer(api, peers)).join(room_id))["ok"] is True


async def test_lower_hand(api: Api, peers: Connect) -> None:
    room_id, (a, b, c), _ = await in_room(api, peers, 3)
    assert await b.call("raise-hand", {"raised": True}) == {"ok": True}
    for peer in (a, c):
        await peer.log.next("hand-raised")
    assert await a.call("lower-hand", {"target": b.sid}) == {"ok": True}
    for peer in (a, b, c):  # the target and the sender too
        assert await peer.log.next("hand-raised") == {"socketId": b.sid, "raised": False, "at": None}
    late = await newcomer(api, peers)
    hands = {p["socketId"]: p["handRaisedAt"] for p in (await late.join(room_id))["participants"]}
    assert hands == {a.sid: None, b.sid: None, c.sid: None}


async def test_end_meeting_sends_everyone_away_and_forgets_the_meeting(api: Api, peers: Connect) -> None:
    lobbied = await lobby_room(api, peers, inside=3, waiting=1)
    host, (member, co_host, banned), waiting = lobbied.host, lobbied.inside, lobbied.waiting[0]
    room_id = lobbied.room_id
    await promote(host, co_host, lobbied.everyone)
    assert (await member.call("chat-message", {"text": "before the end"}))["ok"] is True
    assert await host.call("remove-participant", {"target": banned.sid}) == {"ok": True}
    await banned.log.next("removed")
    assert await host.call("lock-room", {"locked": True}) == {"ok": True}
    for peer in (host, member, co_host):
        await peer.log.next("room-updated")

    assert await co_host.call("end-meeting", {}) == {"ok": True}
    for peer in (host, member, co_host, waiting):  # the sender and the lobby too
        ended = await peer.log.next("meeting-ended")
        assert ended["reason"] == "ended-by-host" and ended["by"] == co_host.sid
    await nothing_more("meeting-ended", banned)  # already out
    assert await participant_count(api, room_id) == 0
    assert (await room_info(api, room_id))["room"]["locked"] is False
    for peer in (member, co_host):
        assert refused(await peer.call("toggle-media", {"mediaType": "camera", "enabled": False})) == "not-in-room"
    assert refused(await waiting.call("chat-message", {"text": "hello?"})) == "not-in-room"

    # The next meeting: no chat, no lobby, no ban, no lock; those let in before knock again.
    ack = await host.join(room_id)
    assert ack["chat"] == [] and ack["lobby"] == [] and ack["participants"] == []
    host.log.take_all()
    lobbied.inside.clear()
    lobbied.waiting.clear()
    for peer in (banned, member, waiting):
        await knock(peer, room_id)
        assert (await host.log.next("lobby-knock"))["socketId"] == peer.sid
        lobbied.waiting.append(peer)
    admitted = await admit(lobbied, member)
    assert admitted["chat"] == []


async def test_end_meeting_in_an_open_room_clears_its_chat(api: Api, peers: Connect) -> None:
    room_id, (a, b), _ = await in_room(api, peers, 2)
    assert (await b.call("chat-message", {"text": "old news"}))["ok"] is True
    assert await a.call("end-meeting", {}) == {"ok": True}
    for peer in (a, b):
        await peer.log.next("meeting-ended")
    rejoined = [await peer.join(room_id) for peer in (b, a)]
    assert [ack["chat"] for ack in rejoined] == [[], []]
    assert rejoined[1]["self"]["role"] == "host"
