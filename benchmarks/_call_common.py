"""Shared pieces of the call benchmarks (call_setup.py, glass_to_glass.py, mesh_scaling.py).

- ``server_running``: the real server (``tests/support/server.py``'s runner, the tests' own) on a free loopback port.
- ``BotProcess``: one headless participant in a process of its own, its stdout lines collected with their arrival
  time, its ``--json`` report read at the end. Every bot gathers ICE on 127.0.0.1 only (``NIMEET_ICE_HOSTS``): the
  server hands out no STUN/TURN by default, so all media stays on loopback. In an SFU room (sfu_vs_mesh.py) they
  gather on the test's end of the veth pair to Janus instead, which never pairs with loopback.
- Comparisons use the real engine's switches, through ``nimeet-bot``'s options for benchmarks
  (``nimeet_desktop/bot_bench.py``, hidden from ``--help``):

    --latency-samples      each peer of the report also gets ``latencySamplesMs``: every latency sample, in order
    --stock-jitter-buffer  aiortc's own video jitter buffer (``EngineOptions.marker_jitter_buffer=False``)
    --per-sender-encoding  the stock aiortc way, for comparison: every peer's sender encodes the raw source frames
                           itself instead of sharing one ``SharedVideoEncoder`` (``EngineOptions.encode_once=False``)
    --sender-stats         ``bench: peer <socket> <state>`` on every peer connection state change, and once a
                           second ``bench: stats t=<monotonic> frames=<n> bytes=<n>``: video frames handed to RTP
                           and RTP payload bytes sent by all of this process's senders together
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run as a script: only benchmarks/ is on the path
    sys.path.insert(0, str(REPO))

from nimeet_desktop.call.report import percentile  # noqa: E402
from tests.support.server import ServerProcess, running  # noqa: E402

BOT = Path(sys.executable).parent / "nimeet-bot"
LOOPBACK = "127.0.0.1"
SERVER_ENV = {"NIMEET_LOG_LEVEL": "warning"}


# ---------------------------------------------------------------------------------------------------------------
# figures
# ---------------------------------------------------------------------------------------------------------------
def percentile_or_nan(values: list[float] | list[int], p: float) -> float:
    """The bot report's nearest-rank percentile (``nimeet_desktop.call.report``), nan when there are no values."""
    value = percentile(values, p)
    return math.nan if value is None else value


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def machine_line() -> str:
    """Cores and load averages (other engineers share this machine: a high load means noisy figures)."""
    one, five, fifteen = os.getloadavg()
    return f"machine: {os.cpu_count()} cores, load average {one:.2f} {five:.2f} {fifteen:.2f} (1/5/15 min)"


# ---------------------------------------------------------------------------------------------------------------
# processes
# ---------------------------------------------------------------------------------------------------------------
@contextlib.contextmanager
def server_running(workdir: Path) -> Iterator[ServerProcess]:
    """The real ``nimeet-server`` on 127.0.0.1 with a throwaway data directory; errors it logs are printed."""
    with running(workdir / "server-data", env=SERVER_ENV, check_errors=False) as server:
        yield server
    for line in server.errors_logged():
        print(f"server: {line.rstrip()}", file=sys.stderr)


@dataclass
class Line:
    at: float  # time.monotonic() when read (CLOCK_MONOTONIC: the same clock in every process)
    text: str


def _children() -> dict[int, list[int]]:
    """Every process's children, from /proc (ppid is the 4th field of /proc/PID/stat, after the ``(comm)``)."""
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue  # exited meanwhile
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(entry))
    return tree


def descendants(pid: int) -> list[int]:
    """All processes below ``pid`` (not ``pid`` itself), parents before children."""
    tree = _children()
    out: list[int] = []
    todo = list(tree.get(pid, []))
    while todo:
        child = todo.pop(0)
        out.append(child)
        todo.extend(tree.get(child, []))
    return out


class LineProcess:
    """A child process whose stdout lines are read as they come, on a thread of their own, stamped with when."""

    def __init__(
        self, name: str, command: list[str], stderr_path: Path, env: dict[str, str], *, stdin: int | None = None
    ) -> None:
        self.name = name
        self.stderr_path = stderr_path
        self.lines: list[Line] = []
        self._new: queue.Queue[Line] = queue.Queue()
        self.started_at = time.monotonic()
        with stderr_path.open("wb") as stderr:
            self.proc = subprocess.Popen(
                command, stdin=stdin, stdout=subprocess.PIPE, stderr=stderr, text=True, env=env, bufsize=1
            )
        threading.Thread(target=self._pump, daemon=True).start()

    @property
    def pid(self) -> int:
        return self.proc.pid

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for text in self.proc.stdout:
            line = Line(time.monotonic(), text.rstrip("\n"))
            self.lines.append(line)
            self._new.put(line)

    def wait_for(self, test: Callable[[str], bool], what: str, timeout: float = 30.0) -> str:
        """The first stdout line (read so far or to come) that passes ``test``."""
        for line in list(self.lines):
            if test(line.text):
                return line.text
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"{self.name}: no {what} in {timeout:.0f} s\n{self.tail()}")
            try:
                line = self._new.get(timeout=min(remaining, 0.2))
            except queue.Empty:
                if self.proc.poll() is not None:
                    raise RuntimeError(
                        f"{self.name} exited ({self.proc.returncode}) before {what}\n{self.tail()}"
                    ) from None
                continue
            if test(line.text):
                return line.text

    def tail(self, lines: int = 15) -> str:
        err = []
        if self.stderr_path.exists():
            err = self.stderr_path.read_text(encoding="utf-8", errors="replace").splitlines()
        out = [line.text for line in self.lines]
        return "\n".join(["  stdout: " + s for s in out[-lines:]] + ["  stderr: " + s for s in err[-lines:]])


class BotProcess(LineProcess):
    """A participant in its own process: ``nimeet-bot`` with ``bot_args`` (its benchmark options included)."""

    def __init__(
        self,
        name: str,
        workdir: Path,
        server_url: str,
        bot_args: list[str],
        ice_host: str = LOOPBACK,  # an SFU room's bots: our end of the veth pair to Janus (tests/support/janus.py)
    ) -> None:
        self.json_path = workdir / f"{name}.json"
        args = ["--server", server_url, "--register", "--ice-host", ice_host, "--json", str(self.json_path)]
        env = {**os.environ, "NIMEET_ICE_HOSTS": ice_host, "PYTHONUNBUFFERED": "1"}
        # This checkout's engine, not whichever the virtualenv's editable install points at (another worktree's).
        env["PYTHONPATH"] = os.pathsep.join([str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])])
        super().__init__(name, [str(BOT), *args, *bot_args], workdir / f"{name}.stderr", env)

    def wait_line(self, pattern: str, timeout: float = 30.0) -> re.Match[str]:
        """The first stdout line (read so far or to come) matching ``pattern``."""
        regex = re.compile(pattern)
        text = self.wait_for(lambda text: regex.search(text) is not None, f"line matching {pattern!r}", timeout)
        match = regex.search(text)
        assert match is not None
        return match

    def room_id(self, timeout: float = 30.0) -> str:
        """What ``--create`` printed."""
        return self.wait_line(r"^room: (\S+)", timeout).group(1)

    def wait(self, timeout: float) -> int:
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise TimeoutError(f"{self.name} still running after {timeout:.0f} s\n{self.tail()}") from None

    def stop(self, timeout: float = 20.0) -> int:
        """SIGTERM: the bot leaves the room, writes its report and exits."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def report(self) -> dict[str, Any]:
        if not self.json_path.exists():
            raise RuntimeError(f"{self.name} wrote no report (exit {self.proc.returncode})\n{self.tail()}")
        data: dict[str, Any] = json.loads(self.json_path.read_text(encoding="utf-8"))
        return data


@contextlib.contextmanager
def cleanup(bots: list[BotProcess]) -> Any:
    """Whatever happens, no bot outlives the benchmark."""
    try:
        yield bots
    finally:
        for bot in bots:
            bot.kill()
