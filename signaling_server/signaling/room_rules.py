"""The rules of one room's live state, as plain functions on a ``RoomDoc``: who becomes host, who a rejoin replaces,
when a room is full, what an admission moves, what ends with a meeting.

Both room-state implementations apply exactly these: the in-process one on documents it keeps in a dictionary, the
Redis one on a document it reads, changes and writes back in one transaction. Keeping the rules here, apart from
storage, is what makes the two behave the same (tests/signaling_server/test_meeting_state.py runs on both).

The functions change the document they are given and nothing else; which socket is in which room or lobby across the
server (the index) is the caller's, because it spans rooms.
"""

from __future__ import annotations

import uuid
from collections import deque
from dataclasses import dataclass, field

from signaling_server.protocol import CHAT_HISTORY_MAX, ChatMessage, FileInfo, Role
from signaling_server.signaling.members import (
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


def new_id() -> str:
    return uuid.uuid4().hex


@dataclass
class Meeting:
    meeting_id: str = field(default_factory=new_id)
    members: dict[str, Member] = field(default_factory=dict)  # insertion order = join order
    banned: set[str] = field(default_factory=set)
    admitted: set[str] = field(default_factory=set)
    locked: bool = False
    # The in-process state keeps the chat here; the Redis state keeps it in a list of its own (not rewritten with
    # the document on every change).
    chat: deque[ChatMessage] = field(default_factory=lambda: deque(maxlen=CHAT_HISTORY_MAX))
    files: dict[str, FileInfo] = field(default_factory=dict)


@dataclass
class RoomDoc:
    """One room's live state: the meeting under way (None when nobody is in it) and the lobby, which outlives it."""

    meeting: Meeting | None = None
    lobby: dict[str, Waiter] = field(default_factory=dict)  # insertion order = knock order

    @property
    def empty(self) -> bool:
        return self.meeting is None and not self.lobby


def join(doc: RoomDoc, member: Member, capacity: int, seats_per_user: int) -> Joined:
    """Add ``member`` (its role is set here). Raises RoomFull or SeatsTaken before changing anything."""
    meeting = doc.meeting or Meeting()
    members = meeting.members
    replaced = None
    if member.resume_id is not None:
        replaced = next(
            (m for m in members.values() if m.resume_id == member.resume_id and m.user_id == member.user_id), None
        )
    staying = [m for m in members.values() if m is not replaced]
    if len(staying) >= capacity:
        raise RoomFull
    if sum(1 for m in staying if m.user_id == member.user_id) >= seats_per_user:
        raise SeatsTaken(seats_per_user)
    if replaced is not None:
        del members[replaced.socket_id]
        # The same person's new connection: what others see of them stays as it was.
        if replaced.role == "host":
            member.role = "host"
        member.hand_raised_at = replaced.hand_raised_at
        member.recording = replaced.recording
    if member.owner or not any(m.role == "host" for m in staying):
        member.role = "host"
    members[member.socket_id] = member
    doc.meeting = meeting
    return Joined(others=staying, replaced=replaced, meeting_id=meeting.meeting_id)


def leave(doc: RoomDoc, room_id: str, socket_id: str) -> Left:
    """Take a member out; the earliest joiner is promoted when the last host left, and the meeting ends with the
    last member."""
    meeting = doc.meeting
    assert meeting is not None  # the caller found the socket in this room
    member = meeting.members.pop(socket_id)
    if not meeting.members:
        doc.meeting = None
        return Left(room_id, member, ended_meeting=meeting.meeting_id)
    promoted = []
    if not any(m.role == "host" for m in meeting.members.values()):
        earliest = next(iter(meeting.members.values()))
        earliest.role = "host"
        promoted.append(earliest)
    return Left(room_id, member, promoted=promoted)


def set_role(meeting: Meeting, socket_id: str, role: Role) -> None:
    """Raises LastHost (and changes nothing) when the room would be left without a host."""
    member = meeting.members[socket_id]
    others = (m for m in meeting.members.values() if m is not member)
    if role == "participant" and member.role == "host" and not any(m.role == "host" for m in others):
        raise LastHost
    member.role = role


def admit(doc: RoomDoc, socket_id: str, capacity: int, seats_per_user: int, owner_id: str) -> tuple[Member, Joined]:
    """Move a waiter into the meeting (remembered as admitted). Raises NotWaiting, RoomFull or SeatsTaken, and the
    socket keeps waiting then."""
    waiter = doc.lobby.get(socket_id)
    if waiter is None:
        raise NotWaiting
    member = Member(
        socket_id=waiter.socket_id,
        user_id=waiter.user_id,
        username=waiter.username,
        media=dict(waiter.media),
        resume_id=waiter.resume_id,
        owner=waiter.user_id == owner_id,
    )
    joined = join(doc, member, capacity, seats_per_user)  # raises before changing anything
    del doc.lobby[socket_id]
    assert doc.meeting is not None
    doc.meeting.admitted.add(member.user_id)
    return member, joined


def end(doc: RoomDoc) -> Ended:
    """Take everyone out of the room and its lobby and discard the meeting."""
    meeting, doc.meeting = doc.meeting, None
    waiters, doc.lobby = list(doc.lobby.values()), {}
    members = [] if meeting is None else list(meeting.members.values())
    return Ended(None if meeting is None else meeting.meeting_id, members, waiters)


def ban(meeting: Meeting, user_id: str) -> None:
    meeting.banned.add(user_id)
    meeting.admitted.discard(user_id)
