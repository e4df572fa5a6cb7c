"""Issue 10, item 8: logout and revocation. A token used to work until it expired, whatever happened: now logout
kills it at once, "log out everywhere" kills all of the user's, both survive a restart and reach other server
processes on the same database, and deleting a user (``nimeet-server delete-user``) kills their tokens."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.clients import bearer
from tests.support.server import FAST_ENV, ServerProcess

PASSWORD = "password123"


async def register(client: httpx.AsyncClient, name: str) -> dict[str, Any]:
    r = await client.post(
        "/api/auth/register", json={"username": name, "email": f"{name}@example.test", "password": PASSWORD}
    )
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


async def login(client: httpx.AsyncClient, name: str) -> str:
    r = await client.post("/api/auth/login", json={"email": f"{name}@example.test", "password": PASSWORD})
    assert r.status_code == 200, r.text
    token: str = r.json()["token"]
    return token


async def me(client: httpx.AsyncClient, token: str) -> int:
    return (await client.get("/api/auth/me", headers=bearer(token))).status_code


async def test_logout_kills_that_token_at_once_and_only_it(make_server: Callable[..., ServerProcess]) -> None:
    url = make_server().start()
    async with httpx.AsyncClient(base_url=url) as client:
        first = (await register(client, "leaver"))["token"]
        second = await login(client, "leaver")
        r = await client.post("/api/auth/logout", headers=bearer(first))
        assert r.status_code == 204
        assert r.content == b""
        assert await me(client, first) == 401
        assert (await client.get("/api/rooms", headers=bearer(first))).status_code == 401
        assert (await client.post("/api/auth/logout", headers=bearer(first))).status_code == 401
        assert await me(client, second) == 200  # the user's other session is untouched
        assert (await client.post("/api/auth/logout")).status_code == 401


async def test_logout_all_kills_every_token_of_the_user(make_server: Callable[..., ServerProcess]) -> None:
    url = make_server().start()
    async with httpx.AsyncClient(base_url=url) as client:
        first = (await register(client, "everywhere"))["token"]
        second = await login(client, "everywhere")
        bystander = (await register(client, "bystander"))["token"]
        r = await client.post("/api/auth/logout", json={"all": True}, headers=bearer(second))
        assert r.status_code == 204
        assert await me(client, first) == 401
        assert await me(client, second) == 401
        assert await me(client, bystander) == 200
        # Logging in again right after works: the new token is not caught by the revocation.
        assert await me(client, await login(client, "everywhere")) == 200
        r = await client.post("/api/auth/logout", json={"all": "yes"}, headers=bearer(bystander))
        assert r.status_code == 422


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_revocations_survive_a_restart(
    make_server: Callable[..., ServerProcess], database_url_for: Callable[[str], str], tmp_path: Path, backend: str
) -> None:
    database = database_url_for(backend)
    first = make_server(database_url=database, data_dir=tmp_path / "data")
    url = first.start()
    async with httpx.AsyncClient(base_url=url) as client:
        one = (await register(client, f"restart_one_{backend}"))["token"]
        kept = await login(client, f"restart_one_{backend}")
        everyone = (await register(client, f"restart_all_{backend}"))["token"]
        assert (await client.post("/api/auth/logout", headers=bearer(one))).status_code == 204
        r = await client.post("/api/auth/logout", json={"all": True}, headers=bearer(everyone))
        assert r.status_code == 204
    first.stop_gracefully()
    second = make_server(database_url=database, data_dir=tmp_path / "data")
    url = second.start()
    async with httpx.AsyncClient(base_url=url) as client:
        assert await me(client, one) == 401
        assert await me(client, everyone) == 401
        assert await me(client, kept) == 200


async def test_a_logout_on_one_server_process_reaches_another(
    make_server: Callable[..., ServerProcess], tmp_path: Path
) -> None:
    """Two processes on one database: the second learns of the first's revocation by polling."""
    env = {"NIMEET_REVOCATION_POLL_S": "0.2"}
    a = make_server(env=env, data_dir=tmp_path / "shared")
    b = make_server(env=env, data_dir=tmp_path / "shared")
    url_a, url_b = a.start(), b.start()
    async with httpx.AsyncClient(base_url=url_a) as on_a, httpx.AsyncClient(base_url=url_b) as on_b:
        token = (await register(on_a, "two_nodes"))["token"]
        assert await me(on_b, token) == 200
        assert (await on_a.post("/api/auth/logout", headers=bearer(token))).status_code == 204
        deadline = time.monotonic() + 3
        while await me(on_b, token) != 401:
            assert time.monotonic() < deadline, "the other process never refused the revoked token"
            await asyncio.sleep(0.1)


def delete_user(data_dir: Path, email: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "signaling_server", "--data-dir", str(data_dir), "delete-user", email],
        env={**FAST_ENV, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_delete_user_command_kills_the_users_tokens(
    make_server: Callable[..., ServerProcess], tmp_path: Path
) -> None:
    data = tmp_path / "data"
    server = make_server(env={"NIMEET_REVOCATION_POLL_S": "0.2"}, data_dir=data)
    url = server.start()
    async with httpx.AsyncClient(base_url=url) as client:
        doomed = await register(client, "doomed")
        other = await login(client, "doomed")
        survivor = (await register(client, "survivor"))["token"]
        room = await client.post("/api/rooms/create", json={"name": "goes too"}, headers=bearer(doomed["token"]))
        room_id = room.json()["room"]["roomId"]

        done = await asyncio.to_thread(delete_user, data, "DOOMED@example.test")
        assert done.returncode == 0, done.stderr
        assert doomed["user"]["id"] in done.stdout
        assert "doomed@example.test" not in done.stderr.lower()  # no email in its logs either

        assert await me(client, doomed["token"]) == 401
        assert await me(client, other) == 401
        assert (await client.get(f"/api/rooms/{room_id}", headers=bearer(survivor))).status_code == 404
        assert await me(client, survivor) == 200
        r = await client.post("/api/auth/login", json={"email": "doomed@example.test", "password": PASSWORD})
        assert r.status_code == 401
        # The running server has applied the recorded revocation (what disconnects the user's sockets).
        deadline = time.monotonic() + 3
        while "revocation recorded elsewhere applied" not in "".join(server.stderr_lines):
            assert time.monotonic() < deadline
            await asyncio.sleep(0.1)

    missing = await asyncio.to_thread(delete_user, data, "nobody@example.test")
    assert missing.returncode == 1
    assert "no account" in missing.stderr


async def test_revocations_are_forgotten_once_their_tokens_have_expired(tmp_path: Path) -> None:
    """The registry stays bounded: rows and memory go once every token they concern has expired by itself."""
    from signaling_server.accounts.revocation import Revocations
    from signaling_server.accounts.tokens import Claims
    from signaling_server.db.engine import create_engine, migrate, sessions
    from signaling_server.db.store import Store

    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'r.sqlite3'}")
    try:
        await migrate(engine)
        store = Store(sessions(engine))
        revocations = Revocations(store, token_ttl_s=60)
        now = int(time.time())
        expired = Claims(user_id="u1", issued_at=now - 120, expires_at=now - 60, token_id="old")
        live = Claims(user_id="u1", issued_at=now, expires_at=now + 60, token_id="new")
        await revocations.revoke_token(expired)
        await revocations.revoke_token(live)
        await revocations.revoke_user("u2", now - 120)  # all of u2's tokens expired a minute ago
        assert revocations.is_revoked(expired) and revocations.is_revoked(live)
        assert await store.purge_revocations() == 2
        assert [row.token_id for row in await store.revocations()] == ["new"]
        revocations._forget_expired()
        assert not revocations.is_revoked(expired)
        assert revocations.is_revoked(live)
        assert not revocations.is_revoked(Claims(user_id="u2", issued_at=now - 121, expires_at=now, token_id="x"))
    finally:
        await engine.dispose()
