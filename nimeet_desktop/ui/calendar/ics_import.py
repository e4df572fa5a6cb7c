"""An ``.ics`` file's first VEVENT as a meeting to schedule: title, description, start and end in its TZID,
RRULE, and the attendees' ``mailto:`` addresses. Read with icalendar; nothing here talks to the server."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any, Final
from zoneinfo import ZoneInfo

import icalendar

from nimeet_desktop.net.schedule_api import MeetingDraft

logger = logging.getLogger(__name__)

MAX_ICS_BYTES: Final = 1024 * 1024  # a calendar file with one meeting is a few KiB; more is not what we read


class IcsError(ValueError):
    """Not a calendar file with a meeting in it that has a start."""


def draft_from_ics(data: bytes | str, zone: ZoneInfo) -> MeetingDraft:
    """The first VEVENT of ``data``. A start without a zone (floating) is taken in ``zone``, the user's; an all-day
    event starts at 09:00 there; no end: an hour after the start."""
    if len(data) > MAX_ICS_BYTES:
        raise IcsError("too large")
    try:
        calendar = icalendar.Calendar.from_ical(data)
    # OSError: a TZID naming a folder of the zone database, which icalendar opens as a zone.
    except (ValueError, KeyError, IndexError, TypeError, OSError) as exc:
        raise IcsError(type(exc).__name__) from None
    event = next(iter(calendar.walk("VEVENT")), None)
    if event is None:
        raise IcsError("no VEVENT")
    start = _moment(event.get("DTSTART"), zone)
    if start is None:
        raise IcsError("no DTSTART")
    end = _moment(event.get("DTEND"), zone)
    if end is None or end <= start:
        duration = event.get("DURATION")
        length = duration.dt if duration is not None and isinstance(duration.dt, dt.timedelta) else None
        end = start + (length if length is not None and length > dt.timedelta(0) else dt.timedelta(hours=1))
    rule = event.get("RRULE")
    recurrence = rule.to_ical().decode("ascii") if rule is not None else None
    attendees = event.get("ATTENDEE")
    if attendees is None:
        attendees = []
    elif not isinstance(attendees, list):
        attendees = [attendees]
    emails = tuple(
        dict.fromkeys(
            str(a)[len("mailto:") :] for a in attendees if str(a).lower().startswith("mailto:") and "@" in str(a)
        )
    )
    zone_name = getattr(start.tzinfo, "key", None)
    return MeetingDraft(
        title=str(event.get("SUMMARY", "")).strip(),
        start=start,
        end=end,
        description=str(event.get("DESCRIPTION", "")).strip() or None,
        timezone=zone_name if isinstance(zone_name, str) else zone.key,
        recurrence=recurrence,
        attendees=emails,
    )


def _moment(prop: Any, zone: ZoneInfo) -> dt.datetime | None:
    if prop is None:
        return None
    value = prop.dt
    if isinstance(value, dt.datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=zone)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(9, 0), zone)
    return None
