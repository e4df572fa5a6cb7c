"""Engine creation and schema migration on start."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any
from urllib.parse import quote

from alembic import command
from alembic.config import Config
from sqlalchemy import event, exc
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

logger = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).with_name("migrations")
DEFAULT_BUSY_TIMEOUT_S = 2.0


def create_engine(url: str, busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S) -> AsyncEngine:
    """The async engine for ``url``. Statement parameters are never shown in errors or logs: a failed INSERT would
    otherwise print a password hash and an email."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            path = Path(database)
            _create_private(path)
            # ``mode=rw``: the file exists now, and from here on a missing file is an error (503), not a new empty
            # database that accepts registrations and is later lost. The busy timeout is short so that a locked
            # database answers 503 quickly instead of holding a request (and a join ack) for 30 s.
            must_exist = parsed.set(database=f"file:{quote(str(path.resolve()))}", query={"mode": "rw", "uri": "true"})
            engine = create_async_engine(must_exist, connect_args={"timeout": busy_timeout_s}, hide_parameters=True)
            event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
            _refuse_replaced_file(engine, path)
            return engine
        engine = create_async_engine(url, connect_args={"timeout": busy_timeout_s}, hide_parameters=True)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10, hide_parameters=True)


def _create_private(path: Path) -> None:
    """Create the database file (and its directory) readable by the owner only; SQLite gives its -wal and -shm
    files the database file's mode."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    os.close(fd)  # an empty file is an empty SQLite database


def _refuse_replaced_file(engine: AsyncEngine, path: Path) -> None:
    """A pooled connection keeps writing to a database file that was deleted (or replaced) under it, and what it
    writes is lost when it closes. Each checkout (two system calls) checks the file is still the one the connection
    opened; if not, the connection is dropped and a new one is opened, which fails (``mode=rw``) when the file is
    gone."""

    def identity() -> tuple[int, int] | None:
        try:
            st = os.stat(path)
        except OSError:
            return None
        return st.st_dev, st.st_ino

    def on_connect(_dbapi_conn: Any, record: Any) -> None:
        record.info["file"] = identity()
        record.info["writable"] = os.access(path, os.W_OK)

    def on_checkout(_dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        now = identity()
        if now is None or now != record.info.get("file"):
            raise exc.DisconnectionError("the database file was removed or replaced")
        if os.access(path, os.W_OK) != record.info.get("writable"):
            # Made read-only (chmod, chattr +i) since the connection opened it, or writable again: a new
            # connection opens it as it is now, so writes fail (503) rather than go on through the old descriptor.
            raise exc.DisconnectionError("the database file's writability changed")

    event.listen(engine.sync_engine, "connect", on_connect)
    event.listen(engine.sync_engine, "checkout", on_checkout)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    # WAL lets readers (room look-ups) go on while a join is being written; FKs are off by default in SQLite.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def migrate(engine: AsyncEngine) -> None:
    """Bring the schema to the newest revision (idempotent)."""
    async with engine.begin() as conn:
        await conn.run_sync(_upgrade)
    logger.info("database schema is current", extra={"backend": engine.dialect.name})


def _upgrade(connection: Connection) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
