"""What the live room state holds and answers: members, waiters, the outcomes of joins, leaves and ends, and the
refusals. Shared by the room-state interface (``state.py``), its rules (``room_rules.py``) and its implementations."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from signaling_server.protocol import Role


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


def new_id() -> str:
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
    join_id: str = field(default_factory=new_id)
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
