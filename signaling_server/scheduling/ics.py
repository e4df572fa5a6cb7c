"""A scheduled meeting as an iCalendar file (RFC 5545) that other calendars import: one VEVENT, with the VTIMEZONE
of its zone so that a calendar without that zone's rules still places every occurrence at the right local time."""

from __future__ import annotations

from datetime import timedelta

from icalendar import Alarm, Calendar, Event, vCalAddress, vRecur

from signaling_server.db.schedule_store import Meeting

PRODID = "-//NIMeet//Scheduling//EN"
_PARTSTAT = {"needs-action": "NEEDS-ACTION", "accepted": "ACCEPTED", "declined": "DECLINED"}


def meeting_ics(meeting: Meeting, organizer_email: str, organizer_name: str, url: str, host: str) -> bytes:
    """The ``.ics`` of ``meeting``. ``url``: the room's inviteUrl; ``host``: the server's host name, which makes the
    UID unique beyond this server (RFC 5545 suggests ``id@domain``)."""
    ics: bytes = meeting_calendar(meeting, organizer_email, organizer_name, url, host).to_ical()
    return ics


def meeting_calendar(meeting: Meeting, organizer_email: str, organizer_name: str, url: str, host: str) -> Calendar:
    """The calendar ``meeting_ics`` writes, as an object (mail adds its METHOD to it before writing it)."""
    plan = meeting.plan
    series = meeting.series()
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    event = Event()
    event.add("uid", f"{meeting.meeting_id}@{host}")
    event.add("dtstamp", meeting.updated_at)
    event.add("created", meeting.created_at)
    event.add("last-modified", meeting.updated_at)
    # Local times in the meeting's zone: icalendar writes TZID=<zone> (UTC as …Z), and the RRULE repeats that
    # local time, as the server expands it.
    event.add("dtstart", plan.start.astimezone(series.tz))
    event.add("dtend", plan.end.astimezone(series.tz))
    if plan.recurrence is not None:
        event.add("rrule", vRecur.from_ical(plan.recurrence))
    event.add("summary", plan.title)
    if plan.description:
        event.add("description", plan.description)
    event.add("status", "CANCELLED" if meeting.status == "cancelled" else "CONFIRMED")
    event.add("organizer", vCalAddress(f"mailto:{organizer_email}"), parameters={"CN": organizer_name})
    for attendee in meeting.attendees:
        params = {"PARTSTAT": _PARTSTAT[attendee.response], "ROLE": "REQ-PARTICIPANT", "CUTYPE": "INDIVIDUAL"}
        if attendee.username:
            params["CN"] = attendee.username
        event.add("attendee", vCalAddress(f"mailto:{attendee.email}"), parameters=params)
    event.add("url", url)
    event.add("location", url)  # calendars that show no URL still show where to join
    if plan.reminder_minutes is not None:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", plan.title)
        alarm.add("trigger", -timedelta(minutes=plan.reminder_minutes))
        event.add_component(alarm)
    calendar.add_component(event)
    # The zone's rules over the meeting's own span only (icalendar's default, 1970–2038, is a hundred lines of
    # transitions and misses meetings after 2038); a day either side covers any offset.
    calendar.add_missing_timezones(
        first_date=plan.start.astimezone(series.tz).date() - timedelta(days=1),
        last_date=series.last_end().astimezone(series.tz).date() + timedelta(days=1),
    )
    return calendar
