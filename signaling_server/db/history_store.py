"""Meetings (sessions) and stays for version 1.1's history and statistics.

A session opens with the first stay in an empty room and closes when its last stay ends. Several server processes
may share one database, so the database decides, not a process's memory: every change of a room's stays starts
with a write to that room's row, which makes the changes of one room take turns (a row lock on PostgreSQL; the
database's write lock on SQLite, taken by that first statement so that a read never has to be upgraded); the
partial unique index ``uq_sessions_open_room`` keeps it to one open session per room even so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from signaling_server.db.models import ParticipationRow, RoomRow, SessionRow, UserRow, utcnow

# A room's history answers its newest sessions only; older ones stay in the database.
SESSIONS_LIMIT = 100


@dataclass(frozen=True)
class Stay:
    user_id: str
    username: str
    joined_at: datetime
    left_at: datetime | None


@dataclass(frozen=True)
class Session:
    session_id: int
    started_at: datetime
    ended_at: datetime | None
    peak_participants: int
    stays: list[Stay]


@dataclass(frozen=True)
class UserStay:
    """One stay of a user, for their statistics: in which session, and whether the room was their own."""

    session_id: int | None
    joined_at: datetime
    left_at: datetime | None
    own_room: bool


@dataclass(frozen=True)
class Totals:
    users: int
    rooms: int


class HistoryStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    # ---- recording ----
    async def start_stay(self, room_id: str, user_id: str, at: datetime | None = None) -> int:
        """Record a stay that begins now (or ``at``), in the room's open session (opened by this stay when there is
        none)."""
        now = at or utcnow()
        async with self._sessions() as s:
            await _take_turn(s, room_id)
            open_session = select(SessionRow.id).where(SessionRow.room_id == room_id, SessionRow.ended_at.is_(None))
            session_id = (await s.execute(open_session)).scalar_one_or_none()
            if session_id is not None and not await _anyone_in(s, session_id):
                # Open with nobody in it: its last stay went without ending it (its account was deleted with the
                # stay). That meeting is over; this stay begins the next one.
                await _end_session(s, session_id, now)
                session_id = None
            if session_id is None:
                opened = SessionRow(room_id=room_id, started_at=now, ended_at=None, peak_participants=1)
                s.add(opened)
                await s.flush()
                session_id = opened.id
            stay = ParticipationRow(room_id=room_id, user_id=user_id, joined_at=now, session_id=session_id)
            s.add(stay)
            await s.flush()
            present = (
                await s.execute(
                    select(func.count())
                    .select_from(ParticipationRow)
                    .where(ParticipationRow.session_id == session_id, ParticipationRow.left_at.is_(None))
                )
            ).scalar_one()
            await s.execute(
                update(SessionRow)
                .where(SessionRow.id == session_id, SessionRow.peak_participants < present)
                .values(peak_participants=present)
            )
            await s.commit()
            return stay.id

    async def end_stay(self, participation_id: int, at: datetime | None = None) -> None:
        """End a stay; when it was its session's last one, the session ends with it."""
        at = at or utcnow()
        async with self._sessions() as s:
            ended = await s.execute(
                update(ParticipationRow)
                .where(ParticipationRow.id == participation_id, ParticipationRow.left_at.is_(None))
                .values(left_at=at)
                .returning(ParticipationRow.room_id, ParticipationRow.session_id)
            )
            row = ended.one_or_none()
            if row is None or row.session_id is None:
                await s.commit()  # already ended (shutdown closed it), or recorded before sessions existed
                return
            await _take_turn(s, row.room_id)
            if not await _anyone_in(s, row.session_id):
                await s.execute(
                    update(SessionRow)
                    .where(SessionRow.id == row.session_id, SessionRow.ended_at.is_(None))
                    .values(ended_at=at)
                )
            await s.commit()

    async def end_open_sessions(self) -> int:
        """Close the sessions left open by a stop (their stays are closed by ``Store.end_open_participations``)."""
        async with self._sessions() as s:
            result = await s.execute(update(SessionRow).where(SessionRow.ended_at.is_(None)).values(ended_at=utcnow()))
            await s.commit()
            return int(getattr(result, "rowcount", 0) or 0)

    # ---- reading ----
    async def took_part(self, room_id: str, user_id: str) -> bool:
        query = select(ParticipationRow.id).where(
            ParticipationRow.room_id == room_id, ParticipationRow.user_id == user_id
        )
        async with self._sessions() as s:
            return (await s.execute(query.limit(1))).first() is not None

    async def room_sessions(self, room_id: str, only_with: str | None = None) -> list[Session]:
        """The room's newest sessions first, each with its stays in the order they began; with ``only_with``, only
        the sessions that user took part in."""
        query = select(SessionRow).where(SessionRow.room_id == room_id)
        if only_with is not None:
            mine = select(ParticipationRow.session_id).where(
                ParticipationRow.room_id == room_id, ParticipationRow.user_id == only_with
            )
            query = query.where(SessionRow.id.in_(mine))
        query = query.order_by(SessionRow.started_at.desc(), SessionRow.id.desc()).limit(SESSIONS_LIMIT)
        async with self._sessions() as s:
            rows = list((await s.execute(query)).scalars())
            stays = await s.execute(
                select(ParticipationRow, UserRow.username)
                .join(UserRow, UserRow.id == ParticipationRow.user_id)
                .where(ParticipationRow.session_id.in_([row.id for row in rows]))
                .order_by(ParticipationRow.joined_at, ParticipationRow.id)
            )
            by_session: dict[int, list[Stay]] = {row.id: [] for row in rows}
            for stay, username in stays.tuples():
                assert stay.session_id is not None
                by_session[stay.session_id].append(Stay(stay.user_id, username, stay.joined_at, stay.left_at))
        return [
            Session(row.id, row.started_at, row.ended_at, row.peak_participants, by_session[row.id]) for row in rows
        ]

    async def user_stays(self, user_id: str, since: datetime, until: datetime) -> list[UserStay]:
        """The user's stays that overlap ``[since, until)`` (open ones included)."""
        query = (
            select(ParticipationRow.session_id, ParticipationRow.joined_at, ParticipationRow.left_at, RoomRow.owner_id)
            .join(RoomRow, RoomRow.room_id == ParticipationRow.room_id)
            .where(ParticipationRow.user_id == user_id, _overlapping(since, until))
        )
        async with self._sessions() as s:
            rows = (await s.execute(query)).all()
        return [UserStay(row.session_id, row.joined_at, row.left_at, row.owner_id == user_id) for row in rows]

    async def stays_between(self, since: datetime, until: datetime) -> list[tuple[datetime, datetime | None]]:
        """Everyone's stays that overlap ``[since, until)``: (joined, left or None)."""
        query = select(ParticipationRow.joined_at, ParticipationRow.left_at).where(_overlapping(since, until))
        async with self._sessions() as s:
            return [(row.joined_at, row.left_at) for row in (await s.execute(query)).all()]

    async def sessions_between(self, since: datetime, until: datetime) -> int:
        """How many sessions overlap ``[since, until)``."""
        query = (
            select(func.count())
            .select_from(SessionRow)
            .where(
                SessionRow.started_at < until,
                or_(SessionRow.ended_at.is_(None), SessionRow.ended_at > since),
            )
        )
        async with self._sessions() as s:
            return int((await s.execute(query)).scalar_one())

    async def totals(self) -> Totals:
        async with self._sessions() as s:
            users = (await s.execute(select(func.count()).select_from(UserRow))).scalar_one()
            rooms = (await s.execute(select(func.count()).select_from(RoomRow))).scalar_one()
        return Totals(int(users), int(rooms))


async def _take_turn(s: AsyncSession, room_id: str) -> None:
    # A write that changes nothing: it waits for, then holds, the room's turn until this transaction ends.
    await s.execute(update(RoomRow).where(RoomRow.room_id == room_id).values(max_participants=RoomRow.max_participants))


async def _anyone_in(s: AsyncSession, session_id: int) -> bool:
    """Whether a stay of the session is still open."""
    query = select(ParticipationRow.id).where(
        ParticipationRow.session_id == session_id, ParticipationRow.left_at.is_(None)
    )
    return (await s.execute(query.limit(1))).first() is not None


async def _end_session(s: AsyncSession, session_id: int, now: datetime) -> None:
    """End a session nobody is in any more when its last stay ended (or when it began, if none is left)."""
    last_left = (
        await s.execute(select(func.max(ParticipationRow.left_at)).where(ParticipationRow.session_id == session_id))
    ).scalar_one_or_none()
    started = (await s.execute(select(SessionRow.started_at).where(SessionRow.id == session_id))).scalar_one()
    ended = min(last_left or started, now)
    await s.execute(update(SessionRow).where(SessionRow.id == session_id).values(ended_at=ended))


def _overlapping(since: datetime, until: datetime) -> ColumnElement[bool]:
    return and_(
        ParticipationRow.joined_at < until,
        or_(ParticipationRow.left_at.is_(None), ParticipationRow.left_at > since),
    )
