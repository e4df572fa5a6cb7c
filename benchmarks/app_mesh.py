#!/usr/bin/env python3
"""The real desktop app in a mesh of K = 1..7 other participants: its CPU, painted fps, sent fps and memory.

The app (``nimeet --synthetic-media``, PySide6) runs under Xvfb (1920x1080, its window resized to 1280x720), signed
in unattended (``NIMEET_EMAIL`` / ``NIMEET_PASSWORD``), joining a room with ``--join-now`` and writing ``--stats``
(one JSON line a second: what it sent, and per remote tile its decoded and painted fps and capture-to-paint
latency). Its counterparts are K lightweight senders in ONE other process (``_senders.py``): K sessions of the real
engine on one uvloop, one synthetic 640x360 30 fps source with a tone, encoded once for all of them, each calling
only the app (``EngineOptions.peer_only_with``) and never decoding what the app sends back, so that the machine's
two cores go to the app. The server is the real one on loopback; every user is registered through REST.

Senders are added one K at a time to the same call; after each, the script waits until the app shows K tiles with
video, lets it settle (``--warmup``) and measures over ``--window`` seconds:

- the app's CPU in % of one core: utime + stime of all its threads from /proc/<pid>/stat, and of its children if
  it has any (live ones, and those it reaped in the window);
- per remote tile its painted and decoded fps (the window's mean of the app's per-second figures), shown as the
  lowest tile and the median tile, and the worst single second of any tile;
- the app's own sent fps; its memory (RSS and PSS, /proc/<pid>/status and smaps_rollup);
- for context: the senders' CPU, Xvfb's CPU (it does the app's drawing to the screen; not counted in the app's
  figure), everything else on the machine, the hypervisor's steal and the 1-minute load average.

Other engineers share this machine, and its scheduler shares a busy core per thread: the app's one hot UI thread
gets a small slice while a dozen test processes run, and its figures then say nothing about the app. So before each
window the script waits (up to ``--quiet-wait`` s) until the rest of the machine uses less than ``--quiet-below`` %
of one core, and with ``--repeat N`` measures N windows per K and keeps the least disturbed one for the table (all
of them are printed and go into ``--json``). A load above ~2 next to a figure means it is noisy.

At K = 1 the script also reports the app's capture-to-paint latency (the median of its per-second medians: the
senders' picture carries its capture time) and, unless ``--no-chromium``, measures Debian's Chromium as a web
client of the same kind of call side by side (after the app has left: Chromium with a fake 640x360 30 fps camera,
driven headless over CDP by ``_chromium.py``, in a room of its own with one sender of the same kind), all of its
processes together, and the ratio app / Chromium.

Targets (issue 13): at K = 7 every tile painted at >= 25 fps and the app at <= 100 % of one core; at K = 1 the app at
<= 0.8 x Chromium's CPU and a capture-to-paint latency p50 <= 50 ms.

Examples:
    .venv/bin/python benchmarks/app_mesh.py --k 1,2 --warmup 3 --window 5 --no-chromium   # a quick look
    .venv/bin/python benchmarks/app_mesh.py --json /tmp/app_mesh.json                      # K = 1..7, Chromium
    .venv/bin/python benchmarks/app_mesh.py --app-root /work/old-checkout                  # another checkout's app
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from _call_common import LOOPBACK, REPO, LineProcess, descendants, machine_line, server_running, verdict

from nimeet_desktop.net.rest import ApiClient

if TYPE_CHECKING:
    from _chromium import ChromiumParticipant

PASSWORD_LENGTH = 18
SCREEN = (1920, 1080)
WINDOW = (1280, 720)
SENDER_RESOLUTION = "640x360"
SENDER_FPS = 30
# With --nice, the senders' threads yield to the app's inside the benchmark's autogroup: on a laptop the other
# participants are elsewhere, so here they should take only what the app leaves (their fps says if that was enough).
SENDERS_THREAD_NICE = 5
TICKS = os.sysconf("SC_CLK_TCK")
PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024

TARGET_PAINTED_FPS = 25.0
TARGET_CPU_K7 = 100.0
TARGET_CHROMIUM_RATIO = 0.8
TARGET_LATENCY_MS = 50.0


# ---------------------------------------------------------------------------------------------------------------
# /proc
# ---------------------------------------------------------------------------------------------------------------
def _stat_fields(pid: int) -> list[str]:
    """/proc/<pid>/stat after the command name (which may hold spaces): field 3 (state) is index 0."""
    text = Path(f"/proc/{pid}/stat").read_text()
    return text[text.rindex(")") + 2 :].split()


def nice_threads(roots: Sequence[int], niceness: int) -> None:
    """Every thread of ``roots`` and their descendants to ``niceness`` (Linux keeps a nice value per thread; threads
    made later inherit their creator's). Inside one autogroup, this is what divides its share."""
    for root in roots:
        for pid in [root, *descendants(root)]:
            with contextlib.suppress(OSError):
                for task in Path(f"/proc/{pid}/task").iterdir():
                    with contextlib.suppress(OSError, ValueError):
                        os.setpriority(os.PRIO_PROCESS, int(task.name), niceness)


def renice(roots: Sequence[int], niceness: int) -> list[str]:
    """Give the autogroups of ``roots`` and their descendants the nice value ``niceness``; returns their names.

    Linux (with ``kernel.sched_autogroup_enabled``) first shares the CPU between autogroups, one per session, and
    only then between the threads inside one by their own nice values: a thread's nice does not help it against
    other sessions. Everyone working on this machine runs in sessions of their own, so the app, its senders and Xvfb
    (all in the benchmark's session) get an equal share with each of them unless their autogroup is favoured.
    Lowering it needs root."""
    groups: dict[str, int] = {}
    for root in roots:
        for pid in [root, *descendants(root)]:
            with contextlib.suppress(OSError, IndexError):
                group = Path(f"/proc/{pid}/autogroup").read_text().split()[0]
                groups.setdefault(group, pid)
    for pid in groups.values():
        with contextlib.suppress(OSError):
            Path(f"/proc/{pid}/autogroup").write_text(str(niceness))
    return sorted(groups)


@dataclass
class CpuSample:
    """Seconds of CPU (user + system) of a set of processes: the live ones, and the children they reaped."""

    live: dict[int, float]
    reaped: float

    @classmethod
    def of(cls, roots: Sequence[int], *, with_children: bool = True) -> CpuSample:
        live: dict[int, float] = {}
        reaped = 0.0
        for root in roots:
            for pid in [root, *(descendants(root) if with_children else [])]:
                with contextlib.suppress(OSError, ValueError, IndexError):
                    fields = _stat_fields(pid)
                    # utime, stime, cutime, cstime are fields 14..17 (index 11..14 here)
                    live[pid] = (int(fields[11]) + int(fields[12])) / TICKS
                    if pid == root:
                        reaped += (int(fields[13]) + int(fields[14])) / TICKS
        return cls(live, reaped)


def thread_seconds(pid: int) -> dict[int, tuple[str, float]]:
    """Per thread of ``pid``: its OS name (``/proc/<pid>/task/<tid>/comm``: our threads name themselves there,
    nimeet_desktop/thread_names.py) and its CPU seconds so far."""
    found: dict[int, tuple[str, float]] = {}
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError, ValueError, IndexError):
                name = (task / "comm").read_text().strip()
                if int(task.name) == pid:
                    name = "main (Qt)"  # the others without a name of their own keep the process's: aiortc's
                    # decoders, asyncio's default executor
                stat = (task / "stat").read_text()
                fields = stat[stat.rindex(")") + 2 :].split()
                found[int(task.name)] = (name, (int(fields[11]) + int(fields[12])) / TICKS)
    return found


def threads_percent(
    before: dict[int, tuple[str, float]], after: dict[int, tuple[str, float]], wall: float
) -> dict[str, float]:
    """% of one core per thread name over ``wall`` (threads of one name summed: aiortc's decoders, Qt's pool)."""
    used: dict[str, float] = {}
    for tid, (name, seconds) in after.items():
        used[name] = used.get(name, 0.0) + (seconds - before.get(tid, (name, 0.0))[1]) / wall * 100
    return dict(sorted(used.items(), key=lambda item: -item[1]))


def cpu_percent(before: CpuSample, after: CpuSample, wall: float) -> float:
    """% of one core over ``wall`` seconds. A process that started in between counts from zero; one that ended
    counts through its parent's reaped-children time (when it was reaped by one of the roots)."""
    used = after.reaped - before.reaped
    for pid, seconds in after.live.items():
        used += seconds - before.live.get(pid, 0.0)
    return used / wall * 100


def memory_kib(roots: Sequence[int]) -> tuple[int, int]:
    """(RSS, PSS) in KiB of ``roots`` and their descendants. PSS shares each shared page among its users, so a
    multi-process browser is not counted several times over."""
    rss = pss = 0
    for root in roots:
        for pid in [root, *descendants(root)]:
            with contextlib.suppress(OSError, ValueError):
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        rss += int(line.split()[1])
                for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                    if line.startswith("Pss:"):
                        pss += int(line.split()[1])
    return rss, pss


@dataclass
class MachineSample:
    busy: float  # seconds, all cores, steal excluded
    steal: float

    @classmethod
    def now(cls) -> MachineSample:
        fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
        return cls(busy=(user + nice + system + irq + softirq) / TICKS, steal=steal / TICKS)


# ---------------------------------------------------------------------------------------------------------------
# the processes: Xvfb, the senders, the app
# ---------------------------------------------------------------------------------------------------------------
@contextlib.contextmanager
def xvfb(width: int, height: int) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Xvfb on a display number it picks itself, as the tests start it (``tests/media/conftest.py``)."""
    if shutil.which("Xvfb") is None:  # start_xvfb would ask pytest to skip: say it plainly instead
        raise SystemExit("app_mesh.py: Xvfb is not installed (Debian: apt install xvfb)")
    from tests.media.conftest import start_xvfb

    server = start_xvfb(width, height)
    try:
        yield server.display, server.process
    finally:
        server.stop()


def stop(process: subprocess.Popen[Any], timeout: float = 20.0) -> None:
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class SenderProcess(LineProcess):
    """``_senders.py``: K sessions in one process, added on request; its stats lines read as they come."""

    def __init__(self, server_url: str, room_id: str, peer_user_id: str, log: Path, *, audio: bool) -> None:
        command = [
            sys.executable,
            str(Path(__file__).with_name("_senders.py")),
            "--server",
            server_url,
            "--room",
            room_id,
            "--peer",
            peer_user_id,
            "--resolution",
            SENDER_RESOLUTION,
            "--fps",
            str(SENDER_FPS),
        ]
        if not audio:
            command.append("--no-audio")
        super().__init__("the senders", command, log, {**os.environ, "PYTHONUNBUFFERED": "1"}, stdin=subprocess.PIPE)
        self.wait_for(lambda text: text == "ready", "ready", 30)

    def latest(self) -> dict[str, float]:
        """The newest ``stats`` line as numbers."""
        for line in reversed(self.lines):
            if line.text.startswith("stats "):
                return {k: float(v) for k, v in (item.split("=") for item in line.text.split()[1:])}
        return {}

    def add(self, total: int, timeout: float = 60.0) -> int:
        """Bring the sessions up to ``total`` and wait (at most ``timeout`` s) until all of them are connected to the
        peer; returns how many are."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(f"add {total}\n")
        self.proc.stdin.flush()
        with contextlib.suppress(TimeoutError):
            self.wait_for(
                lambda text: text.startswith("stats ") and f" connected={total} " in text,
                f"{total} connected sessions",
                timeout,
            )
        return self.connected()

    def connected(self) -> int:
        return int(self.latest().get("connected", 0))

    def close(self) -> None:
        if self.proc.poll() is None and self.proc.stdin is not None:
            with contextlib.suppress(OSError):
                self.proc.stdin.write("quit\n")
                self.proc.stdin.close()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@contextlib.contextmanager
def senders_running(server_url: str, room_id: str, peer: str, log: Path, *, audio: bool) -> Iterator[SenderProcess]:
    senders = SenderProcess(server_url, room_id, peer, log, audio=audio)
    try:
        yield senders
    finally:
        senders.close()


@dataclass
class App:
    proc: subprocess.Popen[bytes]
    stats_path: Path
    log_dir: Path
    stderr_path: Path

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stats(self) -> list[dict[str, Any]]:
        """Every complete ``--stats`` line so far."""
        if not self.stats_path.exists():
            return []
        lines = []
        for text in self.stats_path.read_text(encoding="utf-8").splitlines():
            with contextlib.suppress(ValueError):
                lines.append(json.loads(text))
        return lines

    def tail(self, count: int = 20) -> str:
        parts = []
        for path in (self.stderr_path, self.log_dir / "nimeet.log"):
            if path.exists():
                lines = path.read_text(encoding="utf-8", errors="replace").splitlines()[-count:]
                parts += [f"  {path.name}: {line}" for line in lines]
        return "\n".join(parts)

    def check_alive(self) -> None:
        if self.proc.poll() is not None:
            raise RuntimeError(f"the app exited ({self.proc.returncode})\n{self.tail()}")


@contextlib.contextmanager
def app_running(
    app_root: Path, workdir: Path, display: str, server_url: str, room_id: str, email: str, password: str
) -> Iterator[App]:
    binary = app_root / ".venv" / "bin" / "nimeet"
    if not binary.exists():
        raise SystemExit(f"app_mesh.py: no {binary} (run scripts/setup.sh in {app_root})")
    home = workdir / "app"
    (home / "config").mkdir(parents=True)
    stats_path = home / "stats.jsonl"
    env = {
        key: value for key, value in os.environ.items() if key not in ("WAYLAND_DISPLAY", "QT_QPA_PLATFORM", "DISPLAY")
    }
    env.update(
        DISPLAY=display,
        QT_QPA_PLATFORM="xcb",
        NIMEET_CONFIG_DIR=str(home / "config"),
        NIMEET_LOG_DIR=str(home / "log"),
        NIMEET_EMAIL=email,
        NIMEET_PASSWORD=password,
        # No desktop keyring here (and the unattended sign-in keeps its session in memory anyway).
        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
    )
    command = [
        str(binary),
        room_id,
        "--join-now",
        "--server",
        server_url,
        "--no-local-server",
        "--synthetic-media",
        "--ice-host",
        LOOPBACK,
        "--language",
        "en",
        "--stats",
        str(stats_path),
    ]
    stderr_path = home / "stderr.log"
    with stderr_path.open("wb") as stderr:
        proc = subprocess.Popen(command, cwd=app_root, env=env, stdin=subprocess.DEVNULL, stdout=stderr, stderr=stderr)
    app = App(proc, stats_path, home / "log", stderr_path)
    try:
        yield app
    finally:
        stop(proc, timeout=30)


def resize_window(display_name: str, pid: int, size: tuple[int, int], timeout: float = 30.0) -> str:
    """Resize the app's top-level window (found by ``_NET_WM_PID``) to ``size``. Xvfb has no window manager, so
    "maximised" means nothing there: the bench sets a laptop's window size itself. Returns what it did."""
    from Xlib import X, display

    screen = display.Display(display_name)
    try:
        root = screen.screen().root
        wm_pid = screen.intern_atom("_NET_WM_PID")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for window in root.query_tree().children:
                with contextlib.suppress(Exception):
                    prop = window.get_full_property(wm_pid, X.AnyPropertyType)
                    attributes = window.get_attributes()
                    if prop is None or prop.value[0] != pid or attributes.map_state != X.IsViewable:
                        continue
                    geometry = window.get_geometry()
                    if geometry.width < 400:  # a toast or a tooltip, not the main window
                        continue
                    window.configure(x=0, y=0, width=size[0], height=size[1])
                    screen.sync()
                    return f"{geometry.width}x{geometry.height} -> {size[0]}x{size[1]}"
            time.sleep(0.3)
        return "window not found: left at its own size"
    finally:
        screen.close()


# ---------------------------------------------------------------------------------------------------------------
# REST set-up
# ---------------------------------------------------------------------------------------------------------------
@dataclass
class Account:
    user_id: str
    username: str
    email: str
    password: str
    token: str


async def _register(server_url: str, prefix: str) -> Account:
    name = f"{prefix}-{secrets.token_hex(3)}"
    email, password = f"{name}@bench.example", secrets.token_urlsafe(PASSWORD_LENGTH)
    async with ApiClient(server_url) as api:
        auth = await api.register(name, email, password)
    return Account(auth.user.id, auth.user.username, email, password, auth.token)


async def _create_room(server_url: str, account: Account, max_participants: int) -> str:
    async with ApiClient(server_url) as api:
        api.token = account.token
        created = await api.create_room(name=f"{account.username}'s bench", max_participants=max_participants)
    return created.room.room_id


def account_and_room(server_url: str, prefix: str, max_participants: int) -> tuple[Account, str]:
    account = asyncio.run(_register(server_url, prefix))
    return account, asyncio.run(_create_room(server_url, account, max_participants))


# ---------------------------------------------------------------------------------------------------------------
# measuring
# ---------------------------------------------------------------------------------------------------------------
@dataclass
class Tile:
    username: str
    painted_fps: float
    decoded_fps: float
    worst_painted_fps: float  # the lowest single second
    size: str


@dataclass
class Window:
    k: int
    seconds: float
    app_cpu: float  # % of one core
    tiles: list[Tile]
    sent_fps: float
    rss_mib: float
    pss_mib: float
    latency_p50_ms: float | None
    senders_cpu: float
    xvfb_cpu: float
    others_cpu: float
    steal: float
    load1: float
    stats_lines: int
    connected: int  # senders whose connection to the app was up at the window's end
    threads: dict[str, float]  # the app's CPU per thread name, % of one core
    senders_fps: float  # what the senders' one encoder made: below 30, the app was sent less

    @property
    def painted_min(self) -> float:
        return min((t.painted_fps for t in self.tiles), default=math.nan)

    @property
    def painted_median(self) -> float:
        return statistics.median([t.painted_fps for t in self.tiles]) if self.tiles else math.nan

    @property
    def decoded_min(self) -> float:
        return min((t.decoded_fps for t in self.tiles), default=math.nan)

    @property
    def decoded_median(self) -> float:
        return statistics.median([t.decoded_fps for t in self.tiles]) if self.tiles else math.nan

    @property
    def worst_second(self) -> float:
        return min((t.worst_painted_fps for t in self.tiles), default=math.nan)


def _mean(values: list[float]) -> float:
    return statistics.fmean(values) if values else math.nan


def summarize_stats(lines: list[dict[str, Any]]) -> tuple[list[Tile], float, float | None]:
    """Per tile (by username) the mean of its per-second figures; the mean sent fps; the median latency."""
    per_tile: dict[str, list[dict[str, Any]]] = {}
    for line in lines:
        for tile in line.get("tiles", []):
            per_tile.setdefault(str(tile.get("username")), []).append(tile)
    tiles = []
    latencies: list[float] = []
    for username, samples in sorted(per_tile.items()):
        painted = [float(s.get("paintedFps") or 0.0) for s in samples]
        decoded = [float(s.get("decodedFps") or 0.0) for s in samples]
        latencies += [float(s["latencyMs"]) for s in samples if s.get("latencyMs") is not None]
        last = samples[-1]
        tiles.append(
            Tile(
                username=username,
                painted_fps=_mean(painted),
                decoded_fps=_mean(decoded),
                worst_painted_fps=min(painted),
                size=f"{last.get('width')}x{last.get('height')}",
            )
        )
    sent = _mean([float((line.get("sent") or {}).get("fps") or 0.0) for line in lines])
    latency = statistics.median(latencies) if latencies else None
    return tiles, sent, latency


def wait_for_tiles(app: App, k: int, timeout: float = 30.0) -> str | None:
    """Until the app's newest stats line shows ``k`` tiles that all decode video; what is missing after ``timeout``
    s, or None."""
    deadline = time.monotonic() + timeout
    while True:
        app.check_alive()
        lines = app.stats()
        tiles = lines[-1].get("tiles", []) if lines else []
        showing = sum(1 for t in tiles if (t.get("decodedFps") or 0) > 0)
        if showing >= k:
            return None
        if time.monotonic() > deadline:
            return f"the app decodes video of {showing} of {k} senders after {timeout:.0f} s"
        time.sleep(0.5)


def measure(k: int, app: App, senders: SenderProcess, xvfb_pid: int, seconds: float) -> Window:
    app.check_alive()
    t0, wall0 = time.monotonic(), time.time()
    app0, snd0, x0, m0 = (
        CpuSample.of([app.pid]),
        CpuSample.of([senders.pid]),
        CpuSample.of([xvfb_pid]),
        MachineSample.now(),
    )
    sent0 = senders.latest()
    threads0 = thread_seconds(app.pid)
    time.sleep(seconds)
    threads1 = thread_seconds(app.pid)
    t1, wall1 = time.monotonic(), time.time()
    sent1 = senders.latest()
    app1, snd1, x1, m1 = (
        CpuSample.of([app.pid]),
        CpuSample.of([senders.pid]),
        CpuSample.of([xvfb_pid]),
        MachineSample.now(),
    )
    rss, pss = memory_kib([app.pid])
    wall = t1 - t0
    app_cpu = cpu_percent(app0, app1, wall)
    senders_cpu = cpu_percent(snd0, snd1, wall)
    xvfb_cpu = cpu_percent(x0, x1, wall)
    # The lines stamped inside the window (each describes the second before its "t").
    lines = [line for line in app.stats() if wall0 + 1.0 <= float(line.get("t", 0)) <= wall1 + 0.5]
    tiles, sent, latency = summarize_stats(lines)
    return Window(
        k=k,
        seconds=wall,
        app_cpu=app_cpu,
        tiles=tiles,
        sent_fps=sent,
        rss_mib=rss / 1024,
        pss_mib=pss / 1024,
        latency_p50_ms=latency,
        senders_cpu=senders_cpu,
        xvfb_cpu=xvfb_cpu,
        others_cpu=max(0.0, (m1.busy - m0.busy) / wall * 100 - app_cpu - senders_cpu - xvfb_cpu),
        steal=(m1.steal - m0.steal) / wall * 100,
        load1=os.getloadavg()[0],
        stats_lines=len(lines),
        connected=senders.connected(),
        threads=threads_percent(threads0, threads1, wall),
        senders_fps=_senders_fps(sent0, sent1),
    )


def _senders_fps(before: dict[str, float], after: dict[str, float]) -> float:
    """Frames the senders' shared encoder made per second between two of their stats lines."""
    if "t" not in before or "t" not in after or after["t"] <= before["t"]:
        return math.nan
    return (after["encoded"] - before["encoded"]) / (after["t"] - before["t"])


def print_window(w: Window) -> None:
    latency = "" if w.latency_p50_ms is None else f", capture-to-paint p50 {w.latency_p50_ms:.0f} ms"
    print(
        f"K={w.k} ({w.connected} connected): app {w.app_cpu:5.1f} % CPU, painted fps min {w.painted_min:4.1f}"
        f" / median {w.painted_median:4.1f} (worst second {w.worst_second:4.1f}), decoded min {w.decoded_min:4.1f}"
        f" / median {w.decoded_median:4.1f},"
        f" sent {w.sent_fps:4.1f} fps, RSS {w.rss_mib:.0f} MiB / PSS {w.pss_mib:.0f} MiB{latency}"
        f" | senders {w.senders_cpu:5.1f} % ({w.senders_fps:4.1f} fps), Xvfb {w.xvfb_cpu:4.1f} %,"
        f" everything else {w.others_cpu:5.1f} %,"
        f" steal {w.steal:4.1f} %, load {w.load1:.2f}",
        flush=True,
    )
    busy = [f"{name} {share:.1f}" for name, share in w.threads.items() if share >= 0.5]
    print(f"      the app's threads (% of one core): {', '.join(busy)}", flush=True)
    for tile in w.tiles:
        print(
            f"      {tile.username:>18} {tile.size:>9}: painted {tile.painted_fps:4.1f} fps (worst second"
            f" {tile.worst_painted_fps:4.1f}), decoded {tile.decoded_fps:4.1f} fps",
            flush=True,
        )


def wait_quiet(ours: Sequence[int], below: float, timeout: float) -> str:
    """Wait until the rest of the machine (everything but ``ours`` and their children) uses less than ``below`` % of
    one core over 2 s, at most ``timeout`` s: other people's test runs share these two cores, and a window measured
    while they run says more about them than about the app. Says how long it waited (and what it saw)."""
    if below <= 0:
        return "not waited"
    started = time.monotonic()
    others = math.inf
    while True:
        t0, m0, c0 = time.monotonic(), MachineSample.now(), CpuSample.of(ours)
        time.sleep(2.0)
        t1, m1, c1 = time.monotonic(), MachineSample.now(), CpuSample.of(ours)
        others = (m1.busy - m0.busy) / (t1 - t0) * 100 - cpu_percent(c0, c1, t1 - t0)
        if others < below:
            return f"quiet after {t1 - started:.0f} s (the rest of the machine {max(0.0, others):.0f} %)"
        if t1 - started > timeout:
            return f"not quiet after {timeout:.0f} s (the rest of the machine {others:.0f} %): measured anyway"


def quietest(windows: Sequence[Any]) -> Any:
    """Of repeated windows, the one the rest of the machine disturbed least (the least "everything else" CPU)."""
    return min(windows, key=lambda w: w.others_cpu)


def run_app(args: argparse.Namespace, workdir: Path, server_url: str) -> tuple[list[Window], list[Window]]:
    """(the quietest window of each K, every window measured)."""
    account, room = account_and_room(server_url, "app", max(args.k) + 1)
    windows: list[Window] = []
    every: list[Window] = []
    with (
        xvfb(*SCREEN) as (display, xserver),
        senders_running(server_url, room, account.user_id, workdir / "senders.log", audio=args.audio) as senders,
        app_running(args.app_root, workdir, display, server_url, room, account.email, account.password) as app,
    ):
        deadline = time.monotonic() + 60
        while not app.stats():  # the app signed in and joined: it writes a line a second while in a call
            app.check_alive()
            if time.monotonic() > deadline:
                raise TimeoutError(f"the app wrote no stats line in 60 s\n{app.tail()}")
            time.sleep(0.5)
        resized = resize_window(display, app.pid, args.window_size) if args.window_size else "its own size"
        print(f"app window: {resized} on a {SCREEN[0]}x{SCREEN[1]} Xvfb", flush=True)
        if args.nice:
            groups = renice([app.pid, senders.pid, xserver.pid], args.nice)
            print(f"nice {args.nice}: {', '.join(groups)}", flush=True)
        ours = [app.pid, senders.pid, xserver.pid]
        for k in args.k:
            # The app may lose connections under load: the window then shows it (tiles at 0 fps) rather than
            # ending the run.
            try:
                if (connected := senders.add(k)) < k:
                    print(f"K={k}: {connected} of {k} senders connected to the app after 60 s", flush=True)
                if (missing := wait_for_tiles(app, k)) is not None:
                    print(f"K={k}: {missing}: measured anyway", flush=True)
            except RuntimeError as exc:  # the app or the senders exited: the figures so far are still worth printing
                print(f"K={k}: not measured: {exc}", flush=True)
                break
            time.sleep(args.warmup)
            measured = []
            for _ in range(args.repeat):
                print(f"K={k}: {wait_quiet(ours, args.quiet_below, args.quiet_wait)}", flush=True)
                if args.nice:
                    renice(ours, args.nice)
                    nice_threads([senders.pid], SENDERS_THREAD_NICE)
                measured.append(measure(k, app, senders, xserver.pid, args.window))
                print_window(measured[-1])
            every += measured
            windows.append(quietest(measured))
    return windows, every


# ---------------------------------------------------------------------------------------------------------------
# Chromium side by side (K = 1)
# ---------------------------------------------------------------------------------------------------------------
@dataclass
class ChromiumWindow:
    cpu: float
    rss_mib: float
    pss_mib: float
    processes: int
    sent_fps: float | None
    decoded_fps: float | None  # of the one remote video, counted over the window
    painted_fps: float | None
    senders_cpu: float
    others_cpu: float
    steal: float
    load1: float


def _remote_counts(stats: dict[str, Any]) -> tuple[float | None, float | None, float | None]:
    """(sent frames, frames decoded, frames painted) of the one remote participant, None when not reported."""
    remotes = stats.get("remotes") or []
    remote = remotes[0] if remotes else {}
    sent = (stats.get("sent") or {}).get("frames")

    def number(value: Any) -> float | None:
        return float(value) if isinstance(value, int | float) else None

    return number(sent), number(remote.get("framesDecoded")), number(remote.get("paintedFrames"))


def _rate(before: float | None, after: float | None, wall: float) -> float | None:
    return None if before is None or after is None else (after - before) / wall


def run_chromium(args: argparse.Namespace, workdir: Path, server_url: str) -> list[ChromiumWindow]:
    from _chromium import chromium_participant

    account, room = account_and_room(server_url, "chromium", 2)
    with (
        senders_running(server_url, room, account.user_id, workdir / "senders-chromium.log", audio=args.audio) as s,
        chromium_participant(server_url, account.token, room, width=640, height=360, fps=SENDER_FPS) as chrome,
    ):
        if args.nice:
            groups = renice([s.pid, *_roots(list(chrome.pids()))], args.nice)
            print(f"nice {args.nice}: {', '.join(groups)}", flush=True)
        s.add(1)
        time.sleep(args.warmup)
        measured = []
        for _ in range(args.repeat):
            ours = [s.pid, *_roots(list(chrome.pids()))]
            print(f"Chromium: {wait_quiet(ours, args.quiet_below, args.quiet_wait)}", flush=True)
            if args.nice:
                renice(ours, args.nice)
                nice_threads([s.pid], SENDERS_THREAD_NICE)
            measured.append(measure_chromium(chrome, s, args.window))
            print_chromium(measured[-1])
        return measured


def measure_chromium(chrome: ChromiumParticipant, s: SenderProcess, seconds: float) -> ChromiumWindow:
    pids = list(chrome.pids())
    counts0 = _remote_counts(chrome.stats())
    t0 = time.monotonic()
    c0, s0, m0 = CpuSample.of(pids), CpuSample.of([s.pid]), MachineSample.now()
    time.sleep(seconds)
    pids1 = list(chrome.pids())
    c1, s1, m1 = CpuSample.of(pids1), CpuSample.of([s.pid]), MachineSample.now()
    wall = time.monotonic() - t0
    counts1 = _remote_counts(chrome.stats())
    # Every Chromium process is listed: samples are keyed by pid, so walking their children again adds nothing
    # twice (and catches a process started in between).
    cpu = cpu_percent(c0, c1, wall)
    rss, pss = memory_kib(_roots(pids1))
    senders_cpu = cpu_percent(s0, s1, wall)
    sent, decoded, painted = (_rate(a, b, wall) for a, b in zip(counts0, counts1, strict=True))
    return ChromiumWindow(
        cpu=cpu,
        rss_mib=rss / 1024,
        pss_mib=pss / 1024,
        processes=len(pids1),
        sent_fps=sent,
        decoded_fps=decoded,
        painted_fps=painted,
        senders_cpu=senders_cpu,
        others_cpu=max(0.0, (m1.busy - m0.busy) / wall * 100 - cpu - senders_cpu),
        steal=(m1.steal - m0.steal) / wall * 100,
        load1=os.getloadavg()[0],
    )


def _roots(pids: list[int]) -> list[int]:
    """Those of ``pids`` that are no other listed pid's descendant (memory is summed over roots and descendants)."""
    below = {d for p in pids for d in descendants(p)}
    return [p for p in pids if p not in below]


def print_chromium(c: ChromiumWindow) -> None:
    def fps(value: float | None) -> str:
        return "n/a" if value is None else f"{value:4.1f}"

    print(
        f"Chromium K=1: {c.cpu:5.1f} % CPU ({c.processes} processes), painted {fps(c.painted_fps)} / decoded"
        f" {fps(c.decoded_fps)} fps, sent {fps(c.sent_fps)} fps, RSS {c.rss_mib:.0f} MiB / PSS {c.pss_mib:.0f} MiB"
        f" | senders {c.senders_cpu:5.1f} %, everything else {c.others_cpu:5.1f} %, steal {c.steal:4.1f} %,"
        f" load {c.load1:.2f}",
        flush=True,
    )


# ---------------------------------------------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------------------------------------------
def print_table(windows: list[Window]) -> None:
    print()
    print(
        "  K | conn | app CPU % | painted fps min / med | worst s | decoded min / med | sent fps | RSS / PSS MiB"
        " | rest % | load"
    )
    print(
        "----+------+-----------+----------------------+---------+-------------------+----------+---------------"
        "+--------+-----"
    )
    for w in windows:
        print(
            f"{w.k:3d} | {w.connected:4d} | {w.app_cpu:9.1f} | {w.painted_min:9.1f} / {w.painted_median:8.1f} |"
            f" {w.worst_second:7.1f} | {w.decoded_min:7.1f} / {w.decoded_median:7.1f} | {w.sent_fps:8.1f} |"
            f" {w.rss_mib:6.0f} / {w.pss_mib:4.0f} | {w.others_cpu:6.0f} | {w.load1:4.2f}"
        )
    print("(conn: senders connected to the app at the window's end; CPU: % of one core, all the app's threads; fps:")
    print(" the window's mean of the app's per-second figures, the lowest tile / the median tile; worst s: the lowest")
    print(" single second of any tile; rest: the CPU everything else on the machine used, % of one core)")
    print()


def verdicts(windows: list[Window], chromium: ChromiumWindow | None) -> tuple[list[str], bool]:
    lines: list[str] = []
    ok = True
    by_k = {w.k: w for w in windows}
    if (w7 := by_k.get(7)) is not None:
        painted_ok = w7.painted_min >= TARGET_PAINTED_FPS
        # An app that lost its senders uses little CPU: the figure counts only for a call it held.
        held = w7.connected == 7 and len(w7.tiles) >= 7 and w7.decoded_min > 0
        cpu_ok = held and w7.app_cpu <= TARGET_CPU_K7
        ok &= painted_ok and cpu_ok
        lines.append(
            f"K=7 every tile painted >= {TARGET_PAINTED_FPS:g} fps: {verdict(painted_ok)} (lowest tile"
            f" {w7.painted_min:.1f} fps)"
        )
        lost = "" if held else f", but the app did not hold the call: {w7.connected} of 7 senders connected"
        lines.append(f"K=7 app <= {TARGET_CPU_K7:g} % of one core: {verdict(cpu_ok)} ({w7.app_cpu:.1f} %{lost})")
    else:
        lines.append("K=7 targets: not measured (add 7 to --k)")
    if (w1 := by_k.get(1)) is not None:
        if w1.latency_p50_ms is not None:
            latency_ok = w1.latency_p50_ms <= TARGET_LATENCY_MS
            ok &= latency_ok
            lines.append(
                f"K=1 capture-to-paint p50 <= {TARGET_LATENCY_MS:g} ms: {verdict(latency_ok)}"
                f" ({w1.latency_p50_ms:.0f} ms)"
            )
        else:
            lines.append("K=1 capture-to-paint latency: not reported by this app (no latencyMs in its --stats)")
        if chromium is not None and chromium.cpu > 0:
            ratio = w1.app_cpu / chromium.cpu
            ratio_ok = ratio <= TARGET_CHROMIUM_RATIO
            ok &= ratio_ok
            lines.append(
                f"K=1 app <= {TARGET_CHROMIUM_RATIO:g} x Chromium's CPU: {verdict(ratio_ok)} ({w1.app_cpu:.1f} % vs"
                f" {chromium.cpu:.1f} %: {ratio:.2f} x; memory PSS {w1.pss_mib:.0f} vs {chromium.pss_mib:.0f} MiB)"
            )
        else:
            lines.append("K=1 app vs Chromium: not measured (--no-chromium)")
    else:
        lines.append("K=1 targets: not measured (add 1 to --k)")
    return lines, ok


def window_size(text: str) -> tuple[int, int] | None:
    if text == "own":
        return None
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--window-size wants WxH or 'own', not {text!r}") from None
    if not (640 <= width <= SCREEN[0] and 400 <= height <= SCREEN[1]):
        raise argparse.ArgumentTypeError(f"--window-size: within 640x400 and {SCREEN[0]}x{SCREEN[1]}")
    return width, height


def parse_ks(text: str) -> list[int]:
    try:
        ks = sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError(f"--k wants numbers like 1,2,7, not {text!r}") from None
    if not ks or ks[0] < 1 or ks[-1] > 7:
        raise argparse.ArgumentTypeError("--k: between 1 and 7 (a room holds the app and 7 others)")
    return ks


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--k", type=parse_ks, default=list(range(1, 8)), help="numbers of senders (default 1,...,7)")
    p.add_argument("--warmup", type=float, default=5.0, help="settling seconds after each K (default %(default)s)")
    p.add_argument("--window", type=float, default=15.0, help="seconds measured per K (default %(default)s)")
    p.add_argument(
        "--app-root",
        type=Path,
        default=REPO,
        help="the checkout whose .venv/bin/nimeet is measured (default: this one)",
    )
    p.add_argument(
        "--window-size",
        type=window_size,
        default=WINDOW,
        metavar="WxH",
        help=f"the app's window (default {WINDOW[0]}x{WINDOW[1]}; 'own': the size it opens at)",
    )
    p.add_argument("--no-chromium", action="store_true", help="skip Chromium side by side at K = 1")
    p.add_argument("--no-audio", dest="audio", action="store_false", help="the senders send video only")
    p.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="windows per K; the table keeps the one the rest of the machine disturbed least (default %(default)s)",
    )
    p.add_argument(
        "--quiet-below",
        type=float,
        default=40.0,
        metavar="PCT",
        help="before each window, wait until the rest of the machine uses less than this %% of one core (0: never"
        " wait; default %(default)s)",
    )
    p.add_argument("--quiet-wait", type=float, default=300.0, help="the longest such wait, s (default %(default)s)")
    p.add_argument(
        "--nice",
        type=int,
        default=0,
        help="give the autogroup (the session) of the app, its senders and Xvfb, and Chromium's, this nice value, e.g."
        " -10 on a machine others load: CPU time is the same work, but the app is not starved into dropping frames"
        " (needs root)",
    )
    p.add_argument("--workdir", type=Path, help="keep the logs and the --stats file here (default: a temp dir)")
    p.add_argument("--json", metavar="OUT", type=Path, help="write every figure here as JSON")
    args = p.parse_args(argv)
    args.app_root = args.app_root.resolve()
    if args.repeat < 1:
        p.error("--repeat must be at least 1")

    commit = subprocess.run(
        ["git", "-C", str(args.app_root), "log", "-1", "--format=%h %s"], capture_output=True, text=True
    ).stdout.strip()
    print(machine_line())
    print(f"app: {args.app_root} ({commit or 'not a git checkout'})")
    if args.nice:
        print(f"the app's, its senders', Xvfb's and Chromium's autogroups run at nice {args.nice}")
    print(
        f"senders: {SENDER_RESOLUTION}@{SENDER_FPS}{' + tone' if args.audio else ''}, one process, encoded once;"
        f" {args.warmup:g} s settling and a {args.window:g} s window per K; CPU % of one core",
        flush=True,
    )
    chromium: ChromiumWindow | None = None
    chromium_every: list[ChromiumWindow] = []
    with contextlib.ExitStack() as stack:
        if args.workdir is None:
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="nimeet-app-mesh-")))
        else:
            workdir = args.workdir.resolve()
            workdir.mkdir(parents=True, exist_ok=False)
        server = stack.enter_context(server_running(workdir))
        if args.nice:  # the benchmark's own session (its children's, unless they start one) back to normal at exit
            stack.callback(renice, [os.getpid()], 0)
        windows, every = run_app(args, workdir, server.url)
        if not args.no_chromium and 1 in args.k:
            chromium_every = run_chromium(args, workdir, server.url)
            chromium = quietest(chromium_every)
    print(machine_line())
    print_table(windows)
    lines, ok = verdicts(windows, chromium)
    for line in lines:
        print(line)
    if args.json is not None:
        report = {
            "app": str(args.app_root),
            "commit": commit,
            "warmupS": args.warmup,
            "windowS": args.window,
            "senderAudio": args.audio,
            "nice": args.nice,
            "windowSize": args.window_size,
            "windows": [
                {
                    **asdict(w),
                    "paintedMin": w.painted_min,
                    "paintedMedian": w.painted_median,
                    "decodedMin": w.decoded_min,
                    "decodedMedian": w.decoded_median,
                    "worstSecond": w.worst_second,
                }
                for w in windows
            ],
            "everyWindow": [asdict(w) for w in every],
            "chromium": None if chromium is None else asdict(chromium),
            "chromiumEveryWindow": [asdict(c) for c in chromium_every],
            "verdicts": lines,
            "ok": ok,
        }
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
