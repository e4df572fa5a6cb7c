"""The call engine's own event loop, in a thread of its own: uvloop where it is installed, else asyncio's.

Why a thread of its own: under qasync every loop operation goes through Qt's event dispatcher, 4-12x the cost of a
plain asyncio loop (a task switch 10.6 µs against 3.0, 1.5 on uvloop), and packets and paints wait on each other
(docs/architecture.md, "Threads"). The engine is Qt-free and talks to nobody but its observer, so it can run
anywhere; the desktop app runs it here and the headless client (``nimeet-bot``) runs the same kind of loop in its
main thread (``new_event_loop``).

Only the adapter (``ui/engine_call.py``) crosses the boundary: commands go in with ``submit`` / ``run``, events come
out through the observer it installs. ``close`` is idempotent and leaves no thread behind.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from nimeet_desktop.thread_names import name_this_thread, named_executor

logger = logging.getLogger(__name__)

T = TypeVar("T")

CLOSE_TIMEOUT_S = 5.0


def uvloop_available() -> bool:
    try:
        import uvloop  # noqa: F401
    except ImportError:  # Windows, or a platform without a wheel: asyncio's own loop is the fallback
        return False
    return True


def new_event_loop() -> asyncio.AbstractEventLoop:
    """The loop the engine runs on: uvloop's where available (about 2x faster per callback than asyncio's)."""
    if uvloop_available():
        import uvloop

        return uvloop.new_event_loop()
    return asyncio.new_event_loop()


def run(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` on the engine's kind of loop: the headless client's entry point."""
    with asyncio.Runner(loop_factory=new_event_loop) as runner:
        return runner.run(main)


class EngineLoop:
    """An event loop running in its own daemon thread until ``close()``."""

    def __init__(self, name: str = "nimeet-engine", *, exception_handler: Callable[..., None] | None = None) -> None:
        self.name = name
        self._ready = threading.Event()
        self._closed = False
        self._lock = threading.Lock()
        self.loop: asyncio.AbstractEventLoop = new_event_loop()
        if exception_handler is not None:
            self.loop.set_exception_handler(exception_handler)
        # The default executor's threads would otherwise carry the creator's OS name ("nimeet-engine"), and the
        # benchmarks' per-thread figures would count their work (file I/O, device opening) as the loop's.
        self.loop.set_default_executor(named_executor(f"{name}-pool", "engine-pool"))
        # A daemon: a call stuck in a native library at exit must not keep the process alive; close() normally
        # joins it first.
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()
        self._ready.wait()

    @property
    def kind(self) -> str:
        """ "uvloop" or "asyncio": for the log and the architecture notes."""
        return "uvloop" if type(self.loop).__module__.startswith("uvloop") else "asyncio"

    @property
    def thread(self) -> threading.Thread:
        return self._thread

    @property
    def closed(self) -> bool:
        return self._closed

    def in_loop(self) -> bool:
        """True on the engine's own thread."""
        return threading.current_thread() is self._thread

    def _run(self) -> None:
        name_this_thread(self.name)
        asyncio.set_event_loop(self.loop)
        self.loop.call_soon(self._ready.set)
        try:
            self.loop.run_forever()
        finally:
            try:
                self._cancel_remaining()
                self.loop.run_until_complete(self.loop.shutdown_asyncgens())
                self.loop.run_until_complete(self.loop.shutdown_default_executor())
            finally:
                self.loop.close()
                asyncio.set_event_loop(None)

    def _cancel_remaining(self) -> None:
        """Whatever is still running when the loop stops is cancelled and given a chance to clean up."""
        tasks = [task for task in asyncio.all_tasks(self.loop) if not task.done()]
        if not tasks:
            return
        logger.info("engine loop closing: cancelling %d task(s)", len(tasks))
        for task in tasks:
            task.cancel()
        self.loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Run ``coro`` on the engine loop; from any thread. Raises RuntimeError once closed (and closes ``coro``)."""
        with self._lock:
            if self._closed:
                coro.close()
                raise RuntimeError("the engine loop is closed")
            return asyncio.run_coroutine_threadsafe(coro, self.loop)

    async def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Await ``coro`` run on the engine loop from another loop (the UI's). Cancelling the caller cancels it."""
        if self.in_loop():
            return await coro
        return await asyncio.wrap_future(self.submit(coro))

    def call_soon(self, callback: Callable[..., object], *args: object) -> bool:
        """Call ``callback(*args)`` on the engine loop soon; from any thread. False once closed (nothing is run)."""
        with self._lock:
            if self._closed:
                return False
            with contextlib.suppress(RuntimeError):  # closed between our check and the call: nothing to do
                self.loop.call_soon_threadsafe(callback, *args)
                return True
            return False

    def close(self, timeout: float = CLOSE_TIMEOUT_S) -> bool:
        """Stop the loop (cancelling what still runs) and join its thread; idempotent. True if the thread ended."""
        with self._lock:
            first = not self._closed
            self._closed = True
            if first:
                with contextlib.suppress(RuntimeError):
                    self.loop.call_soon_threadsafe(self.loop.stop)
        if self.in_loop():  # closing from inside (a callback): the thread ends when the callback returns
            return False
        self._thread.join(timeout)
        if self._thread.is_alive():
            logger.warning("engine loop %s did not stop within %.1f s", self.name, timeout)
            return False
        return True
