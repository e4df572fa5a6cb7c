"""Debian's Chromium as a web client of a NIMeet call, for the benchmarks: ``chromium_participant(...)``.

It joins a room with the web client of ``benchmarks/web_client/`` (a static page written from the wire contract
alone), sending Chromium's fake camera at the size asked for and its fake microphone, and rendering every remote
participant's video in a playing ``<video>``. Chromium runs headless, driven over CDP by Playwright
(``playwright-core``, with ``/usr/bin/chromium``, never a browser download) from a small Node script,
``web_client/driver.mjs``, which answers ``stats`` on its stdin with the page's ``window.nimeetStats()`` as one JSON
line on its stdout.

    with chromium_participant(server.url, token, room_id) as browser:
        pids = browser.pids()      # Chromium's browser process and all its descendants, for /proc CPU sampling
        stats = browser.stats()    # {"sent": {"frames", "fps", "width", "height", ...}, "remotes": [...], ...}

``stats()`` keys (``web_client/client.js``): ``sent`` {frames, fps, width, height, peers: [{socketId, frames,
framesEncoded, fps, width, height, bytesSent, targetBitrate, qualityLimitationReason, encoder}]} (frames and fps:
the lowest over the peers), ``camera`` {width, height, fps} (the capture track's settings), ``t`` (epoch s),
``phase``, ``error``, ``selfId`` and ``remotes``, one per remote participant: socketId, username, connectionState,
route (the selected candidate pair, "address:port -> address:port"), framesDecoded, framesReceived, framesDropped,
fps (inbound-rtp framesPerSecond), width, height, codec, bytesReceived, audioSamplesReceived, audioSamplesPlayed,
paintedFrames (frames the compositor presented in its ``<video>``) and playing.

Chromium's traffic stays on this machine: no STUN servers (the server's ``/api/ice-servers``, empty by default),
loopback ICE candidates allowed, mDNS host names, QUIC, background fetches, component updates and sync off.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from _call_common import descendants

WEB_CLIENT = Path(__file__).resolve().parent / "web_client"
DRIVER = WEB_CLIENT / "driver.mjs"
CHROMIUM = "/usr/bin/chromium"
# What the driver and the page need from node_modules (installed by ``npm ci`` from package-lock.json).
_NPM_FILES = ("playwright-core/package.json", "socket.io-client/dist/socket.io.min.js")


class ChromiumError(RuntimeError):
    """The browser could not join the call, or its driver stopped answering."""


def unavailable_reason() -> str | None:
    """Why the web client cannot run here (no Chromium, no Node or npm), or None when it can. The npm packages are
    not checked: ``chromium_participant`` installs them."""
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} is missing (Debian package 'chromium')"
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            return f"'{tool}' is not on PATH (Debian packages 'nodejs' and 'npm')"
    return None


def ensure_npm_packages() -> None:
    """``npm ci`` in web_client/ when its node_modules lacks what the driver and the page load."""
    if all((WEB_CLIENT / "node_modules" / name).exists() for name in _NPM_FILES):
        return
    subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=WEB_CLIENT,
        check=True,
        stdout=subprocess.DEVNULL,
    )


class ChromiumParticipant:
    """One Chromium in the call; made by ``chromium_participant``."""

    def __init__(self, driver: subprocess.Popen[str], stderr_path: Path) -> None:
        self._driver = driver
        self._stderr_path = stderr_path
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._lock = threading.Lock()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self._driver.stdout is not None
        for line in self._driver.stdout:
            self._lines.put(line)
        self._lines.put(None)

    def _read(self, timeout: float) -> dict[str, Any]:
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            raise ChromiumError(f"the Chromium driver did not answer in {timeout:.0f} s\n{self.tail()}") from None
        if line is None:
            raise ChromiumError(f"the Chromium driver exited ({self._driver.poll()})\n{self.tail()}")
        message: dict[str, Any] = json.loads(line)
        return message

    def wait_ready(self, timeout: float) -> None:
        message = self._read(timeout)
        if message.get("event") != "ready":
            log = "\n".join(f"  page: {line}" for line in message.get("log", []))
            raise ChromiumError(f"Chromium did not join: {message.get('error')}\n{log}\n{self.tail()}")

    def pids(self) -> list[int]:
        """Chromium's browser process and every process below it (the driver, a Node process, is not counted)."""
        return descendants(self._driver.pid)

    def stats(self, timeout: float = 10.0) -> dict[str, Any]:
        """The page's ``window.nimeetStats()`` now."""
        with self._lock:
            self.send_line("stats")
            message = self._read(timeout)
        if not message.get("ok"):
            raise ChromiumError(f"stats failed: {message.get('error')}")
        stats: dict[str, Any] = message["stats"]
        return stats

    def page_log(self, timeout: float = 10.0) -> list[str]:
        """The page's own log lines (peer states, refusals), newest last."""
        with self._lock:
            self.send_line("log")
            message = self._read(timeout)
        return [str(line) for line in message.get("log", [])]

    def send_line(self, command: str) -> None:
        assert self._driver.stdin is not None
        try:
            self._driver.stdin.write(command + "\n")
            self._driver.stdin.flush()
        except (BrokenPipeError, ValueError):
            raise ChromiumError(f"the Chromium driver is gone ({self._driver.poll()})\n{self.tail()}") from None

    def tail(self, lines: int = 20) -> str:
        try:
            text = self._stderr_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(f"  driver: {line}" for line in text.splitlines()[-lines:])

    def close(self, timeout: float = 15.0) -> None:
        """Quit the driver (it closes Chromium); whatever is still running after ``timeout`` is killed, by pid."""
        known = set(self.pids())
        if self._driver.poll() is None:
            with contextlib.suppress(ChromiumError):
                self.send_line("quit")
            with contextlib.suppress(OSError):
                assert self._driver.stdin is not None
                self._driver.stdin.close()
            try:
                self._driver.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                # Playwright's own SIGTERM handler closes the browser it launched.
                self._driver.send_signal(signal.SIGTERM)
                try:
                    self._driver.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    self._driver.kill()
                    self._driver.wait()
        # A Chromium process that outlived its driver (reparented away from it) is ended by its own id.
        deadline = time.monotonic() + 5
        for pid in sorted(known):
            while alive(pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            if alive(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        # Orphans are reaped by init, a moment later: wait for that too, so that ``pgrep chromium`` finds nothing.
        deadline = time.monotonic() + 10
        while any(Path(f"/proc/{pid}").exists() for pid in known) and time.monotonic() < deadline:
            time.sleep(0.05)


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@contextlib.contextmanager
def chromium_participant(
    server_url: str,
    token: str,
    room_id: str,
    *,
    width: int = 640,
    height: int = 360,
    fps: int = 30,
    self_view: bool = True,
    ready_timeout: float = 60.0,
) -> Iterator[ChromiumParticipant]:
    """Chromium, headless, in room ``room_id`` of the server at ``server_url`` as the user of ``token``, sending its
    fake camera at ``width``x``height``@``fps`` and its fake microphone. Yields once the page has joined the room (its
    offers to those already there are on their way); closes Chromium and its driver on exit, leaving no process."""
    reason = unavailable_reason()
    if reason is not None:
        raise ChromiumError(reason)
    ensure_npm_packages()
    with tempfile.TemporaryDirectory(prefix="nimeet-chromium-") as tmp:
        user_data = Path(tmp) / "profile"  # new and empty: no state from an earlier run
        user_data.mkdir()
        config = {
            "executablePath": CHROMIUM,
            "userDataDir": str(user_data),
            "server": server_url,
            "token": token,
            "room": room_id,
            "width": width,
            "height": height,
            "fps": fps,
            "selfView": self_view,
            "readyTimeoutMs": int(ready_timeout * 1000),
        }
        stderr_path = Path(tmp) / "driver.stderr"
        with stderr_path.open("wb") as stderr:
            driver = subprocess.Popen(
                ["node", str(DRIVER)],
                cwd=WEB_CLIENT,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=stderr,
                text=True,
                bufsize=1,
            )
        participant = ChromiumParticipant(driver, stderr_path)
        try:
            participant.send_line(json.dumps(config))  # the token goes on stdin, not on a command line
            participant.wait_ready(ready_timeout + 30)
            yield participant
        finally:
            participant.close()
