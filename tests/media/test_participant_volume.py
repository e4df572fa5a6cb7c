"""A participant's volume (the tile's menu): applied to their samples inside the mix, so the speaker and the echo
canceller's far-end reference both get the mix as heard. Real tone tracks into a real mixer (no speaker)."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from nimeet_desktop.media.audio_output import INT16_MAX, AudioMixer, scaled
from tests.media.test_audio_output import ToneTrack, spectrum_peak


def test_scaled_rounds_and_clips_instead_of_wrapping() -> None:
    samples = np.array([100, -100, 20000, -20000, 3], dtype=np.int16)
    assert scaled(samples, 0.5).tolist() == [50, -50, 10000, -10000, 2]
    assert scaled(samples, 2.0).tolist() == [200, -200, INT16_MAX, -32768, 6]
    assert scaled(samples, 0.0).tolist() == [0, 0, 0, 0, 0]
    assert scaled(samples, 1.0) is samples
    assert scaled(samples, 2.0).dtype == np.int16


def test_volume_is_clamped_and_one_is_forgotten() -> None:
    mixer = AudioMixer(output=False)
    mixer.set_volume("ann", 5.0)
    assert mixer.volume("ann") == AudioMixer.MAX_GAIN
    mixer.set_volume("ann", -1.0)
    assert mixer.volume("ann") == 0.0
    mixer.set_volume("ann", 1.0)
    assert mixer.volume("ann") == 1.0
    assert mixer._gains == {}
    with pytest.raises(ValueError, match="finite"):
        mixer.set_volume("ann", float("nan"))
    assert mixer.volume("nobody") == 1.0


async def test_a_participants_volume_changes_the_mixed_samples() -> None:
    """Two tones into one mixer: turning alice down to 25 % and bob up to 200 % moves each tone in the mix, and
    only that one; the levels (the speaking ring) stay what they sent."""
    mixed: list[np.ndarray] = []
    mixer = AudioMixer(output=False, sink=mixed.append)
    await mixer.start()
    alice, bob = ToneTrack(440, 0.4), ToneTrack(1000, 0.1)
    mixer.add("alice", alice)
    mixer.add("bob", bob)
    try:
        await asyncio.sleep(0.6)
        before = np.concatenate(mixed[-20:])
        mixer.set_volume("alice", 0.25)
        mixer.set_volume("bob", 2.0)
        mixed.clear()
        await asyncio.sleep(0.6)
        after = np.concatenate(mixed[-20:])
        levels = mixer.levels()
    finally:
        await mixer.aclose()
        alice.stop()
        bob.stop()
    assert spectrum_peak(before, 440) == pytest.approx(0.4, rel=0.1)
    assert spectrum_peak(before, 1000) == pytest.approx(0.1, rel=0.1)
    assert spectrum_peak(after, 440) == pytest.approx(0.1, rel=0.1)
    assert spectrum_peak(after, 1000) == pytest.approx(0.2, rel=0.1)
    assert levels["alice"] > -12, "the level is what alice sends, not what we play"


async def test_muted_participant_is_silent_and_volume_outlives_a_replaced_track() -> None:
    mixed: list[np.ndarray] = []
    mixer = AudioMixer(output=False, sink=mixed.append)
    await mixer.start()
    first, second = ToneTrack(440, 0.5), ToneTrack(440, 0.5)
    mixer.set_volume("carol", 0.0)  # before her audio arrives
    mixer.add("carol", first)
    try:
        await asyncio.sleep(0.3)
        mixer.add("carol", second)  # a reconnect: a new track, the same person
        mixed.clear()
        await asyncio.sleep(0.4)
        silent = np.concatenate(mixed[-10:])
        assert mixer.frames_received()["carol"] > 5
        assert int(np.abs(silent).max()) == 0
        mixer.forget_volume("carol")
        mixed.clear()
        await asyncio.sleep(0.3)
        assert spectrum_peak(np.concatenate(mixed[-8:]), 440) == pytest.approx(0.5, rel=0.15)
    finally:
        await mixer.aclose()
        first.stop()
        second.stop()
