"""The simulated room measured from outside: what the speaker plays comes back 120 ms later, 10 dB down, with a
300 ms reverberation, over pink noise at -45 dBFS; the near-end talker is on for a second, off for a second."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nimeet_desktop.media.audio_output import rms_dbfs
from nimeet_desktop.media.base import AUDIO_SAMPLE_RATE, AUDIO_SAMPLES_PER_FRAME
from nimeet_desktop.media.room_sim import (
    CapturedParts,
    RoomAcoustics,
    RoomMicrophone,
    echo_figures,
    room_impulse_response,
)

BLOCK = AUDIO_SAMPLES_PER_FRAME


def quiet_room(**kwargs: object) -> RoomAcoustics:
    return RoomAcoustics(noise_dbfs=-200.0, **kwargs)  # type: ignore[arg-type]


def capture_seconds(room: RoomAcoustics, seconds: float, played: np.ndarray | None = None) -> np.ndarray:
    out = []
    for index in range(int(seconds * 50)):
        if played is not None:
            room.play(played[index * BLOCK : (index + 1) * BLOCK])
        out.append(room.capture(BLOCK))
    return np.concatenate(out)


def test_the_echo_arrives_120_ms_after_it_was_played() -> None:
    room = quiet_room()
    click = np.zeros(AUDIO_SAMPLE_RATE, dtype=np.int16)
    click[0] = 30000
    heard = capture_seconds(room, 1.0, click)
    assert int(np.argmax(np.abs(heard))) == round(0.120 * AUDIO_SAMPLE_RATE)
    assert np.all(heard[: round(0.119 * AUDIO_SAMPLE_RATE)] == 0)


def test_the_echo_is_10_db_quieter_than_what_was_played() -> None:
    rng = np.random.default_rng(5)
    played = (rng.standard_normal(3 * AUDIO_SAMPLE_RATE) * 3000).astype(np.int16)
    heard = capture_seconds(quiet_room(), 3.0, played)
    # After the delay and the room's memory have filled: echo power / played power.
    assert rms_dbfs(heard[AUDIO_SAMPLE_RATE:]) - rms_dbfs(played[AUDIO_SAMPLE_RATE:]) == pytest.approx(-10, abs=0.5)


def test_the_room_reverberates_for_300_ms_with_its_direct_sound_8_db_above_the_tail() -> None:
    ir = room_impulse_response()
    tail = ir[1:]
    assert 10 * math.log10(ir[0] ** 2 / float(np.sum(tail**2))) == pytest.approx(8.0, abs=0.01)
    # Schroeder's backward integration of the tail: the energy decay curve; RT60 from its -5 to -25 dB slope (T20 x
    # 3). On the whole response the direct sound alone would be the first 8 dB of decay.
    energy = np.cumsum((tail**2)[::-1])[::-1]
    decay_db = 10 * np.log10(energy / energy[0])
    t5 = int(np.argmax(decay_db <= -5))
    t25 = int(np.argmax(decay_db <= -25))
    rt60 = 3 * (t25 - t5) / AUDIO_SAMPLE_RATE
    assert rt60 == pytest.approx(0.300, abs=0.03)


def test_the_background_is_pink_noise_at_minus_45_dbfs() -> None:
    heard = capture_seconds(RoomAcoustics(), 2.0)
    assert rms_dbfs(heard) == pytest.approx(-45, abs=0.5)
    spectrum = np.abs(np.fft.rfft(heard.astype(np.float64))) ** 2
    freqs = np.fft.rfftfreq(heard.size, 1 / AUDIO_SAMPLE_RATE)
    low = spectrum[(freqs > 100) & (freqs < 200)].mean()
    high = spectrum[(freqs > 1600) & (freqs < 3200)].mean()
    assert 10 * math.log10(low / high) == pytest.approx(10 * math.log10(16), abs=2)  # 1/f: -3 dB per octave


def test_the_near_end_talker_speaks_one_second_in_two() -> None:
    room = quiet_room(talker=True)
    heard = capture_seconds(room, 4.0)
    per_second = [rms_dbfs(heard[i * AUDIO_SAMPLE_RATE : (i + 1) * AUDIO_SAMPLE_RATE]) for i in range(4)]
    assert per_second[0] == pytest.approx(-23, abs=0.5) and per_second[2] == pytest.approx(-23, abs=0.5)
    assert per_second[1] < -90 and per_second[3] < -90
    assert all(parts.talker > 0 for parts in room.log[:50]) and all(parts.talker == 0 for parts in room.log[50:100])


def test_what_the_speaker_played_too_long_ago_is_dropped() -> None:
    room = quiet_room()
    for _ in range(20):  # 400 ms played while the microphone captured nothing: a clock running ahead
        room.play(np.full(BLOCK, 1000, dtype=np.int16))
    heard = capture_seconds(room, 0.5)
    assert np.count_nonzero(heard) <= 0.1 * AUDIO_SAMPLE_RATE + room_impulse_response().size


def test_echo_figures_count_only_the_moments_they_describe() -> None:
    noise = 10.0**2
    echo = CapturedParts(0, echo=1000 * noise, noise=noise, talker=0, total=1001 * noise)
    parts = [CapturedParts(i * BLOCK, echo.echo, echo.noise, 0, echo.total) for i in range(50)]  # 1 s echo alone
    parts.append(CapturedParts(50 * BLOCK, echo=noise / 100, noise=noise, talker=0, total=noise))  # noise alone
    # The first 0.5 s reaches 30 dB, the next leaks (10 dB).
    out = {p.pts: p.total / (1000 if i < 25 else 10) for i, p in enumerate(parts[:50])}
    out[50 * BLOCK] = noise
    figures = echo_figures(parts, out)
    assert [round(erle) for _, erle in figures.erle_windows] == [30, 10]
    assert figures.converged_after_s == 0.5  # the end of the first window that reached 25 dB
    assert figures.erle_db == pytest.approx(10, abs=0.01)  # from then on
    assert figures.worst_window_db == pytest.approx(10, abs=0.01)
    assert figures.noise_reduction_db is None  # the first 2 s are not counted
    assert echo_figures(parts, {}).blocks == 0


async def test_the_room_microphone_is_a_paced_source() -> None:
    room = quiet_room()
    mic = RoomMicrophone(room)
    frames = [await mic.recv() for _ in range(5)]
    assert [f.pts for f in frames] == [i * BLOCK for i in range(5)]
    assert all(f.samples == BLOCK and f.sample_rate == AUDIO_SAMPLE_RATE for f in frames)
    mic.stop()
