"""Mail about scheduled meetings: the invitation, change and cancellation notices the REST routes ask for (the
``MeetingMail`` seam in ``services``), and the reminders the mail loop finds due. Both only record mail in the
outbox; the mail loop sends it, once, from whichever process claims it."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from signaling_server.config import Settings
from signaling_server.db.models import UserRow, utcnow
from signaling_server.db.schedule_store import REMINDER_MAX, Meeting, ScheduleStore
from signaling_server.db.store import Store
from signaling_server.join_links import invite_url
from signaling_server.mail.compose import MeetingFacts, Notice, notice, reminder
from signaling_server.mail.outbox import Mail
from signaling_server.mail.sender import MailService
from signaling_server.scheduling.ics import meeting_calendar


def reminder_base_url(settings: Settings) -> str:
    """Where people reach this server when no request says it (the reminder loop): ``NIMEET_PUBLIC_URL``, else the
    address the server listens on (right for the machine itself, which is all a server without one serves)."""
    if settings.public_url:
        return settings.public_url
    scheme = "https" if settings.tls_cert is not None else "http"
    return f"{scheme}://{settings.host}:{settings.port}"


class MeetingMailer:
    """Writes the mails; ``notices`` and ``reminders`` are the two ways in."""

    def __init__(self, store: Store, schedule: ScheduleStore, service: MailService, settings: Settings) -> None:
        self._store = store
        self._schedule = schedule
        self._service = service
        self._settings = settings
        # Reminders are looked for from here on (each round from where the last ended); the first round looks a
        # whole reminder lead back, so one that fell due while no server ran still goes out before its meeting.
        self._since: datetime | None = None

    # ---- services.MeetingMail: called by the REST routes after each change is committed ----

    async def meeting_created(self, meeting: Meeting, base_url: str) -> None:
        await self._notify("invited", meeting, [a.email for a in meeting.attendees], base_url)

    async def meeting_changed(self, before: Meeting, after: Meeting, base_url: str) -> None:
        staying = [a.email for a in after.attendees]
        kept = {email.lower() for email in staying}
        removed = [a.email for a in before.attendees if a.email.lower() not in kept]
        was = {a.email.lower() for a in before.attendees}
        # Someone added is invited; someone who stays is told what changed; someone taken off is told it is off.
        await self._notify("invited", after, [e for e in staying if e.lower() not in was], base_url)
        await self._notify("changed", after, [e for e in staying if e.lower() in was], base_url)
        await self._notify("cancelled", before, removed, base_url, version=after.updated_at)

    async def meeting_cancelled(self, meeting: Meeting, base_url: str) -> None:
        await self._notify("cancelled", meeting, [a.email for a in meeting.attendees], base_url)

    # ---- sender.DueReminders: called by the mail loop each round ----

    async def due(self, now: datetime) -> list[Mail]:
        since = self._since if self._since is not None else now - REMINDER_MAX
        found = await self._schedule.reminders_due(since, now)
        self._since = now
        mails: list[Mail] = []
        base = reminder_base_url(self._settings)
        for due in found:
            if due.occurrence_start <= now:
                continue  # it has begun: a reminder now would only be noise
            meeting = due.meeting
            found_facts = await self._facts(meeting, base)
            if found_facts is None:
                continue
            facts, organizer = found_facts
            minutes = meeting.plan.reminder_minutes
            assert minutes is not None
            recipients = [organizer.email] + [a.email for a in meeting.attendees if a.response != "declined"]
            for recipient in _unique(recipients):
                mails.append(reminder(facts, due.occurrence_start, due.occurrence_end, minutes, recipient))
        return mails

    # ---- the words ----

    async def _notify(
        self,
        kind: Notice,
        meeting: Meeting,
        recipients: list[str],
        base_url: str,
        *,
        version: datetime | None = None,
    ) -> None:
        if not recipients:
            return
        found_facts = await self._facts(meeting, base_url)
        if found_facts is None:
            return
        facts, organizer = found_facts
        calendar = meeting_calendar(
            meeting, organizer.email, organizer.username, facts.join_url, urlsplit(base_url).hostname or "nimeet"
        )
        # METHOD:REQUEST files or updates the event in the recipient's calendar; METHOD:CANCEL takes it out.
        calendar.add("method", "CANCEL" if kind == "cancelled" else "REQUEST")
        if kind == "cancelled":
            for event in calendar.walk("VEVENT"):
                event["status"] = "CANCELLED"
        ics = calendar.to_ical().decode()
        zone = meeting.series().tz
        start, end = meeting.plan.start.astimezone(zone), meeting.plan.end.astimezone(zone)
        stamp = version or meeting.updated_at
        now = utcnow()
        mails = [notice(kind, facts, start, end, r, stamp, ics, now) for r in _unique(recipients)]
        await self._service.queue(mails)

    async def _facts(self, meeting: Meeting, base_url: str) -> tuple[MeetingFacts, UserRow] | None:
        """What a mail says of ``meeting``, and its organizer; None once the organizer's account is gone (and its
        meetings with it)."""
        organizer = await self._store.user_by_id(meeting.organizer_id)
        if organizer is None:
            return None
        plan = meeting.plan
        facts = MeetingFacts(
            meeting_id=meeting.meeting_id,
            title=plan.title,
            description=plan.description,
            timezone=plan.timezone,
            organizer=organizer.username,
            join_url=invite_url(base_url, meeting.room_id),
            recurrence=plan.recurrence,
        )
        return facts, organizer


def _unique(emails: list[str]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for email in emails:
        if email.lower() not in seen:
            seen.add(email.lower())
            out.append(email)
    return out
