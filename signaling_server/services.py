"""The server's long-lived parts, built once per app and shared by REST routes and socket handlers."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from sqlalchemy.ext.asyncio import AsyncEngine

from signaling_server import datadir
from signaling_server.accounts.passwords import Passwords
from signaling_server.accounts.revocation import Revocations
from signaling_server.accounts.tokens import Tokens, load_or_create_key
from signaling_server.config import Settings
from signaling_server.db.engine import create_engine, sessions
from signaling_server.db.history_store import HistoryStore
from signaling_server.db.schedule_store import Meeting, ScheduleStore
from signaling_server.db.store import Store
from signaling_server.mail.meetings import MeetingMailer
from signaling_server.mail.outbox import MailOutbox
from signaling_server.mail.sender import MailService
from signaling_server.mail.smtp import Mailer, parse_smtp_url
from signaling_server.meeting_files import MeetingFiles
from signaling_server.metrics import Metrics
from signaling_server.protocol import ChatMessage, Room
from signaling_server.ratelimit import Budget, RateLimiter
from signaling_server.signaling.state import MemoryRoomState, RoomState

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from signaling_server.signaling.nodes import Nodes


@dataclass
class Limits:
    register: Budget
    login: Budget
    create_room: Budget
    # Joins per account (the socket side's; per second with a burst in the settings).
    join: Budget


def _limits(settings: Settings, redis: Redis | None) -> Limits:
    """In this process, or in the Redis several nodes share (one budget per client across them)."""
    budgets = {
        "register": (settings.register_per_min, None),
        "login": (settings.login_per_min, None),
        "create_room": (settings.create_room_per_min, None),
        "join": (settings.join_rate_per_s * 60, settings.join_burst),
    }
    if redis is None:
        return Limits(**{name: RateLimiter(rate, burst=burst) for name, (rate, burst) in budgets.items()})
    from signaling_server.shared_limits import SharedRateLimiter

    return Limits(**{name: SharedRateLimiter(redis, name, rate, burst) for name, (rate, burst) in budgets.items()})


class MeetingEvents(Protocol):
    """What REST routes tell the people in a room (the socket side implements it: ``signaling/meetings.py``)."""

    async def room_updated(self, room: Room) -> None: ...

    async def room_deleted(self, room_id: str) -> None: ...

    async def file_posted(self, room_id: str, message: ChatMessage) -> None:
        """Post a shared file's room-wide chat message (the file is already recorded in the meeting)."""
        ...


class MeetingMail(Protocol):
    """Mail about scheduled meetings (contract v1.1 "Scheduling"): the REST routes call it after each change is
    committed. ``base_url`` is where people reach this server (for the room's ``inviteUrl``). Implementations queue
    and return at once (a request never waits on SMTP) and never raise. ``Services.mail`` is None without SMTP."""

    async def meeting_created(self, meeting: Meeting, base_url: str) -> None: ...

    async def meeting_changed(self, before: Meeting, after: Meeting, base_url: str) -> None: ...

    async def meeting_cancelled(self, meeting: Meeting, base_url: str) -> None: ...


@dataclass
class Services:
    settings: Settings
    engine: AsyncEngine
    store: Store
    passwords: Passwords
    tokens: Tokens
    revocations: Revocations
    rooms: RoomState
    limits: Limits
    files: MeetingFiles
    schedule: ScheduleStore
    history: HistoryStore
    metrics: Metrics
    # Set by the socket side once it is built (REST routes run only after that).
    meetings: MeetingEvents | None = None
    # Scheduling's mail (invitations, changes, cancellations); None when no SMTP is configured.
    mail: MeetingMail | None = None
    # The loop that records due reminders and sends the outbox; None unless NIMEET_SMTP_URL is set (then no mail
    # is ever attempted).
    mail_loop: MailService | None = None
    # Several nodes (NIMEET_REDIS_URL): the shared Redis and this node's heartbeat; None for one process.
    redis: Redis | None = None
    nodes: Nodes | None = None


def _shared(settings: Settings) -> tuple[Redis, Nodes, RoomState]:
    """Several nodes: the Redis they share, this node's place among them, and the room state kept there. Imported
    here, not at the top: the embedded single-process server (and the desktop app that bundles it) never needs
    redis-py."""
    from signaling_server import redis_client
    from signaling_server.signaling.nodes import Nodes
    from signaling_server.signaling.redis_state import RedisRoomState

    assert settings.redis_url is not None
    redis = redis_client.connect(settings.redis_url.get_secret_value())
    rooms = RedisRoomState(redis, node_id=uuid.uuid4().hex)
    return redis, Nodes(redis, rooms, settings.node_heartbeat_s, settings.node_timeout_s), rooms


def build_services(settings: Settings) -> Services:
    if settings.jwt_secret is None or not settings.database_url:
        datadir.secure(settings.data_dir)
    if settings.jwt_secret is not None:
        key = settings.jwt_secret.get_secret_value().encode()
    else:
        key = load_or_create_key(settings.data_dir)
    engine = create_engine(settings.resolved_database_url(), settings.db_busy_timeout_s)
    factory = sessions(engine)
    store = Store(factory)
    redis, nodes, rooms = _shared(settings) if settings.redis_url is not None else (None, None, MemoryRoomState())
    services = Services(
        settings=settings,
        engine=engine,
        store=store,
        passwords=Passwords(settings.argon2_time_cost, settings.argon2_memory_kib, settings.argon2_parallelism),
        tokens=Tokens(key, settings.token_ttl_s),
        revocations=Revocations(store, settings.token_ttl_s, settings.revocation_poll_s),
        rooms=rooms,
        limits=_limits(settings, redis),
        files=MeetingFiles(settings.data_dir, settings.max_file_bytes),
        schedule=ScheduleStore(factory),
        history=HistoryStore(factory),
        metrics=Metrics(),
        redis=redis,
        nodes=nodes,
    )
    if settings.smtp_url is not None:
        loop = MailService(
            MailOutbox(factory, engine.dialect.name),
            Mailer(parse_smtp_url(settings.smtp_url.get_secret_value())),
            settings.mail_sender(),
            settings.mail_poll_s,
        )
        # One object both records the REST routes' notices and finds the reminders due each round.
        services.mail = loop.reminders = MeetingMailer(services.store, services.schedule, loop, settings)
        services.mail_loop = loop
    return services
