"""Issue 10, item 12: the data directory was 0755 and the SQLite files 0644, so any local user could read the
password hashes and emails. Now the directory is 0700 and every file in it 0600, and an existing loose directory is
tightened (logged once)."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

import httpx

from tests.security.http_attacks import logged, sqlite_files
from tests.support.server import ServerProcess


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def register(url: str, name: str) -> None:
    r = httpx.post(
        f"{url}/api/auth/register", json={"username": name, "email": f"{name}@example.test", "password": "password123"}
    )
    assert r.status_code == 201, r.text


def test_a_new_data_directory_and_its_files_are_private(
    make_server: Callable[..., ServerProcess], tmp_path: Path
) -> None:
    data = tmp_path / "new" / "data"
    old_umask = os.umask(0o022)  # what a login shell usually has: the server must not depend on it
    try:
        server = make_server(env={"NIMEET_JWT_SECRET": ""}, data_dir=data)  # generated key: a file in the dir
        url = server.start()
    finally:
        os.umask(old_umask)
    assert mode(data) == 0o700
    assert mode(data / "jwt-signing.key") == 0o600
    register(url, "modes")  # the first write: WAL and shared-memory files exist now
    files = sqlite_files(data)
    assert all(f.exists() for f in files), list(data.iterdir())
    assert {f.name: mode(f) for f in [*files, data / "jwt-signing.key"]} == {
        f.name: 0o600 for f in [*files, data / "jwt-signing.key"]
    }
    assert "made private" not in logged(server)


def test_a_loose_existing_data_directory_is_tightened_once(
    make_server: Callable[..., ServerProcess], tmp_path: Path
) -> None:
    data = tmp_path / "data"
    first = make_server(data_dir=data)
    register(first.start(), "loose")
    first.stop()
    os.chmod(data, 0o755)  # noqa: S103 - as an older version (or a copy with cp -r) left it
    for f in data.iterdir():
        os.chmod(f, 0o644)

    second = make_server(data_dir=data)
    register(second.start(), "tight")
    assert mode(data) == 0o700
    assert {f.name: mode(f) for f in data.iterdir()} == {f.name: 0o600 for f in data.iterdir()}
    assert logged(second).count("made private") == 1
