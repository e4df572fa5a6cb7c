"""Live room state: which socket is in which room, as whom, with which media on.

``RoomState`` is the interface; ``MemoryRoomState`` keeps it in this process (one server node). A shared
implementation (Redis) can replace it for several nodes without touching the handlers. Every method is a
coroutine for that reason, even though the in-process one never waits.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Protocol

from signaling_server.protocol import MediaType


class RoomFull(Exception):
    pass


class AlreadyInRoom(Exception):
    pass


class SeatsTaken(Exception):
    """The account already holds its share of seats in this room (one account must not fill a room)."""

    def __init__(self, seats: int) -> None:
        super().__init__(seats)
        self.seats = seats


def _join_id() -> str:
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
    # This stay, as opposed to an earlier or later stay of the same socket: the stay's database row is written
    # in the background and must attach to the stay it was written for.
    join_id: str = field(default_factory=_join_id)
    # The database row recording this stay, once written.
    participation_id: int | None = field(default=None)


@dataclass(frozen=True)
class Joined:
    others: list[Member]
    # The same account's older socket with the same resume id, removed from the room in the same step.
    replaced: Member | None = None


class RoomState(Protocol):
    async def join(self, room_id: str, member: Member, capacity: int, seats_per_user: int) -> Joined:
        """Add ``member``; returns the others already there and the member it replaced (same account and resume
        id), all in one atomic step. Raises AlreadyInRoom, RoomFull or SeatsTaken (and changes nothing)."""
        ...

    async def leave(self, socket_id: str) -> tuple[str, Member] | None:
        """Remove the socket from its room; returns (room id, member) or None when it was in none."""
        ...

    async def room_of(self, socket_id: str) -> str | None: ...

    async def member(self, socket_id: str) -> Member | None: ...

    async def count(self, room_id: str) -> int: ...

    async def set_media(self, socket_id: str, media_type: MediaType, enabled: bool) -> str | None:
        """Record a media toggle; returns the room id, or None when the socket is in no room."""
        ...

    async def set_participation(self, socket_id: str, join_id: str, participation_id: int) -> bool:
        """Attach the stay's database row to the stay ``join_id``; False when that stay is over."""
        ...


class MemoryRoomState:
    """Single-node live state. Methods never await inside, so each one is atomic on the event loop."""

    def __init__(self) -> None:
        self._rooms: dict[str, dict[str, Member]] = {}
        self._room_of: dict[str, str] = {}

    async def join(self, room_id: str, member: Member, capacity: int, seats_per_user: int) -> Joined:
        if member.socket_id in self._room_of:
            raise AlreadyInRoom
        members = self._rooms.get(room_id, {})
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
        members[member.socket_id] = member
        self._rooms[room_id] = members
        self._room_of[member.socket_id] = room_id
        return Joined(others=staying, replaced=replaced)

    async def leave(self, socket_id: str) -> tuple[str, Member] | None:
        room_id = self._room_of.pop(socket_id, None)
        if room_id is None:
            return None
        members = self._rooms[room_id]
        member = members.pop(socket_id)
        if not members:
            del self._rooms[room_id]
        return room_id, member

    async def room_of(self, socket_id: str) -> str | None:
        return self._room_of.get(socket_id)

    async def member(self, socket_id: str) -> Member | None:
        room_id = self._room_of.get(socket_id)
        return None if room_id is None else self._rooms[room_id][socket_id]

    async def count(self, room_id: str) -> int:
        return len(self._rooms.get(room_id, ()))

    async def set_media(self, socket_id: str, media_type: MediaType, enabled: bool) -> str | None:
        room_id = self._room_of.get(socket_id)
        if room_id is not None:
            self._rooms[room_id][socket_id].media[media_type] = enabled
        return room_id

    async def set_participation(self, socket_id: str, join_id: str, participation_id: int) -> bool:
        member = await self.member(socket_id)
        if member is None or member.join_id != join_id:
            return False
        member.participation_id = participation_id
        return True
