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
