"""The "you are muted" rule: speech for 300 ms while muted, told once per muting."""

from __future__ import annotations

from nimeet_desktop.call.muted_speech import SPEECH_DBFS, MutedSpeechDetector

LOUD, QUIET = -20.0, -70.0


def feed(detector: MutedSpeechDetector, levels: list[float], muted: bool = True, start: float = 0.0) -> list[bool]:
    """One level per 100 ms tick, as the call window feeds it."""
    return [detector.update(level, muted, start + 0.1 * i) for i, level in enumerate(levels)]


def test_speech_held_for_300_ms_while_muted_is_told_once() -> None:
    detector = MutedSpeechDetector()
    told = feed(detector, [LOUD] * 10)
    assert told == [False, False, False, True] + [False] * 6


def test_short_sounds_and_quiet_rooms_are_not_speech() -> None:
    detector = MutedSpeechDetector()
    # A cough (200 ms), a pause, another short sound: the hold restarts after each pause.
    assert not any(feed(detector, [LOUD, LOUD, QUIET, LOUD, LOUD, QUIET, SPEECH_DBFS, SPEECH_DBFS] * 3))


def test_unmuted_speech_is_never_told_and_unmuting_rearms() -> None:
    detector = MutedSpeechDetector()
    assert not any(feed(detector, [LOUD] * 10, muted=False))
    assert any(feed(detector, [LOUD] * 5, start=2.0))
    assert not any(feed(detector, [LOUD] * 20, start=3.0)), "a nag: told twice in one muting"
    detector.update(QUIET, False, 6.0)  # unmuted, then muted again
    assert any(feed(detector, [LOUD] * 5, start=7.0))
