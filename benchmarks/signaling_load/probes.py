"""The server under load and what is measured around it: its process (``tests/support/server.py``'s runner, the
same as the tests'), CPU and RSS samplers, GC and tracemalloc traces, profilers, file-descriptor limits."""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import resource
import shutil
import signal
import subprocess
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from tests.support.server import FAST_ENV, ServerProcess

# --gc-trace / --tracemalloc: run the same entry point through runpy with instrumentation installed first; nothing in
# signaling_server is changed. --gc-trace logs every collection (end time, generation, pause µs, objects collected) to a
# line-buffered file; --tracemalloc traces Python allocations and dumps a snapshot on each SIGUSR1.
INSTRUMENTED_BOOT = r"""
import gc, os, runpy, signal, sys, time
_trace = os.environ.get("NIMEET_BENCH_GC_TRACE")
if _trace:
    _out = open(_trace, "w", buffering=1)
    _t = [0]
    def _cb(phase, info, _pc=time.perf_counter_ns, _now=time.time_ns):
        if phase == "start":
            _t[0] = _pc()
        else:
            _out.write(f"{_now()} {info['generation']} {(_pc() - _t[0]) // 1000} {info['collected']}\n")
    gc.callbacks.append(_cb)
_snap = os.environ.get("NIMEET_BENCH_TRACEMALLOC")
if _snap:
    import tracemalloc
    tracemalloc.start(int(os.environ.get("NIMEET_BENCH_TRACEMALLOC_FRAMES", "12")))
    _n = [0]
    def _dump(signum, frame):
        path = f"{_snap}.{_n[0]}"
        _n[0] += 1
        tracemalloc.take_snapshot().dump(path + ".tmp")
        os.rename(path + ".tmp", path)
    signal.signal(signal.SIGUSR1, _dump)
sys.argv[0] = "signaling_server"
runpy.run_module("signaling_server", run_name="__main__", alter_sys=True)
"""


def raise_nofile(needed: int) -> tuple[int, int, bool]:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else max(soft, needed, 1 << 16)
    if target > soft:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    return soft, hard, soft >= needed


# The server's environment on top of the tests' (fast argon2, no rate limits, text logs): quiet, as a benchmark
# must not measure its own logging. The report lists only what --server-env changes (all with --verbose).
REPO = Path(__file__).resolve().parents[2]

SERVER_ENV = {**FAST_ENV, "NIMEET_LOG_LEVEL": "warning"}


class BenchServer:
    """The real server through the tests' runner (``ServerProcess``), with the benchmark's instrumentation."""

    def __init__(
        self,
        args: argparse.Namespace,
        *,
        database_url: str = "",
        env: dict[str, str] | None = None,
        data_dir: str | None = None,
        port: int = 0,
        name: str = "server",
    ) -> None:
        # ``data_dir``: several nodes share one (docs/deploy.md section 10), each with its own log and traces.
        self.owns_data_dir = data_dir is None
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="nimeet-bench-")
        self.name = name
        self.log_path = os.path.join(self.data_dir, f"{name}.log")
        env = {"NIMEET_LOG_LEVEL": SERVER_ENV["NIMEET_LOG_LEVEL"], **(env or {})}
        for item in args.server_env:
            key, _, value = item.partition("=")
            env[key] = value
        self.gc_trace_path = os.path.join(self.data_dir, f"{name}-gc-trace.txt") if args.gc_trace else None
        self.snapshot_prefix = os.path.join(self.data_dir, f"{name}-tracemalloc") if args.tracemalloc else None
        self.snapshots = 0
        if self.gc_trace_path:
            env["NIMEET_BENCH_GC_TRACE"] = self.gc_trace_path
        if self.snapshot_prefix:
            env["NIMEET_BENCH_TRACEMALLOC"] = self.snapshot_prefix
        entry = ["-c", INSTRUMENTED_BOOT] if self.gc_trace_path or self.snapshot_prefix else ["-m", "signaling_server"]
        self.process = ServerProcess(
            Path(self.data_dir),
            database_url,
            env=env,
            python=args.python,
            entry=entry,
            cwd=args.server_root,
            stop_timeout=30.0,
            own_session=True,
        )
        # What the run's report shows: everything set for the server, the test signing key aside.
        self.env_overrides = {
            k: v
            for k, v in sorted(self.process.env.items())
            if k != "NIMEET_JWT_SECRET" and not k.startswith("NIMEET_BENCH_")
        }
        self.database_url = database_url
        try:
            self.url = self.process.start(port=port, timeout=args.server_start_timeout)
        except RuntimeError:
            self.process.stop()
            raise
        self.pid = self.process.pid

    def snapshot(self, timeout: float = 300.0) -> str | None:
        """Ask the server (--tracemalloc) for a tracemalloc snapshot; returns its path."""
        if not self.snapshot_prefix:
            return None
        path = f"{self.snapshot_prefix}.{self.snapshots}"
        self.snapshots += 1
        os.kill(self.pid, signal.SIGUSR1)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not os.path.exists(path):
            time.sleep(0.2)
        return path if os.path.exists(path) else None

    def log_tail(self, n: int = 30) -> str:
        return "".join(self.process.stderr_lines[-n:])

    def errors_logged(self) -> list[str]:
        return self.process.errors_logged()

    def stop(self) -> int | None:
        """SIGTERM: uvicorn shuts down gracefully, then re-raises the signal (so the exit code is -15)."""
        code = self.process.stop()
        Path(self.log_path).write_text("".join(self.process.stderr_lines), encoding="utf-8")
        return code

    def cleanup(self) -> None:
        if self.owns_data_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)


def code_fingerprint(root: str) -> dict[str, Any]:
    """Which server code was measured: a hash of signaling_server/**/*.py, plus git HEAD and dirtiness if any."""
    import hashlib

    h = hashlib.sha256()
    pkg = Path(root) / "signaling_server"
    for f in sorted(pkg.rglob("*.py")):
        h.update(str(f.relative_to(pkg)).encode())
        h.update(f.read_bytes())
    out: dict[str, Any] = {"root": str(root), "sha256": h.hexdigest()[:12]}
    try:
        head = subprocess.run(
            ["git", "-C", root, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=10
        )
        if head.returncode == 0:
            out["git_head"] = head.stdout.strip()
            dirty = subprocess.run(
                ["git", "-C", root, "status", "--porcelain", "--", "signaling_server"],
                capture_output=True,
                text=True,
                timeout=10,
            )
            out["git_dirty"] = [ln[3:] for ln in dirty.stdout.splitlines()]
    except (OSError, subprocess.TimeoutExpired):
        pass
    return out


class ProcSampler:
    """CPU time and RSS of one process (psutil when installed, else /proc)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        try:
            import psutil

            self._p: Any = psutil.Process(pid)
        except ImportError:  # pragma: no cover
            self._p = None
        self._tick = os.sysconf("SC_CLK_TCK")

    def cpu_s(self) -> float:
        if self._p is not None:
            t = self._p.cpu_times()
            return float(t.user + t.system)
        with open(f"/proc/{self.pid}/stat") as f:  # pragma: no cover
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / self._tick  # pragma: no cover

    def run_queue_wait_s(self) -> float:
        """Time its main thread (the event loop) was ready to run but waited for a CPU (/proc/<pid>/schedstat): when
        this grows, the process is short of CPU however little CPU it shows, as on a machine shared by more
        processes than it has cores."""
        try:
            with open(f"/proc/{self.pid}/schedstat") as f:
                return int(f.read().split()[1]) / 1e9
        except (OSError, IndexError, ValueError):
            return math.nan

    def fds(self) -> int:
        try:
            return len(os.listdir(f"/proc/{self.pid}/fd"))
        except OSError:  # pragma: no cover
            return -1

    def rss(self) -> int:
        if self._p is not None:
            return int(self._p.memory_info().rss)
        with open(f"/proc/{self.pid}/status") as f:  # pragma: no cover
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        return 0  # pragma: no cover


class ProcGroup:
    """The server's nodes as one: CPU, RSS and file descriptors summed, and each node's on its own."""

    def __init__(self, pids: list[int]) -> None:
        self.samplers = [ProcSampler(pid) for pid in pids]

    def cpu_s(self) -> float:
        return sum(self.cpu_each())

    def cpu_each(self) -> list[float]:
        return [s.cpu_s() for s in self.samplers]

    def rss(self) -> int:
        return sum(self.rss_each())

    def rss_each(self) -> list[int]:
        return [s.rss() for s in self.samplers]

    def fds(self) -> int:
        return sum(s.fds() for s in self.samplers)

    def run_queue_wait_each(self) -> list[float]:
        return [s.run_queue_wait_s() for s in self.samplers]


class TreeSampler:
    """CPU time of a process and its children, e.g. PostgreSQL's postmaster and the backends serving the nodes'
    connections. Children that exit between two samples take their time with them (the pools' backends live on)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid

    def cpu_s(self) -> float:
        try:
            import psutil

            root = psutil.Process(self.pid)
            total = 0.0
            for p in [root, *root.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):
                    t = p.cpu_times()
                    total += t.user + t.system
            return total
        except Exception:
            return math.nan


def gc_summary(path: str | None, start_ns: int, end_ns: int) -> dict[str, Any] | None:
    """Collections the server made between start_ns and end_ns (from --gc-trace)."""
    if not path or not os.path.exists(path):
        return None
    per_gen: dict[int, list[int]] = {0: [], 1: [], 2: []}
    events = []
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) != 4:
                continue
            t, gen, us = int(parts[0]), int(parts[1]), int(parts[2])
            if start_ns <= t < end_ns:
                per_gen[gen].append(us)
                events.append((t, gen, us))
    out: dict[str, Any] = {}
    for gen, v in per_gen.items():
        out[f"gen{gen}"] = {"count": len(v), "total_ms": sum(v) / 1000, "max_ms": (max(v) / 1000) if v else 0.0}
    out["longest"] = [
        {"t_s": (t - start_ns) / 1e9, "gen": g, "ms": us / 1000} for t, g, us in sorted(events, key=lambda e: -e[2])[:5]
    ]
    return out


def tracemalloc_diff(base: str, after: str, conns: int, top: int) -> dict[str, Any]:
    """Python allocations added between two snapshots, per connection, by allocation site and by the innermost
    frame in a library of interest (so a dict made inside asyncio for engineio shows as engineio's)."""
    import tracemalloc

    a = tracemalloc.Snapshot.load(base)
    b = tracemalloc.Snapshot.load(after)
    skip = ("tracemalloc", "<frozen", "/asyncio/", "/json/", "/logging/", "/queue.py", "threading.py", "weakref")
    by_line = b.compare_to(a, "lineno")
    total = sum(s.size_diff for s in by_line)
    by_owner: Counter[str] = Counter()
    for s in b.compare_to(a, "traceback"):
        owner = None
        for fr in reversed(s.traceback):  # most recent call first after reversing tracemalloc's oldest-first order
            name = fr.filename
            if not any(k in name for k in skip):
                owner = name.split("site-packages/")[-1].split("/work/main/")[-1]
                break
        by_owner[owner or s.traceback[-1].filename] += s.size_diff
    return {
        "traced_bytes_per_conn": total / conns if conns else math.nan,
        "by_site": [
            {
                "site": f"{s.traceback[-1].filename.split('site-packages/')[-1]}:{s.traceback[-1].lineno}",
                "bytes_per_conn": s.size_diff / conns,
                "count_per_conn": s.count_diff / conns,
            }
            for s in by_line[:top]
        ],
        "by_module": [{"module": m, "bytes_per_conn": v / conns} for m, v in by_owner.most_common(top)],
    }


def others_cpu(also_mine: tuple[int, ...] = ()) -> dict[int, float]:
    """CPU seconds of every process but this benchmark's own (server, clients, this one), for spotting competing
    load from other users of the machine. Per-process times are precise (scheduler runtime); /proc/stat's machine
    totals are tick-sampled and undercount bursty loads, so they are not used. Processes that exit inside the window
    are missed."""
    try:
        import psutil
    except ImportError:  # pragma: no cover
        return {}
    mine = {os.getpid()}
    # ``also_mine``: processes of the run that are not our children (PostgreSQL's postmaster detaches), with theirs.
    for root in (os.getpid(), *also_mine):
        try:
            p = psutil.Process(root)
            mine.add(root)
            mine.update(c.pid for c in p.children(recursive=True))
        except psutil.Error:  # pragma: no cover
            pass
    out = {}
    for p in psutil.process_iter(["pid"]):
        if p.pid in mine:
            continue
        try:
            t = p.cpu_times()
            out[p.pid] = t.user + t.system
        except psutil.Error:
            continue
    return out


def idle_ticks() -> int:
    """Machine-wide idle + iowait time in clock ticks (/proc/stat): near 0 over a window, every core was busy."""
    with open("/proc/stat") as f:
        parts = f.readline().split()
    return int(parts[4]) + int(parts[5])


def steal_ticks() -> int:
    """Machine-wide steal time in clock ticks (the hypervisor ran someone else on our vCPUs): a noise indicator."""
    with open("/proc/stat") as f:
        parts = f.readline().split()
    return int(parts[8]) if len(parts) > 8 else 0


def others_delta(before: dict[int, float], after: dict[int, float]) -> float:
    return sum(v - before.get(pid, 0.0) for pid, v in after.items())


def start_profiler(args: argparse.Namespace, pid: int) -> subprocess.Popen[bytes]:
    exe = shutil.which("py-spy") or os.path.join(os.path.dirname(args.python), "py-spy")
    cmd = [
        exe,
        "record",
        "--pid",
        str(pid),
        "--duration",
        str(int(args.duration)),
        "-o",
        args.py_spy,
        "--format",
        args.py_spy_format,
        "--rate",
        str(args.py_spy_rate),
    ]
    if args.py_spy_nonblocking:
        cmd.append("--nonblocking")
    if args.py_spy_native:
        cmd.append("--native")  # C frames too (uvloop, orjson, pydantic-core, gc); py-spy must pause the process
    if args.py_spy_format == "raw":
        cmd.append("--full-filenames")
    print("profiling:", " ".join(cmd), flush=True)
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
