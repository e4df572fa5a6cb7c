"""Live room state in Redis, shared by several server nodes (``NIMEET_REDIS_URL``).

Each room is one JSON document (``room:<id>``: the meeting's members, bans, admissions, lock and files, and the
lobby); every change reads it, applies ``room_rules`` and writes it back in one optimistic transaction (WATCH,
MULTI/EXEC, again on a conflict), together with the per-socket index (``sock:<sid>``: which room, in it or waiting,
on which node). The chat is a list of its own (``chat:<room>``), so a message is one RPUSH instead of a rewrite of
the document. A meeting's keys go when it ends, in the same transaction.

Every socket also sits in its node's set (``node:<node>:socks``), which is how the members of a node that died
are found (``nodes.py``).
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

import orjson
from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from redis.exceptions import WatchError

from signaling_server.protocol import CHAT_HISTORY_MAX, ChatMessage, FileInfo, MediaType, Role
from signaling_server.signaling import room_rules
from signaling_server.signaling.members import AlreadyInRoom, Ended, Joined, Left, Member, NotWaiting, Waiter
from signaling_server.signaling.room_rules import Meeting, RoomDoc

T = TypeVar("T")

# Where a socket is, in its index entry.
IN_ROOM = "room"
IN_LOBBY = "lobby"


# ---- the document on the wire ----
def _member_out(member: Member | Waiter) -> dict[str, Any]:
    out = dataclasses.asdict(member)
    raised = out.get("hand_raised_at")
    if isinstance(raised, datetime):
        out["hand_raised_at"] = raised.isoformat()
    return out


def _member_in(data: dict[str, Any]) -> Member:
    raised = data.get("hand_raised_at")
    return Member(**{**data, "hand_raised_at": None if raised is None else datetime.fromisoformat(raised)})


def encode(doc: RoomDoc) -> bytes:
    meeting = doc.meeting
    return orjson.dumps(
        {
            "meeting": None
            if meeting is None
            else {
                "id": meeting.meeting_id,
                "members": [_member_out(m) for m in meeting.members.values()],
                "banned": sorted(meeting.banned),
                "admitted": sorted(meeting.admitted),
                "locked": meeting.locked,
                "files": [info.model_dump(mode="json", by_alias=True) for info in meeting.files.values()],
            },
            "lobby": [_member_out(w) for w in doc.lobby.values()],
        }
    )


def decode(raw: bytes | str | None) -> RoomDoc:
    if raw is None:
        return RoomDoc()
    data = orjson.loads(raw)
    doc = RoomDoc(lobby={w["socket_id"]: Waiter(**w) for w in data["lobby"]})
    found = data["meeting"]
    if found is not None:
        doc.meeting = Meeting(
            meeting_id=found["id"],
            members={m["socket_id"]: _member_in(m) for m in found["members"]},
            banned=set(found["banned"]),
            admitted=set(found["admitted"]),
            locked=found["locked"],
            files={f["id"]: FileInfo.model_validate(f) for f in found["files"]},
        )
    return doc


def _begin(pipe: Pipeline) -> None:
    """MULTI: the reads are done, the writes are queued from here on (redis-py leaves ``multi`` untyped)."""
    pipe.multi()  # type: ignore[no-untyped-call]


class RedisRoomState:
    """``RoomState`` in Redis. ``node_id`` is the node this process is: sockets that join or knock through it are
    filed under it."""

    def __init__(self, redis: Redis, node_id: str, prefix: str = "nimeet:") -> None:
        self._redis = redis
        self.node_id = node_id
        self.prefix = self._p = prefix

    # ---- keys ----
    def _room_key(self, room_id: str) -> str:
        return f"{self._p}room:{room_id}"

    def _chat_key(self, room_id: str) -> str:
        return f"{self._p}chat:{room_id}"

    def _sock_key(self, socket_id: str) -> str:
        return f"{self._p}sock:{socket_id}"

    def node_key(self, node_id: str) -> str:
        return f"{self._p}node:{node_id}:socks"

    @property
    def _occupied_key(self) -> str:  # rooms with a meeting under way
        return f"{self._p}occupied"

    @property
    def _seated_key(self) -> str:  # sockets in a room (not waiting)
        return f"{self._p}seated"

    # ---- transactions ----
    async def _transact(self, watch: list[str], body: Callable[[Pipeline], Awaitable[T]]) -> T:
        """Run ``body`` (reads on the pipeline, then ``multi()`` and the writes) until no watched key changed in
        between. ``body`` may watch more keys before its ``multi()``."""
        while True:
            async with self._redis.pipeline(transaction=True) as pipe:
                try:
                    if watch:
                        await pipe.watch(*watch)
                    result = await body(pipe)
                    if pipe.explicit_transaction:  # the body found nothing to change: no MULTI, nothing to run
                        await pipe.execute()
                    return result
                except WatchError:
                    continue

    async def _where(self, pipe: Pipeline, socket_id: str) -> tuple[str, str, str] | None:
        """(room id, IN_ROOM or IN_LOBBY, node) of a socket, read under WATCH."""
        raw = await pipe.get(self._sock_key(socket_id))
        if raw is None:
            return None
        entry = orjson.loads(raw)
        return entry["room"], entry["where"], entry["node"]

    async def _load(self, pipe: Pipeline, room_id: str) -> RoomDoc:
        key = self._room_key(room_id)
        await pipe.watch(key)
        return decode(await pipe.get(key))

    def _store(self, pipe: Pipeline, room_id: str, doc: RoomDoc) -> None:
        """Queue the document's write (after ``multi()``): deleted when empty, its chat with its meeting."""
        key = self._room_key(room_id)
        if doc.empty:
            pipe.delete(key)
        else:
            pipe.set(key, encode(doc))
        if doc.meeting is None:
            pipe.srem(self._occupied_key, room_id)
            pipe.delete(self._chat_key(room_id))
        else:
            pipe.sadd(self._occupied_key, room_id)

    def _file(self, pipe: Pipeline, socket_id: str, room_id: str, where: str, node: str) -> None:
        pipe.set(self._sock_key(socket_id), orjson.dumps({"room": room_id, "where": where, "node": node}))
        pipe.sadd(self.node_key(node), socket_id)
        if where == IN_ROOM:
            pipe.sadd(self._seated_key, socket_id)
        else:
            pipe.srem(self._seated_key, socket_id)

    def _unfile(self, pipe: Pipeline, socket_id: str, node: str) -> None:
        pipe.delete(self._sock_key(socket_id))
        pipe.srem(self.node_key(node), socket_id)
        pipe.srem(self._seated_key, socket_id)

    async def _seat(
        self, pipe: Pipeline, room_id: str, doc: RoomDoc, joined: Joined, socket_id: str, node: str
    ) -> None:
        """The end of a join or an admission: the document written, the replaced socket (a rejoin) unfiled, the
        socket filed in the room under ``node``."""
        replaced = joined.replaced
        replaced_node = None
        if replaced is not None:
            await pipe.watch(self._sock_key(replaced.socket_id))
            replaced_node = await self._node_of(pipe, replaced.socket_id)
        _begin(pipe)
        self._store(pipe, room_id, doc)
        if replaced is not None and replaced_node is not None:
            self._unfile(pipe, replaced.socket_id, replaced_node)
        self._file(pipe, socket_id, room_id, IN_ROOM, node)

    async def _node_of(self, pipe: Pipeline, socket_id: str) -> str:
        where = await self._where(pipe, socket_id)
        return self.node_id if where is None else where[2]

    # ---- membership ----
    async def join(self, room_id: str, member: Member, capacity: int, seats_per_user: int) -> Joined:
        async def body(pipe: Pipeline) -> Joined:
            if await self._where(pipe, member.socket_id) is not None:
                raise AlreadyInRoom
            doc = await self._load(pipe, room_id)
            # A copy per attempt: a retried transaction must not see the role an earlier attempt gave.
            placed = dataclasses.replace(member, media=dict(member.media))
            joined = room_rules.join(doc, placed, capacity, seats_per_user)
            outcome[:] = [placed]
            await self._seat(pipe, room_id, doc, joined, member.socket_id, self.node_id)
            return joined

        outcome: list[Member] = []
        joined = await self._transact([self._sock_key(member.socket_id)], body)
        placed = outcome[0]  # the caller's member says how it joined, as the contract's ack does
        member.role, member.hand_raised_at, member.recording = placed.role, placed.hand_raised_at, placed.recording
        return joined

    async def leave(self, socket_id: str) -> Left | None:
        async def body(pipe: Pipeline) -> Left | None:
            where = await self._where(pipe, socket_id)
            if where is None or where[1] != IN_ROOM:
                return None
            room_id, _, node = where
            doc = await self._load(pipe, room_id)
            _begin(pipe)
            self._unfile(pipe, socket_id, node)
            if doc.meeting is None or socket_id not in doc.meeting.members:
                return None  # an index entry without its member: tidied away
            left = room_rules.leave(doc, room_id, socket_id)
            self._store(pipe, room_id, doc)
            return left

        return await self._transact([self._sock_key(socket_id)], body)

    async def room_of(self, socket_id: str) -> str | None:
        raw = await self._redis.get(self._sock_key(socket_id))
        if raw is None:
            return None
        entry = orjson.loads(raw)
        return entry["room"] if entry["where"] == IN_ROOM else None

    async def _doc(self, room_id: str) -> RoomDoc:
        return decode(await self._redis.get(self._room_key(room_id)))

    async def member(self, socket_id: str) -> Member | None:
        room_id = await self.room_of(socket_id)
        if room_id is None:
            return None
        meeting = (await self._doc(room_id)).meeting
        return None if meeting is None else meeting.members.get(socket_id)

    async def members(self, room_id: str) -> list[Member]:
        meeting = (await self._doc(room_id)).meeting
        return [] if meeting is None else list(meeting.members.values())

    async def count(self, room_id: str) -> int:
        return len(await self.members(room_id))

    async def occupancy(self) -> tuple[int, int]:
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.scard(self._occupied_key)
            pipe.scard(self._seated_key)
            rooms, people = await pipe.execute()
        return int(rooms), int(people)

    async def user_in_room(self, room_id: str, user_id: str) -> bool:
        return any(m.user_id == user_id for m in await self.members(room_id))

    async def _change_member(self, socket_id: str, change: Callable[[Meeting, Member], None]) -> str | None:
        """Apply ``change`` to the socket's member in its room; the room id, or None when it is in no room."""

        async def body(pipe: Pipeline) -> str | None:
            where = await self._where(pipe, socket_id)
            if where is None or where[1] != IN_ROOM:
                return None
            room_id = where[0]
            doc = await self._load(pipe, room_id)
            member = None if doc.meeting is None else doc.meeting.members.get(socket_id)
            if doc.meeting is None or member is None:
                return None
            change(doc.meeting, member)  # may raise (LastHost) before anything is queued
            _begin(pipe)
            self._store(pipe, room_id, doc)
            return room_id

        return await self._transact([self._sock_key(socket_id)], body)

    async def set_media(self, socket_id: str, media_type: MediaType, enabled: bool) -> str | None:
        def change(_: Meeting, member: Member) -> None:
            member.media[media_type] = enabled

        return await self._change_member(socket_id, change)

    async def set_participation(self, socket_id: str, join_id: str, participation_id: int) -> bool:
        stale = False

        def change(_: Meeting, member: Member) -> None:
            nonlocal stale
            stale = member.join_id != join_id
            if not stale:
                member.participation_id = participation_id

        return await self._change_member(socket_id, change) is not None and not stale

    async def set_role(self, socket_id: str, role: Role) -> str | None:
        return await self._change_member(socket_id, lambda meeting, _: room_rules.set_role(meeting, socket_id, role))

    async def set_hand(self, socket_id: str, raised_at: datetime | None) -> str | None:
        def change(_: Meeting, member: Member) -> None:
            member.hand_raised_at = raised_at

        return await self._change_member(socket_id, change)

    async def set_recording(self, socket_id: str, active: bool) -> str | None:
        def change(_: Meeting, member: Member) -> None:
            member.recording = active

        return await self._change_member(socket_id, change)

    # ---- the lobby ----
    async def knock(self, room_id: str, waiter: Waiter) -> None:
        async def body(pipe: Pipeline) -> None:
            if await self._where(pipe, waiter.socket_id) is not None:
                raise AlreadyInRoom
            doc = await self._load(pipe, room_id)
            doc.lobby[waiter.socket_id] = waiter
            _begin(pipe)
            self._store(pipe, room_id, doc)
            self._file(pipe, waiter.socket_id, room_id, IN_LOBBY, self.node_id)

        await self._transact([self._sock_key(waiter.socket_id)], body)

    async def lobby(self, room_id: str) -> list[Waiter]:
        return list((await self._doc(room_id)).lobby.values())

    async def lobby_of(self, socket_id: str) -> str | None:
        raw = await self._redis.get(self._sock_key(socket_id))
        if raw is None:
            return None
        entry = orjson.loads(raw)
        return entry["room"] if entry["where"] == IN_LOBBY else None

    async def unknock(self, socket_id: str) -> tuple[str, Waiter] | None:
        async def body(pipe: Pipeline) -> tuple[str, Waiter] | None:
            where = await self._where(pipe, socket_id)
            if where is None or where[1] != IN_LOBBY:
                return None
            room_id, _, node = where
            doc = await self._load(pipe, room_id)
            waiter = doc.lobby.pop(socket_id, None)
            _begin(pipe)
            self._unfile(pipe, socket_id, node)
            if waiter is None:
                return None
            self._store(pipe, room_id, doc)
            return room_id, waiter

        return await self._transact([self._sock_key(socket_id)], body)

    async def admit(
        self, room_id: str, socket_id: str, capacity: int, seats_per_user: int, owner_id: str
    ) -> tuple[Member, Joined]:
        async def body(pipe: Pipeline) -> tuple[Member, Joined]:
            where = await self._where(pipe, socket_id)
            if where is None or where[:2] != (room_id, IN_LOBBY):
                raise NotWaiting
            doc = await self._load(pipe, room_id)
            member, joined = room_rules.admit(doc, socket_id, capacity, seats_per_user, owner_id)
            await self._seat(pipe, room_id, doc, joined, socket_id, where[2])  # on the node it waited through
            return member, joined

        return await self._transact([self._sock_key(socket_id)], body)

    # ---- the meeting ----
    async def meeting_id(self, room_id: str) -> str | None:
        meeting = (await self._doc(room_id)).meeting
        return None if meeting is None else meeting.meeting_id

    async def end_meeting(self, room_id: str) -> Ended:
        async def body(pipe: Pipeline) -> Ended:
            doc = await self._load(pipe, room_id)
            ended = room_rules.end(doc)
            sids = [m.socket_id for m in ended.members] + [w.socket_id for w in ended.waiters]
            if sids:
                await pipe.watch(*(self._sock_key(sid) for sid in sids))
            nodes = [await self._node_of(pipe, sid) for sid in sids]
            _begin(pipe)
            self._store(pipe, room_id, doc)
            for sid, node in zip(sids, nodes, strict=True):
                self._unfile(pipe, sid, node)
            return ended

        return await self._transact([], body)

    async def _change_meeting(self, room_id: str, change: Callable[[Meeting], None]) -> bool:
        async def body(pipe: Pipeline) -> bool:
            doc = await self._load(pipe, room_id)
            if doc.meeting is None:
                return False
            change(doc.meeting)
            _begin(pipe)
            self._store(pipe, room_id, doc)
            return True

        return await self._transact([], body)

    async def ban(self, room_id: str, user_id: str) -> None:
        await self._change_meeting(room_id, lambda meeting: room_rules.ban(meeting, user_id))

    async def is_banned(self, room_id: str, user_id: str) -> bool:
        meeting = (await self._doc(room_id)).meeting
        return meeting is not None and user_id in meeting.banned

    async def was_admitted(self, room_id: str, user_id: str) -> bool:
        meeting = (await self._doc(room_id)).meeting
        return meeting is not None and user_id in meeting.admitted

    async def set_locked(self, room_id: str, locked: bool) -> bool:
        def change(meeting: Meeting) -> None:
            meeting.locked = locked

        return await self._change_meeting(room_id, change)

    async def locked(self, room_id: str) -> bool:
        meeting = (await self._doc(room_id)).meeting
        return meeting is not None and meeting.locked

    async def add_chat(self, room_id: str, message: ChatMessage) -> bool:
        async def body(pipe: Pipeline) -> bool:
            doc = await self._load(pipe, room_id)
            if doc.meeting is None:
                return False
            _begin(pipe)
            key = self._chat_key(room_id)
            pipe.rpush(key, message.model_dump_json(by_alias=True))
            pipe.ltrim(key, -CHAT_HISTORY_MAX, -1)
            return True

        return await self._transact([], body)

    async def chat(self, room_id: str) -> list[ChatMessage]:
        raw = await self._redis.lrange(self._chat_key(room_id), 0, -1)
        return [ChatMessage.model_validate_json(item) for item in raw]

    async def add_file(self, room_id: str, meeting_id: str, info: FileInfo) -> bool:
        found = False

        def change(meeting: Meeting) -> None:
            nonlocal found
            found = meeting.meeting_id == meeting_id
            if found:
                meeting.files[info.id] = info

        return await self._change_meeting(room_id, change) and found

    async def file(self, room_id: str, file_id: str) -> tuple[str, FileInfo] | None:
        meeting = (await self._doc(room_id)).meeting
        info = None if meeting is None else meeting.files.get(file_id)
        return None if meeting is None or info is None else (meeting.meeting_id, info)

    # ---- wrong passwords (a sorted set of times per user and room, expiring with its window) ----
    def _failures_key(self, room_id: str, user_id: str) -> str:
        return f"{self._p}pw:{room_id}:{user_id}"

    async def password_failures(self, room_id: str, user_id: str, now: float, window_s: float) -> int:
        key = self._failures_key(room_id, user_id)
        return int(await self._redis.zcount(key, f"({now - window_s}", "+inf"))

    async def add_password_failure(self, room_id: str, user_id: str, now: float, window_s: float) -> None:
        key = self._failures_key(room_id, user_id)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zadd(key, {uuid.uuid4().hex: now})
            pipe.zremrangebyscore(key, "-inf", now - window_s)
            pipe.expire(key, max(1, int(window_s) + 1))
            await pipe.execute()

    # ---- nodes ----
    async def sockets_of(self, node_id: str) -> list[str]:
        """Every socket filed under a node (in a room or waiting)."""
        found = await self._redis.smembers(self.node_key(node_id))
        return sorted(sid.decode() if isinstance(sid, bytes) else str(sid) for sid in found)

    async def forget_node(self, node_id: str) -> None:
        await self._redis.delete(self.node_key(node_id))
