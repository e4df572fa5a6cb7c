"""What a peer's video sender reads from a local source: encoded once for all (the default), or raw frames that
each sender encodes itself (``EngineOptions.encode_once=False``, kept to measure what encoding once saves)."""

from __future__ import annotations

import time
from collections.abc import Callable

import av

from nimeet_desktop.call.options import EngineOptions
from nimeet_desktop.call.shared_encoder import SharedVideoEncoder
from nimeet_desktop.call.source_feed import SourceFeed
from nimeet_desktop.media.base import VideoSource

# Raw frames are large and a sender that is behind should encode the newest one: keep almost nothing queued.
RAW_SUBSCRIBER_QUEUE = 2


class RawVideoFeed(SourceFeed[av.VideoFrame]):
    """Source frames as they are, fanned out to every peer's sender; aiortc's sender encodes them, so its own
    encoder answers that peer's PLI/FIR and REMB and nothing here needs to."""

    def __init__(self, source: VideoSource, on_ended: Callable[[str], None] | None = None) -> None:
        super().__init__(source, RAW_SUBSCRIBER_QUEUE, on_ended)
        self.latest_frame: av.VideoFrame | None = None
        # The shared encoder's counters, for the same report: frames handed to the senders (each encodes them all).
        self.frames_encoded = 0
        self.first_encoded_at: float | None = None
        self.last_encoded_at: float | None = None
        self.encoded_size: tuple[int, int] | None = None  # (width, height) of the newest frame handed over

    @property
    def bitrate(self) -> int | None:
        """Each sender's own encoder picks its rate: there is no one figure to tell."""
        return None

    async def _handle(self, frame: object) -> None:
        assert isinstance(frame, av.VideoFrame)
        self.latest_frame = frame
        if not self.subscriber_count:
            return
        self.frames_encoded += 1
        self.encoded_size = (frame.width, frame.height)
        self.last_encoded_at = time.monotonic()
        if self.first_encoded_at is None:
            self.first_encoded_at = self.last_encoded_at
        self.publish(frame)


VideoFeed = SharedVideoEncoder | RawVideoFeed


def video_feed(source: VideoSource, options: EngineOptions, on_ended: Callable[[str], None] | None = None) -> VideoFeed:
    if options.encode_once:
        return SharedVideoEncoder(source, on_ended=on_ended)
    return RawVideoFeed(source, on_ended=on_ended)
