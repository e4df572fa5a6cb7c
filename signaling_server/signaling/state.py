"""Live room state: who is in which room (and its lobby), as whom, with which media on, and the meeting under way.

``RoomState`` is the interface; ``MemoryRoomState`` keeps it in this process (one server node, the embedded default)
and ``redis_state.RedisRoomState`` in Redis (several nodes). Every method is a coroutine for the shared one, even
though the in-process one never waits, and every rule that needs two facts at once (a join that must see the room's
hosts, a leave that promotes the next host, an admit that must find a free seat) is one method, so the shared one
makes it one transaction. The rules themselves are written once, in ``room_rules.py``; members and outcomes are in
``members.py``. What a method returns is a snapshot: changing it changes nothing in the state.

A *meeting* is one stretch of a room with people in it: from the first join into an empty room until it is empty
again or a host ends it. Its chat, files, bans ("removed" users), lock and the set of people already admitted
belong to it and go with it. The lobby is kept apart: people waiting for a host are still waiting when the last
person leaves (they are not in the meeting; they wait for the next one to start).
"""

from __future__ import annotations

import copy
from collections import deque
from datetime import datetime
from typing import Protocol

from signaling_server.protocol import ChatMessage, FileInfo, MediaType, Role
from signaling_server.signaling import room_rules
from signaling_server.signaling.members import (
    AlreadyInRoom,
    Ended,
    Joined,
    LastHost,
    Left,
    Member,
    NotWaiting,
    RoomFull,
    SeatsTaken,
    Waiter,
)
from signaling_server.signaling.room_rules import Meeting, RoomDoc

__all__ = [
    "AlreadyInRoom",
    "Ended",
    "Joined",
    "LastHost",
    "Left",
    "Member",
    "MemoryRoomState",
    "NotWaiting",
    "RoomFull",
    "RoomState",
    "SeatsTaken",
    "Waiter",
]


class RoomState(Protocol):
    # ---- membership ----
    async def join(self, room_id: str, member: Member, capacity: int, seats_per_user: int) -> Joined:
        """Add ``member`` (its ``role`` is set here); returns the others already there and the member it replaced
        (same account and resume id, whose role, hand and recording carry over), all in one atomic step. Raises
        AlreadyInRoom (also for a socket waiting in a lobby), RoomFull or SeatsTaken, and changes nothing then."""
        ...

    async def leave(self, socket_id: str) -> Left | None:
        """Remove the socket from its room, promote the earliest joiner when the last host left, end the meeting when
        the room is empty; None when it was in no room."""
        ...

    async def room_of(self, socket_id: str) -> str | None: ...

    async def member(self, socket_id: str) -> Member | None: ...

    async def members(self, room_id: str) -> list[Member]:
        """Everyone in the room, in the order they joined."""
        ...

    async def count(self, room_id: str) -> int: ...

    async def occupancy(self) -> tuple[int, int]:
        """(rooms with people in them, people in rooms) across the server: for statistics and /metrics."""
        ...

    async def user_in_room(self, room_id: str, user_id: str) -> bool: ...

    async def set_media(self, socket_id: str, media_type: MediaType, enabled: bool) -> str | None:
        """Record a media toggle; returns the room id, or None when the socket is in no room."""
        ...

    async def set_participation(self, socket_id: str, join_id: str, participation_id: int) -> bool:
        """Attach the stay's database row to the stay ``join_id``; False when that stay is over."""
        ...

    async def set_role(self, socket_id: str, role: Role) -> str | None:
        """The room id, or None when the socket is in no room. Raises LastHost (and changes nothing) when the
        room would be left without a host."""
        ...

    async def set_hand(self, socket_id: str, raised_at: datetime | None) -> str | None: ...

    async def set_recording(self, socket_id: str, active: bool) -> str | None: ...

    # ---- the lobby ----
    async def knock(self, room_id: str, waiter: Waiter) -> None:
        """Put the socket in the room's lobby. Raises AlreadyInRoom when it is in a room or a lobby."""
        ...

    async def lobby(self, room_id: str) -> list[Waiter]:
        """Everyone waiting, in the order they knocked."""
        ...

    async def lobby_of(self, socket_id: str) -> str | None: ...

    async def unknock(self, socket_id: str) -> tuple[str, Waiter] | None:
        """Take the socket out of its lobby (it left, or was denied); None when it was waiting nowhere."""
        ...

    async def admit(
        self, room_id: str, socket_id: str, capacity: int, seats_per_user: int, owner_id: str
    ) -> tuple[Member, Joined]:
        """Move a waiting socket into the room in one step (it is remembered as admitted for this meeting).
        Raises NotWaiting, RoomFull or SeatsTaken (and the socket keeps waiting)."""
        ...

    # ---- the meeting ----
    async def meeting_id(self, room_id: str) -> str | None:
        """The meeting under way in the room, or None when nobody is in it."""
        ...

    async def end_meeting(self, room_id: str) -> Ended:
        """Take everyone out of the room and its lobby and discard the meeting."""
        ...

    async def ban(self, room_id: str, user_id: str) -> None:
        """The user was removed: their joins are refused until the meeting ends."""
        ...

    async def is_banned(self, room_id: str, user_id: str) -> bool: ...

    async def was_admitted(self, room_id: str, user_id: str) -> bool:
        """A host admitted the user earlier in this meeting (a rejoin does not wait again)."""
        ...

    async def set_locked(self, room_id: str, locked: bool) -> bool:
        """False when no meeting is under way (the lock belongs to the meeting)."""
        ...

    async def locked(self, room_id: str) -> bool: ...

    async def add_chat(self, room_id: str, message: ChatMessage) -> bool:
        """Keep a room-wide message in the meeting's history (the newest ``CHAT_HISTORY_MAX``); False when no
        meeting is under way."""
        ...

    async def chat(self, room_id: str) -> list[ChatMessage]:
        """The meeting's room-wide messages, oldest first."""
        ...

    async def add_file(self, room_id: str, meeting_id: str, info: FileInfo) -> bool:
        """Record a file of meeting ``meeting_id``; False when that meeting is over (the caller deletes the bytes)."""
        ...

    async def file(self, room_id: str, file_id: str) -> tuple[str, FileInfo] | None:
        """(meeting id, file) of a file of the meeting under way."""
        ...

    # ---- wrong passwords (per user and room, across meetings) ----
    async def password_failures(self, room_id: str, user_id: str, now: float, window_s: float) -> int:
        """Wrong passwords of this user for this room within the last ``window_s`` seconds."""
        ...

    async def add_password_failure(self, room_id: str, user_id: str, now: float, window_s: float) -> None: ...


# Distinct (room, user) pairs with recent wrong passwords kept at most: a flood of bad joins costs bounded memory.
_FAILURE_KEYS_MAX = 100_000


class MemoryRoomState:
    """Single-node live state. Methods never await inside, so each one is atomic on the event loop. Members and
    waiters are copied on the way in and out, as the Redis state's are by serialisation: a caller holding one cannot
    change the state behind the rules' back, in either implementation."""

    def __init__(self) -> None:
        self._rooms: dict[str, RoomDoc] = {}
        self._room_of: dict[str, str] = {}
        self._lobby_of: dict[str, str] = {}
        self._failures: dict[tuple[str, str], deque[float]] = {}

    def _meeting(self, room_id: str) -> Meeting | None:
        doc = self._rooms.get(room_id)
        return None if doc is None else doc.meeting

    def _doc(self, room_id: str) -> RoomDoc:
        return self._rooms.setdefault(room_id, RoomDoc())

    def _tidy(self, room_id: str) -> None:
        if self._rooms[room_id].empty:
            del self._rooms[room_id]

    def _live(self, socket_id: str) -> Member | None:
        room_id = self._room_of.get(socket_id)
        meeting = None if room_id is None else self._meeting(room_id)
        return None if meeting is None else meeting.members[socket_id]

    # ---- membership ----
    async def join(self, room_id: str, member: Member, capacity: int, seats_per_user: int) -> Joined:
        if member.socket_id in self._room_of or member.socket_id in self._lobby_of:
            raise AlreadyInRoom
        doc = self._doc(room_id)
        try:
            joined = room_rules.join(doc, copy.deepcopy(member), capacity, seats_per_user)
        finally:
            self._tidy(room_id)
        if joined.replaced is not None:
            del self._room_of[joined.replaced.socket_id]
        self._room_of[member.socket_id] = room_id
        joined_member = doc.meeting.members[member.socket_id]  # type: ignore[union-attr]
        member.role = joined_member.role  # the caller's member says how it joined, as the contract's ack does
        member.hand_raised_at, member.recording = joined_member.hand_raised_at, joined_member.recording
        return copy.deepcopy(joined)

    async def leave(self, socket_id: str) -> Left | None:
        room_id = self._room_of.pop(socket_id, None)
        if room_id is None:
            return None
        left = room_rules.leave(self._rooms[room_id], room_id, socket_id)
        self._tidy(room_id)
        return copy.deepcopy(left)

    async def room_of(self, socket_id: str) -> str | None:
        return self._room_of.get(socket_id)

    async def member(self, socket_id: str) -> Member | None:
        return copy.deepcopy(self._live(socket_id))

    async def members(self, room_id: str) -> list[Member]:
        meeting = self._meeting(room_id)
        return [] if meeting is None else copy.deepcopy(list(meeting.members.values()))

    async def count(self, room_id: str) -> int:
        meeting = self._meeting(room_id)
        return 0 if meeting is None else len(meeting.members)

    async def occupancy(self) -> tuple[int, int]:
        return sum(1 for doc in self._rooms.values() if doc.meeting is not None), len(self._room_of)

    async def user_in_room(self, room_id: str, user_id: str) -> bool:
        meeting = self._meeting(room_id)
        return meeting is not None and any(m.user_id == user_id for m in meeting.members.values())

    async def set_media(self, socket_id: str, media_type: MediaType, enabled: bool) -> str | None:
        member = self._live(socket_id)
        if member is None:
            return None
        member.media[media_type] = enabled
        return self._room_of[socket_id]

    async def set_participation(self, socket_id: str, join_id: str, participation_id: int) -> bool:
        member = self._live(socket_id)
        if member is None or member.join_id != join_id:
            return False
        member.participation_id = participation_id
        return True

    async def set_role(self, socket_id: str, role: Role) -> str | None:
        room_id = self._room_of.get(socket_id)
        meeting = None if room_id is None else self._meeting(room_id)
        if meeting is None:
            return None
        room_rules.set_role(meeting, socket_id, role)
        return room_id

    async def set_hand(self, socket_id: str, raised_at: datetime | None) -> str | None:
        member = self._live(socket_id)
        if member is None:
            return None
        member.hand_raised_at = raised_at
        return self._room_of[socket_id]

    async def set_recording(self, socket_id: str, active: bool) -> str | None:
        member = self._live(socket_id)
        if member is None:
            return None
        member.recording = active
        return self._room_of[socket_id]

    # ---- the lobby ----
    async def knock(self, room_id: str, waiter: Waiter) -> None:
        if waiter.socket_id in self._room_of or waiter.socket_id in self._lobby_of:
            raise AlreadyInRoom
        self._doc(room_id).lobby[waiter.socket_id] = copy.deepcopy(waiter)
        self._lobby_of[waiter.socket_id] = room_id

    async def lobby(self, room_id: str) -> list[Waiter]:
        doc = self._rooms.get(room_id)
        return [] if doc is None else copy.deepcopy(list(doc.lobby.values()))

    async def lobby_of(self, socket_id: str) -> str | None:
        return self._lobby_of.get(socket_id)

    async def unknock(self, socket_id: str) -> tuple[str, Waiter] | None:
        room_id = self._lobby_of.pop(socket_id, None)
        if room_id is None:
            return None
        waiter = self._rooms[room_id].lobby.pop(socket_id)
        self._tidy(room_id)
        return room_id, waiter

    async def admit(
        self, room_id: str, socket_id: str, capacity: int, seats_per_user: int, owner_id: str
    ) -> tuple[Member, Joined]:
        doc = self._rooms.get(room_id)
        if doc is None or self._lobby_of.get(socket_id) != room_id:
            raise NotWaiting
        member, joined = room_rules.admit(doc, socket_id, capacity, seats_per_user, owner_id)
        del self._lobby_of[socket_id]
        if joined.replaced is not None:
            del self._room_of[joined.replaced.socket_id]
        self._room_of[socket_id] = room_id
        return copy.deepcopy((member, joined))

    # ---- the meeting ----
    async def meeting_id(self, room_id: str) -> str | None:
        meeting = self._meeting(room_id)
        return None if meeting is None else meeting.meeting_id

    async def end_meeting(self, room_id: str) -> Ended:
        doc = self._rooms.pop(room_id, None)
        ended = room_rules.end(doc or RoomDoc())
        for member in ended.members:
            del self._room_of[member.socket_id]
        for waiter in ended.waiters:
            del self._lobby_of[waiter.socket_id]
        return ended

    async def ban(self, room_id: str, user_id: str) -> None:
        meeting = self._meeting(room_id)
        if meeting is not None:
            room_rules.ban(meeting, user_id)

    async def is_banned(self, room_id: str, user_id: str) -> bool:
        meeting = self._meeting(room_id)
        return meeting is not None and user_id in meeting.banned

    async def was_admitted(self, room_id: str, user_id: str) -> bool:
        meeting = self._meeting(room_id)
        return meeting is not None and user_id in meeting.admitted

    async def set_locked(self, room_id: str, locked: bool) -> bool:
        meeting = self._meeting(room_id)
        if meeting is None:
            return False
        meeting.locked = locked
        return True

    async def locked(self, room_id: str) -> bool:
        meeting = self._meeting(room_id)
        return meeting is not None and meeting.locked

    async def add_chat(self, room_id: str, message: ChatMessage) -> bool:
        meeting = self._meeting(room_id)
        if meeting is None:
            return False
        meeting.chat.append(message)
        return True

    async def chat(self, room_id: str) -> list[ChatMessage]:
        meeting = self._meeting(room_id)
        return [] if meeting is None else list(meeting.chat)

    async def add_file(self, room_id: str, meeting_id: str, info: FileInfo) -> bool:
        meeting = self._meeting(room_id)
        if meeting is None or meeting.meeting_id != meeting_id:
            return False
        meeting.files[info.id] = info
        return True

    async def file(self, room_id: str, file_id: str) -> tuple[str, FileInfo] | None:
        meeting = self._meeting(room_id)
        info = None if meeting is None else meeting.files.get(file_id)
        return None if meeting is None or info is None else (meeting.meeting_id, info)

    # ---- wrong passwords ----
    def _recent(self, key: tuple[str, str], now: float, window_s: float) -> deque[float] | None:
        times = self._failures.get(key)
        if times is None:
            return None
        while times and times[0] <= now - window_s:
            times.popleft()
        if not times:
            del self._failures[key]
            return None
        return times

    async def password_failures(self, room_id: str, user_id: str, now: float, window_s: float) -> int:
        times = self._recent((room_id, user_id), now, window_s)
        return 0 if times is None else len(times)

    async def add_password_failure(self, room_id: str, user_id: str, now: float, window_s: float) -> None:
        key = (room_id, user_id)
        times = self._recent(key, now, window_s)
        if times is None:
            if len(self._failures) >= _FAILURE_KEYS_MAX:
                # Forget the oldest pair: dicts keep insertion order.
                del self._failures[next(iter(self._failures))]
            times = self._failures[key] = deque()
        times.append(now)
