"""History (contract v1.1): sessions made by real joins and leaves over socket.io, on both databases; who may see
them; a restart closes the sessions a stopped server left open."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from signaling_server.protocol import SessionsResponse
from tests.signaling_server.meetings import Connect, emptied, when
from tests.support.clients import Api, Peer, bearer
from tests.support.server import ServerProcess

# A stay's rows are written just after the join's ack and the leave: a read waits at most this long for them.
ROWS_WAIT_S = 5.0


async def sessions_of(api: Api, room_id: str, token: str, status: int = 200) -> list[dict[str, Any]]:
    r = await api.http.get(f"/api/rooms/{room_id}/sessions", headers=bearer(token))
    assert r.status_code == status, r.text
    if status != 200:
        assert r.json()["error"]["code"] == {403: "forbidden", 404: "room-not-found", 401: "unauthorized"}[status]
        return []
    SessionsResponse.model_validate(r.json())  # the contract's shape, to the field
    sessions: list[dict[str, Any]] = r.json()["sessions"]
    return sessions


async def settled(
    api: Api, room_id: str, token: str, done: Callable[[list[dict[str, Any]]], bool]
) -> list[dict[str, Any]]:
    """The room's sessions once ``done`` holds for them (the rows are written in the background)."""
    deadline = asyncio.get_running_loop().time() + ROWS_WAIT_S
    while True:
        sessions = await sessions_of(api, room_id, token)
        if done(sessions) or asyncio.get_running_loop().time() > deadline:
            return sessions
        await asyncio.sleep(0.05)


def seconds(start: str, end: str) -> float:
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()


async def test_a_session_from_the_first_join_to_the_empty_room_with_its_peak_and_stays(
    api: Api, peers: Connect
) -> None:
    owner, bob, carol = await api.register(), await api.register(), await api.register()
    room_id = (await api.create_room(owner["token"]))["roomId"]
    assert await sessions_of(api, room_id, owner["token"]) == []

    host = await peers(owner["token"])
    assert (await host.join(room_id))["ok"]
    b = await peers(bob["token"])
    assert (await b.join(room_id))["ok"]
    c = await peers(carol["token"])
    assert (await c.join(room_id))["ok"]
    sessions = await settled(api, room_id, owner["token"], lambda s: len(s) == 1 and len(s[0]["participants"]) == 3)
    (live,) = sessions
    assert live["endedAt"] is None and live["peakParticipants"] == 3
    when(live["startedAt"])
    assert [p["username"] for p in live["participants"]] == [
        owner["user"]["username"],
        bob["user"]["username"],
        carol["user"]["username"],
    ]
    assert all(p["leftAt"] is None and p["durationS"] >= 0 for p in live["participants"])

    await asyncio.sleep(1.2)  # long enough for whole seconds to tell the stays apart
    await c.close()
    await b.call("leave-room", {"roomId": room_id})
    sessions = await settled(api, room_id, owner["token"], lambda s: s[0]["participants"][2]["leftAt"] is not None)
    assert sessions[0]["endedAt"] is None  # the owner is still there: the meeting goes on
    await asyncio.sleep(1.2)
    await host.close()
    await emptied(api, room_id)
    (ended,) = await settled(api, room_id, owner["token"], lambda s: s[0]["endedAt"] is not None)
    assert ended["sessionId"] == live["sessionId"] and ended["peakParticipants"] == 3
    stays = ended["participants"]
    for stay in stays:
        assert stay["durationS"] == round(seconds(stay["joinedAt"], stay["leftAt"]))
    assert stays[0]["durationS"] >= 2 and stays[1]["durationS"] >= 1 and stays[2]["durationS"] >= 1
    assert stays[0]["durationS"] > stays[1]["durationS"]
    # The meeting ended when the last one left.
    assert ended["endedAt"] == max(stay["leftAt"] for stay in stays)

    # The room is empty: the next join opens a second session, listed first.
    again = await peers(bob["token"])
    assert (await again.join(room_id))["ok"]
    sessions = await settled(api, room_id, owner["token"], lambda s: len(s) == 2)
    assert [s["sessionId"] for s in sessions][1] == live["sessionId"]
    assert sessions[0]["peakParticipants"] == 1 and sessions[0]["endedAt"] is None
    assert [p["userId"] for p in sessions[0]["participants"]] == [bob["user"]["id"]]
    assert sessions[0]["startedAt"] > ended["endedAt"]


async def test_the_owner_sees_every_session_a_participant_only_their_own_others_none(api: Api, peers: Connect) -> None:
    owner, bob, stranger = await api.register(), await api.register(), await api.register()
    room_id = (await api.create_room(owner["token"]))["roomId"]
    host = await peers(owner["token"])
    b = await peers(bob["token"])
    assert (await host.join(room_id))["ok"] and (await b.join(room_id))["ok"]
    await settled(api, room_id, owner["token"], lambda s: len(s) == 1 and len(s[0]["participants"]) == 2)
    await b.close()
    await host.call("leave-room", {"roomId": room_id})
    await emptied(api, room_id)
    await settled(api, room_id, owner["token"], lambda s: s[0]["endedAt"] is not None)
    assert (await host.join(room_id))["ok"]  # a second meeting, without Bob
    assert len(await settled(api, room_id, owner["token"], lambda s: len(s) == 2)) == 2

    bobs = await sessions_of(api, room_id, bob["token"])
    assert len(bobs) == 1 and {p["userId"] for p in bobs[0]["participants"]} == {owner["user"]["id"], bob["user"]["id"]}
    await sessions_of(api, room_id, stranger["token"], 403)
    await sessions_of(api, "A" * 22, owner["token"], 404)
    await sessions_of(api, "not a room id", owner["token"], 404)
    r = await api.http.get(f"/api/rooms/{room_id}/sessions")
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_a_restart_closes_the_sessions_a_stopped_server_left_open(
    make_server: Callable[..., ServerProcess], database_url_for: Callable[[str], str], tmp_path: Path, backend: str
) -> None:
    url_db = database_url_for(backend)
    first = make_server(database_url=url_db, data_dir=tmp_path / "data")
    url = first.start()
    api = Api(url)
    try:
        owner = await api.register()
        room_id = (await api.create_room(owner["token"]))["roomId"]
        peer = await Peer(url, owner["token"]).connect()
        assert (await peer.join(room_id))["ok"]
        await settled(api, room_id, owner["token"], lambda s: len(s) == 1)
        first.stop(signal.SIGKILL)  # no shutdown: the session and its stay stay open in the database
        await peer.close()
    finally:
        await api.aclose()

    second = make_server(database_url=url_db, data_dir=tmp_path / "data")
    url = second.start()
    async with httpx.AsyncClient(base_url=url) as http:
        r = await http.get(f"/api/rooms/{room_id}/sessions", headers=bearer(owner["token"]))
    (closed,) = r.json()["sessions"]
    assert closed["endedAt"] is not None and closed["participants"][0]["leftAt"] is not None
    when(closed["endedAt"])
    # A new join after the restart is a new meeting.
    peer = await Peer(url, owner["token"]).connect()
    assert (await peer.join(room_id))["ok"]
    api = Api(url)
    try:
        assert len(await settled(api, room_id, owner["token"], lambda s: len(s) == 2)) == 2
    finally:
        await api.aclose()
    second.stop_gracefully()  # and a graceful stop closes what is open at once
    await peer.close()
    async with httpx.AsyncClient(base_url=second.start()) as http:
        r = await http.get(f"/api/rooms/{room_id}/sessions", headers=bearer(owner["token"]))
    sessions = r.json()["sessions"]
    assert len(sessions) == 2 and all(s["endedAt"] is not None for s in sessions)
