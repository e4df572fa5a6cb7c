"""The track each peer's sender reads for the whole life of its connection; what feeds it can change.

aiortc's sender loop ends for good when its track raises ``MediaStreamError`` (a closed camera, a finished screen
share), and a later ``replaceTrack`` does not restart it. So every sender gets one ``OutgoingTrack`` that never
ends while the connection lives; switching camera → screen → nothing re-points it at another feed (our
``replaceTrack``). No renegotiation, no dead sender, and a video switch starts the new feed at a keyframe.
"""

from __future__ import annotations

import asyncio
from typing import Any, Generic, Protocol, TypeVar

from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from nimeet_desktop.call.audio_encoder import EncodedAudio
from nimeet_desktop.call.fanout import Subscription

T = TypeVar("T")


class Feed(Protocol[T]):
    """An encoder or broadcast that peers subscribe to."""

    def subscribe(self) -> Subscription[T]: ...
    def request_keyframe(self) -> None: ...


class OutgoingTrack(MediaStreamTrack, Generic[T]):
    def __init__(self, kind: str, keyframes: bool) -> None:
        super().__init__()
        self.kind = kind
        self._keyframes = keyframes  # video: start every feed (and every gap) at a keyframe
        self.feed: Feed[T] | None = None
        self._subscription: Subscription[T] | None = None
        self._switched = asyncio.Event()
        self._need_keyframe = True
        self._dropped_seen = 0
        self.items_sent = 0  # frames (or encoded packets) handed to the sender, for the benchmarks' figures

    def switch(self, feed: Feed[T] | None) -> None:
        """Send ``feed`` from now on (``None``: send nothing). The previous feed's subscription is released."""
        if feed is self.feed:
            return
        old = self._subscription
        self.feed = feed
        self._subscription = feed.subscribe() if feed is not None else None
        self._need_keyframe = True
        self._dropped_seen = 0
        if feed is not None and self._keyframes:
            feed.request_keyframe()
        if old is not None:
            old.close()  # wakes a recv() waiting on it, which then reads the new feed
        self._switched.set()

    def request_keyframe(self) -> None:
        if self.feed is not None:
            self.feed.request_keyframe()

    async def recv(self) -> Any:
        while True:
            if self.readyState == "ended":
                raise MediaStreamError
            subscription = self._subscription
            if subscription is None:
                self._switched.clear()
                await self._switched.wait()
                continue
            item = await subscription.get()
            if item is None:
                if subscription is self._subscription:  # the feed ended by itself (device gone)
                    self.feed, self._subscription = None, None
                continue
            if not self._keyframes:
                self.items_sent += 1
                return item
            if subscription.dropped != self._dropped_seen:
                # This peer fell behind and lost packets: its decoder needs a fresh keyframe.
                self._dropped_seen = subscription.dropped
                self._need_keyframe = True
                self.request_keyframe()
            if self._need_keyframe:
                if not getattr(item, "is_keyframe", False):
                    continue
                self._need_keyframe = False
            self.items_sent += 1
            return item

    def stop(self) -> None:
        if self._subscription is not None:
            self._subscription.close()
        self.feed, self._subscription = None, None
        self._switched.set()
        super().stop()


class OutgoingAudioTrack(OutgoingTrack[EncodedAudio]):
    """Hands the sender each shared Opus packet and keeps its level, which ``aiortc_compat.send_audio_levels`` puts
    in the packet's header (aiortc measures the level only of frames it encodes itself)."""

    def __init__(self) -> None:
        super().__init__("audio", keyframes=False)
        self.level_dbov: int | None = None

    async def recv(self) -> Any:
        item = await super().recv()
        assert isinstance(item, EncodedAudio)
        self.level_dbov = item.level_dbov
        return item.packet
