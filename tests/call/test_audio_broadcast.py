"""The microphone's broadcast: processed on its own worker thread, muted after processing, what it adds measured."""

from __future__ import annotations

import asyncio
import threading

import numpy as np

from nimeet_desktop.call.aiortc_compat import MonoOpusDecoder
from nimeet_desktop.call.audio_broadcast import AudioBroadcast
from nimeet_desktop.media.audio_output import SILENCE_DBFS, Samples, rms_dbfs
from nimeet_desktop.media.audio_processing import AudioProcessingConfig, AudioProcessor
from nimeet_desktop.media.synthetic import SyntheticAudio

from .test_audio_encoder import heard


class ThreadNoting(AudioProcessor):
    """The real processor, noting which thread runs it."""

    def __init__(self, config: AudioProcessingConfig) -> None:
        super().__init__(config)
        self.threads: set[str] = set()

    def process(self, samples: Samples, capture_delay_s: float = 0.0) -> Samples:
        self.threads.add(threading.current_thread().name)
        return super().process(samples, capture_delay_s)


async def received(broadcast: AudioBroadcast, count: int) -> list[np.ndarray]:
    """What a peer hears: the broadcast's Opus packets decoded as a receiver decodes them."""
    subscription = broadcast.subscribe()
    decoder = MonoOpusDecoder()
    frames = []
    for _ in range(count):
        item = await asyncio.wait_for(subscription.get(), 2)
        assert item is not None
        frames.append(heard(decoder, item.packet))
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
        # Opus's decoder fades out what it was playing: the last blocks are silence.
        assert all(rms_dbfs(block) < -90 for block in muted[3:]), "muted must send silence"
        assert broadcast.level_dbfs == SILENCE_DBFS
        assert broadcast.speech_level_dbfs > -30, "the processed microphone is still heard while muted (the hint)"
        assert processor.stats().near_frames >= 40

        added = broadcast.added_latency_ms()
        assert added is not None and added["worker"]["p50"] < 10
    finally:
        await broadcast.close()


async def test_with_every_stage_off_the_frames_go_out_unprocessed() -> None:
    processor = ThreadNoting(AudioProcessingConfig.off())
    broadcast = AudioBroadcast(SyntheticAudio(), processor=processor)
    broadcast.start()
    try:
        sent = await received(broadcast, 10)
        tone = SyntheticAudio()
        expected = [(await tone.recv()).to_ndarray().reshape(-1) for _ in range(10)]
        # Encoded and decoded, the tone keeps its level (Opus is lossy: not sample for sample).
        assert abs(rms_dbfs(np.concatenate(sent[3:])) - rms_dbfs(np.concatenate(expected[3:]))) < 1.0
        assert processor.threads == set() and processor.stats().near_frames == 0
        assert broadcast.added_latency_ms() is None  # nothing was processed
    finally:
        await broadcast.close()
