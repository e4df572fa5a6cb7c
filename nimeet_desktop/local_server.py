"""Starting the bundled ``nimeet-server`` for a user who has no server yet (first run, LAN, self-hosting).

The server runs as a child process (``python -m signaling_server``), never in-process: the app imports nothing of
the server but its protocol, and a server crash must not take the call window with it (nor the other way round).

By default it listens on loopback: only this computer can reach it. Hosting for the local network is the user's
explicit choice (``lan_address``): the server then listens on every interface, its invitations carry the LAN address
(``NIMEET_PUBLIC_URL``) and it answers to that address and to loopback only (``NIMEET_ALLOWED_HOSTS``). The app keeps
talking to it over 127.0.0.1, which stays valid when the LAN address changes (another Wi-Fi network).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import os
import re
from collections import deque
from pathlib import Path

from nimeet_desktop.frozen import python_command
from nimeet_desktop.settings import DEFAULT_SERVER_PORT

logger = logging.getLogger(__name__)

_LISTENING = re.compile(r"listening on (https?://\S+)")
# Every interface, on purpose: only when the user chose to host for the network (see the module docstring).
_EVERY_INTERFACE = "0.0.0.0"  # noqa: S104
LOOPBACK = "127.0.0.1"
START_TIMEOUT_S = 30.0  # the first start creates the database and runs its migrations


class LocalServerError(Exception):
    """The bundled server could not be started; ``message`` is fit to show to people."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class LocalServer:
    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = DEFAULT_SERVER_PORT,
        data_dir: Path | None = None,
        env: dict[str, str] | None = None,
        lan_address: str | None = None,
    ) -> None:
        """``lan_address``: host for the local network, telling others to use this (IPv4) address; needs a fixed
        ``port``, since the invitation must name it before the server starts."""
        network_env: dict[str, str] = {}
        self.lan_url: str | None = None  # the address others use; None: only this computer can reach the server
        if lan_address is not None:
            try:
                address = str(ipaddress.IPv4Address(lan_address))
            except ValueError:
                raise ValueError(f"a LAN address must be an IPv4 address (got {lan_address!r})") from None
            if port == 0:
                raise ValueError("hosting on the network needs a fixed port: the invitations carry it")
            host = _EVERY_INTERFACE
            self.lan_url = f"http://{address}:{port}"
            network_env = {
                "NIMEET_PUBLIC_URL": self.lan_url,
                # The LAN address for the others, localhost (which admits every loopback address) for this app;
                # any other name is refused, as DNS rebinding would use one.
                "NIMEET_ALLOWED_HOSTS": f"{address},localhost",
            }
        self.host = host
        self.port = port
        self.data_dir = data_dir
        self.env = {**network_env, **(env or {})}
        self.url: str | None = None
        self._proc: asyncio.subprocess.Process | None = None
        self._stderr: deque[str] = deque(maxlen=40)
        self._pumps: list[asyncio.Task[None]] = []

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.returncode is None

    async def start(self) -> str:
        """Start the server and return its URL once it listens."""
        if self.running:
            assert self.url is not None
            return self.url
        # From source `python -m signaling_server`; frozen, the bundle's own `nimeet-server` (nimeet_desktop/frozen.py).
        args = python_command("signaling_server", "nimeet-server")
        args += ["--host", self.host, "--port", str(self.port), "--log-format", "text"]
        # The server dies with us, even when we crash or are killed: left running, it would keep the port and the
        # next launch would talk to a server nobody started (see signaling_server/parent_watch.py).
        args += ["--parent-pid", str(os.getpid())]
        if self.data_dir is not None:
            args += ["--data-dir", str(self.data_dir)]
        proc = await asyncio.create_subprocess_exec(
            *args,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env={**os.environ, **self.env},
        )
        self._proc = proc
        assert proc.stdout is not None
        assert proc.stderr is not None
        self._pumps.append(asyncio.create_task(self._keep_stderr(proc.stderr), name="local-server-stderr"))
        try:
            self.url = _reachable_here(await asyncio.wait_for(self._wait_listening(proc.stdout), START_TIMEOUT_S))
        except (TimeoutError, LocalServerError) as exc:
            await self.stop()
            detail = "".join(self._stderr).strip().splitlines()
            reason = detail[-1] if detail else ("did not start in time" if isinstance(exc, TimeoutError) else str(exc))
            raise LocalServerError(f"the local server could not start: {reason}") from exc
        logger.info("local server listening on %s (pid %s)", self.url, proc.pid)
        return self.url

    async def _wait_listening(self, stdout: asyncio.StreamReader) -> str:
        while line := await stdout.readline():
            match = _LISTENING.search(line.decode(errors="replace"))
            if match:
                # Keep draining stdout so the child never blocks on a full pipe.
                self._pumps.append(asyncio.create_task(self._drain(stdout), name="local-server-stdout"))
                return match.group(1)
        await asyncio.sleep(0.1)  # let the stderr pump catch the reason it exited
        raise LocalServerError("exited at start")

    async def _keep_stderr(self, stderr: asyncio.StreamReader) -> None:
        while line := await stderr.readline():
            self._stderr.append(line.decode(errors="replace"))

    @staticmethod
    async def _drain(stdout: asyncio.StreamReader) -> None:
        while await stdout.readline():
            pass

    async def stop(self) -> None:
        """SIGTERM, a grace period for the server's drain, then kill. Idempotent."""
        proc, self._proc = self._proc, None
        if proc is not None and proc.returncode is None:
            proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), 10)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        for task in self._pumps:
            task.cancel()
        for task in self._pumps:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._pumps.clear()


def _reachable_here(url: str) -> str:
    """The URL this app uses for a server that says where it listens: a server on every interface
    (``http://0.0.0.0:8765``) is reached over loopback."""
    prefix, _, port = url.rpartition(":")
    scheme, _, host = prefix.partition("://")
    return f"{scheme}://{LOOPBACK}:{port}" if host == _EVERY_INTERFACE else url
