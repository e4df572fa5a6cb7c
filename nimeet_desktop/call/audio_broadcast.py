"""The microphone read once and handed to every peer's sender (each still encodes Opus itself: it is cheap)."""

from __future__ import annotations

from collections.abc import Callable

import av

from nimeet_desktop.call.source_feed import SourceFeed
from nimeet_desktop.media.audio_output import SILENCE_DBFS, rms_dbfs
from nimeet_desktop.media.base import AudioSource

# 10 frames of 20 ms: a sender more than 200 ms behind skips ahead instead of adding delay.
SUBSCRIBER_QUEUE = 10


class AudioBroadcast(SourceFeed[av.AudioFrame]):
    def __init__(self, source: AudioSource, on_ended: Callable[[str], None] | None = None) -> None:
        super().__init__(source, SUBSCRIBER_QUEUE, on_ended)
        self.level_dbfs = SILENCE_DBFS
        """What we send, in dBFS (silence while muted): the own tile's speaking ring reads it."""

    async def _handle(self, frame: object) -> None:
        assert isinstance(frame, av.AudioFrame)
        self.level_dbfs = rms_dbfs(frame.to_ndarray())
        self.publish(frame)
