"""A local source read on a task of its own, and what it makes fanned out to every peer's sender."""

from __future__ import annotations

import asyncio
import time
from abc import abstractmethod
from collections.abc import Callable
from typing import Generic, TypeVar

from aiortc.mediastreams import MediaStreamError

from nimeet_desktop.call.fanout import FanOut, Subscription
from nimeet_desktop.media.base import LocalTrack

T = TypeVar("T")


class SourceFeed(Generic[T]):
    """Subclasses turn each source frame into items with ``_handle`` and ``publish`` them.

    ``on_ended(reason)`` is called when the source ends by itself (a device lost), not after ``close()``.
    """

    def __init__(self, source: LocalTrack, queue_size: int, on_ended: Callable[[str], None] | None) -> None:
        self.source = source
        self._queue_size = queue_size
        self._on_ended = on_ended
        self._fanout: FanOut[T] = FanOut()
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        self.frames_read = 0
        self.first_read_at: float | None = None
        self.last_read_at: float | None = None

    def start(self) -> None:
        if self._task is None and not self._closed:
            name = f"{self.source.kind}:{self.source.label}"
            self._task = asyncio.get_running_loop().create_task(self._run(), name=name)

    def subscribe(self) -> Subscription[T]:
        return self._fanout.subscribe(self._queue_size)

    @property
    def subscriber_count(self) -> int:
        return self._fanout.subscriber_count

    def request_keyframe(self) -> None:
        """Only video has keyframes (``Feed`` protocol of ``outgoing_track.py``)."""

    def publish(self, item: T) -> None:
        self._fanout.publish(item)

    @abstractmethod
    async def _handle(self, frame: object) -> None: ...

    async def _run(self) -> None:
        try:
            while True:
                try:
                    frame = await self.source.recv()
                except MediaStreamError:
                    break
                self.frames_read += 1
                self.last_read_at = time.monotonic()
                if self.first_read_at is None:
                    self.first_read_at = self.last_read_at
                await self._handle(frame)
        finally:
            self._fanout.end()
        # Only a source that ended by itself is news: a cancelled feed (our own close, a loop shutting down, a
        # task garbage-collected) must not report a lost device, least of all from outside a running loop.
        if not self._closed and self._on_ended is not None:
            self._on_ended(self.source.ended_reason or "ended")

    async def close(self) -> None:
        """Stop reading, end every subscriber, stop the source. Idempotent."""
        if self._closed:
            return
        self._closed = True
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        self._fanout.end()
        self.source.stop()
