"""The remote-audio mixer: pure mixing checked by numbers, and real tone tracks mixed with no speaker."""

from __future__ import annotations

import asyncio
import fractions
import math
import time

import av
import numpy as np
import pytest
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from nimeet_desktop.media.audio_output import (
    SILENCE_DBFS,
    AudioMixer,
    _JitterBuffer,
    audio_frame,
    mix_blocks,
    rms_dbfs,
)


class ToneTrack(MediaStreamTrack):
    """A sine tone paced in real time, in any sample rate, layout and format, like a decoded remote track."""

    kind = "audio"

    def __init__(
        self,
        freq: float,
        amplitude: float,
        *,
        rate: int = 48_000,
        layout: str = "mono",
        fmt: str = "s16",
        ptime: float = 0.02,
        frames: int | None = None,
    ) -> None:
        super().__init__()
        self.freq, self.amplitude, self.rate, self.layout, self.fmt = freq, amplitude, rate, layout, fmt
        self.samples = round(rate * ptime)
        self.ptime = ptime
        self.frames = frames
        self.sent = 0
        self.start: float | None = None

    async def recv(self) -> av.AudioFrame:
        if self.readyState != "live" or self.sent == self.frames:
            self.stop()
            raise MediaStreamError
        if self.start is None:
            self.start = time.monotonic()
        delay = self.start + self.sent * self.ptime - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        t = (np.arange(self.samples) + self.sent * self.samples) / self.rate
        wave = self.amplitude * np.sin(2 * np.pi * self.freq * t)
        channels = 2 if self.layout == "stereo" else 1
        if self.fmt == "s16":
            data = np.repeat(np.round(wave * 32767).astype(np.int16), channels).reshape(1, -1)
        else:  # fltp: one plane per channel
            data = np.tile(wave.astype(np.float32), (channels, 1))
        frame = av.AudioFrame.from_ndarray(data, format=self.fmt, layout=self.layout)
        frame.sample_rate = self.rate
        frame.pts = self.sent * self.samples
        frame.time_base = fractions.Fraction(1, self.rate)
        self.sent += 1
        return frame


def block(*values: int) -> np.ndarray:
    return np.array(values, dtype=np.int16)


@pytest.mark.parametrize(
    ("blocks", "length", "expected"),
    [
        ([], 3, [0, 0, 0]),
        ([block(1, -2, 3)], 3, [1, -2, 3]),
        ([block(1, 2, 3), block(10, 20, 30)], 3, [11, 22, 33]),
        ([block(1, 2, 3), block(-1, -2, -3)], 3, [0, 0, 0]),
        ([block(30000, 100), block(30000, 100)], 2, [32767, 200]),  # clipped, not wrapped
        ([block(-30000, -32768), block(-30000, -1)], 2, [-32768, -32768]),
        ([block(32767), block(32767), block(-32768)], 1, [32766]),  # summed first, clipped once
        ([block(5), block(1, 1, 1)], 3, [6, 1, 1]),  # a short block is zero-padded
    ],
)
def test_mix_blocks(blocks: list[np.ndarray], length: int, expected: list[int]) -> None:
    mixed = mix_blocks(blocks, length)
    assert mixed.dtype == np.int16
    assert mixed.tolist() == expected


def test_mix_blocks_rejects_a_block_that_is_too_long() -> None:
    with pytest.raises(ValueError, match="at most 2"):
        mix_blocks([block(1, 2, 3)], 2)


@pytest.mark.parametrize(
    ("samples", "expected_dbfs"),
    [
        (np.zeros(960, np.int16), SILENCE_DBFS),
        (np.zeros(0, np.int16), SILENCE_DBFS),
        (np.array([32767, -32768] * 480, np.int16), 0.0),
        (np.array([16384, -16384] * 480, np.int16), -6.02),
        (np.round(32767 * np.sin(np.linspace(0, 20 * np.pi, 960, endpoint=False))).astype(np.int16), -3.01),
        (np.ones(960, np.int16), -90.31),
    ],
)
def test_rms_dbfs(samples: np.ndarray, expected_dbfs: float) -> None:
    assert rms_dbfs(samples) == pytest.approx(expected_dbfs, abs=0.01)


def test_audio_frame() -> None:
    frame = audio_frame(np.arange(960, dtype=np.int16), 1920)
    assert (frame.format.name, frame.layout.name, frame.sample_rate, frame.samples) == ("s16", "mono", 48_000, 960)
    assert (frame.pts, frame.time_base) == (1920, fractions.Fraction(1, 48_000))
    assert frame.to_ndarray().reshape(-1).tolist() == list(range(960))


def test_jitter_buffer_primes_caps_and_underruns() -> None:
    buf = _JitterBuffer(capacity=10, prime=4)
    buf.push(block(1, 2, 3))
    assert buf.pull(2) is None  # still filling
    buf.push(block(4, 5))
    first = buf.pull(2)
    assert first is not None
    assert first.tolist() == [1, 2]
    second = buf.pull(4)
    assert second is not None
    assert second.tolist() == [3, 4, 5, 0]  # ran dry: padded, and filling up again
    assert buf.underruns == 1
    assert buf.pull(1) is None
    buf.push(np.arange(1, 15, dtype=np.int16))  # 14 samples into room for 10
    assert buf.dropped_samples == 4
    tail = buf.pull(10)
    assert tail is not None
    assert tail.tolist() == list(range(5, 15))  # the oldest were dropped


def spectrum_peak(samples: np.ndarray, freq: float) -> float:
    """Amplitude (fraction of full scale) of the ``freq`` component."""
    window = np.hanning(samples.size)
    spectrum = np.abs(np.fft.rfft(samples.astype(np.float64) / 32768 * window)) * 2 / window.sum()
    freqs = np.fft.rfftfreq(samples.size, 1 / 48_000)
    near = np.abs(freqs - freq) < 15
    return float(spectrum[near].max())


async def test_mixes_two_tracks_without_a_speaker() -> None:
    mixed: list[np.ndarray] = []
    mixer = AudioMixer(output=False, sink=mixed.append)
    await mixer.start()
    assert not mixer.output_active
    alice = ToneTrack(440, 0.4)  # 48 kHz mono s16, what needs no resampling
    bob = ToneTrack(1000, 0.2, rate=16_000, layout="stereo", fmt="fltp", ptime=0.01)  # resampled and downmixed
    mixer.add("alice", alice)
    mixer.add("bob", bob)
    await asyncio.sleep(1.2)
    levels = mixer.levels()
    frames = mixer.frames_received()
    stats = mixer.stats()
    await mixer.aclose()
    alice.stop()
    bob.stop()

    assert levels["alice"] == pytest.approx(20 * math.log10(0.4 / math.sqrt(2)), abs=0.5)
    assert levels["bob"] == pytest.approx(20 * math.log10(0.2 / math.sqrt(2)), abs=0.5)
    assert 50 <= frames["alice"] <= 65  # 20 ms frames for 1.2 s
    assert 100 <= frames["bob"] <= 130  # 10 ms frames
    assert stats["bob"].dropped_samples == 0
    assert 50 <= len(mixed) <= 65  # the mixer's own clock, 20 ms blocks
    assert all(b.dtype == np.int16 and b.size == 960 for b in mixed)
    signal = np.concatenate(mixed[-40:])  # the last 0.8 s, both tones flowing
    assert spectrum_peak(signal, 440) == pytest.approx(0.4, rel=0.15)
    assert spectrum_peak(signal, 1000) == pytest.approx(0.2, rel=0.15)
    assert spectrum_peak(signal, 700) < 0.02


async def test_levels_follow_participants_and_ended_tracks() -> None:
    mixer = AudioMixer(output=False)
    await mixer.start()
    short = ToneTrack(440, 0.5, frames=5)
    mixer.add("carol", short)
    mixer.add("dave", ToneTrack(440, 0.5))
    await asyncio.sleep(0.3)
    assert mixer.stats()["carol"].ended
    assert mixer.frames_received()["carol"] == 5
    await asyncio.sleep(AudioMixer.LEVEL_HOLD_S)
    levels = mixer.levels()
    assert levels["carol"] == SILENCE_DBFS  # nothing lately: not speaking
    assert levels["dave"] > -20
    mixer.remove("dave")
    mixer.remove("nobody")
    assert set(mixer.levels()) == {"carol"}
    await mixer.aclose()
    await mixer.aclose()
    mixer.close()
    assert mixer.levels() == {}
    with pytest.raises(RuntimeError, match="closed"):
        mixer.add("erin", ToneTrack(440, 0.5))


async def test_no_speaker_falls_back_to_consuming_only() -> None:
    mixer = AudioMixer(device=9999)  # asks for a speaker that is not there
    await mixer.start()
    assert not mixer.output_active
    track = ToneTrack(300, 0.3)
    mixer.add("frank", track)
    await asyncio.sleep(0.2)
    assert mixer.frames_received()["frank"] >= 5
    tasks = [t for t in asyncio.all_tasks() if t.get_name().startswith("audio-mixer")]
    assert tasks
    await mixer.aclose()
    assert all(t.done() for t in tasks)
    track.stop()


async def test_replacing_a_participants_track() -> None:
    mixer = AudioMixer(output=False)
    await mixer.start()
    first, second = ToneTrack(440, 0.5), ToneTrack(440, 0.05)
    mixer.add("gina", first)
    await asyncio.sleep(0.1)
    mixer.add("gina", second)
    await asyncio.sleep(0.15)
    assert mixer.levels()["gina"] == pytest.approx(20 * math.log10(0.05 / math.sqrt(2)), abs=0.5)
    await mixer.aclose()
    first.stop()
    second.stop()
