"""The words of each mail the server sends about a scheduled meeting (plain text; the event itself rides along as
an iCalendar attachment, so calendars file it without anyone reading the text)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from signaling_server.mail.outbox import Mail

Notice = Literal["invited", "changed", "cancelled"]

# A notice about a meeting is worth sending for this long; after that the meeting itself tells.
NOTICE_LIFETIME = timedelta(days=7)

_FREQUENCY_WORDS = {"DAILY": "daily", "WEEKLY": "weekly", "MONTHLY": "monthly"}


@dataclass(frozen=True)
class MeetingFacts:
    """What a mail says about one meeting."""

    meeting_id: str
    title: str
    description: str | None
    timezone: str
    organizer: str
    join_url: str
    recurrence: str | None


def when(start: datetime, end: datetime, timezone: str) -> str:
    """``Thursday 3 December 2026, 10:00–10:30 (Europe/Berlin)`` in the meeting's own zone (``start``/``end`` are
    already in it). English month and day names whatever the server's locale: strftime's C names, on purpose."""
    return f"{start:%A} {start.day} {start:%B %Y, %H:%M}–{end:%H:%M} ({timezone})"


def _repeats(recurrence: str | None) -> str | None:
    if recurrence is None:
        return None
    for part in recurrence.split(";"):
        name, _, value = part.partition("=")
        if name.upper() == "FREQ" and value.upper() in _FREQUENCY_WORDS:
            return f"Repeats {_FREQUENCY_WORDS[value.upper()]}."
    return None


def _body(meeting: MeetingFacts, lines: list[str]) -> str:
    parts = [*lines, "", f"Join: {meeting.join_url}", f"Organizer: {meeting.organizer}"]
    if repeats := _repeats(meeting.recurrence):
        parts.append(repeats)
    if meeting.description:
        parts += ["", meeting.description]
    parts += ["", "-- ", "NIMeet"]
    return "\n".join(parts) + "\n"


def reminder(meeting: MeetingFacts, start: datetime, end: datetime, minutes: int, recipient: str) -> Mail:
    """The reminder ``minutes`` before one occurrence (``start``/``end`` in the meeting's zone): due from then until
    the occurrence starts, one per occurrence and recipient."""
    remind_at = start - timedelta(minutes=minutes)
    return Mail(
        key=f"reminder:{meeting.meeting_id}:{start.isoformat()}:{recipient.lower()}",
        recipient=recipient,
        subject=f"Reminder: {meeting.title} at {start:%H:%M} ({meeting.timezone})",
        body=_body(meeting, [f"{meeting.title}", when(start, end, meeting.timezone)]),
        calendar=None,
        not_before=remind_at,
        expires_at=start,
    )


def notice(
    kind: Notice,
    meeting: MeetingFacts,
    start: datetime,
    end: datetime,
    recipient: str,
    version: datetime,
    calendar: str | None,
    now: datetime,
) -> Mail:
    """An invitation, change or cancellation notice about the meeting first starting at ``start``, for the
    meeting as it stood at ``version`` (its ``updatedAt``): one mail per version and recipient."""
    subject, opening = {
        "invited": (f"Invitation: {meeting.title}", f"{meeting.organizer} invites you to {meeting.title}."),
        "changed": (f"Changed: {meeting.title}", f"{meeting.organizer} changed {meeting.title}."),
        "cancelled": (f"Cancelled: {meeting.title}", f"{meeting.organizer} cancelled {meeting.title}."),
    }[kind]
    return Mail(
        key=f"{kind}:{meeting.meeting_id}:{version.isoformat()}:{recipient.lower()}",
        recipient=recipient,
        subject=subject,
        body=_body(meeting, [opening, when(start, end, meeting.timezone)]),
        calendar=calendar,
        not_before=now,
        expires_at=now + NOTICE_LIFETIME,
    )
