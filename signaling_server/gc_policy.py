"""Keep full garbage-collection passes off the relay path.

CPython 3.11's automatic full collection walks every GC-tracked object; with thousands of connections that is
a stall of 100 ms or more landing on whatever messages are in flight. Two things keep it away:

- At start the policy collects once and freezes what survives (``gc.freeze``): modules, the app, the database
  engine are never garbage, so no later pass walks them. Always on; it costs one pass before serving.
- Optionally (``interval_s > 0``) automatic full passes are switched off and a timer collects and freezes the
  survivors every ``interval_s``, thawing every ``thaw_every`` rounds so cyclic garbage among old objects is
  reclaimed.

Measured with benchmarks/signaling_load (2,000 connections, 2,000 msg/s): with engineio's stock websocket
loop, which made garbage on every message, automatic full passes of 340–410 ms gave p99 97–682 ms and the timer
brought it to 1.6–2.8 ms. With the lean transport (signaling/transport.py) steady relaying makes almost no
cyclic garbage: no full pass in 120 s and p99 1.4 ms without the timer, while the timer's own passes cost
28–54 ms each and 292 ms on a thaw. So the timer is off by default and kept for deployments whose traffic
(heavy connection churn, say) brings automatic full passes back.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time

from signaling_server.tasks import cancel_and_wait

logger = logging.getLogger(__name__)

# Young collections stay cheap and frequent; gen2's threshold is out of reach, the timer does gen2.
YOUNG_THRESHOLDS = (50_000, 20)
NEVER = 1 << 30


class GcPolicy:
    def __init__(self, interval_s: float, thaw_every: int = 6) -> None:
        self._interval_s = interval_s
        self._thaw_every = thaw_every
        self._task: asyncio.Task[None] | None = None
        self._saved: tuple[int, int, int] | None = None
        self._started = False
        self._freezes = 0

    def start(self) -> None:
        if self._started:
            return
        self._started = True
        gc.collect()
        gc.freeze()  # start-up state: never garbage, never walked again
        if self._interval_s > 0:
            self._saved = gc.get_threshold()
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
        logger.debug(
            "gc maintenance",
            extra={
                "thawed": thaw,
                "collected": collected,
                "frozen": gc.get_freeze_count(),
                "ms": round((time.perf_counter() - started) * 1000, 1),
            },
        )

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None
        if self._saved is not None:
            gc.set_threshold(*self._saved)
            self._saved = None
        if self._started:
            gc.unfreeze()
            self._started = False
