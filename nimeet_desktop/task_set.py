"""The one owner of background tasks, for the engine and the UI alike (Qt-free).

asyncio keeps only weak references to tasks, so a task nobody holds can vanish mid-flight, and an exception in a
task nobody awaits is reported late, at garbage collection, if at all. Every background coroutine of the client is
therefore spawned into a ``TaskSet``: it is kept until done, an unexpected exception is logged once *with its stack*
under the owner's logger and handed to the owner's ``on_error``, and closing the owner cancels and awaits them all.

``Once`` is the close pattern aiortc uses (``RTCPeerConnection.close``): the first caller starts the work, every
later or concurrent caller awaits the same work, and cancelling a caller never cancels the work half-way — leaving a
call and then closing the window must not cut the leave short.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

logger = logging.getLogger(__name__)


class TaskSet:
    def __init__(
        self,
        owner: str,
        *,
        on_error: Callable[[BaseException], None] | None = None,
        log: logging.Logger | None = None,
    ) -> None:
        self.owner = owner
        self._on_error = on_error
        self._log = log or logger
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closed = False

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any] | None:
        """Run ``coro`` in the background. Returns None, with the coroutine closed (never "never awaited"), when
        the set is closed or no event loop runs in this thread: work asked for while shutting down is dropped."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if loop is None or self._closed:
            coro.close()
            self._log.debug("%s: not starting %s (%s)", self.owner, name, "closed" if self._closed else "no loop")
            return None
        task = loop.create_task(coro, name=f"{self.owner}:{name}")
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is None:
            return
        self._log.error("%s failed", task.get_name(), exc_info=exc)
        if self._on_error is not None:
            try:
                self._on_error(exc)
            except Exception:
                self._log.exception("%s: error handler failed", self.owner)

    def __len__(self) -> int:
        return len(self._tasks)

    @property
    def busy(self) -> bool:
        return bool(self._tasks)

    async def cancel_all(self) -> None:
        """Cancel every task and wait until each has finished; the set stays usable."""
        current = asyncio.current_task()
        tasks = [task for task in self._tasks if task is not current]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def close(self) -> None:
        """Cancel and await everything; later ``spawn`` calls are refused. Idempotent."""
        self._closed = True
        await self.cancel_all()


class Once:
    """Run an async action at most once; every caller awaits its completion, none can cancel it half-way."""

    def __init__(self, action: Callable[[], Awaitable[None]]) -> None:
        self._action = action
        self._future: asyncio.Future[None] | None = None

    @property
    def started(self) -> bool:
        return self._future is not None

    @property
    def done(self) -> bool:
        return self._future is not None and self._future.done()

    def start(self) -> asyncio.Future[None]:
        """Start the action now if it has not started (from a click handler, say); callers await it later."""
        if self._future is None:
            self._future = asyncio.ensure_future(self._action())
            self._future.add_done_callback(_log_failure)
        return self._future

    async def __call__(self) -> None:
        future = self.start()
        # shield: a caller cancelled while waiting (a window closing) stops waiting; the action itself goes on and
        # whoever comes next still awaits its end.
        await asyncio.shield(future)


def _log_failure(future: asyncio.Future[None]) -> None:
    # Callers see the exception too; this makes sure it is logged even when every caller has stopped waiting.
    if not future.cancelled() and (exc := future.exception()) is not None:
        logger.error("closing failed", exc_info=exc)
