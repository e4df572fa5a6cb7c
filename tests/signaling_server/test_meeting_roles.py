"""Version 1.1, "Roles, password, lock and lobby": who is host, who becomes host, and join-room's check order."""

from __future__ import annotations

from typing import Any

import pytest

from tests.signaling_server.meetings import (
    MEDIA_ON,
    Connect,
    in_room,
    newcomer,
    nothing_more,
    participant_count,
    refused,
)
from tests.support.clients import Api, Peer

PASSWORD = "open sesame"


async def test_owner_is_host_and_everyone_else_a_participant(api: Api, peers: Connect) -> None:
    _, (a, b, _c), acks = await in_room(api, peers, 3)
    assert acks[0]["self"]["role"] == "host"
    assert [p["role"] for p in acks[1]["participants"]] == ["host"]
    assert acks[1]["self"]["role"] == acks[2]["self"]["role"] == "participant"
    assert {p["socketId"]: p["role"] for p in acks[2]["participants"]} == {a.sid: "host", b.sid: "participant"}
    for ack in acks:
        assert ack["self"]["handRaisedAt"] is None and ack["self"]["recording"] is False
    # "for hosts, lobby": an empty one in a public room; a participant's ack has none.
    assert acks[0]["lobby"] == []
    assert "lobby" not in acks[1] and "lobby" not in acks[2]
    assert acks[0]["chat"] == acks[1]["chat"] == []


async def test_owner_is_host_even_when_arriving_later(api: Api, peers: Connect) -> None:
    owner = await api.register()
    room_id = (await api.create_room(owner["token"]))["roomId"]
    first, second = await newcomer(api, peers), await newcomer(api, peers)
    # Silent spot: a room with people in it always has a host, so whoever opens it without its owner leads it.
    assert (await first.join(room_id))["self"]["role"] == "host"
    assert (await second.join(room_id))["self"]["role"] == "participant"
    late_owner = await peers(owner["token"])
    ack = await late_owner.join(room_id)
    assert ack["self"]["role"] == "host"
    assert {p["socketId"]: p["role"] for p in ack["participants"]} == {first.sid: "host", second.sid: "participant"}
    assert (await first.log.next("user-joined"))["socketId"] == second.sid
    for peer in (first, second):
        joined = await peer.log.next("user-joined")
        assert joined["socketId"] == late_owner.sid and joined["role"] == "host"


@pytest.mark.parametrize("how", ["leave-room", "disconnect"])
async def test_earliest_joiner_becomes_host_when_the_last_host_leaves(api: Api, peers: Connect, how: str) -> None:
    room_id, (a, b, c, d), _ = await in_room(api, peers, 4)
    if how == "leave-room":
        assert await a.call("leave-room", {"roomId": room_id}) == {"ok": True}
    else:
        await a.close()
    for peer in (b, c, d):
        assert await peer.log.next("role-changed") == {"socketId": b.sid, "role": "host"}
        assert (await peer.log.next("user-left"))["socketId"] == a.sid
    await nothing_more("role-changed", b, c, d)  # one promotion, not one per remaining person
    late = await newcomer(api, peers)
    roles = {p["socketId"]: p["role"] for p in (await late.join(room_id))["participants"]}
    assert roles == {b.sid: "host", c.sid: "participant", d.sid: "participant"}
    # The next in line after b, when b goes too.
    await b.close()
    for peer in (c, d, late):
        assert await peer.log.next("role-changed") == {"socketId": c.sid, "role": "host"}


async def test_no_promotion_while_another_host_remains(api: Api, peers: Connect) -> None:
    room_id, (a, b, c), _ = await in_room(api, peers, 3)
    assert await a.call("set-role", {"target": c.sid, "role": "host"}) == {"ok": True}
    for peer in (a, b, c):
        await peer.log.next("role-changed")
    assert await a.call("leave-room", {"roomId": room_id}) == {"ok": True}
    for peer in (b, c):
        assert (await peer.log.next("user-left"))["socketId"] == a.sid
    await nothing_more("role-changed", b, c)


async def password_room(api: Api, peers: Connect, **room: Any) -> tuple[str, Peer, str]:
    """A room with a password, its owner in it; returns the room, the owner's socket and token."""
    owner = await api.register()
    created = await api.create_room(owner["token"], password=PASSWORD, **room)
    assert created["hasPassword"] is True and "password" not in created
    host = await peers(owner["token"])
    assert (await host.join(created["roomId"]))["ok"] is True  # the owner needs no password
    return created["roomId"], host, owner["token"]


async def test_password_is_asked_of_everyone_but_the_owner(api: Api, peers: Connect) -> None:
    room_id, host, owner_token = await password_room(api, peers)
    guest = await newcomer(api, peers)
    assert refused(await guest.join(room_id)) == "password-required"
    assert refused(await guest.join(room_id, password="open sesame!")) == "wrong-password"
    assert refused(await guest.join(room_id, password="OPEN SESAME")) == "wrong-password"
    assert await participant_count(api, room_id) == 1
    ack = await guest.join(room_id, password=PASSWORD)
    assert ack["self"]["role"] == "participant" and "waiting" not in ack
    assert (await host.log.next("user-joined"))["socketId"] == guest.sid
    # The owner's second device, with a wrong password even: the owner is exempt.
    assert (await (await peers(owner_token)).join(room_id, password="not it"))["ok"] is True


async def test_a_password_sent_to_a_room_without_one_is_ignored(api: Api, peers: Connect) -> None:
    room_id, _, _ = await in_room(api, peers, 1)
    assert (await (await newcomer(api, peers)).join(room_id, password="whatever"))["ok"] is True


async def test_more_than_five_wrong_passwords_in_a_minute_are_rate_limited(api: Api, peers: Connect) -> None:
    room_id, _, owner_token = await password_room(api, peers)
    other_room, _, _ = await password_room(api, peers)
    guesser = await api.register()
    first, second = await peers(guesser["token"]), await peers(guesser["token"])
    for attempt in range(5):
        assert refused(await (first, second)[attempt % 2].join(room_id, password=f"guess {attempt}")) == (
            "wrong-password"
        )
    # The sixth try within the window, from either socket of that user, even with the right password: a limit that
    # let the right guess through would not slow a guesser down.
    assert refused(await first.join(room_id, password="guess 5")) == "rate-limited"
    assert refused(await second.join(room_id, password=PASSWORD)) == "rate-limited"
    # Per user and room: that user in another room, and another user in this one, are not limited.
    assert refused(await first.join(other_room, password="guess")) == "wrong-password"
    stranger = await newcomer(api, peers)
    assert refused(await stranger.join(room_id, password="guess")) == "wrong-password"
    assert (await stranger.join(room_id, password=PASSWORD))["ok"] is True
    # The owner never needs a password, so its tries are never counted against it.
    owner_socket = await peers(owner_token)
    assert (await owner_socket.join(room_id))["ok"] is True


@pytest.mark.parametrize(
    "payload",
    [
        {"roomId": "abc", "mediaState": MEDIA_ON, "password": 1234},
        {"roomId": "abc", "mediaState": MEDIA_ON, "password": ["open sesame"]},
        {"roomId": "abc", "mediaState": MEDIA_ON, "password": "p" * 65},
    ],
)
async def test_malformed_password_is_invalid_input_before_membership(
    api: Api, peers: Connect, payload: dict[str, Any]
) -> None:
    _, (a,), _ = await in_room(api, peers, 1)  # already in a room: shape comes first
    assert refused(await a.call("join-room", payload)) == "invalid-input"


async def lock(host: Peer, everyone: list[Peer], locked: bool = True) -> None:
    assert await host.call("lock-room", {"locked": locked}) == {"ok": True}
    for peer in everyone:
        assert (await peer.log.next("room-updated"))["room"]["locked"] is locked


async def test_join_room_check_order(api: Api, peers: Connect) -> None:
    """Each case fails two or more checks; the first one in the contract's order is the answer."""
    # A locked, full room with a password, from which one user was removed: max 2, owner and guest inside.
    room_id, host, owner_token = await password_room(api, peers, maxParticipants=2)
    removed_user = await api.register()
    removed = await peers(removed_user["token"])
    assert (await removed.join(room_id, password=PASSWORD))["ok"] is True
    await host.log.next("user-joined")
    assert await host.call("remove-participant", {"target": removed.sid}) == {"ok": True}
    await removed.log.next("removed")
    guest = await newcomer(api, peers)
    assert (await guest.join(room_id, password=PASSWORD))["ok"] is True
    assert (await host.log.next("user-joined"))["socketId"] == guest.sid
    await lock(host, [host, guest])
    elsewhere, _, _ = await in_room(api, peers, 1)
    busy = await newcomer(api, peers)
    assert (await busy.join(elsewhere))["ok"] is True
    outsider = await newcomer(api, peers)
    rejoiner = await peers(removed_user["token"])
    cases = [
        # already-in-room beats a missing room and everything about this one
        (busy, "NoSuchRoom0000000000000", None, "already-in-room"),
        (busy, room_id, None, "already-in-room"),
        (outsider, "NoSuchRoom0000000000000", PASSWORD, "room-not-found"),
        # removed-from-room beats the password, the lock and the seats (on any socket of that user)
        (removed, room_id, None, "removed-from-room"),
        (rejoiner, room_id, PASSWORD, "removed-from-room"),
        # the password beats the lock and the seats
        (outsider, room_id, None, "password-required"),
        (outsider, room_id, "wrong", "wrong-password"),
        # the lock beats the seats
        (outsider, room_id, PASSWORD, "room-locked"),
    ]
    for peer, target_room, password, code in cases:
        assert refused(await peer.join(target_room, password=password)) == code, (target_room, password, code)
    # The owner is exempt from the password and the lock, not from the seats.
    assert refused(await (await peers(owner_token)).join(room_id)) == "room-full"
    await nothing_more("user-joined", host, guest)


async def test_lock_keeps_out_everyone_but_the_owner(api: Api, peers: Connect) -> None:
    room_id, (a, b), _ = await in_room(api, peers, 2)
    await lock(a, [a, b])
    assert refused(await (await newcomer(api, peers)).join(room_id)) == "room-locked"
    owner_again = await peers(a.token)
    assert (await owner_again.join(room_id))["self"]["role"] == "host"
    await lock(a, [a, b, owner_again], locked=False)
    assert (await (await newcomer(api, peers)).join(room_id))["ok"] is True
