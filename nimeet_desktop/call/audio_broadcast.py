"""The microphone read once and handed to every peer's sender (each still encodes Opus itself: it is cheap)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

import av
from aiortc.mediastreams import MediaStreamError

from nimeet_desktop.call.fanout import FanOut, Subscription
from nimeet_desktop.media.base import AudioSource

logger = logging.getLogger(__name__)

# 10 frames of 20 ms: a sender more than 200 ms behind skips ahead instead of adding delay.
SUBSCRIBER_QUEUE = 10


class AudioBroadcast:
    def __init__(self, source: AudioSource, on_ended: Callable[[str], None] | None = None) -> None:
        self.source = source
        self._on_ended = on_ended
        self._fanout: FanOut[av.AudioFrame] = FanOut()
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        self.frames_read = 0
        self.first_read_at: float | None = None
        self.last_read_at: float | None = None

    def start(self) -> None:
        if self._task is None and not self._closed:
            self._task = asyncio.get_running_loop().create_task(self._run(), name=f"audio:{self.source.label}")

    def subscribe(self) -> Subscription[av.AudioFrame]:
        return self._fanout.subscribe(SUBSCRIBER_QUEUE)

    def request_keyframe(self) -> None:
        """Audio has no keyframes (``Feed`` protocol)."""

    async def _run(self) -> None:
        reason = "stopped"
        try:
            while True:
                try:
                    frame = await self.source.recv()
                except MediaStreamError:
                    reason = self.source.ended_reason or "ended"
                    return
                self.frames_read += 1
                self.last_read_at = time.monotonic()
                if self.first_read_at is None:
                    self.first_read_at = self.last_read_at
                self._fanout.publish(frame)
        finally:
            self._fanout.end()
            if not self._closed and self._on_ended is not None:
                self._on_ended(reason)

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        self._fanout.end()
        self.source.stop()
