"""A camera source with its background blurred or replaced (``background.py``): what the call sends and what the
self view shows, since both read the one camera feed.

It wraps the camera's own source, so switching the effect on or off, or the picture behind the person, is a change
of ``effect`` that the next frame follows: the track, its encoder and every peer's sender stay as they are, and
nobody renegotiates.
"""

from __future__ import annotations

import asyncio

import av
from aiortc.mediastreams import MediaStreamError

from nimeet_desktop.media.background import BackgroundEffect
from nimeet_desktop.media.base import DeviceLost, VideoSource
from nimeet_desktop.thread_names import named_executor


class BackgroundSource(VideoSource):
    """``inner``'s frames through ``effect``, composited on a worker thread of its own (off the event loop); with
    the effect off the frames pass untouched and nothing runs on that thread."""

    def __init__(self, inner: VideoSource, effect: BackgroundEffect) -> None:
        super().__init__(inner.label)
        self.inner = inner
        self.effect = effect
        # One thread: the effect keeps per-size caches and is not re-entrant; frames come one at a time anyway.
        self._executor = named_executor("background", "background", max_workers=1)

    async def _next(self) -> av.VideoFrame:
        try:
            frame = await self.inner.recv()
        except MediaStreamError:
            raise DeviceLost(self.inner.ended_reason or "ended") from None
        if self.effect.mode == "off":
            return frame
        return await asyncio.get_running_loop().run_in_executor(self._executor, self.effect.apply, frame)

    def _release(self) -> None:
        self.inner.stop()
        self._executor.shutdown(wait=False, cancel_futures=True)
