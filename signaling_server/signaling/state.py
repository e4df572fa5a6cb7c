"""Live room state: which socket is in which room, as whom, with which media on.

``RoomState`` is the interface; ``MemoryRoomState`` keeps it in this process (one server node). A shared
implementation (Redis) can replace it for several nodes without touching the handlers. Every method is a
coroutine for that reason, even though the in-process one never waits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from signaling_server.protocol import MediaType


class RoomFull(Exception):
    pass


class AlreadyInRoom(Exception):
    pass


@dataclass
class Member:
    socket_id: str
    user_id: str
    username: str
    media: dict[str, bool]
    # The database row recording this stay, once written.
    participation_id: int | None = field(default=None)


class RoomState(Protocol):
    async def join(self, room_id: str, member: Member, capacity: int) -> list[Member]:
        """Add ``member``; returns the others already there. Raises RoomFull or AlreadyInRoom atomically."""
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

    async def set_participation(self, socket_id: str, participation_id: int) -> bool:
        """Attach the stay's database row; False when the socket has left meanwhile."""
        ...


class MemoryRoomState:
    """Single-node live state. Methods never await inside, so each one is atomic on the event loop."""

    def __init__(self) -> None:
        self._rooms: dict[str, dict[str, Member]] = {}
        self._room_of: dict[str, str] = {}

    async def join(self, room_id: str, member: Member, capacity: int) -> list[Member]:
        if member.socket_id in self._room_of:
            raise AlreadyInRoom
        members = self._rooms.setdefault(room_id, {})
        if len(members) >= capacity:
            if not members:
                del self._rooms[room_id]
            raise RoomFull
        others = list(members.values())
        members[member.socket_id] = member
        self._room_of[member.socket_id] = room_id
        return others

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

    async def set_participation(self, socket_id: str, participation_id: int) -> bool:
        member = await self.member(socket_id)
        if member is None:
            return False
        member.participation_id = participation_id
        return True
