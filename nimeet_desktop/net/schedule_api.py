"""The scheduling half of the REST contract (v1.1 "Scheduling"): meetings, their occurrences, answers and ``.ics``.

A thin layer over ``ApiClient`` (the same session, token and error handling): ``ScheduleApi(context.api)``. The
answers become frozen dataclasses with snake_case fields and aware datetimes; an answer that does not have the
contract's shape is ServerUnreachable, as everywhere in ``rest.py``. A 409 ``schedule-conflict`` is an ApiError whose
``conflicts_with`` names the meeting in the way.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Sequence
from typing import Any, Final, Literal, TypeVar
from urllib.parse import urlencode

from pydantic import AwareDatetime, ConfigDict, Field, TypeAdapter, ValidationError
from pydantic.alias_generators import to_camel
from pydantic.dataclasses import dataclass

from nimeet_desktop.net.rest import UNCHANGED, ApiClient, ServerUnreachable, Unchanged

__all__ = [
    "MAX_RANGE_DAYS",
    "Attendee",
    "Meeting",
    "MeetingDraft",
    "Occurrence",
    "Response",
    "ScheduleApi",
]

logger = logging.getLogger(__name__)

# GET /api/meetings answers for at most this long a range.
MAX_RANGE_DAYS: Final = 366

Response = Literal["needs-action", "accepted", "declined"]
Status = Literal["scheduled", "cancelled"]

# A meetingId goes into the URL path: nothing that could leave its segment.
_MEETING_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,128}")

_WIRE = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore", frozen=True)


@dataclass(config=_WIRE)
class Attendee:
    email: str
    user_id: str | None
    username: str | None
    response: Response


@dataclass(config=_WIRE)
class Meeting:
    meeting_id: str
    room_id: str
    title: str
    description: str | None
    start: AwareDatetime
    end: AwareDatetime
    timezone: str
    recurrence: str | None
    organizer_id: str
    attendees: tuple[Attendee, ...]
    reminder_minutes: int | None
    status: Status
    created_at: AwareDatetime
    updated_at: AwareDatetime

    def attendee(self, user_id: str | None) -> Attendee | None:
        """The attendee entry of the user with this id (None: not invited, or no account)."""
        if user_id is None:
            return None
        return next((a for a in self.attendees if a.user_id == user_id), None)

    def is_organizer(self, user_id: str | None) -> bool:
        return user_id is not None and self.organizer_id == user_id


@dataclass(config=_WIRE)
class Occurrence:
    """One time a meeting happens (a recurring meeting has many with the same ``meeting_id``)."""

    meeting_id: str
    room_id: str
    title: str
    start: AwareDatetime
    end: AwareDatetime


@dataclass(config=_WIRE)
class _MeetingAnswer:
    meeting: Meeting


@dataclass(config=_WIRE)
class _OccurrencesAnswer:
    occurrences: tuple[Occurrence, ...] = Field(default=())


@dataclass(frozen=True)
class MeetingDraft:
    """What POST /api/meetings takes (and PATCH, field by field). ``attendees``: emails or usernames."""

    title: str
    start: dt.datetime
    end: dt.datetime
    description: str | None = None
    timezone: str | None = None
    recurrence: str | None = None
    attendees: tuple[str, ...] = ()
    reminder_minutes: int | None = None
    room_id: str | None = None

    def wire(self) -> dict[str, Any]:
        """The request body; None fields are left out (the server's defaults), the times as ISO 8601 with offset."""
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("a meeting's start and end carry their offset")
        fields: dict[str, Any] = {
            "title": self.title,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "description": self.description,
            "timezone": self.timezone,
            "recurrence": self.recurrence,
            "attendees": list(self.attendees),
            "reminderMinutes": self.reminder_minutes,
            "roomId": self.room_id,
        }
        return {key: value for key, value in fields.items() if value is not None}


T = TypeVar("T")


class ScheduleApi:
    """The scheduling endpoints of the server ``api`` talks to, with its token."""

    def __init__(self, api: ApiClient) -> None:
        self._api = api

    async def create(self, draft: MeetingDraft) -> Meeting:
        """POST /api/meetings → the new meeting. ApiError 403 (a room not the caller's), 404, 409
        ``schedule-conflict`` (``conflicts_with``), 422 (with the field)."""
        data = await self._api.call_json("POST", "/api/meetings", body=draft.wire(), ok=201)
        return _parse(_MeetingAnswer, data, "POST /api/meetings").meeting

    async def occurrences(self, start: dt.datetime, end: dt.datetime) -> list[Occurrence]:
        """GET /api/meetings?from=&to=: the occurrences of the user's meetings (organised or attended) that overlap
        ``[start, end)``, sorted by start, cancelled ones left out. At most MAX_RANGE_DAYS (ValueError)."""
        if start.tzinfo is None or end.tzinfo is None:
            raise ValueError("a range carries its offset")
        if end <= start or end - start > dt.timedelta(days=MAX_RANGE_DAYS):
            raise ValueError(f"a range is positive and at most {MAX_RANGE_DAYS} days long")
        query = urlencode({"from": start.isoformat(), "to": end.isoformat()})
        data = await self._api.call_json("GET", f"/api/meetings?{query}")
        return list(_parse(_OccurrencesAnswer, data, "GET /api/meetings").occurrences)

    async def get(self, meeting_id: str) -> Meeting:
        """GET /api/meetings/{id} (organizer or attendee; 404 for anyone else)."""
        data = await self._api.call_json("GET", _path(meeting_id))
        return _parse(_MeetingAnswer, data, "GET /api/meetings/{id}").meeting

    async def update(
        self,
        meeting_id: str,
        *,
        title: str | Unchanged = UNCHANGED,
        start: dt.datetime | Unchanged = UNCHANGED,
        end: dt.datetime | Unchanged = UNCHANGED,
        description: str | Unchanged | None = UNCHANGED,
        timezone: str | Unchanged = UNCHANGED,
        recurrence: str | Unchanged | None = UNCHANGED,
        attendees: Sequence[str] | Unchanged = UNCHANGED,
        reminder_minutes: int | Unchanged | None = UNCHANGED,
        room_id: str | Unchanged = UNCHANGED,
    ) -> Meeting:
        """PATCH /api/meetings/{id} (the organizer) with only the fields given; None clears ``description``,
        ``recurrence`` and ``reminder_minutes``. ApiError 403, 404, 409 (``conflicts_with``), 422."""
        fields: dict[str, Any] = {
            "title": title,
            "start": start,
            "end": end,
            "description": description,
            "timezone": timezone,
            "recurrence": recurrence,
            "attendees": attendees,
            "reminderMinutes": reminder_minutes,
            "roomId": room_id,
        }
        body: dict[str, Any] = {}
        for key, value in fields.items():
            if value is UNCHANGED:
                continue
            if isinstance(value, dt.datetime):
                if value.tzinfo is None:
                    raise ValueError("a meeting's start and end carry their offset")
                value = value.isoformat()
            elif key == "attendees":
                value = list(value)
            body[key] = value
        data = await self._api.call_json("PATCH", _path(meeting_id), body=body)
        return _parse(_MeetingAnswer, data, "PATCH /api/meetings/{id}").meeting

    async def update_from(self, meeting_id: str, draft: MeetingDraft) -> Meeting:
        """PATCH the whole of ``draft`` (an edited meeting), clearing what it leaves empty."""
        room: str | Unchanged = draft.room_id if draft.room_id is not None else UNCHANGED
        return await self.update(
            meeting_id,
            title=draft.title,
            start=draft.start,
            end=draft.end,
            description=draft.description,
            timezone=draft.timezone if draft.timezone is not None else UNCHANGED,
            recurrence=draft.recurrence,
            attendees=draft.attendees,
            reminder_minutes=draft.reminder_minutes,
            room_id=room,
        )

    async def cancel(self, meeting_id: str) -> None:
        """DELETE /api/meetings/{id} (the organizer) → 204; the meeting's status becomes ``cancelled``."""
        await self._api.call_json("DELETE", _path(meeting_id), ok=204)

    async def respond(self, meeting_id: str, response: Literal["accepted", "declined"]) -> Meeting:
        """POST /api/meetings/{id}/respond (an attendee) → the meeting with the answer in it."""
        data = await self._api.call_json("POST", _path(meeting_id) + "/respond", body={"response": response})
        return _parse(_MeetingAnswer, data, "POST /api/meetings/{id}/respond").meeting

    async def ics(self, meeting_id: str) -> str:
        """GET /api/meetings/{id}/ics: the meeting as an iCalendar text with one VEVENT."""
        return await self._api.get_text(_path(meeting_id) + "/ics", "text/calendar")


def _path(meeting_id: str) -> str:
    if not isinstance(meeting_id, str) or not _MEETING_ID_RE.fullmatch(meeting_id):
        raise ValueError("not a meeting id")
    return f"/api/meetings/{meeting_id}"


def _parse(kind: type[T], data: Any, what: str) -> T:
    try:
        return TypeAdapter(kind).validate_python(data)
    except ValidationError:
        logger.warning("%s: the answer does not match the protocol", what)
        raise ServerUnreachable("the server answered in an unexpected way: is it a compatible NIMeet server?") from None
