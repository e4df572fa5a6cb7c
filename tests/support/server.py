"""Run the real server (``python -m signaling_server``) on a free loopback port: the one runner of the tests, the
screenshot script and the benchmarks."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

# A fixed key lets tests forge expired or wrongly-signed tokens against the real server.
TEST_JWT_SECRET = "test-signing-key-0123456789abcdef0123456789abcdef"

# Real argon2id at a lower cost keeps hundreds of registrations quick; the defaults are tested on their own.
FAST_ENV = {
    "NIMEET_JWT_SECRET": TEST_JWT_SECRET,
    "NIMEET_ARGON2_TIME_COST": "1",
    "NIMEET_ARGON2_MEMORY_KIB": "8192",
    "NIMEET_ARGON2_PARALLELISM": "1",
    "NIMEET_REGISTER_PER_MIN": "100000",
    "NIMEET_LOGIN_PER_MIN": "100000",
    "NIMEET_CREATE_ROOM_PER_MIN": "100000",
    "NIMEET_LOG_FORMAT": "text",
    # Socket limits lifted for tests about something else (hundreds of sockets of one account from one address,
    # bursts of relays); tests/security sets them itself, to their defaults or lower (SOCKET_LIMITS_LIFTED).
    "NIMEET_MAX_SOCKETS_PER_USER": "100000",
    "NIMEET_MAX_SOCKETS_PER_ADDRESS": "1000000",
    "NIMEET_EVENT_RATE_PER_S": "1000000",
    "NIMEET_EVENT_BURST": "1000000",
    "NIMEET_JOIN_RATE_PER_S": "1000000",
    "NIMEET_JOIN_BURST": "1000000",
    "NIMEET_MAX_SEATS_PER_USER": "1000",
}
SOCKET_LIMITS_LIFTED = [
    "NIMEET_MAX_SOCKETS_PER_USER",
    "NIMEET_MAX_SOCKETS_PER_ADDRESS",
    "NIMEET_EVENT_RATE_PER_S",
    "NIMEET_EVENT_BURST",
    "NIMEET_JOIN_RATE_PER_S",
    "NIMEET_JOIN_BURST",
    "NIMEET_MAX_SEATS_PER_USER",
]

_URL = re.compile(r"listening on (https?://\S+)")


class ServerProcess:
    """The server in a child process; ``python``, ``entry`` and ``cwd`` let a benchmark run an instrumented entry
    point or another checkout of the code (``benchmarks/signaling_load``)."""

    def __init__(
        self,
        data_dir: Path,
        database_url: str = "",
        env: dict[str, str] | None = None,
        *,
        python: str = sys.executable,
        entry: Sequence[str] = ("-m", "signaling_server"),
        cwd: str | None = None,
        stop_timeout: float = 15.0,
        own_session: bool = False,
    ) -> None:
        self.data_dir = data_dir
        self.database_url = database_url
        self.env = {**FAST_ENV, **(env or {})}
        self.python = python
        self.entry = list(entry)
        self.cwd = cwd
        self.stop_timeout = stop_timeout
        self.own_session = own_session  # out of the terminal's process group: Ctrl-C reaches only the caller
        self.url = ""
        self.proc: subprocess.Popen[str] | None = None
        self.pid = 0
        self.returncode: int | None = None
        self.stderr_lines: list[str] = []

    def start(self, port: int = 0, timeout: float = 30.0, host: str = "127.0.0.1") -> str:
        args = [self.python, *self.entry, "--host", host, "--port", str(port)]
        args += ["--data-dir", str(self.data_dir)]
        if self.database_url:
            args += ["--database-url", self.database_url]
        env = {**os.environ, **self.env}
        self.proc = subprocess.Popen(
            args,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            bufsize=1,
            cwd=self.cwd,
            start_new_session=self.own_session,
        )
        self.pid = self.proc.pid
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, args=(self.proc.stdout, lines), daemon=True).start()
        threading.Thread(target=self._pump_err, args=(self.proc.stderr,), daemon=True).start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = lines.get(timeout=0.1)
            except queue.Empty:
                if self.proc.poll() is not None:
                    raise RuntimeError("server exited at start:\n" + "".join(self.stderr_lines[-40:])) from None
                continue
            match = _URL.search(line)
            if match:
                self.url = match.group(1)
                return self.url
        raise RuntimeError("server did not start in time:\n" + "".join(self.stderr_lines[-40:]))

    @property
    def public_url(self) -> str:
        """Where people reach it: the links it writes (``inviteUrl``) start with this."""
        return self.url

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    @staticmethod
    def _pump(stream: object, out: queue.Queue[str]) -> None:
        for line in stream:  # type: ignore[attr-defined]
            out.put(line)

    def _pump_err(self, stream: object) -> None:
        for line in stream:  # type: ignore[attr-defined]
            self.stderr_lines.append(line)

    def stop(self, sig: int = signal.SIGTERM) -> int | None:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=self.stop_timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        code = self.returncode = self.proc.returncode
        self.proc = None
        return code

    def stop_gracefully(self) -> None:
        """SIGTERM, and the app's shutdown ran to the end: exit status 0."""
        code = self.stop()
        assert code == 0, f"exit status {code}:\n" + "".join(self.stderr_lines[-40:])
        assert any("Application shutdown complete" in line for line in self.stderr_lines), self.stderr_lines[-20:]
        assert self.errors_logged() == [], "".join(self.stderr_lines[-40:])

    def errors_logged(self) -> list[str]:
        """Tracebacks and error lines: a clean run has none."""
        return [line for line in self.stderr_lines if " ERROR " in line or "Traceback" in line]


@contextmanager
def running(
    data_dir: Path,
    database_url: str = "",
    *,
    check_errors: bool = True,
    start_timeout: float = 30.0,
    **options: Any,
) -> Iterator[ServerProcess]:
    """A server for a fixture's lifetime; it must have logged no error or traceback by the end (``check_errors``;
    a benchmark counts them instead). ``options`` go to ``ServerProcess`` (``env``, ``python``, ``entry``...)."""
    proc = ServerProcess(data_dir, database_url, **options)
    try:
        proc.start(timeout=start_timeout)
        yield proc
    finally:
        proc.stop()
    if check_errors:
        assert proc.errors_logged() == [], "".join(proc.stderr_lines[-60:])
