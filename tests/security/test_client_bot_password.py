"""Issue 10, item 18 (app side): ``nimeet-bot --password`` put the password in every user's ``ps``. It now comes from
``--password-file`` or ``NIMEET_PASSWORD``; ``--password`` still works, with a warning on stderr. Each way signs in
to the real server for real (a wrong password would exit 1)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.clients import Api, unique_name
from tests.support.server import ServerProcess, running

PASSWORD = "a long and secret phrase 42"
WARNING = "--password is visible to every user"


@pytest.fixture(scope="module")
def bot_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with running(tmp_path_factory.mktemp("bot-password")) as proc:
        yield proc


@pytest.fixture
async def email(bot_server: ServerProcess) -> str:
    api = Api(bot_server.url)
    name = unique_name("pw")
    await api.register(name, password=PASSWORD)
    await api.aclose()
    return f"{name}@example.test"


def bot(server: ServerProcess, email: str, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "nimeet_desktop.bot", "--server", server.url, "--email", email, *args]
    command += ["--create", "--video", "none", "--audio", "none", "--duration", "0.5"]
    clean = {k: v for k, v in os.environ.items() if k not in ("NIMEET_PASSWORD", "NIMEET_BOT_PASSWORD")}
    return subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**clean, **(env or {})}
    )


def command_line(proc: subprocess.Popen[str]) -> str:
    """What ``ps`` shows of a running process, read while it runs."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        text = Path(f"/proc/{proc.pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        if "nimeet_desktop.bot" in text:
            return text
        time.sleep(0.01)
    raise AssertionError("the bot's command line never showed")


def signed_in(proc: subprocess.Popen[str]) -> str:
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err[-2000:]
    assert "room: " in out
    return err


def test_password_from_a_file_stays_out_of_ps(bot_server: ServerProcess, email: str, tmp_path: Path) -> None:
    secret = tmp_path / "password"
    secret.write_text(PASSWORD + "\n")  # as `echo ... > file` writes it
    secret.chmod(0o600)
    proc = bot(bot_server, email, "--password-file", str(secret))
    assert PASSWORD not in command_line(proc)
    assert WARNING not in signed_in(proc)


def test_password_from_the_environment_stays_out_of_ps(bot_server: ServerProcess, email: str) -> None:
    proc = bot(bot_server, email, env={"NIMEET_PASSWORD": PASSWORD})
    assert PASSWORD not in command_line(proc)
    assert WARNING not in signed_in(proc)


def test_the_password_flag_still_works_with_a_warning(bot_server: ServerProcess, email: str) -> None:
    err = signed_in(bot(bot_server, email, "--password", PASSWORD))
    assert WARNING in err
    assert PASSWORD not in err


def test_a_wrong_password_in_the_file_is_refused_by_the_server(
    bot_server: ServerProcess, email: str, tmp_path: Path
) -> None:
    secret = tmp_path / "password"
    secret.write_text("not the password\n")
    proc = bot(bot_server, email, "--password-file", str(secret))
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 1 and "invalid-credentials" in err
    assert "not the password" not in err


@pytest.mark.parametrize(
    "content",
    [None, b"", b"\n", b"\xff\xfe", b"x" * 5000],
    ids=["missing", "empty", "blank-line", "not-utf8", "too-long"],
)
def test_an_unusable_password_file_is_a_usage_error(
    bot_server: ServerProcess, email: str, tmp_path: Path, content: bytes | None
) -> None:
    secret = tmp_path / "password"
    if content is not None:
        secret.write_bytes(content)
    proc = bot(bot_server, email, "--password-file", str(secret), env={"NIMEET_PASSWORD": PASSWORD})
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2 and "--password-file" in err
