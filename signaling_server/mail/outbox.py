"""Mail waiting to be sent, in the database: a mail is recorded once (by its key) and claimed by one sender at a
time, so several server processes sharing a database send each mail once, and a restart loses none.

Delivery is at least once in one case only: a process that dies after the SMTP server accepted a mail and before
it recorded the mail as sent. The lease then runs out and another sender sends it again, with the same
Message-ID, which lets the receiving side drop the repeat."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from signaling_server.db.models import MailRow, utcnow

logger = logging.getLogger(__name__)

# Sending one mail takes seconds at most (smtp.SEND_TIMEOUT_S is 30): a lease outlives it with room to spare.
LEASE = timedelta(minutes=2)
# A refused or failed send is tried again after 1, 2, 4 … minutes, at most this many times in all.
MAX_ATTEMPTS = 6
# Sent mail is kept this long (so a late duplicate "due" sighting still finds its key), then forgotten.
KEEP_SENT = timedelta(days=40)


@dataclass(frozen=True)
class Mail:
    key: str
    recipient: str
    subject: str
    body: str
    calendar: str | None
    not_before: datetime
    expires_at: datetime


@dataclass(frozen=True)
class Claimed:
    id: int
    mail: Mail
    attempt: int


class MailOutbox:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], dialect: str) -> None:
        self._sessions = sessions
        # INSERT … ON CONFLICT DO NOTHING is spelled by each dialect's own insert().
        self._insert = postgresql.insert if dialect == "postgresql" else sqlite.insert

    async def add(self, mails: list[Mail]) -> int:
        """Record the mails not recorded yet (by key); returns how many were new."""
        if not mails:
            return 0
        now = utcnow()
        added = 0
        async with self._sessions() as s:
            for mail in mails:
                statement = (
                    self._insert(MailRow)
                    .values(
                        key=mail.key,
                        recipient=mail.recipient,
                        subject=mail.subject,
                        body=mail.body,
                        calendar=mail.calendar,
                        not_before=mail.not_before,
                        expires_at=mail.expires_at,
                        created_at=now,
                        attempts=0,
                    )
                    # Another process recording the same mail at the same moment: the database keeps one.
                    .on_conflict_do_nothing(index_elements=["key"])
                )
                result = await s.execute(statement)
                added += int(getattr(result, "rowcount", 0) or 0)
            await s.commit()
        return added

    async def claim(self, limit: int = 20, now: datetime | None = None) -> list[Claimed]:
        """Take up to ``limit`` due mails for this process: each one is held by one sender until its lease ends."""
        now = now or utcnow()
        due = (
            MailRow.sent_at.is_(None),
            MailRow.not_before <= now,
            MailRow.expires_at > now,
            MailRow.attempts < MAX_ATTEMPTS,
            or_(MailRow.lease_until.is_(None), MailRow.lease_until <= now),
        )
        claimed: list[Claimed] = []
        async with self._sessions() as s:
            rows = list((await s.execute(select(MailRow).where(*due).order_by(MailRow.id).limit(limit))).scalars())
            for row in rows:
                # Read before the update, which refreshes the row object in this session.
                candidate = Claimed(row.id, _mail_of(row), row.attempts + 1)
                # Conditional on the row still being due: of two processes racing for it, one updates it.
                result = await s.execute(
                    update(MailRow)
                    .where(MailRow.id == row.id, *due)
                    .values(lease_until=now + LEASE, attempts=MailRow.attempts + 1)
                    .execution_options(synchronize_session=False)
                )
                if getattr(result, "rowcount", 0) == 1:
                    claimed.append(candidate)
                await s.commit()
        return claimed

    async def sent(self, mail_id: int) -> None:
        async with self._sessions() as s:
            await s.execute(update(MailRow).where(MailRow.id == mail_id).values(sent_at=utcnow(), last_error=None))
            await s.commit()

    async def failed(self, mail_id: int, attempt: int, error: str) -> None:
        """Try again later, backing off: the lease is stretched to the next attempt's time."""
        retry_at = utcnow() + timedelta(minutes=2 ** (attempt - 1))
        async with self._sessions() as s:
            await s.execute(
                update(MailRow).where(MailRow.id == mail_id).values(lease_until=retry_at, last_error=error[:300])
            )
            await s.commit()

    async def purge(self, now: datetime | None = None) -> int:
        """Forget mail sent long ago and mail that can no longer be sent (expired, or out of attempts)."""
        now = now or utcnow()
        async with self._sessions() as s:
            result = await s.execute(
                delete(MailRow).where(
                    or_(
                        MailRow.sent_at < now - KEEP_SENT,
                        (MailRow.sent_at.is_(None)) & (MailRow.expires_at < now - KEEP_SENT),
                    )
                )
            )
            await s.commit()
            return int(getattr(result, "rowcount", 0) or 0)

    async def pending(self) -> list[MailRow]:
        """Every mail not sent yet (for tests and the admin's eyes)."""
        async with self._sessions() as s:
            return list((await s.execute(select(MailRow).where(MailRow.sent_at.is_(None)))).scalars())


def _mail_of(row: MailRow) -> Mail:
    return Mail(row.key, row.recipient, row.subject, row.body, row.calendar, row.not_before, row.expires_at)
