"""The microphone read once, processed (echo cancellation and friends, ``AudioProcessor``), muted here, encoded to Opus
once (``audio_encoder.py``) and handed to every peer's sender as packets.

Processing and encoding run on a worker thread of the broadcast's own, not on the event loop: the loop carries every
peer's packets and the window. The broadcast (and its thread) outlive the source it reads, so the echo canceller keeps
what it learnt across a change of microphone. Muting is applied after processing, so ``speech_level_dbfs`` still
hears the user (without the far end's echo) while muted: the "you are muted" hint reads it.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import deque
from collections.abc import Callable
from typing import Any

import av
import numpy as np
from numpy.typing import NDArray

from nimeet_desktop.call.audio_encoder import EncodedAudio, OpusPacketEncoder
from nimeet_desktop.call.source_feed import SourceFeed
from nimeet_desktop.media.audio_output import SILENCE_DBFS, Samples, audio_frame, rms_dbfs
from nimeet_desktop.media.audio_processing import FRAME_SAMPLES, AudioProcessor
from nimeet_desktop.media.base import AUDIO_PTIME_S, AUDIO_SAMPLE_RATE, AudioSource
from nimeet_desktop.thread_names import named_executor

logger = logging.getLogger(__name__)

# 10 frames of 20 ms: a sender more than 200 ms behind skips ahead instead of adding delay.
SUBSCRIBER_QUEUE = 10
ADDED_LATENCY_SAMPLES = 500
"""The send-path delays kept (10 s of blocks) for ``added_latency_ms``."""


class AudioBroadcast(SourceFeed[EncodedAudio]):
    def __init__(
        self,
        source: AudioSource,
        on_ended: Callable[[str], None] | None = None,
        processor: AudioProcessor | None = None,
    ) -> None:
        super().__init__(source, SUBSCRIBER_QUEUE, on_ended)
        self.processor = processor
        self.muted = False
        """Sends silence (the device stays open and processed, the timing intact: unmuting is instant)."""
        self.level_dbfs = SILENCE_DBFS
        """What we send, in dBFS (silence while muted): the own tile's speaking ring reads it."""
        self.speech_level_dbfs = SILENCE_DBFS
        """The processed microphone before muting, in dBFS: the user's voice without the far end's echo."""
        self.on_processed: Callable[[int, Samples], None] | None = None
        """Called on the loop with each block's pts and processed samples (before muting): the room simulator's
        echo figures."""
        self.sent_taps: list[Callable[[av.AudioFrame], None]] = []
        """Called on the loop with each block as it is sent (processed; silence while muted): a recording hears our
        microphone as the others do."""
        self.added_latency_s: deque[float] = deque(maxlen=ADDED_LATENCY_SAMPLES)
        """Per processed block: from handing it to the worker to having it back on the loop (both hops and the Opus
        encoding included)."""
        self.worker_latency_s: deque[float] = deque(maxlen=ADDED_LATENCY_SAMPLES)
        """Per processed block: from handing it to the worker until the worker is done (without the way back, which
        waits for the loop like every other task)."""
        # One thread, so blocks are processed in order; created with the broadcast, ended by close().
        self._worker = named_executor("nimeet-audio-processing", "audio-process", max_workers=1)
        self._unprocessable_logged = False
        self._encoder = OpusPacketEncoder()  # used on the worker thread only

    def _capture_delay_s(self) -> float:
        # The block's first sample was captured one block before it was delivered, plus the device's own latency.
        source = self.source
        return AUDIO_PTIME_S + (source.capture_latency_s if isinstance(source, AudioSource) else 0.0)

    async def _handle(self, frame: object) -> None:
        assert isinstance(frame, av.AudioFrame)
        started = time.perf_counter()
        raw: NDArray[Any] = frame.to_ndarray().reshape(-1)
        processor = self.processor
        process = processor is not None and processor.config.any_on and self._processable(frame, raw.size)
        muted = self.muted
        pts = frame.pts or 0
        delay_s = self._capture_delay_s() if process else 0.0
        encoder = self._encoder

        def work() -> tuple[NDArray[Any], av.AudioFrame, list[EncodedAudio], float]:
            # Processing and encoding in one hop: the block crosses to this thread and back once.
            processed: NDArray[Any] = raw
            if process:
                assert processor is not None
                processed = processor.process(raw.astype(np.int16, copy=False), delay_s)
            done_at = time.perf_counter()
            if muted:
                out = audio_frame(np.zeros(frame.samples, dtype=np.int16), pts)
            elif processed is not raw:
                out = audio_frame(processed, pts)
            else:
                out = frame
            return processed, out, encoder.encode(out), done_at

        processed, sent, packets, done_at = await asyncio.get_running_loop().run_in_executor(self._worker, work)
        if process:
            self.worker_latency_s.append(done_at - started)
            self.added_latency_s.append(time.perf_counter() - started)
        self.speech_level_dbfs = rms_dbfs(processed)
        if self.on_processed is not None:
            self.on_processed(pts, processed)
        self.level_dbfs = SILENCE_DBFS if muted else self.speech_level_dbfs
        for tap in self.sent_taps:
            tap(sent)
        for packet in packets:
            self.publish(packet)

    def _processable(self, frame: av.AudioFrame, size: int) -> bool:
        fits = (
            frame.format.name == "s16"
            and frame.layout.name == "mono"
            and frame.sample_rate == AUDIO_SAMPLE_RATE
            and size % FRAME_SAMPLES == 0
        )
        if not fits and not self._unprocessable_logged:
            self._unprocessable_logged = True
            logger.warning(
                "audio of %s sent unprocessed: %s %s %d Hz, %d samples",
                self.source.label,
                frame.format.name,
                frame.layout.name,
                frame.sample_rate,
                size,
            )
        return fits

    def added_latency_ms(self) -> dict[str, dict[str, float]] | None:
        """The delay processing added to the send path lately (``added_latency_s``, ``worker_latency_s``): p50, p99
        and max in ms of each; None before any processed block."""
        if not self.added_latency_s:
            return None

        def figures(values: deque[float]) -> dict[str, float]:
            ordered = sorted(values)
            rank = max(0, math.ceil(0.99 * len(ordered)) - 1)
            return {
                "p50": round(1000 * ordered[len(ordered) // 2], 2),
                "p99": round(1000 * ordered[rank], 2),
                "max": round(1000 * ordered[-1], 2),
            }

        return {"total": figures(self.added_latency_s), "worker": figures(self.worker_latency_s)}

    async def close(self) -> None:
        await super().close()
        self._worker.shutdown(wait=False, cancel_futures=True)
