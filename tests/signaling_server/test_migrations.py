"""Alembic upgrades a database that has data in it (both backends): from the schema before version 1.1's meetings
(revision 0002) to the newest, nothing lost, the new parts empty."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import create_async_engine

from signaling_server.db.engine import MIGRATIONS, migrate


def _upgrade_to(revision: str) -> Callable[[Connection], None]:
    def upgrade(connection: Connection) -> None:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    return upgrade


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_an_old_database_with_data_upgrades_to_the_newest_schema(
    backend: str, database_url_for: Callable[[str], str], tmp_path_factory: pytest.TempPathFactory
) -> None:
    url = database_url_for(backend) or f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('old') / 'old.sqlite3'}"
    engine = create_async_engine(url)
    now = datetime(2026, 11, 1, 12, 0)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_upgrade_to("0002"))
            await conn.execute(
                text(
                    "INSERT INTO users (id, username, username_key, email, email_key, password_hash, created_at)"
                    " VALUES ('u1', 'Ada', 'ada', 'ada@example.org', 'ada@example.org', 'hash', :now)"
                ),
                {"now": now},
            )
            await conn.execute(
                text(
                    "INSERT INTO rooms (room_id, name, description, is_private, owner_id, created_at, max_participants)"
                    " VALUES ('r1', 'Standup', 'daily', false, 'u1', :now, 8)"
                ),
                {"now": now},
            )
        await migrate(engine)
        async with engine.connect() as conn:
            room = (await conn.execute(text("SELECT name, description, owner_id, password_hash FROM rooms"))).one()
            assert tuple(room) == ("Standup", "daily", "u1", None)
            assert (await conn.execute(text("SELECT username FROM users"))).scalar_one() == "Ada"
            assert (await conn.execute(text("SELECT count(*) FROM preferences"))).scalar_one() == 0
            for table in ("scheduled_meetings", "meeting_attendees"):  # 0005: scheduling
                assert (await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one() == 0  # noqa: S608
            version = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar_one()
        await migrate(engine)  # again: nothing to do
        async with engine.connect() as conn:
            assert (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar_one() == version
    finally:
        await engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_stays_recorded_before_sessions_existed_become_sessions(
    backend: str, database_url_for: Callable[[str], str], tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Revision 0006: per room, overlapping or touching stays are one meeting with the most at once as its peak; a
    stay still open makes its room's one open session."""
    url = database_url_for(backend) or f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('stays') / 'old.sqlite3'}"
    engine = create_async_engine(url)
    day = datetime(2026, 11, 2)
    stays = [  # room, user, joined (hour, minute), left (hour, minute) or None
        ("r1", "u1", (10, 0), (10, 30)),
        ("r1", "u2", (10, 20), (11, 0)),  # overlaps the first: the same meeting, two at once
        ("r1", "u1", (11, 0), (11, 10)),  # begins as the room empties: still the same meeting
        ("r1", "u2", (12, 0), (12, 5)),  # the room was empty in between: a second meeting
        ("r2", "u1", (10, 0), None),  # still open: the server had stopped without closing it
        ("r2", "u2", (10, 5), None),
    ]
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_upgrade_to("0004"))
            for user in ("u1", "u2"):
                await conn.execute(
                    text(
                        "INSERT INTO users (id, username, username_key, email, email_key, password_hash, created_at)"
                        " VALUES (:id, :id, :id, :email, :email, 'hash', :now)"
                    ),
                    {"id": user, "email": f"{user}@example.org", "now": day},
                )
            for room in ("r1", "r2"):
                await conn.execute(
                    text(
                        "INSERT INTO rooms (room_id, name, is_private, owner_id, created_at, max_participants)"
                        " VALUES (:room, 'Room', false, 'u1', :now, 8)"
                    ),
                    {"room": room, "now": day},
                )
            for room, user, joined, left in stays:
                await conn.execute(
                    text(
                        "INSERT INTO participations (room_id, user_id, joined_at, left_at)"
                        " VALUES (:room, :user, :joined, :left)"
                    ),
                    {
                        "room": room,
                        "user": user,
                        "joined": day.replace(hour=joined[0], minute=joined[1]),
                        "left": None if left is None else day.replace(hour=left[0], minute=left[1]),
                    },
                )
        await migrate(engine)
        async with engine.connect() as conn:
            sessions = (
                await conn.execute(
                    text(
                        "SELECT id, room_id, started_at, ended_at, peak_participants FROM sessions"
                        " ORDER BY started_at, room_id"
                    )
                )
            ).all()
            by_stay = (await conn.execute(text("SELECT session_id FROM participations ORDER BY id"))).scalars().all()

        def at(hour: int, minute: int) -> datetime:
            return day.replace(hour=hour, minute=minute)

        described = [(room, _naive(start), _naive(end), peak) for _, room, start, end, peak in sessions]
        assert described == [
            ("r1", at(10, 0), at(11, 10), 2),
            ("r2", at(10, 0), None, 2),
            ("r1", at(12, 0), at(12, 5), 1),
        ]
        first, open_one, second = (row[0] for row in sessions)
        assert by_stay == [first, first, first, second, open_one, open_one]
    finally:
        await engine.dispose()


def _naive(value: datetime | str | None) -> datetime | None:
    """SQLite hands back text, PostgreSQL a datetime: both as a naive UTC datetime."""
    if value is None:
        return None
    return datetime.fromisoformat(value) if isinstance(value, str) else value
