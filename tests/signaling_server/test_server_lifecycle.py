"""Servers of their own: restarts on one database, rate limits, ICE config, KDF upgrades, the CLI."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import os
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import socketio

from tests.support.clients import Peer, bearer
from tests.support.server import ServerProcess
from tests.support.system_packages import POSTGRESQL, require


def register(url: str, name: str, password: str = "password123") -> dict[str, Any]:
    r = httpx.post(
        f"{url}/api/auth/register", json={"username": name, "email": f"{name}@example.test", "password": password}
    )
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_restart_keeps_users_rooms_and_tokens(
    make_server: Callable[..., ServerProcess], database_url_for: Callable[[str], str], tmp_path: Path, backend: str
) -> None:
    url_db = database_url_for(backend)
    first = make_server(database_url=url_db, data_dir=tmp_path / "data")
    url = first.start()
    alice = register(url, "alice_restart")
    room = httpx.post(f"{url}/api/rooms/create", json={"name": "kept"}, headers=bearer(alice["token"])).json()
    peer = await Peer(url, alice["token"]).connect()
    assert (await peer.join(room["room"]["roomId"]))["ok"]
    first.stop_gracefully()
    await peer.close()

    second = make_server(database_url=url_db, data_dir=tmp_path / "data")
    url = second.start(port=first.port if backend == "sqlite" else 0)
    r = httpx.get(f"{url}/api/auth/me", headers=bearer(alice["token"]))  # old token still valid
    assert r.status_code == 200
    assert r.json()["user"] == alice["user"]
    r = httpx.post(f"{url}/api/auth/login", json={"email": "alice_restart@example.test", "password": "password123"})
    assert r.status_code == 200
    r = httpx.get(f"{url}/api/rooms/{room['room']['roomId']}", headers=bearer(alice["token"]))
    # The invitation follows the address the server is reached at now (no NIMEET_PUBLIC_URL here); the rest is kept.
    kept = {**room["room"], "inviteUrl": f"{url}/join/{room['room']['roomId']}"}
    assert r.json() == {"room": kept, "participantCount": 0}  # nobody is live after a restart
    r = httpx.get(f"{url}/api/rooms", headers=bearer(alice["token"]))
    assert [x["roomId"] for x in r.json()["rooms"]] == [room["room"]["roomId"]]
    peer = await Peer(url, alice["token"]).connect()
    assert (await peer.join(room["room"]["roomId"]))["participants"] == []
    await peer.close()
    assert second.errors_logged() == []


async def test_generated_signing_key_is_private_and_survives_restart(
    make_server: Callable[..., ServerProcess], tmp_path: Path
) -> None:
    data = tmp_path / "keyed"
    server = make_server(env={"NIMEET_JWT_SECRET": ""}, data_dir=data)
    server.env.pop("NIMEET_JWT_SECRET")
    url = server.start()
    token = register(url, "keyuser")["token"]
    server.stop()
    key = data / "jwt-signing.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    again = make_server(data_dir=data)
    again.env.pop("NIMEET_JWT_SECRET")
    url = again.start()
    assert httpx.get(f"{url}/api/auth/me", headers=bearer(token)).status_code == 200


async def test_shutdown_closes_sockets_promptly(make_server: Callable[..., ServerProcess]) -> None:
    server = make_server()
    url = server.start()
    token = register(url, "drainer")["token"]
    client = socketio.AsyncClient(reconnection=False)
    await client.connect(url, auth={"token": token}, transports=["websocket"])
    disconnected = asyncio.Event()
    client.on("disconnect", lambda *args: disconnected.set())
    started = time.monotonic()
    server.stop_gracefully()
    assert time.monotonic() - started < 4
    await asyncio.wait_for(disconnected.wait(), 5)


async def test_rate_limits_answer_429(make_server: Callable[..., ServerProcess]) -> None:
    server = make_server(
        env={"NIMEET_LOGIN_PER_MIN": "3", "NIMEET_REGISTER_PER_MIN": "2", "NIMEET_CREATE_ROOM_PER_MIN": "2"}
    )
    url = server.start()
    token = register(url, "limited1")["token"]
    register(url, "limited2")
    r = httpx.post(
        f"{url}/api/auth/register", json={"username": "limited3", "email": "l3@example.test", "password": "password123"}
    )
    assert r.status_code == 429
    assert r.json()["error"]["code"] == "rate-limited"
    assert int(r.headers["Retry-After"]) >= 1
    codes = [
        httpx.post(f"{url}/api/auth/login", json={"email": "x@example.test", "password": "password123"}).status_code
        for _ in range(4)
    ]
    assert codes == [401, 401, 401, 429]
    codes = [httpx.post(f"{url}/api/rooms/create", headers=bearer(token)).status_code for _ in range(3)]
    assert codes == [201, 201, 429]
    # Other endpoints are not limited.
    assert httpx.get(f"{url}/api/auth/me", headers=bearer(token)).status_code == 200


async def test_ice_servers_from_config_with_turn_credentials(make_server: Callable[..., ServerProcess]) -> None:
    secret = "turn-shared-secret"
    server = make_server(
        env={
            "NIMEET_STUN_URLS": "stun:turn.example.test:3478",
            "NIMEET_TURN_URLS": "turn:turn.example.test:3478?transport=udp,turns:turn.example.test:5349",
            "NIMEET_TURN_SECRET": secret,
            "NIMEET_TURN_TTL_S": "600",
        }
    )
    url = server.start()
    user = register(url, "iceuser")
    before = int(time.time())
    body = httpx.get(f"{url}/api/ice-servers", headers=bearer(user["token"])).json()
    assert body["ttl"] == 600
    stun, turn = body["iceServers"]
    assert stun == {"urls": ["stun:turn.example.test:3478"]}  # no null credentials: browsers reject them
    assert turn["urls"] == ["turn:turn.example.test:3478?transport=udp", "turns:turn.example.test:5349"]
    expiry, user_id = turn["username"].split(":")
    assert user_id == user["user"]["id"]
    assert before + 600 <= int(expiry) <= int(time.time()) + 600
    expected = base64.b64encode(hmac.new(secret.encode(), turn["username"].encode(), hashlib.sha1).digest()).decode()
    assert turn["credential"] == expected


async def test_login_upgrades_hash_when_kdf_parameters_change(
    make_server: Callable[..., ServerProcess], tmp_path: Path
) -> None:
    data = tmp_path / "kdf"
    cheap = make_server(data_dir=data)
    url = cheap.start()
    register(url, "kdfuser", "password123")
    cheap.stop()
    db = data / "nimeet.sqlite3"
    import sqlite3

    def stored_hash() -> str:
        with sqlite3.connect(db) as conn:
            return str(conn.execute("select password_hash from users where username='kdfuser'").fetchone()[0])

    old = stored_hash()
    assert old.startswith("$argon2id$") and "m=8192,t=1,p=1" in old
    # Server defaults: RFC 9106 low-memory profile.
    strong = make_server(
        env={"NIMEET_ARGON2_TIME_COST": "3", "NIMEET_ARGON2_MEMORY_KIB": "65536", "NIMEET_ARGON2_PARALLELISM": "4"},
        data_dir=data,
    )
    for key in ("NIMEET_ARGON2_TIME_COST", "NIMEET_ARGON2_MEMORY_KIB", "NIMEET_ARGON2_PARALLELISM"):
        strong.env.pop(key)
    url = strong.start()
    r = httpx.post(f"{url}/api/auth/login", json={"email": "kdfuser@example.test", "password": "password123"})
    assert r.status_code == 200
    new = stored_hash()
    assert "m=65536,t=3,p=4" in new
    r = httpx.post(f"{url}/api/auth/login", json={"email": "kdfuser@example.test", "password": "password123"})
    assert r.status_code == 200
    assert stored_hash() == new  # no rehash when parameters already match


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "signaling_server", *args],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, **(env or {})},
    )


def test_cli_rejects_bad_settings(tmp_path: Path) -> None:
    result = run_cli("--port", "70000", "--data-dir", str(tmp_path))
    assert result.returncode == 2
    assert "port" in result.stderr
    result = run_cli("--data-dir", str(tmp_path), env={"NIMEET_TURN_URLS": "http://not-turn"})
    assert result.returncode == 2
    assert "TURN URL" in result.stderr
    result = run_cli("--data-dir", str(tmp_path), env={"NIMEET_TURN_URLS": "turn:t.example.test"})
    assert result.returncode == 2
    assert "turn_secret" in result.stderr.lower() or "NIMEET_TURN_SECRET" in result.stderr


def test_cli_reports_a_busy_port(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_cli("--port", str(port), "--data-dir", str(tmp_path))
    assert result.returncode == 1
    assert "cannot listen" in result.stderr


async def test_crash_leaves_no_open_participations(make_server: Callable[..., ServerProcess], tmp_path: Path) -> None:
    """SIGKILL mid-call: the next start closes the stays the dead process could not record as ended."""
    import signal
    import sqlite3

    data = tmp_path / "crash"
    server = make_server(data_dir=data)
    url = server.start()
    user = register(url, "crashy")
    room = httpx.post(f"{url}/api/rooms/create", headers=bearer(user["token"])).json()["room"]["roomId"]
    peer = await Peer(url, user["token"]).connect()
    await peer.join(room)
    # The stay's row is written just after the join is acknowledged (the ack never waits on bookkeeping).
    deadline = time.monotonic() + 5
    with sqlite3.connect(data / "nimeet.sqlite3") as conn:
        while conn.execute("select count(*) from participations").fetchone()[0] == 0:
            assert time.monotonic() < deadline, "the stay was never recorded"
            await asyncio.sleep(0.05)
    server.stop(signal.SIGKILL)
    with sqlite3.connect(data / "nimeet.sqlite3") as conn:
        assert conn.execute("select count(*) from participations where left_at is null").fetchone()[0] == 1
    await peer.close()
    again = make_server(data_dir=data)
    again.start()
    with sqlite3.connect(data / "nimeet.sqlite3") as conn:
        rows = conn.execute("select joined_at, left_at from participations").fetchall()
    assert len(rows) == 1
    assert rows[0][1] is not None
    assert rows[0][1] >= rows[0][0]


async def test_database_outage_is_reported_and_survived(
    make_server: Callable[..., ServerProcess], postgres: object
) -> None:
    """PostgreSQL goes away mid-run: /healthz says 503, requests fail cleanly, and all recovers when it is back."""
    from tests.support.postgres import PostgresCluster, find_bin_dir

    bin_dir = find_bin_dir()
    require(bin_dir is not None, POSTGRESQL)
    assert bin_dir is not None
    cluster = PostgresCluster(bin_dir)
    cluster.start()
    try:
        server = make_server(database_url=cluster.new_database())
        url = server.start()
        token = register(url, "outage")["token"]
        assert httpx.get(f"{url}/healthz").status_code == 200
        cluster.stop_server()
        r = httpx.get(f"{url}/healthz")
        assert r.status_code == 503
        assert r.json()["error"]["code"] == "unavailable"
        # Every request that meets the fault says so the same way, and the connection stays usable (issue 10).
        async with httpx.AsyncClient(base_url=url) as keep_alive:
            r = await keep_alive.get("/api/auth/me", headers=bearer(token))
            assert r.status_code == 503
            assert r.json()["error"]["code"] == "unavailable"
            assert r.headers["retry-after"] == "2"
            assert r.headers.get("connection") != "close"
            assert (await keep_alive.get("/healthz")).status_code == 503
        # A socket is refused at once with a retryable reason, not left hanging.
        client = socketio.AsyncClient(reconnection=False)
        refusals: list[object] = []
        client.on("connect_error", refusals.append)
        with pytest.raises(socketio.exceptions.ConnectionError):
            await client.connect(url, auth={"token": token}, transports=["websocket"], wait_timeout=10)
        assert refusals == [{"message": "unavailable"}]
        cluster.start_server()
        deadline = time.monotonic() + 20
        while httpx.get(f"{url}/healthz").status_code != 200:
            assert time.monotonic() < deadline, "server did not recover after the database came back"
            await asyncio.sleep(0.2)
        assert httpx.get(f"{url}/api/auth/me", headers=bearer(token)).status_code == 200
        server.stop()
    finally:
        cluster.stop()


async def test_shutdown_with_sockets_in_rooms_closes_every_stay(
    make_server: Callable[..., ServerProcess], tmp_path: Path
) -> None:
    import sqlite3

    data = tmp_path / "drain"
    server = make_server(data_dir=data)
    url = server.start()
    token = register(url, "drainer2")["token"]
    rooms = [httpx.post(f"{url}/api/rooms/create", headers=bearer(token)).json()["room"]["roomId"] for _ in range(5)]
    peers = [await Peer(url, token).connect() for _ in range(20)]
    for i, peer in enumerate(peers):
        assert (await peer.join(rooms[i % 5]))["ok"]
    server.stop_gracefully()  # no ERROR lines: shutdown finished within uvicorn's graceful timeout
    with sqlite3.connect(data / "nimeet.sqlite3") as conn:
        open_stays = conn.execute("select count(*) from participations where left_at is null").fetchone()[0]
        all_stays = conn.execute("select count(*) from participations").fetchone()[0]
    assert (all_stays, open_stays) == (20, 0)
    for peer in peers:
        await peer.close()


@pytest.mark.parametrize(
    ("args", "env", "line"),
    [
        (["--port", "99999"], {}, "nimeet-server: --port: must be between 0 and 65535 (got 99999)"),
        ([], {"NIMEET_PORT": "abc"}, "nimeet-server: NIMEET_PORT: must be a whole number (got 'abc')"),
        (
            [],
            {"NIMEET_LOG_LEVEL": "loud"},
            "nimeet-server: NIMEET_LOG_LEVEL: must be one of debug, info, warning, error (got 'loud')",
        ),
    ],
)
def test_cli_names_each_bad_setting_in_one_line(
    tmp_path: Path, args: list[str], env: dict[str, str], line: str
) -> None:
    result = run_cli(*args, "--data-dir", str(tmp_path), env=env)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [line]


def test_cli_gives_every_bad_setting_not_only_the_first(tmp_path: Path) -> None:
    result = run_cli(
        "--port", "-1", "--data-dir", str(tmp_path), env={"NIMEET_TOKEN_TTL_S": "5", "NIMEET_PING_INTERVAL_S": "x"}
    )
    assert result.returncode == 2
    assert sorted(result.stderr.splitlines()) == [
        "nimeet-server: --port: must be between 0 and 65535 (got -1)",
        "nimeet-server: NIMEET_PING_INTERVAL_S: must be a whole number (got 'x')",
        "nimeet-server: NIMEET_TOKEN_TTL_S: must be at least 60 (got '5')",
    ]


def test_sigterm_shutdown_exits_0_and_json_logs_carry_no_terminal_colours(tmp_path: Path) -> None:
    """SIGTERM is how service managers stop us: a shutdown that ran to the end is a success (uvicorn re-raised the
    signal: 143). uvicorn's records carry a ``color_message`` with ANSI escapes, which has no place in JSON."""
    import json
    import signal

    server = ServerProcess(tmp_path, env={"NIMEET_LOG_FORMAT": "json"})
    server.start()
    assert server.stop(signal.SIGTERM) == 0
    entries = [json.loads(line) for line in server.stderr_lines]
    assert any(entry["msg"].startswith("Started server process") for entry in entries)
    assert any(entry["msg"] == "Application shutdown complete." for entry in entries)
    assert not any("\x1b" in line or "color_message" in line for line in server.stderr_lines)


def test_watchdog_stops_the_server_when_the_watched_process_is_gone(tmp_path: Path) -> None:
    """The watchdog alone (macOS and Windows have no parent-death signal): the watched process is not the server's
    parent here, so on Linux too only the polling can notice it went."""
    watched = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    server = ServerProcess(tmp_path, env={"NIMEET_PARENT_PID": str(watched.pid)})
    try:
        server.start()
        time.sleep(1.5)
        assert server.proc is not None and server.proc.poll() is None  # alive while the watched process is
        watched.kill()
        watched.wait()  # reaped: the pid is gone, not a zombie
        started = time.monotonic()
        assert server.proc.wait(5) == 0
        assert time.monotonic() - started < 3
        assert any("parent process is gone" in line for line in server.stderr_lines)
    finally:
        watched.kill()
        watched.wait()
        server.stop()


def test_server_does_not_start_for_a_parent_already_gone(tmp_path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    result = run_cli("--parent-pid", str(dead.pid), "--port", "0", "--data-dir", str(tmp_path))
    assert result.returncode == 1
    assert f"parent process {dead.pid} is gone" in result.stderr


def test_ctrl_c_shutdown_exits_0_without_a_traceback(tmp_path: Path) -> None:
    import signal

    server = ServerProcess(tmp_path)
    server.start()
    assert server.stop(signal.SIGINT) == 0
    assert any("Application shutdown complete" in line for line in server.stderr_lines)
    assert server.errors_logged() == []
    assert not any("KeyboardInterrupt" in line for line in server.stderr_lines)


async def test_a_stay_is_recorded_even_when_sqlite_stays_locked_past_its_busy_timeout(
    make_server: Callable[..., ServerProcess], tmp_path: Path
) -> None:
    """Ten bots and Janus on two busy cores once kept SQLite's write lock longer than the busy timeout (2 s): the
    stay's row was given up ("could not record a participation ... database is locked") and the history lost it.
    History writes are tried again for several seconds before they count as failed."""
    import sqlite3

    data = tmp_path / "locked"
    server = make_server(data_dir=data)
    url = server.start()
    user = register(url, "patient")
    room = httpx.post(f"{url}/api/rooms/create", headers=bearer(user["token"])).json()["room"]["roomId"]
    blocker = sqlite3.connect(data / "nimeet.sqlite3", timeout=10, isolation_level=None)
    try:
        blocker.execute("BEGIN IMMEDIATE")  # the write lock, held past the server's busy timeout
        peer = await Peer(url, user["token"]).connect()
        ack = await peer.join(room)
        assert ack["ok"], "the join is not held up by its bookkeeping"
        await asyncio.sleep(3.0)
        blocker.execute("ROLLBACK")
        deadline = time.monotonic() + 10
        with sqlite3.connect(data / "nimeet.sqlite3") as conn:
            while conn.execute("select count(*) from participations").fetchone()[0] == 0:
                assert time.monotonic() < deadline, "the stay was never recorded"
                await asyncio.sleep(0.1)
        await peer.close()
    finally:
        blocker.close()
    deadline = time.monotonic() + 10
    with sqlite3.connect(data / "nimeet.sqlite3") as conn:
        while conn.execute("select count(*) from participations where left_at is null").fetchone()[0] != 0:
            assert time.monotonic() < deadline, "the stay was never closed"
            await asyncio.sleep(0.1)
    assert [line for line in server.errors_logged() if "participation" in line] == []
