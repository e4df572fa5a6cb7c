"""Keep full garbage-collection passes off the relay path.

With thousands of connections the heap holds a million GC-tracked objects, and CPython 3.11's automatic
full collection walks all of them: a 100 ms stall that lands on whichever messages are in flight (p99 of
110–140 ms measured at 2,000 connections). Almost all of those objects are long-lived connection state.

Policy: young generations collect as usual; automatic full passes are switched off; every
``interval_s`` a timer collects and then freezes the survivors (``gc.freeze``), so later passes only walk
objects created since. Frozen objects are still freed by reference counting; only cyclic garbage among them
waits for the next thaw, which happens every ``thaw_every`` freezes (one full pass, amortised over hours).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import time

log = logging.getLogger(__name__)

# Young collections stay cheap and frequent; gen2's threshold is out of reach, the timer does gen2.
YOUNG_THRESHOLDS = (50_000, 20)
NEVER = 1 << 30


class GcPolicy:
    def __init__(self, interval_s: float, thaw_every: int = 6) -> None:
        self._interval_s = interval_s
        self._thaw_every = thaw_every
        self._task: asyncio.Task[None] | None = None
        self._saved: tuple[int, int, int] | None = None
        self._freezes = 0

    def start(self) -> None:
        if self._interval_s <= 0 or self._task is not None:
            return
        self._saved = gc.get_threshold()
        gc.collect()
        gc.freeze()  # imported modules and start-up state: never garbage
        gc.set_threshold(YOUNG_THRESHOLDS[0], YOUNG_THRESHOLDS[1], NEVER)
        self._task = asyncio.get_running_loop().create_task(self._run(), name="gc-policy")

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval_s)
            self.maintain()

    def maintain(self) -> None:
        started = time.perf_counter()
        self._freezes += 1
        thaw = self._freezes % self._thaw_every == 0
        if thaw:
            gc.unfreeze()
        collected = gc.collect()
        gc.freeze()
        log.debug(
            "gc maintenance",
            extra={
                "thawed": thaw,
                "collected": collected,
                "frozen": gc.get_freeze_count(),
                "ms": round((time.perf_counter() - started) * 1000, 1),
            },
        )

    async def stop(self) -> None:
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None
        gc.unfreeze()
        if self._saved is not None:
            gc.set_threshold(*self._saved)
