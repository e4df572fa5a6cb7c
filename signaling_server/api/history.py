"""History and statistics (contract v1.1): a room's sessions, a user's own usage, and the server's for its admins.

Choices the contract leaves open (docs/protocol.md, section 17):

- ``/sessions``: the room's owner sees every session; anyone else who took part sees the sessions they took part
  in (not the meetings of people they never met); anyone else is ``forbidden``.
- ``/api/stats/me``: ``days`` are calendar days of the ``tz`` query parameter (an IANA name, default ``UTC``); a stay
  that crosses midnight counts in each day for its part there. ``meetings``, ``minutes`` and ``hosted`` cover the
  same 30 days as ``days``: ``minutes`` is the sum of the days' minutes, ``meetings`` the sessions the user took part
  in, ``hosted`` those of them held in a room the user owns.
- ``/api/admin/stats``: "today" is the UTC day; ``peakParticipants`` the most people in rooms at one moment today.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Path, Query

from signaling_server.api.deps import INVALID_DOC, UNAUTHORIZED_DOC, CurrentUser, ServicesDep, error_doc
from signaling_server.api.errors import ApiError
from signaling_server.db.history_store import Session, Stay
from signaling_server.db.models import utcnow
from signaling_server.protocol import (
    ROOM_ID_RE,
    AdminStatsResponse,
    ErrorCode,
    MeetingSession,
    MyStatsResponse,
    SessionParticipant,
    SessionsResponse,
    UsageDay,
)
from signaling_server.scheduling.recurrence import zone
from signaling_server.usage import (
    day_bounds,
    last_days,
    peak_concurrent,
    seconds_per_day,
    sessions_per_day,
    whole_minutes,
)

logger = logging.getLogger(__name__)
router = APIRouter(tags=["history"])

STATS_DAYS = 30
TZ_MAX = 64


@router.get(
    "/api/rooms/{roomId}/sessions",
    response_model=SessionsResponse,
    responses={
        **UNAUTHORIZED_DOC,
        403: error_doc("Neither the room's owner nor someone who took part in it (`forbidden`)"),
        404: error_doc("No room with that id (`room-not-found`)"),
    },
)
async def room_sessions(
    user: CurrentUser, svc: ServicesDep, room_id: Annotated[str, Path(alias="roomId")]
) -> SessionsResponse:
    room = await svc.store.room(room_id) if ROOM_ID_RE.fullmatch(room_id) else None
    if room is None:
        raise ApiError(404, ErrorCode.ROOM_NOT_FOUND, "no room with that id")
    owner = room.owner_id == user.id
    if not owner and not await svc.history.took_part(room.room_id, user.id):
        raise ApiError(403, ErrorCode.FORBIDDEN, "only the room's owner and people who took part see its history")
    sessions = await svc.history.room_sessions(room.room_id, None if owner else user.id)
    now = utcnow()
    return SessionsResponse(sessions=[_session_out(session, now) for session in sessions])


def _session_out(session: Session, now: datetime) -> MeetingSession:
    return MeetingSession(
        session_id=str(session.session_id),
        started_at=session.started_at,
        ended_at=session.ended_at,
        peak_participants=session.peak_participants,
        participants=[_stay_out(stay, now) for stay in session.stays],
    )


def _stay_out(stay: Stay, now: datetime) -> SessionParticipant:
    until = stay.left_at or now
    return SessionParticipant(
        user_id=stay.user_id,
        username=stay.username,
        joined_at=stay.joined_at,
        left_at=stay.left_at,
        duration_s=max(0, round((until - stay.joined_at).total_seconds())),
    )


def _zone(name: str) -> ZoneInfo:
    # An IANA name, as for meetings: ZoneInfo itself also opens the zone database's folders (IsADirectoryError: a
    # 500) and its other files.
    try:
        return zone(name)
    except ValueError:
        raise ApiError(422, ErrorCode.INVALID_INPUT, "tz must be an IANA time zone name", field="tz") from None


@router.get("/api/stats/me", response_model=MyStatsResponse, responses={**UNAUTHORIZED_DOC, **INVALID_DOC})
async def my_stats(
    user: CurrentUser,
    svc: ServicesDep,
    tz: Annotated[str, Query(max_length=TZ_MAX, description="IANA time zone of the days (default UTC)")] = "UTC",
) -> MyStatsResponse:
    zone = _zone(tz)
    now = utcnow()
    days = last_days(now, zone, STATS_DAYS)
    since = day_bounds(days[0], zone)[0]
    stays = await svc.history.user_stays(user.id, since, now)
    seconds = seconds_per_day(((stay.joined_at, stay.left_at or now) for stay in stays), days, zone)
    with_session = [stay for stay in stays if stay.session_id is not None]
    meetings = sessions_per_day(((s.session_id, (s.joined_at, s.left_at or now)) for s in with_session), days, zone)
    per_day = [
        UsageDay(date=day, minutes=whole_minutes(s), meetings=count)
        for day, s, count in zip(days, seconds, meetings, strict=True)
    ]
    sessions = {stay.session_id for stay in stays if stay.session_id is not None}
    hosted = {stay.session_id for stay in stays if stay.session_id is not None and stay.own_room}
    return MyStatsResponse(
        meetings=len(sessions),
        minutes=sum(day.minutes for day in per_day),
        hosted=len(hosted),
        days=per_day,
    )


@router.get(
    "/api/admin/stats",
    response_model=AdminStatsResponse,
    responses={**UNAUTHORIZED_DOC, 403: error_doc("Not one of the server's admins (`forbidden`)")},
)
async def admin_stats(user: CurrentUser, svc: ServicesDep) -> AdminStatsResponse:
    if user.email.lower() not in svc.settings.admin_emails:
        raise ApiError(403, ErrorCode.FORBIDDEN, "only the server's admins see its statistics")
    now = utcnow()
    today: date = now.astimezone(UTC).date()
    since, until = day_bounds(today, ZoneInfo("UTC"))
    totals = await svc.history.totals()
    active_rooms, active_participants = await svc.rooms.occupancy()
    stays = [(joined, left or now) for joined, left in await svc.history.stays_between(since, until)]
    # Clipped to today: a stay that began yesterday counts from midnight.
    today_stays = [(max(joined, since), min(left, until)) for joined, left in stays]
    minutes = whole_minutes(sum((left - joined).total_seconds() for joined, left in today_stays if left > joined))
    return AdminStatsResponse(
        users=totals.users,
        rooms=totals.rooms,
        active_rooms=active_rooms,
        active_participants=active_participants,
        meetings_today=await svc.history.sessions_between(since, until),
        minutes_today=minutes,
        peak_participants=peak_concurrent(today_stays),
    )
