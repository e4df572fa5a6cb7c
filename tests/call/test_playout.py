"""A remote camera's frames paced for the screen: bursts spread over the next ticks, a steady stream untouched."""

from __future__ import annotations

import fractions

import av

from nimeet_desktop.call.playout import DEPTH, Playout
from tests.support.clock import ManualClock

INTERVAL_TICKS = 3000  # 30 fps on the 90 kHz video clock


def frame(index: int, *, pts: int | None = None) -> av.VideoFrame:
    made = av.VideoFrame(16, 16, "yuv420p")
    made.pts = index * INTERVAL_TICKS if pts is None else pts
    made.time_base = fractions.Fraction(1, 90_000)
    return made


def test_a_steady_stream_is_shown_as_it_arrives() -> None:
    clock = ManualClock()
    playout = Playout(clock=clock)
    assert playout.current() is None
    for index in range(10):
        arrived = frame(index)
        playout.push(arrived)
        assert playout.current() is arrived
        assert playout.current() is arrived  # asking again changes nothing
        clock.now += 1 / 30
    assert playout.dropped == 0


def test_a_burst_is_spread_at_half_the_capture_interval() -> None:
    clock = ManualClock()
    playout = Playout(clock=clock)
    first, second = frame(0), frame(1)
    playout.push(first)
    playout.push(second)  # both arrived at once
    assert playout.current() is first
    clock.now += 0.016  # the next tick: less than half of 33 ms since the first was shown
    assert playout.current() is first
    clock.now += 0.016
    assert playout.current() is second
    assert playout.dropped == 0


def test_beyond_its_depth_the_oldest_are_dropped() -> None:
    clock = ManualClock()
    playout = Playout(clock=clock)
    frames = [frame(index) for index in range(DEPTH + 2)]
    for made in frames:
        playout.push(made)
    assert playout.dropped == 2
    assert playout.current() is frames[2]  # the oldest still kept


def test_a_jump_in_time_or_no_timestamps_is_not_a_pace_to_keep() -> None:
    clock = ManualClock()
    playout = Playout(clock=clock)
    before, after_a_pause = frame(0), frame(0, pts=90_000)  # a second later: a paused camera
    playout.push(before)
    playout.push(after_a_pause)
    assert playout.current() is before
    assert playout.current() is after_a_pause
    unstamped = frame(0)
    unstamped.pts = None
    playout.push(frame(5))
    playout.push(unstamped)
    playout.current()
    assert playout.current() is unstamped


def test_clear_forgets_what_was_shown_and_waiting() -> None:
    playout = Playout(clock=ManualClock())
    playout.push(frame(0))
    playout.push(frame(1))
    assert playout.current() is not None
    playout.clear()
    assert playout.current() is None


def test_a_camera_turned_off_leaves_nothing_to_show_until_new_frames() -> None:
    from .test_quality import make_remote

    remote = make_remote()
    remote.on_video_frame(frame(0), measure_latency=False)
    assert remote.playout.current() is not None
    remote.set_media("camera", False)
    assert remote.playout.current() is None, "the last picture from before would flash up when it comes back"
    remote.set_media("camera", True)
    fresh = frame(1)
    remote.on_video_frame(fresh, measure_latency=False)
    assert remote.playout.current() is fresh
