"""The migrations build exactly the tables the models describe (both backends): a column added to a model without
a migration, or a migration that differs from its model, fails here instead of on someone's server."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection

from signaling_server.db.engine import create_engine, migrate
from signaling_server.db.models import Base


def _differences(connection: Connection) -> list[object]:
    return list(compare_metadata(MigrationContext.configure(connection), Base.metadata))


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_the_migrated_schema_is_the_models_schema(
    backend: str, database_url_for: Callable[[str], str], tmp_path: Path
) -> None:
    engine = create_engine(database_url_for(backend) or f"sqlite+aiosqlite:///{tmp_path / 'schema.sqlite3'}")
    try:
        await migrate(engine)
        async with engine.connect() as connection:
            assert await connection.run_sync(_differences) == []
    finally:
        await engine.dispose()
