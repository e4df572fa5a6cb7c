"""Live room state: who is in which room (and its lobby), as whom, with which media on, and the meeting under way.

``RoomState`` is the interface; ``MemoryRoomState`` keeps it in this process (one server node). A shared
implementation (Redis) can replace it for several nodes without touching the handlers: every method is a coroutine
for that reason, even though the in-process one never waits, and every rule that needs two facts at once (a join
that must see the room's hosts, a leave that promotes the next host, an admit that must find a free seat) is one
method, so a shared implementation can make it one transaction.

A *meeting* is one stretch of a room with people in it: from the first join into an empty room until it is empty
again or a host ends it. Its chat, files, bans ("removed" users), lock and the set of people already admitted
belong to it and go with it. The lobby is kept apart: people waiting for a host are still waiting when the last
person leaves (they are not in the meeting; they wait for the next one to start).
"""

from __future__ import annotations

import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from signaling_server.protocol import CHAT_HISTORY_MAX, ChatMessage, FileInfo, MediaType, Role


class RoomFull(Exception):
    pass


class AlreadyInRoom(Exception):
    pass


class NotWaiting(Exception):
    """The socket is not (or no longer) in that room's lobby."""


class LastHost(Exception):
    """The change would leave a room with people in it without a host."""


class SeatsTaken(Exception):
    """The account already holds its share of seats in this room (one account must not fill a room)."""

    def __init__(self, seats: int) -> None:
        super().__init__(seats)
        self.seats = seats


def _new_id() -> str:
    return uuid.uuid4().hex


@dataclass
class Member:
    socket_id: str
    user_id: str
    username: str
    media: dict[str, bool]
    # The client's id for its call (``join-room`` ``resumeId``): a later socket of the same account with the same
    # id takes this member's place.
    resume_id: str | None = None
    # The room's owner: always a host while present.
    owner: bool = False
    # Set by ``join``: host for the owner, and for whoever joins a room that has no host (a room with people in it
    # always has one).
    role: Role = "participant"
    hand_raised_at: datetime | None = None
    recording: bool = False
    # This stay, as opposed to an earlier or later stay of the same socket: the stay's database row is written
    # in the background and must attach to the stay it was written for.
    join_id: str = field(default_factory=_new_id)
    # The database row recording this stay, once written.
    participation_id: int | None = field(default=None)


@dataclass
class Waiter:
    """A socket in a room's lobby: what it asked to join with, kept for when a host admits it."""

    socket_id: str
    user_id: str
    username: str
    media: dict[str, bool]
    resume_id: str | None = None


@dataclass(frozen=True)
class Joined:
    others: list[Member]
    # The same account's older socket with the same resume id, removed from the room in the same step.
    replaced: Member | None = None
    # The meeting this join is part of (a new one when the room was empty).
    meeting_id: str = ""


@dataclass(frozen=True)
class Left:
    room_id: str
    member: Member
    # Who became host because the last host left (role already changed).
    promoted: list[Member] = field(default_factory=list)
    # The meeting that ended because the room is now empty (its chat, files, bans and lock are gone).
    ended_meeting: str | None = None


@dataclass(frozen=True)
class Ended:
    """What ``end_meeting`` took out of a room: everyone in it and everyone waiting."""

    meeting_id: str | None
    members: list[Member]
    waiters: list[Waiter]


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


@dataclass
class _Meeting:
    meeting_id: str = field(default_factory=_new_id)
    members: dict[str, Member] = field(default_factory=dict)  # insertion order = join order
    banned: set[str] = field(default_factory=set)
    admitted: set[str] = field(default_factory=set)
    locked: bool = False
    chat: deque[ChatMessage] = field(default_factory=lambda: deque(maxlen=CHAT_HISTORY_MAX))
    files: dict[str, FileInfo] = field(default_factory=dict)


# Distinct (room, user) pairs with recent wrong passwords kept at most: a flood of bad joins costs bounded memory.
_FAILURE_KEYS_MAX = 100_000


class MemoryRoomState:
    """Single-node live state. Methods never await inside, so each one is atomic on the event loop."""

    def __init__(self) -> None:
        self._meetings: dict[str, _Meeting] = {}
        self._room_of: dict[str, str] = {}
        self._lobbies: dict[str, dict[str, Waiter]] = {}
        self._lobby_of: dict[str, str] = {}
        self._failures: dict[tuple[str, str], deque[float]] = {}

    # ---- membership ----
    async def join(self, room_id: str, member: Member, capacity: int, seats_per_user: int) -> Joined:
        if member.socket_id in self._room_of or member.socket_id in self._lobby_of:
            raise AlreadyInRoom
        meeting = self._meetings.get(room_id) or _Meeting()
        members = meeting.members
        replaced = None
        if member.resume_id is not None:
            replaced = next(
                (m for m in members.values() if m.resume_id == member.resume_id and m.user_id == member.user_id),
                None,
            )
        staying = [m for m in members.values() if m is not replaced]
        if len(staying) >= capacity:
            raise RoomFull
        if sum(1 for m in staying if m.user_id == member.user_id) >= seats_per_user:
            raise SeatsTaken(seats_per_user)
        if replaced is not None:
            del members[replaced.socket_id]
            del self._room_of[replaced.socket_id]
            # The same person's new connection: what others see of them stays as it was.
            if replaced.role == "host":
                member.role = "host"
            member.hand_raised_at = replaced.hand_raised_at
            member.recording = replaced.recording
        if member.owner or not any(m.role == "host" for m in staying):
            member.role = "host"
        members[member.socket_id] = member
        self._meetings[room_id] = meeting
        self._room_of[member.socket_id] = room_id
        return Joined(others=staying, replaced=replaced, meeting_id=meeting.meeting_id)

    async def leave(self, socket_id: str) -> Left | None:
        room_id = self._room_of.pop(socket_id, None)
        if room_id is None:
            return None
        meeting = self._meetings[room_id]
        member = meeting.members.pop(socket_id)
        if not meeting.members:
            del self._meetings[room_id]
            return Left(room_id, member, ended_meeting=meeting.meeting_id)
        promoted = []
        if not any(m.role == "host" for m in meeting.members.values()):
            earliest = next(iter(meeting.members.values()))
            earliest.role = "host"
            promoted.append(earliest)
        return Left(room_id, member, promoted=promoted)

    async def room_of(self, socket_id: str) -> str | None:
        return self._room_of.get(socket_id)

    async def member(self, socket_id: str) -> Member | None:
        room_id = self._room_of.get(socket_id)
        return None if room_id is None else self._meetings[room_id].members[socket_id]

    async def members(self, room_id: str) -> list[Member]:
        meeting = self._meetings.get(room_id)
        return [] if meeting is None else list(meeting.members.values())

    async def count(self, room_id: str) -> int:
        meeting = self._meetings.get(room_id)
        return 0 if meeting is None else len(meeting.members)

    async def occupancy(self) -> tuple[int, int]:
        return sum(1 for meeting in self._meetings.values() if meeting.members), len(self._room_of)

    async def user_in_room(self, room_id: str, user_id: str) -> bool:
        meeting = self._meetings.get(room_id)
        return meeting is not None and any(m.user_id == user_id for m in meeting.members.values())

    async def set_media(self, socket_id: str, media_type: MediaType, enabled: bool) -> str | None:
        member = await self.member(socket_id)
        if member is None:
            return None
        member.media[media_type] = enabled
        return self._room_of[socket_id]

    async def set_participation(self, socket_id: str, join_id: str, participation_id: int) -> bool:
        member = await self.member(socket_id)
        if member is None or member.join_id != join_id:
            return False
        member.participation_id = participation_id
        return True

    async def set_role(self, socket_id: str, role: Role) -> str | None:
        member = await self.member(socket_id)
        if member is None:
            return None
        room_id = self._room_of[socket_id]
        others = (m for m in self._meetings[room_id].members.values() if m is not member)
        if role == "participant" and member.role == "host" and not any(m.role == "host" for m in others):
            raise LastHost
        member.role = role
        return room_id

    async def set_hand(self, socket_id: str, raised_at: datetime | None) -> str | None:
        member = await self.member(socket_id)
        if member is None:
            return None
        member.hand_raised_at = raised_at
        return self._room_of[socket_id]

    async def set_recording(self, socket_id: str, active: bool) -> str | None:
        member = await self.member(socket_id)
        if member is None:
            return None
        member.recording = active
        return self._room_of[socket_id]

    # ---- the lobby ----
    async def knock(self, room_id: str, waiter: Waiter) -> None:
        if waiter.socket_id in self._room_of or waiter.socket_id in self._lobby_of:
            raise AlreadyInRoom
        self._lobbies.setdefault(room_id, {})[waiter.socket_id] = waiter
        self._lobby_of[waiter.socket_id] = room_id

    async def lobby(self, room_id: str) -> list[Waiter]:
        return list(self._lobbies.get(room_id, {}).values())

    async def lobby_of(self, socket_id: str) -> str | None:
        return self._lobby_of.get(socket_id)

    async def unknock(self, socket_id: str) -> tuple[str, Waiter] | None:
        room_id = self._lobby_of.pop(socket_id, None)
        if room_id is None:
            return None
        lobby = self._lobbies[room_id]
        waiter = lobby.pop(socket_id)
        if not lobby:
            del self._lobbies[room_id]
        return room_id, waiter

    async def admit(
        self, room_id: str, socket_id: str, capacity: int, seats_per_user: int, owner_id: str
    ) -> tuple[Member, Joined]:
        waiter = self._lobbies.get(room_id, {}).get(socket_id)
        if waiter is None:
            raise NotWaiting
        member = Member(
            socket_id=waiter.socket_id,
            user_id=waiter.user_id,
            username=waiter.username,
            media=waiter.media,
            resume_id=waiter.resume_id,
            owner=waiter.user_id == owner_id,
        )
        # Out of the lobby first so that ``join`` sees a socket in no room; put back if the room has no seat.
        await self.unknock(socket_id)
        try:
            joined = await self.join(room_id, member, capacity, seats_per_user)
        except Exception:
            self._lobbies.setdefault(room_id, {})[socket_id] = waiter
            self._lobby_of[socket_id] = room_id
            raise
        self._meetings[room_id].admitted.add(member.user_id)
        return member, joined

    # ---- the meeting ----
    async def meeting_id(self, room_id: str) -> str | None:
        meeting = self._meetings.get(room_id)
        return None if meeting is None else meeting.meeting_id

    async def end_meeting(self, room_id: str) -> Ended:
        meeting = self._meetings.pop(room_id, None)
        members = [] if meeting is None else list(meeting.members.values())
        for member in members:
            del self._room_of[member.socket_id]
        waiters = list(self._lobbies.pop(room_id, {}).values())
        for waiter in waiters:
            del self._lobby_of[waiter.socket_id]
        return Ended(None if meeting is None else meeting.meeting_id, members, waiters)

    async def ban(self, room_id: str, user_id: str) -> None:
        meeting = self._meetings.get(room_id)
        if meeting is not None:
            meeting.banned.add(user_id)
            meeting.admitted.discard(user_id)

    async def is_banned(self, room_id: str, user_id: str) -> bool:
        meeting = self._meetings.get(room_id)
        return meeting is not None and user_id in meeting.banned

    async def was_admitted(self, room_id: str, user_id: str) -> bool:
        meeting = self._meetings.get(room_id)
        return meeting is not None and user_id in meeting.admitted

    async def set_locked(self, room_id: str, locked: bool) -> bool:
        meeting = self._meetings.get(room_id)
        if meeting is None:
            return False
        meeting.locked = locked
        return True

    async def locked(self, room_id: str) -> bool:
        meeting = self._meetings.get(room_id)
        return meeting is not None and meeting.locked

    async def add_chat(self, room_id: str, message: ChatMessage) -> bool:
        meeting = self._meetings.get(room_id)
        if meeting is None:
            return False
        meeting.chat.append(message)
        return True

    async def chat(self, room_id: str) -> list[ChatMessage]:
        meeting = self._meetings.get(room_id)
        return [] if meeting is None else list(meeting.chat)

    async def add_file(self, room_id: str, meeting_id: str, info: FileInfo) -> bool:
        meeting = self._meetings.get(room_id)
        if meeting is None or meeting.meeting_id != meeting_id:
            return False
        meeting.files[info.id] = info
        return True

    async def file(self, room_id: str, file_id: str) -> tuple[str, FileInfo] | None:
        meeting = self._meetings.get(room_id)
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
