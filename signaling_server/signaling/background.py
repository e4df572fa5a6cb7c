"""Work the server does for a socket after answering it: owned tasks, and database failures logged once.

Bookkeeping (the participation rows of room history) must never hold up a call: a join is acknowledged at once and
its row is written here. The tasks are kept (an un-referenced task can be collected mid-flight), and a failing
database is reported once with its traceback, then once more when it works again, instead of once per join.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

logger = logging.getLogger(__name__)


class Background:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()

    def __len__(self) -> int:
        return len(self._tasks)

    def spawn(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            # Each job handles its own failures; this is a bug in one, reported with its traceback.
            logger.error("background work failed", exc_info=task.exception())

    async def idle(self) -> None:
        """Wait until every task spawned so far (and those they spawn) has finished."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)


class FailureLog:
    """Logs the first failure of a run with its traceback, then nothing until a success ends the run."""

    def __init__(self, what: str) -> None:
        self._what = what
        self._failures = 0

    def failed(self, extra: dict[str, Any] | None = None) -> None:
        self._failures += 1
        if self._failures == 1:
            logger.exception("could not %s (further failures are counted, not logged)", self._what, extra=extra)

    def succeeded(self) -> None:
        if self._failures:
            logger.warning("%s works again after %d failures", self._what, self._failures)
            self._failures = 0
