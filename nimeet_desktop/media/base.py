"""What every local media source is: a paced aiortc track that ends cleanly when its device goes away.

Video sources emit ``yuv420p`` frames only. The conversion happens once, here at the source, because every
consumer (the shared encoder, the local preview) wants that format, and because sharing frames of other formats
between threads crashed PyAV in our measurements.
"""

from __future__ import annotations

import asyncio
import fractions
import logging
import time
from abc import abstractmethod

import av
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

logger = logging.getLogger(__name__)

VIDEO_CLOCK_RATE = 90_000
VIDEO_TIME_BASE = fractions.Fraction(1, VIDEO_CLOCK_RATE)
AUDIO_SAMPLE_RATE = 48_000
AUDIO_PTIME_S = 0.020
AUDIO_SAMPLES_PER_FRAME = int(AUDIO_SAMPLE_RATE * AUDIO_PTIME_S)
AUDIO_TIME_BASE = fractions.Fraction(1, AUDIO_SAMPLE_RATE)


class DeviceLost(Exception):
    """The device behind a source stopped delivering (unplugged, taken by another app, permission revoked)."""


class FramePacer:
    """Paces a source at a fixed rate on the monotonic clock without drift; skips ahead rather than bursting.

    ``wait()`` returns the pts (in ``clock_rate`` units) of the frame due now.
    """

    def __init__(self, rate_hz: float, clock_rate: int) -> None:
        self.period_s = 1.0 / rate_hz
        self._clock_rate = clock_rate
        self._start: float | None = None
        self._index = 0

    async def wait(self) -> int:
        now = time.monotonic()
        if self._start is None:
            self._start = now
        else:
            self._index += 1
            due = self._start + self._index * self.period_s
            if due < now - self.period_s:
                # We fell behind (a stalled loop, a slow device): drop the missed slots instead of bursting them.
                self._index = int((now - self._start) / self.period_s)
                due = self._start + self._index * self.period_s
            if due > now:
                await asyncio.sleep(due - now)
        return round(self._index * self.period_s * self._clock_rate)


class LocalTrack(MediaStreamTrack):
    """A local source. ``recv()`` raises ``MediaStreamError`` once the source ended, as aiortc expects.

    Subclasses implement ``_next()``; raising ``DeviceLost`` from it ends the track with a logged reason
    (``ended_reason``), never an exception escaping into aiortc's sender loop.
    """

    def __init__(self, label: str) -> None:
        super().__init__()
        self.label = label
        self.ended_reason: str | None = None

    async def recv(self) -> av.VideoFrame | av.AudioFrame:
        if self.readyState == "ended":
            raise MediaStreamError
        try:
            return await self._next()
        except DeviceLost as exc:
            self.end(str(exc) or "device lost")
            raise MediaStreamError from exc

    @abstractmethod
    async def _next(self) -> av.VideoFrame | av.AudioFrame: ...

    def end(self, reason: str) -> None:
        """End the track for good (idempotent); listeners of ``"ended"`` learn why from ``ended_reason``."""
        if self.readyState == "ended":
            return
        self.ended_reason = reason
        logger.info("%s source %r ended: %s", self.kind, self.label, reason)
        self._release()
        self.stop()

    def _release(self) -> None:
        """Free the device (close the camera, the stream). Called once."""

    def stop(self) -> None:
        if self.readyState != "ended" and self.ended_reason is None:
            self.ended_reason = "stopped"
            self._release()
        super().stop()


class VideoSource(LocalTrack):
    kind = "video"

    async def recv(self) -> av.VideoFrame:
        frame = await super().recv()
        assert isinstance(frame, av.VideoFrame)
        return frame


class AudioSource(LocalTrack):
    """``enabled = False`` is mute: the source keeps its device open and its timing, and sends silence, so unmuting
    is instant and nobody renegotiates. Every audio source honours it."""

    kind = "audio"

    def __init__(self, label: str) -> None:
        super().__init__(label)
        self.enabled = True
        self.capture_latency_s = 0.0
        """How long a sample takes from the device to us (PortAudio's input latency); the echo canceller's delay."""

    async def recv(self) -> av.AudioFrame:
        frame = await super().recv()
        assert isinstance(frame, av.AudioFrame)
        return frame
