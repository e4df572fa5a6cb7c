"""Floods a qasync loop with callbacks from other threads; run in a child process by test_qasync_cross_thread.

Every callback qasync gets from another thread goes through a Qt signal emit: ``call_soon_threadsafe`` emits
one, and ``run_coroutine_threadsafe`` and the completion of ``run_in_executor`` both go through
``call_soon_threadsafe``. PySide6 6.12.0 drops a reference to ``True`` on every ``SignalInstance.emit()``;
on Python 3.11, where ``True`` is not immortal, the process aborts (SIGABRT, "bool_dealloc") once the few
hundred to few thousand references it had are used up. Hence a child process: the parent test sees the exit
status instead of dying with it.

``python -m tests.ui.qasync_stress [scale]`` prints two JSON lines on stdout: first how many references to
``True`` 100 emits lose (must be 0), then the flood's report.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import qasync  # after QT_QPA_PLATFORM
from PySide6.QtCore import QCoreApplication, QObject, Signal
from PySide6.QtWidgets import QApplication

PRODUCER_THREADS = 8
PER_THREAD = 400  # per producer thread and per way in: call_soon_threadsafe, run_coroutine_threadsafe
EXECUTOR_JOBS = 2_000
PROBE_EMITS = 100
DEADLINE = 60.0


@dataclass
class Tally:
    """What arrived (counted on arrival) and how many arrivals ran on a thread other than the loop's."""

    loop_thread: int
    seen: Counter[tuple[str, int, int]] = field(default_factory=Counter)
    wrong_thread: int = 0
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def arrive(self, kind: str, producer: int, seq: int) -> None:
        if threading.get_ident() != self.loop_thread:
            self.wrong_thread += 1
        self.seen[kind, producer, seq] += 1
        if len(self.seen) % 1_000 == 0:
            print(f"progress delivered={len(self.seen)}", file=sys.stderr, flush=True)
        self.changed.set()


async def flood(threads: int, per_thread: int, executor_jobs: int) -> dict[str, Any]:
    """Push ``threads * per_thread * 2 + executor_jobs`` callbacks into the running loop; report what arrived."""
    loop = asyncio.get_running_loop()
    tally = Tally(threading.get_ident())
    expected = {(kind, t, i) for kind in ("soon", "coro") for t in range(threads) for i in range(per_thread)}
    expected |= {("executor", 0, i) for i in range(executor_jobs)}
    executor_threads: set[int] = set()

    async def coro_arrival(producer: int, seq: int) -> None:
        tally.arrive("coro", producer, seq)

    def produce(num: int, start: threading.Barrier) -> None:
        start.wait()
        for seq in range(per_thread):
            loop.call_soon_threadsafe(tally.arrive, "soon", num, seq)
            asyncio.run_coroutine_threadsafe(coro_arrival(num, seq), loop)

    def blocking_job(seq: int) -> int:
        executor_threads.add(threading.get_ident())
        return seq

    def on_job_done(job: asyncio.Future[int]) -> None:
        tally.arrive("executor", 0, job.result())

    start = threading.Barrier(threads)
    producers = [threading.Thread(target=produce, args=(n, start), daemon=True) for n in range(threads)]
    for thread in producers:
        thread.start()
    jobs = []
    for seq in range(executor_jobs):
        job = loop.run_in_executor(None, blocking_job, seq)  # the default executor, as aiortc uses it
        job.add_done_callback(on_job_done)
        jobs.append(job)

    deadline = time.monotonic() + DEADLINE
    while set(tally.seen) != expected and time.monotonic() < deadline:
        tally.changed.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(tally.changed.wait(), timeout=1.0)
    await asyncio.gather(*jobs)
    for thread in producers:
        thread.join(timeout=5.0)
    return {
        "expected": len(expected),
        "delivered": sum(1 for key in expected if tally.seen[key] == 1),
        "missing": len(expected - set(tally.seen)),
        "duplicated": sum(1 for n in tally.seen.values() if n > 1),
        "unexpected": len(set(tally.seen) - expected),
        "wrong_thread": tally.wrong_thread,
        "executor_ran_on_loop_thread": tally.loop_thread in executor_threads,
    }


class _Emitter(QObject):
    fired = Signal(object, tuple)  # the signature qasync's call_soon_threadsafe signal has


def true_refcount_change(app: QCoreApplication, emits: int) -> int:
    """Change of ``sys.getrefcount(True)`` over ``emits`` emits on this thread and as many from another one."""
    emitter = _Emitter()
    received: list[object] = []
    emitter.fired.connect(lambda value, _args: received.append(value))

    def emit_all() -> None:
        for i in range(emits):
            emitter.fired.emit(i, ())

    emitter.fired.emit(-1, ())  # warm up any first-use caches
    app.processEvents()
    before = sys.getrefcount(True)
    emit_all()
    worker = threading.Thread(target=emit_all)
    worker.start()
    worker.join()
    app.processEvents()
    after = sys.getrefcount(True)
    assert len(received) == 2 * emits + 1, len(received)
    return after - before


def true_refs_lost_per_100_emits(app: QCoreApplication) -> float:
    """References to ``True`` a sound binding loses per 100 emits: 0 (100 for PySide6 6.12.0).

    Two runs of different length, so that what the probe itself holds (its thread object) cancels out. On Python
    3.12+ ``True`` is immortal: its count may still move (2 per 100 emits with PySide6 6.11 on 3.13) but it is never
    freed, which is why the abort only happens on 3.11.
    """
    short, long = PROBE_EMITS, 3 * PROBE_EMITS
    return -(true_refcount_change(app, long) - true_refcount_change(app, short)) / (2 * (long - short)) * 100


def versions() -> dict[str, str]:
    return {
        "python": sys.version.split()[0],
        "pyside6_essentials": metadata.version("PySide6-Essentials"),
        "shiboken6": metadata.version("shiboken6"),
        "qasync": metadata.version("qasync"),
    }


def main() -> None:
    scale = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    app = QApplication.instance() or QApplication([sys.argv[0]])
    print(json.dumps({"true_refs_lost_per_100_emits": true_refs_lost_per_100_emits(app)}), flush=True)
    loop = qasync.QEventLoop(app)
    try:
        report = loop.run_until_complete(flood(PRODUCER_THREADS, PER_THREAD * scale, EXECUTOR_JOBS * scale))
    finally:
        loop.close()
    print(json.dumps(report | versions()), flush=True)


if __name__ == "__main__":
    main()
