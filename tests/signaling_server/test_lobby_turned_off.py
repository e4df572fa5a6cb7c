"""Where the contract is silent: turning a room's lobby off lets in the people waiting in it (as far as seats go)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from tests.support.clients import Api, Peer, bearer

Connect = Callable[[str | None], Awaitable[Peer]]


async def test_people_waiting_are_admitted_when_the_owner_turns_the_lobby_off(api: Api, peers: Connect) -> None:
    owner = await api.register()
    room = await api.create_room(owner["token"], isPrivate=True, maxParticipants=2)
    host = await peers(owner["token"])
    await host.join(room["roomId"])
    first, second = await peers((await api.register())["token"]), await peers((await api.register())["token"])
    assert (await first.join(room["roomId"]))["waiting"] is True
    assert (await second.join(room["roomId"]))["waiting"] is True

    r = await api.http.patch(f"/api/rooms/{room['roomId']}", json={"isPrivate": False}, headers=bearer(owner["token"]))
    assert r.status_code == 200, r.text
    assert (await host.log.next("room-updated"))["room"]["isPrivate"] is False
    admitted = await first.log.next("admitted")
    assert [p["socketId"] for p in admitted["participants"]] == [host.sid]
    assert (await host.log.next("user-joined"))["socketId"] == first.sid
    assert (await host.log.next("lobby-left"))["socketId"] == first.sid
    # The room is full now: the second keeps waiting, and a host can still admit it once a seat frees.
    assert await second.log.quiet("admitted")
    assert await host.call("admit", {"target": second.sid}) == {
        "ok": False,
        "error": {"code": "room-full", "message": "the room is full (2 participants)"},
    }
