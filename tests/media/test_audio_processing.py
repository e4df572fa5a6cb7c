"""The audio processing (WebRTC's APM through livekit) on the simulated room: the real module, no stand-ins.

Each test runs a few seconds of audio through ``AudioProcessor`` faster than real time: the far end (the synthetic
voice) is handed to the processor as played, goes through ``RoomAcoustics`` and comes back as the microphone.
"""

from __future__ import annotations

import asyncio
import math

import numpy as np
import pytest

from nimeet_desktop.call.desktop_call import DesktopCall
from nimeet_desktop.call.session import CallObserver
from nimeet_desktop.media.audio_output import rms_dbfs
from nimeet_desktop.media.audio_processing import FRAME_SAMPLES, AudioProcessingConfig, AudioProcessor
from nimeet_desktop.media.base import AUDIO_SAMPLES_PER_FRAME
from nimeet_desktop.media.provider import SyntheticMediaProvider
from nimeet_desktop.media.room_sim import EchoFigures, RoomAcoustics, echo_figures
from nimeet_desktop.media.synthetic import SyntheticVoice, voice_samples

BLOCK = AUDIO_SAMPLES_PER_FRAME
AEC_ONLY = AudioProcessingConfig(
    echo_cancellation=True, noise_suppression=False, auto_gain_control=False, high_pass_filter=False
)


def run_room(processor: AudioProcessor, seconds: float, *, talker: bool = False, far: bool = True) -> EchoFigures:
    room = RoomAcoustics(talker=talker)
    out_power: dict[int, float] = {}
    for index in range(int(seconds * 50)):
        played = voice_samples(index * BLOCK, BLOCK) if far else np.zeros(BLOCK, dtype=np.int16)
        processor.analyze_render(played)
        room.play(played)
        mic = room.capture(BLOCK)
        out = processor.process(mic, 0.02).astype(np.float64)
        out_power[room.log[-1].pts] = float(np.mean(out * out))
    return echo_figures(room.log, out_power)


def test_the_echo_canceller_removes_the_rooms_echo() -> None:
    on = run_room(AudioProcessor(AEC_ONLY), 8)
    off = run_room(AudioProcessor(AudioProcessingConfig.off()), 8)
    assert off.erle_db is not None and abs(off.erle_db) < 0.5, "with processing off the output is the input"
    assert on.erle_db is not None and on.erle_db >= 18, on.erle_windows


def test_echo_cancellation_off_leaves_the_echo_with_the_other_stages_on() -> None:
    no_aec = AudioProcessingConfig(echo_cancellation=False, auto_gain_control=False)
    with_aec = AudioProcessingConfig(auto_gain_control=False)
    left = run_room(AudioProcessor(no_aec), 6)
    removed = run_room(AudioProcessor(with_aec), 6)
    assert left.erle_db is not None and removed.erle_db is not None
    assert removed.erle_db - left.erle_db >= 15, (removed.erle_db, left.erle_db)


def test_a_near_end_talker_is_kept_through_double_talk() -> None:
    figures = run_room(AudioProcessor(AEC_ONLY), 8, talker=True)
    assert figures.near_alone_dbfs is not None and figures.near_double_talk_dbfs is not None
    assert figures.near_alone_dbfs > -30, "the talker (a -23 dBFS tone) was removed as if it were echo"
    assert figures.double_talk_change_db is not None and abs(figures.double_talk_change_db) <= 6


def test_noise_suppression_reduces_the_background_and_off_does_not() -> None:
    ns = AudioProcessingConfig(
        echo_cancellation=False, noise_suppression=True, auto_gain_control=False, high_pass_filter=False
    )
    on = run_room(AudioProcessor(ns), 5, far=False)
    off = run_room(AudioProcessor(AudioProcessingConfig.off()), 5, far=False)
    assert on.noise_reduction_db is not None and on.noise_reduction_db >= 10
    assert off.noise_reduction_db is not None and abs(off.noise_reduction_db) < 0.5


def _tone(freq: float, dbfs: float, seconds: float) -> np.ndarray:
    t = np.arange(int(seconds * 48_000)) / 48_000
    return (32767 * 10 ** (dbfs / 20) * np.sin(2 * math.pi * freq * t)).astype(np.int16)


def _through(config: AudioProcessingConfig, samples: np.ndarray) -> np.ndarray:
    processor = AudioProcessor(config)
    return np.concatenate([processor.process(samples[i : i + BLOCK]) for i in range(0, samples.size, BLOCK)])


def test_the_high_pass_filter_removes_hum_only_when_on() -> None:
    hum = _tone(30, -20, 2)
    stage = AudioProcessingConfig(
        echo_cancellation=False, noise_suppression=False, auto_gain_control=False, high_pass_filter=True
    )
    filtered = _through(stage, hum)[48_000:]
    kept = _through(AudioProcessingConfig.off(), hum)[48_000:]
    assert rms_dbfs(kept) == pytest.approx(rms_dbfs(hum[48_000:]), abs=0.1)
    assert rms_dbfs(filtered) < rms_dbfs(hum) - 10


def test_the_gain_control_raises_a_quiet_talker_only_when_on() -> None:
    quiet = (voice_samples(0, 4 * 48_000).astype(np.float64) * 10 ** (-25 / 20)).astype(np.int16)  # -45 dBFS
    stage = AudioProcessingConfig(
        echo_cancellation=False, noise_suppression=False, auto_gain_control=True, high_pass_filter=False
    )
    raised = _through(stage, quiet)[2 * 48_000 :]
    assert rms_dbfs(raised) > rms_dbfs(quiet[2 * 48_000 :]) + 6
    assert np.array_equal(_through(AudioProcessingConfig.off(), quiet), quiet)


def test_a_config_change_applies_to_the_next_frame() -> None:
    processor = AudioProcessor(AudioProcessingConfig.off())
    room = RoomAcoustics()
    outputs: list[tuple[np.ndarray, np.ndarray]] = []
    for index in range(150):
        if index == 50:
            processor.set_config(AEC_ONLY)
        if index == 100:
            processor.set_config(AudioProcessingConfig.off())
        played = voice_samples(index * BLOCK, BLOCK)
        processor.analyze_render(played)
        room.play(played)
        mic = room.capture(BLOCK)
        outputs.append((mic, processor.process(mic)))
    assert all(np.array_equal(mic, out) for mic, out in outputs[:50] + outputs[100:]), "off must pass through"
    assert sum(not np.array_equal(mic, out) for mic, out in outputs[50:100]) >= 45
    assert processor.config == AudioProcessingConfig.off()


def test_blocks_must_be_whole_10_ms_frames_and_cpu_is_counted() -> None:
    processor = AudioProcessor(AEC_ONLY)
    with pytest.raises(ValueError, match="10 ms"):
        processor.process(np.zeros(FRAME_SAMPLES + 1, dtype=np.int16))
    processor.analyze_render(np.zeros(FRAME_SAMPLES * 3 // 2, dtype=np.int16))  # 15 ms: one frame now, half kept
    processor.analyze_render(np.zeros(FRAME_SAMPLES // 2, dtype=np.int16))
    processor.process(np.zeros(BLOCK, dtype=np.int16), 0.05)
    stats = processor.stats()
    assert (stats.far_frames, stats.near_frames) == (2, 2)
    assert stats.near_cpu_ms_per_frame is not None and stats.near_cpu_ms_per_frame < 5
    assert stats.stream_delay_ms == 50


async def test_the_far_end_reference_is_what_the_call_mixer_plays() -> None:
    """The desktop call hands its mixer's output to its processor: a room fed with what ``pull`` returned is then
    cancelled, which it would not be if the reference were anything else (another block, another gain)."""
    call = DesktopCall(
        "http://127.0.0.1:9",
        "token",
        "room",
        [],
        SyntheticMediaProvider(),
        observer=CallObserver(),
        audio_processing=AEC_ONLY,
    )
    call.mixer.add("far", SyntheticVoice())
    room = RoomAcoustics()
    out_power: dict[int, float] = {}
    try:
        await asyncio.sleep(0.1)  # the jitter buffer's prime
        for _ in range(250):  # 5 s; pulled as fast as the voice (paced in real time) comes
            await asyncio.sleep(0.02)
            played = call.mixer.pull()
            room.play(played)
            mic = room.capture(BLOCK)
            out = call.audio_processor.process(mic, 0.02).astype(np.float64)
            out_power[room.log[-1].pts] = float(np.mean(out * out))
        assert call.audio_processor.stats().far_frames == 500
        figures = echo_figures(room.log, out_power)
        assert figures.erle_db is not None and figures.erle_db >= 15, figures.erle_windows

        call.set_audio_processing(AudioProcessingConfig.off())  # the settings window's switches, applied at once
        mic = room.capture(BLOCK)
        assert np.array_equal(call.audio_processor.process(mic), mic)
    finally:
        await call.mixer.aclose()


def test_gain_control_comes_last_and_what_it_got_is_kept_for_the_figures() -> None:
    """Gain control runs after the canceller and the suppressor (a module of its own): ``before_gain`` is the block
    as they left it, and the gain lifts it; with gain control off there is nothing between them."""
    quiet = (voice_samples(0, 4 * 48_000).astype(np.float64) * 10 ** (-25 / 20)).astype(np.int16)
    processor = AudioProcessor(AudioProcessingConfig())
    before, after = [], []
    for start in range(0, quiet.size, 960):
        after.append(processor.process(quiet[start : start + 960]))
        assert processor.before_gain is not None
        before.append(processor.before_gain)
    late = slice(2 * 48_000 // 960, None)
    assert rms_dbfs(np.concatenate(after[late])) > rms_dbfs(np.concatenate(before[late])) + 6
    processor.set_config(AudioProcessingConfig(auto_gain_control=False))
    processor.process(quiet[:960])
    assert processor.before_gain is None
