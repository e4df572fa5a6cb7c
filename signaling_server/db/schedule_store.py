"""The queries of scheduling (contract v1.1): meetings planned ahead in a room, and the people invited to them.

A class of its own over the same async session factory as ``Store``. It hands out frozen records, not ORM rows, so
a caller (the REST routes, the join check, the reminder mailer) never touches a session.

Conflicts ("no other scheduled meeting in that room may overlap it, occurrences included") are checked in the same
transaction that writes, with the room's row locked (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite has one writer at
a time, and this process's writes are serialised by a lock), so two organizers cannot both book one slot.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from sqlalchemy import delete, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from signaling_server.db.models import MeetingAttendeeRow, RoomRow, ScheduledMeetingRow, UserRow, utcnow
from signaling_server.scheduling.recurrence import Series, first_overlap, zone

Response = Literal["needs-action", "accepted", "declined"]
Status = Literal["scheduled", "cancelled"]
SCHEDULED: Status = "scheduled"
CANCELLED: Status = "cancelled"
NEEDS_ACTION: Response = "needs-action"
# The longest reminder the contract allows: a reminder due in [a, b) belongs to an occurrence starting before b + it.
REMINDER_MAX = timedelta(minutes=10080)


@dataclass(frozen=True)
class Invitee:
    """An attendee as the organizer named them, resolved: ``user_id`` when the name or email is an account's."""

    email: str
    user_id: str | None


@dataclass(frozen=True)
class Attendee:
    email: str
    user_id: str | None
    username: str | None
    response: Response


@dataclass(frozen=True)
class Plan:
    """What the organizer decides about a meeting (everything but the room and the people)."""

    title: str
    description: str | None
    start: datetime
    end: datetime
    timezone: str
    recurrence: str | None  # already checked by ``recurrence.parse``
    reminder_minutes: int | None

    def series(self) -> Series:
        return Series(self.start, self.end, zone(self.timezone), self.recurrence)


@dataclass(frozen=True)
class Meeting:
    meeting_id: str
    room_id: str
    organizer_id: str
    plan: Plan
    attendees: tuple[Attendee, ...]
    status: Status
    created_at: datetime
    updated_at: datetime

    def series(self) -> Series:
        return self.plan.series()

    def attendee(self, user_id: str) -> Attendee | None:
        return next((a for a in self.attendees if a.user_id == user_id), None)


@dataclass(frozen=True)
class DueReminder:
    """One occurrence whose reminder falls due: at ``occurrence_start - reminderMinutes``."""

    meeting: Meeting
    occurrence_start: datetime
    occurrence_end: datetime

    @property
    def due_at(self) -> datetime:
        assert self.meeting.plan.reminder_minutes is not None
        return self.occurrence_start - timedelta(minutes=self.meeting.plan.reminder_minutes)


class ScheduleConflict(Exception):
    """Another scheduled meeting of the room overlaps: ``meeting_id`` names it."""

    def __init__(self, meeting_id: str) -> None:
        super().__init__(meeting_id)
        self.meeting_id = meeting_id


class ScheduleStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        # Conflict check and write as one step within this process (SQLite ignores FOR UPDATE).
        self._write = asyncio.Lock()

    # ---- people ----
    async def users_by_username(self, names: Sequence[str]) -> dict[str, UserRow]:
        """Accounts by lower-cased username, for those of ``names`` that exist."""
        keys = {name.lower() for name in names}
        if not keys:
            return {}
        async with self._sessions() as s:
            rows = (await s.execute(select(UserRow).where(UserRow.username_key.in_(keys)))).scalars()
            return {row.username_key: row for row in rows}

    async def users_by_email(self, emails: Sequence[str]) -> dict[str, UserRow]:
        """Accounts by lower-cased email, for those of ``emails`` that are registered."""
        keys = {email.lower() for email in emails}
        if not keys:
            return {}
        async with self._sessions() as s:
            rows = (await s.execute(select(UserRow).where(UserRow.email_key.in_(keys)))).scalars()
            return {row.email_key: row for row in rows}

    # ---- meetings ----
    async def create(self, organizer_id: str, room: str | RoomRow, plan: Plan, invitees: Sequence[Invitee]) -> Meeting:
        """A new scheduled meeting in ``room``: an existing room's id (the caller checked the organizer owns it), or a
        new room's row, inserted in the same transaction. Raises ScheduleConflict."""
        now = utcnow()
        meeting_id = uuid.uuid4().hex
        async with self._write, self._sessions() as s:
            if isinstance(room, RoomRow):
                s.add(room)
                room_id = room.room_id
            else:
                room_id = room
                await self._check_conflicts(s, room_id, plan, exclude=None)
            s.add(
                ScheduledMeetingRow(
                    meeting_id=meeting_id,
                    room_id=room_id,
                    organizer_id=organizer_id,
                    created_at=now,
                    updated_at=now,
                    status=SCHEDULED,
                    **_plan_columns(plan),
                )
            )
            await s.flush()
            s.add_all(_attendee_rows(meeting_id, invitees, {}))
            await s.commit()
        meeting = await self.meeting(meeting_id)
        assert meeting is not None
        return meeting

    async def update(
        self, meeting_id: str, room_id: str, plan: Plan, invitees: Sequence[Invitee] | None, reset_responses: bool
    ) -> Meeting | None:
        """Replace the meeting's room, plan and (when given) attendees; None when it does not exist. Attendees who
        stay keep their response unless ``reset_responses`` (the time changed). Raises ScheduleConflict."""
        async with self._write, self._sessions() as s:
            row = await s.get(ScheduledMeetingRow, meeting_id)
            if row is None:
                return None
            if row.status == SCHEDULED:
                await self._check_conflicts(s, room_id, plan, exclude=meeting_id)
            values = {**_plan_columns(plan), "room_id": room_id, "updated_at": utcnow()}
            await s.execute(
                update(ScheduledMeetingRow).where(ScheduledMeetingRow.meeting_id == meeting_id).values(**values)
            )
            if reset_responses:
                await s.execute(
                    update(MeetingAttendeeRow)
                    .where(MeetingAttendeeRow.meeting_id == meeting_id)
                    .values(response=NEEDS_ACTION)
                )
            if invitees is not None:
                current = (
                    await s.execute(select(MeetingAttendeeRow).where(MeetingAttendeeRow.meeting_id == meeting_id))
                ).scalars()
                kept = {a.email_key: a.response for a in current}
                if reset_responses:
                    kept = {}
                await s.execute(delete(MeetingAttendeeRow).where(MeetingAttendeeRow.meeting_id == meeting_id))
                s.add_all(_attendee_rows(meeting_id, invitees, kept))
            await s.commit()
        return await self.meeting(meeting_id)

    async def cancel(self, meeting_id: str) -> Meeting | None:
        async with self._sessions() as s:
            await s.execute(
                update(ScheduledMeetingRow)
                .where(ScheduledMeetingRow.meeting_id == meeting_id, ScheduledMeetingRow.status == SCHEDULED)
                .values(status=CANCELLED, updated_at=utcnow())
            )
            await s.commit()
        return await self.meeting(meeting_id)

    async def respond(self, meeting_id: str, user_id: str, response: Response) -> Meeting | None:
        async with self._sessions() as s:
            await s.execute(
                update(MeetingAttendeeRow)
                .where(MeetingAttendeeRow.meeting_id == meeting_id, MeetingAttendeeRow.user_id == user_id)
                .values(response=response)
            )
            await s.commit()
        return await self.meeting(meeting_id)

    async def meeting(self, meeting_id: str) -> Meeting | None:
        async with self._sessions() as s:
            row = await s.get(ScheduledMeetingRow, meeting_id)
            if row is None:
                return None
            return (await _records(s, [row]))[0]

    async def for_user(self, user_id: str, window_from: datetime, window_to: datetime) -> list[Meeting]:
        """Scheduled meetings the user organizes or attends whose span (first start to last end) overlaps
        ``[window_from, window_to)``: the candidates whose occurrences the caller expands over the window."""
        attends = exists().where(
            MeetingAttendeeRow.meeting_id == ScheduledMeetingRow.meeting_id, MeetingAttendeeRow.user_id == user_id
        )
        query = select(ScheduledMeetingRow).where(
            ScheduledMeetingRow.status == SCHEDULED,
            ScheduledMeetingRow.start_at < window_to,
            ScheduledMeetingRow.series_end > window_from,
            or_(ScheduledMeetingRow.organizer_id == user_id, attends),
        )
        async with self._sessions() as s:
            rows = list((await s.execute(query)).scalars())
            return await _records(s, rows)

    async def is_invited(self, room_id: str, user_id: str) -> bool:
        """The user is an attendee (with their account) of a scheduled meeting in the room: the join check's one
        indexed EXISTS, asked only of someone the lobby would otherwise hold."""
        query = select(
            exists().where(
                MeetingAttendeeRow.user_id == user_id,
                MeetingAttendeeRow.meeting_id == ScheduledMeetingRow.meeting_id,
                ScheduledMeetingRow.room_id == room_id,
                ScheduledMeetingRow.status == SCHEDULED,
            )
        )
        async with self._sessions() as s:
            return bool((await s.execute(query)).scalar())

    async def reminders_due(self, due_from: datetime, due_to: datetime) -> list[DueReminder]:
        """Occurrences of scheduled meetings with a reminder whose reminder time falls in ``[due_from, due_to)``,
        ordered by that time. For the reminder mailer: it claims each (meetingId, occurrence start) in a table of
        its own before sending, so each is sent once across restarts and processes."""
        query = select(ScheduledMeetingRow).where(
            ScheduledMeetingRow.status == SCHEDULED,
            ScheduledMeetingRow.reminder_minutes.is_not(None),
            ScheduledMeetingRow.start_at < due_to + REMINDER_MAX,
            ScheduledMeetingRow.series_end > due_from,
        )
        async with self._sessions() as s:
            meetings = await _records(s, list((await s.execute(query)).scalars()))
        due: list[DueReminder] = []
        for meeting in meetings:
            lead = timedelta(minutes=meeting.plan.reminder_minutes or 0)
            for start, end in meeting.series().between(due_from + lead, due_to + lead):
                if due_from + lead <= start < due_to + lead:
                    due.append(DueReminder(meeting, start, end))
        due.sort(key=lambda d: (d.due_at, d.meeting.meeting_id))
        return due

    async def _check_conflicts(self, s: AsyncSession, room_id: str, plan: Plan, exclude: str | None) -> None:
        # The room's row locked: a second booking of this room waits here until this one commits (PostgreSQL).
        await s.execute(select(RoomRow.room_id).where(RoomRow.room_id == room_id).with_for_update())
        series = plan.series()
        query = select(ScheduledMeetingRow).where(
            ScheduledMeetingRow.room_id == room_id,
            ScheduledMeetingRow.status == SCHEDULED,
            ScheduledMeetingRow.start_at < series.last_end(),
            ScheduledMeetingRow.series_end > plan.start,
        )
        if exclude is not None:
            query = query.where(ScheduledMeetingRow.meeting_id != exclude)
        for other in (await s.execute(query.order_by(ScheduledMeetingRow.start_at))).scalars():
            if first_overlap(series, _plan(other).series()) is not None:
                raise ScheduleConflict(other.meeting_id)


def _plan(row: ScheduledMeetingRow) -> Plan:
    return Plan(
        title=row.title,
        description=row.description,
        start=row.start_at,
        end=row.end_at,
        timezone=row.timezone,
        recurrence=row.recurrence,
        reminder_minutes=row.reminder_minutes,
    )


def _plan_columns(plan: Plan) -> dict[str, object]:
    return {
        "title": plan.title,
        "description": plan.description,
        "start_at": plan.start.astimezone(UTC),
        "end_at": plan.end.astimezone(UTC),
        "series_end": plan.series().last_end(),
        "timezone": plan.timezone,
        "recurrence": plan.recurrence,
        "reminder_minutes": plan.reminder_minutes,
    }


def _attendee_rows(meeting_id: str, invitees: Sequence[Invitee], kept: dict[str, str]) -> list[MeetingAttendeeRow]:
    return [
        MeetingAttendeeRow(
            meeting_id=meeting_id,
            email=i.email,
            email_key=i.email.lower(),
            user_id=i.user_id,
            response=kept.get(i.email.lower(), NEEDS_ACTION),
        )
        for i in invitees
    ]


async def _records(s: AsyncSession, rows: list[ScheduledMeetingRow]) -> list[Meeting]:
    """The rows with their attendees (and those attendees' current usernames), in two queries for any number."""
    if not rows:
        return []
    query = (
        select(MeetingAttendeeRow, UserRow.username)
        .outerjoin(UserRow, UserRow.id == MeetingAttendeeRow.user_id)
        .where(MeetingAttendeeRow.meeting_id.in_([r.meeting_id for r in rows]))
        .order_by(MeetingAttendeeRow.id)
    )
    people: dict[str, list[Attendee]] = {r.meeting_id: [] for r in rows}
    for attendee, username in (await s.execute(query)).all():
        people[attendee.meeting_id].append(
            Attendee(attendee.email, attendee.user_id, username, _response(attendee.response))
        )
    return [
        Meeting(
            meeting_id=r.meeting_id,
            room_id=r.room_id,
            organizer_id=r.organizer_id,
            plan=_plan(r),
            attendees=tuple(people[r.meeting_id]),
            status=CANCELLED if r.status == CANCELLED else SCHEDULED,
            created_at=r.created_at,
            updated_at=r.updated_at,
        )
        for r in rows
    ]


def _response(value: str) -> Response:
    if value == "accepted":
        return "accepted"
    if value == "declined":
        return "declined"
    return NEEDS_ACTION
