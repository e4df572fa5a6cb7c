"""Issue 10, item 14: database faults. ``/healthz`` said ok while the database was gone, read-only or full; a locked
database held requests for 30 s; a deleted database was silently recreated and a registration accepted in that
window was lost. Each fault now answers 503 ``unavailable`` (with ``Retry-After``) quickly, /healthz too, and once
the fault is gone everything stored before it is still there. Real SQLite; the faults are made from outside."""

from __future__ import annotations

import contextlib
import os
import resource
import sqlite3
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx

from tests.security.http_attacks import sqlite_files
from tests.support.server import ServerProcess

_names = iter(range(1_000_000))


def register(client: httpx.Client) -> tuple[str, httpx.Response]:
    name = f"fault{next(_names)}"
    r = client.post(
        "/api/auth/register", json={"username": name, "email": f"{name}@example.test", "password": "password123"}
    )
    return name, r


def can_log_in(client: httpx.Client, name: str) -> bool:
    r = client.post("/api/auth/login", json={"email": f"{name}@example.test", "password": "password123"})
    return r.status_code == 200


def assert_unavailable(r: httpx.Response, within_s: float) -> None:
    assert r.status_code == 503, r.text
    assert r.json()["error"]["code"] == "unavailable"
    assert r.headers["retry-after"] == "2"
    assert r.elapsed.total_seconds() < within_s


def check_fault(
    make_server: Callable[..., ServerProcess],
    tmp_path: Path,
    fault: Callable[[ServerProcess, Path], object],
    within_s: float,
) -> None:
    """Registrations before, during and after ``fault`` (a context manager): what was accepted stays, the rest is
    refused with 503, and /healthz tells the truth throughout."""
    data = tmp_path / "data"
    server = make_server(data_dir=data)
    url = server.start()
    with httpx.Client(base_url=url, timeout=30) as client:
        before, r = register(client)
        assert r.status_code == 201
        assert client.get("/healthz").status_code == 200
        with fault(server, data):  # type: ignore[attr-defined]
            assert_unavailable(client.get("/healthz"), within_s)
            refused, r = register(client)
            assert_unavailable(r, within_s)
            assert_unavailable(client.get("/healthz"), within_s)  # same connection: kept alive after a 503
        deadline = time.monotonic() + 10
        while client.get("/healthz").status_code != 200:
            assert time.monotonic() < deadline, "the server did not recover"
            time.sleep(0.1)
        after, r = register(client)
        assert r.status_code == 201
        assert can_log_in(client, before)
        assert can_log_in(client, after)
        assert not can_log_in(client, refused)
    server.stop()
    assert server.errors_logged() == []


@contextlib.contextmanager
def locked(_server: ServerProcess, data: Path) -> Iterator[None]:
    holder = sqlite3.connect(data / "nimeet.sqlite3", timeout=0.1, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another process holds the write lock
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


@contextlib.contextmanager
def read_only(_server: ServerProcess, data: Path) -> Iterator[None]:
    files = [f for f in sqlite_files(data)[:2] if f.exists()]
    modes = {f: f.stat().st_mode for f in files}
    for f in files:
        os.chmod(f, 0o444)
    # root ignores file modes: an immutable file is read-only to root too (ext4, xfs, btrfs).
    immutable = os.geteuid() == 0 and subprocess.run(["chattr", "+i", *map(str, files)]).returncode == 0
    assert immutable or os.geteuid() != 0, "cannot make the database read-only for root here"
    try:
        yield
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", *map(str, files)], check=True)
        for f, m in modes.items():
            os.chmod(f, m)


@contextlib.contextmanager
def full(server: ServerProcess, _data: Path) -> Iterator[None]:
    # A file-size limit on the server process: every write past 4 KiB fails (EFBIG), as on a full disk.
    soft, hard = resource.prlimit(server.pid, resource.RLIMIT_FSIZE)
    resource.prlimit(server.pid, resource.RLIMIT_FSIZE, (4096, hard))
    try:
        yield
    finally:
        resource.prlimit(server.pid, resource.RLIMIT_FSIZE, (soft, hard))


def test_a_locked_database_answers_503_within_the_busy_timeout(
    make_server: Callable[..., ServerProcess], tmp_path: Path
) -> None:
    check_fault(make_server, tmp_path, locked, within_s=4.0)  # busy timeout 2 s, not 30


def test_a_read_only_database_answers_503(make_server: Callable[..., ServerProcess], tmp_path: Path) -> None:
    check_fault(make_server, tmp_path, read_only, within_s=1.0)


def test_a_full_disk_answers_503(make_server: Callable[..., ServerProcess], tmp_path: Path) -> None:
    check_fault(make_server, tmp_path, full, within_s=1.0)


def test_a_deleted_database_is_not_recreated(make_server: Callable[..., ServerProcess], tmp_path: Path) -> None:
    data = tmp_path / "data"
    server = make_server(data_dir=data)
    url = server.start()
    with httpx.Client(base_url=url, timeout=30) as client:
        _, r = register(client)
        assert r.status_code == 201
        for f in sqlite_files(data):
            f.unlink()
        assert_unavailable(client.get("/healthz"), 1.0)
        _, r = register(client)  # would have gone into a fresh empty database, to be lost later
        assert_unavailable(r, 1.0)
        assert_unavailable(client.get("/healthz"), 1.0)
    assert not any(f.exists() for f in sqlite_files(data))
    server.stop()
