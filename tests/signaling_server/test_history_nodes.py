"""Sessions decided by the database, not by one process's memory: two server processes on one database (each with
its own live room state, as before that state moves to a shared store) put simultaneous first joins into one
session; and an open session whose stays all vanished (their account deleted) is over when the next join comes."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.clients import Api, Peer, bearer
from tests.support.server import FAST_ENV, ServerProcess

ROOMS = 6  # rooms joined at once from both nodes: races need more than one chance to show


async def sessions_of(url: str, room_id: str, token: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(base_url=url) as http:
        r = await http.get(f"/api/rooms/{room_id}/sessions", headers=bearer(token))
    assert r.status_code == 200, r.text
    found: list[dict[str, Any]] = r.json()["sessions"]
    return found


async def eventually(check: Callable[[], Any], what: str, within: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, what
        await asyncio.sleep(0.05)


def two_nodes(
    make_server: Callable[..., ServerProcess], database_url_for: Callable[[str], str], tmp_path: Path, backend: str
) -> tuple[str, str]:
    url_db = database_url_for(backend)
    shared = tmp_path / "shared"  # SQLite: one database file in one data directory
    first = make_server(database_url=url_db, data_dir=shared)
    second = make_server(database_url=url_db, data_dir=shared)
    return first.start(), second.start()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_first_joins_on_two_nodes_at_once_open_one_session(
    make_server: Callable[..., ServerProcess], database_url_for: Callable[[str], str], tmp_path: Path, backend: str
) -> None:
    one, other = two_nodes(make_server, database_url_for, tmp_path, backend)
    api = Api(one)
    try:
        owner, guest = await api.register(), await api.register()
        rooms = [(await api.create_room(owner["token"]))["roomId"] for _ in range(ROOMS)]
    finally:
        await api.aclose()
    # Each node's own room state sees an empty room: both joins are "the first" there.
    hosts = [await Peer(one, owner["token"]).connect() for _ in rooms]
    guests = [await Peer(other, guest["token"]).connect() for _ in rooms]
    try:
        acks = await asyncio.gather(
            *(peer.join(room) for peer, room in zip(hosts, rooms, strict=True)),
            *(peer.join(room) for peer, room in zip(guests, rooms, strict=True)),
        )
        assert all(ack["ok"] for ack in acks)
        for room in rooms:

            async def both_in(room: str = room) -> bool:
                found = await sessions_of(one, room, owner["token"])
                return len(found) == 1 and len(found[0]["participants"]) == 2

            await eventually(both_in, "both stays recorded")
            (session,) = await sessions_of(other, room, owner["token"])  # the same answer from either node
            assert session["peakParticipants"] == 2 and session["endedAt"] is None
    finally:
        for peer in hosts:
            await peer.close()
    # Everyone from one node has left, but the other node's people are still in: the meeting goes on.
    for room in rooms:

        async def host_left(room: str = room) -> bool:
            found = await sessions_of(one, room, owner["token"])
            return (
                found[0]["participants"][0]["leftAt"] is not None or found[0]["participants"][1]["leftAt"] is not None
            )

        await eventually(host_left, "the host's stay ended")
        assert (await sessions_of(one, room, owner["token"]))[0]["endedAt"] is None
    for peer in guests:
        await peer.close()
    for room in rooms:

        async def ended(room: str = room) -> bool:
            return (await sessions_of(one, room, owner["token"]))[0]["endedAt"] is not None

        await eventually(ended, "the session ended with its last stay")


def delete_user(data_dir: Path, database_url: str, email: str) -> subprocess.CompletedProcess[str]:
    args = [sys.executable, "-m", "signaling_server", "--data-dir", str(data_dir)]
    if database_url:
        args += ["--database-url", database_url]
    return subprocess.run(
        [*args, "delete-user", email],
        env={**FAST_ENV, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_a_session_left_open_by_a_deleted_account_ends_before_the_next_meeting(
    make_server: Callable[..., ServerProcess], database_url_for: Callable[[str], str], tmp_path: Path, backend: str
) -> None:
    url_db = database_url_for(backend)
    data = tmp_path / "data"
    url = make_server(env={"NIMEET_REVOCATION_POLL_S": "0.2"}, database_url=url_db, data_dir=data).start()
    api = Api(url)
    try:
        owner, doomed = await api.register(), await api.register()
        room_id = (await api.create_room(owner["token"]))["roomId"]
        alone = await Peer(url, doomed["token"]).connect()
        assert (await alone.join(room_id))["ok"]

        async def recorded() -> bool:
            return len(await sessions_of(url, room_id, owner["token"])) == 1

        await eventually(recorded, "the stay recorded")
        done = await asyncio.to_thread(delete_user, data, url_db, doomed["user"]["email"])
        assert done.returncode == 0, done.stderr
        # The account and its stay are gone; the socket is disconnected when the revocation reaches the server.
        await eventually(lambda: asyncio.sleep(0, not alone.sio.connected), "the deleted account's socket closed")

        host = await Peer(url, owner["token"]).connect()
        try:
            assert (await host.join(room_id))["ok"]

            async def two() -> bool:
                return len(await sessions_of(url, room_id, owner["token"])) == 2

            await eventually(two, "a new session for the new meeting")
            new, old = await sessions_of(url, room_id, owner["token"])
            assert old["endedAt"] is not None and old["participants"] == []
            assert new["endedAt"] is None and [p["userId"] for p in new["participants"]] == [owner["user"]["id"]]
            assert new["peakParticipants"] == 1
        finally:
            await host.close()
    finally:
        await api.aclose()
