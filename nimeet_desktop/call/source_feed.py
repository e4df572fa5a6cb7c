"""A local source read on a task of its own, and what it makes fanned out to every peer's sender."""

from __future__ import annotations

import asyncio
import time
from abc import abstractmethod
from collections.abc import Callable
from typing import Generic, TypeVar

import av
from aiortc.mediastreams import MediaStreamError

from nimeet_desktop.call.fanout import FanOut, Subscription
from nimeet_desktop.media.base import DeviceLost, LocalTrack

T = TypeVar("T")


class _Gap(LocalTrack):
    """Stands in for a device being reopened: delivers nothing until it is replaced (or ended)."""

    def __init__(self, kind: str) -> None:
        super().__init__("reopening")
        self.kind = kind
        self._released = asyncio.Event()

    async def _next(self) -> av.VideoFrame | av.AudioFrame:
        await self._released.wait()
        raise DeviceLost(self.ended_reason or "replaced")

    def _release(self) -> None:
        self._released.set()


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
        self._last_pts: int | None = None
        self._pts_offset = 0
        self._rebase = False
        self.sources_replaced = 0

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
                source = self.source
                try:
                    frame = await source.recv()
                except MediaStreamError:
                    if source is not self.source:
                        continue  # the source was replaced (and the old one stopped) while we waited on it
                    break
                if source is not self.source:
                    continue  # the replaced source's last frame: the new one's come next
                now = time.monotonic()
                self._continue_timeline(frame, now)
                self.frames_read += 1
                self.last_read_at = now
                if self.first_read_at is None:
                    self.first_read_at = self.last_read_at
                await self._handle(frame)
        finally:
            self._fanout.end()
        # Only a source that ended by itself is news: a cancelled feed (our own close, a loop shutting down, a
        # task garbage-collected) must not report a lost device, least of all from outside a running loop.
        if not self._closed and self._on_ended is not None:
            self._on_ended(self.source.ended_reason or "ended")

    # ---- replacing the source (a device switched during a call) ----------------------------------------------

    async def replace_source(self, source: LocalTrack) -> None:
        """Read ``source`` from now on and stop the current one: every subscriber (each peer's sender) keeps its
        subscription, so nobody renegotiates and nobody re-subscribes. The caller opens ``source`` first (in a
        worker thread), so the only gap is the new device's first frame. Stopping the old device (PortAudio's
        close can take tens of milliseconds) runs in a worker thread, off the loop that is sending."""
        if self._closed:
            source.stop()
            return
        old, self.source = self.source, source
        self._rebase = True
        self.sources_replaced += 1
        self.request_keyframe()  # a video decoder must start the new picture at a keyframe
        if isinstance(old, _Gap):
            old.stop()  # wakes an asyncio.Event: on the loop
        else:
            await asyncio.to_thread(old.stop)

    async def reopen_source(self, open_source: Callable[[], LocalTrack]) -> bool:
        """Stop the current source first, then open (``open_source`` runs in a worker thread) and read a new one:
        for a device that cannot be opened twice (a V4L2 camera streams to one opener), e.g. the same camera at
        another mode. Subscribers keep waiting through the gap. If it will not open, the feed ends as if the device
        were lost (``on_ended`` tells why) and False is returned."""
        if self._closed:
            return False
        gap = _Gap(self.source.kind)
        old, self.source = self.source, gap
        await asyncio.to_thread(old.stop)
        try:
            source = await asyncio.to_thread(open_source)
        except Exception as exc:  # absent, busy, unplugged meanwhile
            gap.end(f"{old.label} could not be reopened: {exc}")
            return False
        await self.replace_source(source)
        return True

    def _continue_timeline(self, frame: object, now: float) -> None:
        """Every source counts its pts from 0: shift a replacing source's onto the replaced one's timeline (plus the
        real time between their frames), so the RTP timestamps the others receive keep going forward instead of
        jumping back, which their jitter buffers would take as a stream reset."""
        if not isinstance(frame, av.frame.Frame) or frame.pts is None or frame.time_base is None:
            return
        pts, time_base = frame.pts, frame.time_base
        if self._rebase:
            self._rebase = False
            if self._last_pts is not None and self.last_read_at is not None:
                elapsed = max(now - self.last_read_at, 0.001)
                self._pts_offset = self._last_pts + max(1, round(elapsed / time_base)) - pts
        if self._pts_offset:
            frame.pts = pts + self._pts_offset
        self._last_pts = frame.pts

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
