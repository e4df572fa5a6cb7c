"""The room-state interface's meeting rules, on both implementations: in-process and Redis (a real redis-server)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from redis.asyncio import Redis

from signaling_server.meeting_files import safe_mime, safe_name
from signaling_server.protocol import ChatMessage, FileInfo
from signaling_server.signaling.redis_state import RedisRoomState
from signaling_server.signaling.state import (
    LastHost,
    Member,
    MemoryRoomState,
    NotWaiting,
    RoomFull,
    RoomState,
    SeatsTaken,
    Waiter,
)
from tests.support.redis_server import RedisServer


def member(sid: str, user: str, owner: bool = False, resume: str | None = None) -> Member:
    return Member(sid, user, user, {"camera": True, "microphone": True, "screen": False}, resume, owner=owner)


def waiter(sid: str, user: str) -> Waiter:
    return Waiter(sid, user, user, {"camera": True, "microphone": True, "screen": False})


@pytest.fixture
async def redis(redis_server: RedisServer) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_server.url)
    yield client
    await client.aclose()


@pytest.fixture(params=["memory", "redis"])
async def rooms(request: pytest.FixtureRequest) -> AsyncIterator[RoomState]:
    if request.param == "memory":
        yield MemoryRoomState()
        return
    server: RedisServer = request.getfixturevalue("redis_server")  # only the Redis half needs redis-server
    client = Redis.from_url(server.url)
    yield RedisRoomState(client, "node-a", prefix=f"t{uuid.uuid4().hex}:")
    await client.aclose()


async def test_what_comes_back_is_a_snapshot(rooms: RoomState) -> None:
    joining = member("o", "owner", owner=True)
    await rooms.join("r", joining, 8, 2)
    assert joining.role == "host"  # the caller's member says how it joined
    joining.role = "participant"
    got = await rooms.member("o")
    assert got is not None and got.role == "host"
    got.media["camera"] = False
    (await rooms.members("r"))[0].role = "participant"
    again = await rooms.member("o")
    assert again is not None and again.role == "host" and again.media["camera"] is True


async def test_seats_per_account_and_a_socket_in_one_place_only(rooms: RoomState) -> None:
    await rooms.join("r", member("a1", "a"), 8, 2)
    await rooms.join("r", member("a2", "a"), 8, 2)
    with pytest.raises(SeatsTaken):
        await rooms.join("r", member("a3", "a"), 8, 2)
    assert await rooms.room_of("a3") is None and await rooms.count("r") == 2
    assert await rooms.occupancy() == (1, 2)


async def test_the_owner_and_the_first_joiner_of_a_hostless_room_are_hosts(rooms: RoomState) -> None:
    await rooms.join("r", member("g1", "guest1"), 8, 2)
    await rooms.join("r", member("g2", "guest2"), 8, 2)
    await rooms.join("r", member("o", "owner", owner=True), 8, 2)
    assert [m.role for m in await rooms.members("r")] == ["host", "participant", "host"]


async def test_the_earliest_joiner_is_promoted_when_the_last_host_leaves(rooms: RoomState) -> None:
    for m in (member("o", "owner", owner=True), member("a", "a"), member("b", "b")):
        await rooms.join("r", m, 8, 2)
    left = await rooms.leave("o")
    assert left is not None and [m.socket_id for m in left.promoted] == ["a"]
    assert left.ended_meeting is None
    assert (await rooms.leave("b")) is not None and (await rooms.member("a")).role == "host"  # type: ignore[union-attr]
    last = await rooms.leave("a")
    assert last is not None and last.promoted == [] and last.ended_meeting is not None


async def test_the_last_host_cannot_step_down(rooms: RoomState) -> None:
    await rooms.join("r", member("o", "owner", owner=True), 8, 2)
    await rooms.join("r", member("a", "a"), 8, 2)
    with pytest.raises(LastHost):
        await rooms.set_role("o", "participant")
    await rooms.set_role("a", "host")
    assert await rooms.set_role("o", "participant") == "r"


async def test_a_rejoin_with_the_resume_id_keeps_role_hand_and_recording(rooms: RoomState) -> None:
    await rooms.join("r", member("o", "owner", owner=True), 8, 2)
    await rooms.join("r", member("a1", "a", resume="resume-aaaaaaaaaaaa"), 8, 2)
    await rooms.set_role("a1", "host")
    raised = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    await rooms.set_hand("a1", raised)
    await rooms.set_recording("a1", True)
    joined = await rooms.join("r", member("a2", "a", resume="resume-aaaaaaaaaaaa"), 8, 2)
    assert joined.replaced is not None and joined.replaced.socket_id == "a1"
    again = await rooms.member("a2")
    assert again is not None and (again.role, again.hand_raised_at, again.recording) == ("host", raised, True)


async def test_admit_moves_a_waiter_in_and_a_full_room_keeps_it_waiting(rooms: RoomState) -> None:
    await rooms.join("r", member("o", "owner", owner=True), 2, 2)
    await rooms.knock("r", waiter("w1", "w1"))
    await rooms.knock("r", waiter("w2", "w2"))
    assert [w.socket_id for w in await rooms.lobby("r")] == ["w1", "w2"]
    admitted, joined = await rooms.admit("r", "w1", 2, 2, owner_id="owner")
    assert admitted.role == "participant" and [m.socket_id for m in joined.others] == ["o"]
    assert await rooms.was_admitted("r", "w1")
    with pytest.raises(RoomFull):
        await rooms.admit("r", "w2", 2, 2, owner_id="owner")
    assert await rooms.lobby_of("w2") == "r"  # still waiting, in its place
    with pytest.raises(NotWaiting):
        await rooms.admit("r", "nobody", 2, 2, owner_id="owner")


async def test_the_meeting_owns_chat_files_bans_and_lock_but_not_the_lobby(rooms: RoomState) -> None:
    await rooms.join("r", member("o", "owner", owner=True), 8, 2)
    meeting = await rooms.meeting_id("r")
    assert meeting is not None
    now = datetime.now(UTC)
    message = ChatMessage(id="m", from_="o", user_id="owner", username="owner", text="hi", sent_at=now)
    info = FileInfo(
        id="f", name="a.txt", size=1, sha256="0" * 64, mime="text/plain", uploaded_by="owner", uploaded_at=now
    )
    assert await rooms.add_chat("r", message) and await rooms.add_file("r", meeting, info)
    await rooms.ban("r", "intruder")
    await rooms.set_locked("r", True)
    await rooms.knock("r", waiter("w", "w"))
    await rooms.leave("o")
    assert await rooms.meeting_id("r") is None
    assert await rooms.chat("r") == [] and await rooms.file("r", "f") is None
    assert not await rooms.is_banned("r", "intruder") and not await rooms.locked("r")
    assert await rooms.lobby_of("w") == "r"
    await rooms.join("r", member("o", "owner", owner=True), 8, 2)
    assert not await rooms.add_file("r", meeting, info)  # an upload of the ended meeting is not kept


async def test_chat_history_keeps_the_newest_200(rooms: RoomState) -> None:
    await rooms.join("r", member("o", "owner", owner=True), 8, 2)
    now = datetime.now(UTC)
    for i in range(205):
        await rooms.add_chat("r", ChatMessage(id=str(i), from_="o", user_id="o", username="o", text="t", sent_at=now))
    history = await rooms.chat("r")
    assert len(history) == 200 and history[0].id == "5" and history[-1].id == "204"


async def test_wrong_passwords_are_counted_per_user_and_room_within_the_window(rooms: RoomState) -> None:
    for t in range(5):
        await rooms.add_password_failure("r", "u", now=100.0 + t, window_s=60)
    assert await rooms.password_failures("r", "u", now=104.0, window_s=60) == 5
    assert await rooms.password_failures("r", "other", now=104.0, window_s=60) == 0
    assert await rooms.password_failures("r2", "u", now=104.0, window_s=60) == 0
    assert await rooms.password_failures("r", "u", now=162.0, window_s=60) == 2  # the first three fell out
    assert await rooms.password_failures("r", "u", now=1000.0, window_s=60) == 0


async def test_end_meeting_takes_everyone_out_of_the_room_and_the_lobby(rooms: RoomState) -> None:
    await rooms.join("r", member("o", "owner", owner=True), 8, 2)
    await rooms.join("r", member("a", "a"), 8, 2)
    await rooms.knock("r", waiter("w", "w"))
    ended = await rooms.end_meeting("r")
    assert [m.socket_id for m in ended.members] == ["o", "a"] and [w.socket_id for w in ended.waiters] == ["w"]
    assert await rooms.room_of("o") is None and await rooms.lobby_of("w") is None and await rooms.count("r") == 0


@pytest.mark.parametrize(
    ("given", "safe"),
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\notes.txt", "notes.txt"),
        ("a/b/c.txt", "c.txt"),
        ("", "file"),
        (None, "file"),
        ("..", "file"),
        (".bashrc", "bashrc"),
        ("bad\x00name\n.txt", "bad_name_.txt"),
        ("gpj\u202eexe.txt", "gpj_exe.txt"),
        ("CON.txt", "_CON.txt"),
        ("trailing. . ", "trailing"),
        ("x" * 300 + ".tar.gz", "x" * 252 + ".gz"),
        ("é" * 200, "é" * 127),
    ],
)
def test_file_names_are_reduced_to_a_safe_base_name(given: str | None, safe: str) -> None:
    assert safe_name(given) == safe
    assert len(safe_name(given).encode("utf-8")) <= 255


def test_only_plain_mime_types_are_kept() -> None:
    assert safe_mime("text/plain; charset=utf-8") == "text/plain"
    assert safe_mime("Image/PNG") == "image/png"
    for bad in ("", None, "text", "text/html\r\nX-Evil: 1", "a/b/c"):
        assert safe_mime(bad) == "application/octet-stream"


async def test_two_nodes_joining_at_once_fill_a_room_exactly_and_agree_on_one_host(redis: Redis) -> None:
    prefix = f"t{uuid.uuid4().hex}:"
    a, b = RedisRoomState(redis, "node-a", prefix), RedisRoomState(redis, "node-b", prefix)

    async def attempt(i: int) -> bool:
        node = a if i % 2 else b
        try:
            await node.join("r", member(f"s{i}", f"u{i}"), 5, 2)
        except RoomFull:
            return False
        return True

    results = await asyncio.gather(*(attempt(i) for i in range(20)))
    assert sum(results) == 5
    seated = await a.members("r")
    assert len(seated) == 5 and [m.role for m in seated].count("host") == 1
    # Each socket is filed under the node it joined through: how a dead node's members are found.
    on_a, on_b = await a.sockets_of("node-a"), await a.sockets_of("node-b")
    assert sorted(on_a + on_b) == sorted(m.socket_id for m in seated)
    assert all(int(sid[1:]) % 2 == 1 for sid in on_a) and all(int(sid[1:]) % 2 == 0 for sid in on_b)
    for m in seated:
        await b.leave(m.socket_id)
    assert await a.sockets_of("node-a") == [] and await a.occupancy() == (0, 0)
    assert await redis.keys(f"{prefix}*") == []  # nothing left behind once everyone left


async def test_an_admitted_waiter_stays_filed_under_its_own_node(redis: Redis) -> None:
    prefix = f"t{uuid.uuid4().hex}:"
    a, b = RedisRoomState(redis, "node-a", prefix), RedisRoomState(redis, "node-b", prefix)
    await a.join("r", member("o", "owner", owner=True), 8, 2)
    await b.knock("r", waiter("w", "w"))
    await a.admit("r", "w", 8, 2, owner_id="owner")  # a host on node a lets in a socket of node b
    assert await a.sockets_of("node-b") == ["w"] and await a.room_of("w") == "r"
