"""/api/meetings: meetings planned ahead (contract v1.1 "Scheduling").

Who may do what: the organizer everything; an attendee (by account) reads, responds and downloads the ``.ics``; anyone
else is told the meeting does not exist (404), so ids cannot be probed. Checks, in order: the body (422), the room
(404 ``room-not-found``, 403 ``forbidden`` when not the organizer's), then overlaps in the room (409
``schedule-conflict`` with ``conflictsWith``).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Body, Path, Query, Request, Response

from signaling_server.api.deps import (
    INVALID_DOC,
    RATE_DOC,
    UNAUTHORIZED_DOC,
    CurrentUser,
    ResponsesDoc,
    ServicesDep,
    client_key,
    error_doc,
)
from signaling_server.api.errors import ApiError
from signaling_server.api.invitations import base_url
from signaling_server.db.models import RoomRow, UserRow, utcnow
from signaling_server.db.schedule_store import Invitee, Meeting, Plan, ScheduleConflict
from signaling_server.db.store import new_room_id
from signaling_server.join_links import invite_url
from signaling_server.protocol import (
    MEETING_RANGE_MAX_DAYS,
    PARTICIPANTS_DEFAULT,
    ROOM_ID_RE,
    ROOM_NAME_MAX,
    USERNAME_MAX,
    USERNAME_MIN,
    USERNAME_RE,
    ErrorCode,
    MeetingAttendee,
    MeetingRequest,
    MeetingResponse,
    Occurrence,
    OccurrencesResponse,
    RespondRequest,
    UpdateMeetingRequest,
)
from signaling_server.protocol import Meeting as MeetingOut
from signaling_server.ratelimit import Budget, retry_after_header
from signaling_server.scheduling.ics import meeting_ics
from signaling_server.scheduling.recurrence import MAX_DURATION, RecurrenceError, parse, zone
from signaling_server.services import MeetingMail, Services

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/api/meetings", tags=["meetings"])

NOT_FOUND_DOC: ResponsesDoc = {404: error_doc("No such meeting, or not one of yours (`not-found`)")}
ROOM_DOC: ResponsesDoc = {
    403: error_doc("`roomId` is not a room of yours (`forbidden`); only the organizer may change it"),
    404: error_doc("No such meeting (`not-found`) or room (`room-not-found`)"),
}
CONFLICT_DOC: ResponsesDoc = {
    409: error_doc("Another scheduled meeting of the room overlaps (`schedule-conflict`, with `conflictsWith`)")
}
MeetingId = Annotated[str, Path(alias="meetingId")]


def _invalid(field: str, message: str) -> ApiError:
    return ApiError(422, ErrorCode.INVALID_INPUT, f"{field}: {message}", field=field)


def _not_found() -> ApiError:
    return ApiError(404, ErrorCode.NOT_FOUND, "no such meeting")


def _plan(
    title: str,
    description: str | None,
    start: datetime,
    end: datetime,
    timezone: str,
    recurrence: str | None,
    reminder_minutes: int | None,
) -> Plan:
    """The contract's checks on what the organizer decides; 422 naming the field on the first that fails."""
    title = title.strip()
    if not title:
        raise _invalid("title", "must not be empty")
    if end <= start:
        raise _invalid("end", "must be after start")
    if end - start > MAX_DURATION:
        raise _invalid("end", "must be at most 24 hours after start")
    try:
        tz = zone(timezone)
    except ValueError as exc:
        raise _invalid("timezone", str(exc)) from None
    if recurrence is not None:
        try:
            recurrence = parse(recurrence, start, tz)
        except RecurrenceError as exc:
            raise ApiError(422, ErrorCode.INVALID_INPUT, str(exc), field="recurrence") from None
    return Plan(title, description or None, start, end, timezone, recurrence, reminder_minutes)


async def _invitees(svc: Services, organizer: UserRow, names: list[str]) -> list[Invitee]:
    """Attendees as given: a name with "@" is an email (an account registered with it becomes that account), else a
    username, which must be an account's (422 otherwise). Duplicates and the organizer are left out."""
    emails = [n.strip() for n in names if "@" in n]
    usernames = [n.strip() for n in names if "@" not in n]
    for email in emails:
        local, _, domain = email.rpartition("@")
        if not local or not domain or " " in email or "@" in local:
            raise _invalid("attendees", f"{email!r} is not an email address")
    for name in usernames:
        if not USERNAME_MIN <= len(name) <= USERNAME_MAX or not USERNAME_RE.fullmatch(name):
            raise _invalid("attendees", f"{name!r} is neither an email address nor a username")
    by_name = await svc.schedule.users_by_username(usernames)
    unknown = [n for n in usernames if n.lower() not in by_name]
    if unknown:
        raise _invalid("attendees", f"no user named {unknown[0]!r}")
    by_email = await svc.schedule.users_by_email(emails)
    invitees: dict[str, Invitee] = {}
    for name in names:
        key = name.strip().lower()
        user = by_email.get(key) if "@" in key else by_name[key]
        email = user.email if user is not None else name.strip()
        if (user is not None and user.id == organizer.id) or email.lower() in invitees:
            continue
        invitees[email.lower()] = Invitee(email=email, user_id=None if user is None else user.id)
    return list(invitees.values())


async def _take(request: Request, limiter: Budget) -> None:
    """As ``deps.rate_limited``, but only on the path that needs it (a meeting in a new room)."""
    wait_s = await limiter.spend(client_key(request))
    if wait_s > 0:
        raise ApiError(
            429,
            ErrorCode.RATE_LIMITED,
            "too many rooms created; try again later",
            headers={"Retry-After": retry_after_header(wait_s)},
        )


async def _room_for(svc: Services, user: UserRow, room_id: str) -> str:
    room = await svc.store.room(room_id) if ROOM_ID_RE.fullmatch(room_id) else None
    if room is None:
        raise ApiError(404, ErrorCode.ROOM_NOT_FOUND, "no room with that id")
    if room.owner_id != user.id:
        raise ApiError(403, ErrorCode.FORBIDDEN, "meetings can be scheduled only in rooms of your own")
    return room.room_id


def _conflict(exc: ScheduleConflict) -> ApiError:
    return ApiError(
        409,
        ErrorCode.SCHEDULE_CONFLICT,
        "another meeting is scheduled in this room at that time",
        conflicts_with=exc.meeting_id,
    )


def meeting_out(meeting: Meeting) -> MeetingOut:
    tz = meeting.series().tz
    plan = meeting.plan
    return MeetingOut(
        meeting_id=meeting.meeting_id,
        room_id=meeting.room_id,
        title=plan.title,
        description=plan.description,
        start=plan.start.astimezone(tz),
        end=plan.end.astimezone(tz),
        timezone=plan.timezone,
        recurrence=plan.recurrence,
        organizer_id=meeting.organizer_id,
        attendees=[
            MeetingAttendee(email=a.email, user_id=a.user_id, username=a.username, response=a.response)
            for a in meeting.attendees
        ],
        reminder_minutes=plan.reminder_minutes,
        status=meeting.status,
        created_at=meeting.created_at,
        updated_at=meeting.updated_at,
    )


async def _visible(svc: Services, user: UserRow, meeting_id: str) -> Meeting:
    """The meeting when the user organizes or attends it; 404 otherwise (others do not learn it exists)."""
    meeting = await svc.schedule.meeting(meeting_id)
    if meeting is None or (meeting.organizer_id != user.id and meeting.attendee(user.id) is None):
        raise _not_found()
    return meeting


async def _organized(svc: Services, user: UserRow, meeting_id: str) -> Meeting:
    meeting = await _visible(svc, user, meeting_id)
    if meeting.organizer_id != user.id:
        raise ApiError(403, ErrorCode.FORBIDDEN, "only the meeting's organizer can change or cancel it")
    return meeting


async def _tell(svc: Services, send: Callable[[MeetingMail], Awaitable[None]]) -> None:
    """The mail hook (``Services.mail``), after the change is committed: a failure there never fails the request."""
    if svc.mail is None:
        return
    try:
        await send(svc.mail)
    except Exception:
        logger.exception("meeting mail hook failed")


@router.post(
    "",
    status_code=201,
    response_model=MeetingResponse,
    responses={**UNAUTHORIZED_DOC, **ROOM_DOC, **CONFLICT_DOC, **INVALID_DOC, **RATE_DOC},
)
async def create_meeting(
    request: Request, user: CurrentUser, svc: ServicesDep, body: Annotated[MeetingRequest, Body()]
) -> MeetingResponse:
    plan = _plan(
        body.title,
        body.description,
        body.start,
        body.end,
        body.timezone,
        body.recurrence,
        body.reminder_minutes,
    )
    invitees = await _invitees(svc, user, body.attendees)
    room: str | RoomRow
    if body.room_id is not None:
        room = await _room_for(svc, user, body.room_id)
    else:
        # A new room, as POST /api/rooms/create makes one (and under its rate limit: this is a way to create rooms).
        await _take(request, svc.limits.create_room)
        room = RoomRow(
            room_id=new_room_id(),
            name=plan.title[:ROOM_NAME_MAX].strip(),
            description=None,
            is_private=False,
            owner_id=user.id,
            created_at=utcnow(),
            max_participants=PARTICIPANTS_DEFAULT,
            password_hash=None,
        )
    try:
        meeting = await svc.schedule.create(user.id, room, plan, invitees)
    except ScheduleConflict as exc:
        raise _conflict(exc) from None
    logger.info("meeting scheduled", extra={"meetingId": meeting.meeting_id, "roomId": meeting.room_id})
    base = base_url(request, svc.settings)
    await _tell(svc, lambda mail: mail.meeting_created(meeting, base))
    return MeetingResponse(meeting=meeting_out(meeting))


def _moment(value: str | None, name: str) -> datetime:
    if value is None:
        raise _invalid(name, "is required")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise _invalid(name, "must be an ISO 8601 time with an offset (percent-encode a '+')") from None
    if moment.tzinfo is None:
        raise _invalid(name, "must carry an offset, such as Z or +01:00")
    return moment


@router.get("", response_model=OccurrencesResponse, responses={**UNAUTHORIZED_DOC, **INVALID_DOC})
async def list_occurrences(
    user: CurrentUser,
    svc: ServicesDep,
    # Optional here only so that a missing one is answered like a wrong one (422 naming it).
    window_from: Annotated[str | None, Query(alias="from", max_length=64)] = None,
    window_to: Annotated[str | None, Query(alias="to", max_length=64)] = None,
) -> OccurrencesResponse:
    start, end = _moment(window_from, "from"), _moment(window_to, "to")
    if end <= start:
        raise _invalid("to", "must be after from")
    if end - start > timedelta(days=MEETING_RANGE_MAX_DAYS):
        raise _invalid("to", f"the range must be at most {MEETING_RANGE_MAX_DAYS} days")
    occurrences = [
        Occurrence(meeting_id=m.meeting_id, room_id=m.room_id, title=m.plan.title, start=s, end=e)
        for m in await svc.schedule.for_user(user.id, start, end)
        for s, e in m.series().between(start, end)
    ]
    occurrences.sort(key=lambda o: (o.start, o.meeting_id))
    return OccurrencesResponse(occurrences=occurrences)


@router.get("/{meetingId}", response_model=MeetingResponse, responses={**UNAUTHORIZED_DOC, **NOT_FOUND_DOC})
async def get_meeting(user: CurrentUser, svc: ServicesDep, meeting_id: MeetingId) -> MeetingResponse:
    return MeetingResponse(meeting=meeting_out(await _visible(svc, user, meeting_id)))


@router.patch(
    "/{meetingId}",
    response_model=MeetingResponse,
    responses={**UNAUTHORIZED_DOC, **ROOM_DOC, **CONFLICT_DOC, **INVALID_DOC},
)
async def update_meeting(
    request: Request,
    user: CurrentUser,
    svc: ServicesDep,
    meeting_id: MeetingId,
    body: Annotated[UpdateMeetingRequest, Body()],
) -> MeetingResponse:
    before = await _organized(svc, user, meeting_id)
    given = body.model_fields_set
    for required in ("title", "start", "end", "timezone", "attendees", "room_id"):
        if required in given and getattr(body, required) is None:
            wire = {"room_id": "roomId"}.get(required, required)
            raise _invalid(wire, "must not be null")
    old = before.plan
    plan = _plan(
        body.title if body.title is not None else old.title,
        body.description if "description" in given else old.description,
        body.start or old.start,
        body.end or old.end,
        body.timezone or old.timezone,
        body.recurrence if "recurrence" in given else old.recurrence,
        body.reminder_minutes if "reminder_minutes" in given else old.reminder_minutes,
    )
    invitees = await _invitees(svc, user, body.attendees) if body.attendees is not None else None
    room_id = before.room_id if body.room_id is None else await _room_for(svc, user, body.room_id)
    moved = (plan.start, plan.end, plan.timezone, plan.recurrence) != (
        old.start,
        old.end,
        old.timezone,
        old.recurrence,
    )
    try:
        after = await svc.schedule.update(meeting_id, room_id, plan, invitees, reset_responses=moved)
    except ScheduleConflict as exc:
        raise _conflict(exc) from None
    if after is None:  # the room (and so the meeting) was deleted meanwhile
        raise _not_found()
    logger.info("meeting changed", extra={"meetingId": meeting_id, "fields": sorted(given)})
    base = base_url(request, svc.settings)
    await _tell(svc, lambda mail: mail.meeting_changed(before, after, base))
    return MeetingResponse(meeting=meeting_out(after))


@router.delete(
    "/{meetingId}",
    status_code=204,
    responses={**UNAUTHORIZED_DOC, 403: ROOM_DOC[403], **NOT_FOUND_DOC},
)
async def cancel_meeting(request: Request, user: CurrentUser, svc: ServicesDep, meeting_id: MeetingId) -> Response:
    before = await _organized(svc, user, meeting_id)
    after = await svc.schedule.cancel(meeting_id)
    if after is not None and before.status != after.status:
        logger.info("meeting cancelled", extra={"meetingId": meeting_id})
        base = base_url(request, svc.settings)
        await _tell(svc, lambda mail: mail.meeting_cancelled(after, base))
    return Response(status_code=204)


@router.post(
    "/{meetingId}/respond",
    response_model=MeetingResponse,
    responses={
        **UNAUTHORIZED_DOC,
        403: error_doc("The organizer is not an attendee (`forbidden`)"),
        **NOT_FOUND_DOC,
        **INVALID_DOC,
    },
)
async def respond(
    user: CurrentUser, svc: ServicesDep, meeting_id: MeetingId, body: Annotated[RespondRequest, Body()]
) -> MeetingResponse:
    meeting = await _visible(svc, user, meeting_id)
    if meeting.attendee(user.id) is None:
        raise ApiError(403, ErrorCode.FORBIDDEN, "only an attendee can accept or decline")
    after = await svc.schedule.respond(meeting_id, user.id, body.response)
    if after is None:
        raise _not_found()
    return MeetingResponse(meeting=meeting_out(after))


@router.get(
    "/{meetingId}/ics",
    response_class=Response,
    responses={
        200: {"content": {"text/calendar": {}}, "description": "The meeting as an iCalendar file"},
        **UNAUTHORIZED_DOC,
        **NOT_FOUND_DOC,
    },
)
async def meeting_calendar(request: Request, user: CurrentUser, svc: ServicesDep, meeting_id: MeetingId) -> Response:
    meeting = await _visible(svc, user, meeting_id)
    organizer = await svc.store.user_by_id(meeting.organizer_id)
    if organizer is None:  # deleted meanwhile, taking the meeting with it
        raise _not_found()
    base = base_url(request, svc.settings)
    body = meeting_ics(
        meeting,
        organizer.email,
        organizer.username,
        invite_url(base, meeting.room_id),
        urlsplit(base).hostname or "nimeet",
    )
    return Response(
        content=body,
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="meeting-{meeting.meeting_id}.ics"'},
    )
