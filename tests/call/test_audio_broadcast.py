"""The microphone's broadcast: processed on its own worker thread, muted after processing, what it adds measured."""

from __future__ import annotations

import asyncio
import threading

import numpy as np

from nimeet_desktop.call.audio_broadcast import AudioBroadcast
from nimeet_desktop.media.audio_output import SILENCE_DBFS, Samples, rms_dbfs
from nimeet_desktop.media.audio_processing import AudioProcessingConfig, AudioProcessor
from nimeet_desktop.media.synthetic import SyntheticAudio


class ThreadNoting(AudioProcessor):
    """The real processor, noting which thread runs it."""

    def __init__(self, config: AudioProcessingConfig) -> None:
        super().__init__(config)
        self.threads: set[str] = set()

    def process(self, samples: Samples, capture_delay_s: float = 0.0) -> Samples:
        self.threads.add(threading.current_thread().name)
        return super().process(samples, capture_delay_s)


async def received(broadcast: AudioBroadcast, count: int) -> list[np.ndarray]:
    subscription = broadcast.subscribe()
    frames = []
    for _ in range(count):
        frame = await asyncio.wait_for(subscription.get(), 2)
        assert frame is not None
        frames.append(frame.to_ndarray().reshape(-1))
    return frames


async def test_processing_runs_off_the_loop_and_muting_after_it() -> None:
    processor = ThreadNoting(AudioProcessingConfig(noise_suppression=False, auto_gain_control=False))
    broadcast = AudioBroadcast(SyntheticAudio(), processor=processor)
    broadcast.start()
    try:
        sent = await received(broadcast, 10)
        assert processor.threads and all(name.startswith("nimeet-audio-processing") for name in processor.threads)
        assert threading.current_thread().name not in processor.threads
        assert rms_dbfs(sent[-1]) > -30 and broadcast.level_dbfs > -30

        broadcast.muted = True
        muted = await received(broadcast, 10)
        assert all(not block.any() for block in muted[1:]), "muted must send silence"
        assert broadcast.level_dbfs == SILENCE_DBFS
        assert broadcast.speech_level_dbfs > -30, "the processed microphone is still heard while muted (the hint)"
        assert processor.stats().near_frames >= 40

        added = broadcast.added_latency_ms()
        assert added is not None and added["worker"]["p50"] < 10
    finally:
        await broadcast.close()


async def test_with_every_stage_off_the_frames_go_out_untouched() -> None:
    broadcast = AudioBroadcast(SyntheticAudio(), processor=AudioProcessor(AudioProcessingConfig.off()))
    broadcast.start()
    try:
        sent = await received(broadcast, 5)
        tone = SyntheticAudio()
        expected = [(await tone.recv()).to_ndarray().reshape(-1) for _ in range(5)]
        assert all(np.array_equal(a, b) for a, b in zip(sent, expected, strict=True))
        assert broadcast.added_latency_ms() is None  # nothing went through the worker
    finally:
        await broadcast.close()
