"""Tables. Timestamps are stored as UTC and always come back timezone-aware, on SQLite too."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UtcDateTime(TypeDecorator[datetime]):
    """SQLite drops the zone of a datetime: store naive UTC everywhere, hand back aware UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    username: Mapped[str] = mapped_column(String(32))
    # "Alice" and "alice" are one name to people: uniqueness is on the lower-cased form.
    username_key: Mapped[str] = mapped_column(String(32), unique=True)
    email: Mapped[str] = mapped_column(String(254))
    # Emails compare case-insensitively: the lower-cased form carries the uniqueness.
    email_key: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class RoomRow(Base):
    __tablename__ = "rooms"

    room_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    is_private: Mapped[bool] = mapped_column(Boolean, default=False)
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    max_participants: Mapped[int] = mapped_column(Integer)
    # v1.1: argon2id hash of the room's password; NULL when it has none.
    password_hash: Mapped[str | None] = mapped_column(String(255), nullable=True, default=None)


class ParticipationRow(Base):
    """One stay of one user in one room: makes "recent rooms" and call durations real."""

    __tablename__ = "participations"
    __table_args__ = (Index("ix_participations_user_joined", "user_id", "joined_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    room_id: Mapped[str] = mapped_column(ForeignKey("rooms.room_id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    joined_at: Mapped[datetime] = mapped_column(UtcDateTime())
    left_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    # v1.1 history: the meeting (session) this stay belonged to (db/history_store.py).
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), nullable=True, index=True, default=None
    )


class SessionRow(Base):
    """One meeting in a room (contract v1.1 history): from the first join into the empty room to the moment it is
    empty again. ``ended_at`` is NULL while it goes on; the partial unique index lets a room have one open session
    only, whichever server process records the join."""

    __tablename__ = "sessions"
    __table_args__ = (
        Index(
            "uq_sessions_open_room",
            "room_id",
            unique=True,
            sqlite_where=text("ended_at IS NULL"),
            postgresql_where=text("ended_at IS NULL"),
        ),
        Index("ix_sessions_room_started", "room_id", "started_at"),
        Index("ix_sessions_started", "started_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    room_id: Mapped[str] = mapped_column(ForeignKey("rooms.room_id", ondelete="CASCADE"))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    peak_participants: Mapped[int] = mapped_column(Integer, default=1)


class PreferencesRow(Base):
    """A user's preferences (contract v1.1) as the JSON object the API answers: one row per user who saved any."""

    __tablename__ = "preferences"

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    data: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class RevocationRow(Base):
    """A revoked token (``token_id``) or every token of a user issued up to ``issued_up_to`` (unix seconds)."""

    __tablename__ = "revocations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(String(32))
    token_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    issued_up_to: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    revoked_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class MailRow(Base):
    """One email to send (a reminder, an invitation, a change or cancellation notice), kept until it is sent.

    ``key`` names the mail (its kind, meeting, occurrence and recipient): unique, so however many server processes
    notice the same due reminder, one row exists. A sender claims a row by setting ``lease_until`` in a conditional
    update; a process that dies holding a lease only delays the mail until the lease runs out."""

    __tablename__ = "mail_outbox"
    __table_args__ = (Index("ix_mail_outbox_pending", "sent_at", "not_before"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(255), unique=True)
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    # An iCalendar attachment (the meeting's event, METHOD:REQUEST or CANCEL), or None.
    calendar: Mapped[str | None] = mapped_column(Text, nullable=True)
    not_before: Mapped[datetime] = mapped_column(UtcDateTime())
    # Past this it is pointless (a reminder after the meeting began): dropped unsent.
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(300), nullable=True)


class HealthRow(Base):
    __tablename__ = "health"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    checked_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ScheduledMeetingRow(Base):
    """A meeting planned ahead in a room (contract v1.1 "Scheduling"). ``start_at``/``end_at`` are the first
    occurrence; ``timezone`` is the IANA zone its ``recurrence`` (an RRULE, or NULL) is expanded in, so that a 10:00
    meeting stays at 10:00 local across daylight-saving changes. ``series_end`` is the end of the last occurrence
    (every series ends: COUNT or UNTIL), so a window query never has to expand a series it cannot overlap."""

    __tablename__ = "scheduled_meetings"
    __table_args__ = (Index("ix_scheduled_meetings_room_span", "room_id", "start_at", "series_end"),)

    meeting_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    room_id: Mapped[str] = mapped_column(ForeignKey("rooms.room_id", ondelete="CASCADE"))
    organizer_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    start_at: Mapped[datetime] = mapped_column(UtcDateTime())
    end_at: Mapped[datetime] = mapped_column(UtcDateTime())
    series_end: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    timezone: Mapped[str] = mapped_column(String(64))
    recurrence: Mapped[str | None] = mapped_column(Text, nullable=True)
    reminder_minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class MeetingAttendeeRow(Base):
    """One invited person. ``user_id`` is set when the invitation named an account (its username, or the email it
    registered with); a deleted account takes its invitations with it (CASCADE), as it takes its rooms."""

    __tablename__ = "meeting_attendees"
    __table_args__ = (UniqueConstraint("meeting_id", "email_key", name="uq_meeting_attendees_email"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    meeting_id: Mapped[str] = mapped_column(ForeignKey("scheduled_meetings.meeting_id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(254))
    email_key: Mapped[str] = mapped_column(String(254))
    user_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=True, default=None, index=True
    )
    response: Mapped[str] = mapped_column(String(16))
