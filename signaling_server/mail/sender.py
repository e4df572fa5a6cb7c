"""The server's mail loop: record the reminders that have fallen due, then send what the outbox holds."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Protocol

from icalendar import Calendar

from signaling_server.db.models import utcnow
from signaling_server.mail.outbox import Claimed, Mail, MailOutbox
from signaling_server.tasks import cancel_and_wait

logger = logging.getLogger(__name__)


class Sender(Protocol):
    async def send(self, message: EmailMessage) -> None: ...


class DueReminders(Protocol):
    """The reminders that are due at ``now`` (the scheduling side knows meetings and their occurrences)."""

    async def due(self, now: datetime) -> list[Mail]: ...


class MailService:
    def __init__(
        self,
        outbox: MailOutbox,
        sender: Sender,
        from_address: str,
        poll_s: float,
        reminders: DueReminders | None = None,
    ) -> None:
        self._outbox = outbox
        self._sender = sender
        self._from = from_address
        self._poll_s = poll_s
        self.reminders = reminders  # set after construction when the reminders need this service too
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="mail")

    async def stop(self) -> None:
        task, self._task = self._task, None
        await cancel_and_wait(task)

    async def queue(self, mails: list[Mail]) -> None:
        """Record mail to send now (an invitation, a change, a cancellation) and have the loop send it soon."""
        if await self._outbox.add(mails):
            self._wake.set()

    async def run_once(self, now: datetime | None = None) -> int:
        """One round: record due reminders, send every mail that is due. Returns how many were sent."""
        now = now or utcnow()
        if self.reminders is not None:
            await self._outbox.add(await self.reminders.due(now))
        sent = 0
        while claimed := await self._outbox.claim(now=now):
            for item in claimed:
                sent += await self._send(item)
        return sent

    async def _run(self) -> None:
        rounds = 0
        while True:
            try:
                await self.run_once()
                rounds += 1
                if rounds % 1000 == 0:
                    await self._outbox.purge()
            except Exception:
                # The database is away for a moment (a restart, a full disk): mail waits, nothing is lost.
                logger.exception("mail round failed; trying again later")
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._poll_s)

    async def _send(self, item: Claimed) -> int:
        try:
            await self._sender.send(self._message(item.mail))
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            logger.warning("mail not sent; will try again", extra={"attempt": item.attempt, "error": error[:200]})
            await self._outbox.failed(item.id, item.attempt, error)
            return 0
        await self._outbox.sent(item.id)
        return 1

    def _message(self, mail: Mail) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self._from
        message["To"] = mail.recipient
        message["Subject"] = mail.subject
        message["Date"] = format_datetime(utcnow())
        # The same mail sent twice (a process died between sending and recording it) carries the same Message-ID.
        digest = hashlib.sha256(mail.key.encode()).hexdigest()[:32]
        message["Message-ID"] = f"<{digest}@{self._from.rpartition('@')[2]}>"
        message.set_content(mail.body)
        if mail.calendar is not None:
            method = str(Calendar.from_ical(mail.calendar).get("METHOD", "PUBLISH"))
            message.add_attachment(
                mail.calendar,
                subtype="calendar",
                filename="invite.ics",
                params={"method": method},
            )
        return message
