"""Issue 10, item 13: a failed INSERT logged its parameters, an argon2 hash and an email among them. The engine now
hides statement parameters, whatever makes the statement fail."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from signaling_server.db.engine import create_engine
from tests.security.http_attacks import logged
from tests.support.server import ServerProcess

EMAIL = "secret.person@example.test"


def test_a_failing_registration_logs_no_hash_and_no_email(
    make_server: Callable[..., ServerProcess], tmp_path: Path
) -> None:
    data = tmp_path / "data"
    server = make_server(data_dir=data)
    url = server.start()
    # A column the INSERT needs disappears (a botched manual migration): the statement fails in the database.
    with sqlite3.connect(data / "nimeet.sqlite3") as db:
        db.execute("ALTER TABLE users RENAME COLUMN password_hash TO password_hash_gone")
    r = httpx.post(f"{url}/api/auth/register", json={"username": "secret", "email": EMAIL, "password": "password123"})
    assert r.status_code >= 500
    server.stop()
    log = logged(server)
    assert "$argon2" not in log
    assert EMAIL not in log
    assert "secret.person" not in log


async def test_database_errors_never_carry_parameters(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'x.sqlite3'}")
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE t (email TEXT UNIQUE)"))
            await conn.execute(text("INSERT INTO t VALUES (:email)"), {"email": EMAIL})
        with pytest.raises(DBAPIError) as caught:
            async with engine.begin() as conn:
                await conn.execute(text("INSERT INTO t VALUES (:email)"), {"email": EMAIL})
        assert EMAIL not in str(caught.value)
        assert "hidden" in str(caught.value)
    finally:
        await engine.dispose()
