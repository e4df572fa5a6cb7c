"""QualityPolicy: observations over time -> the level chosen; pure, no network."""

from __future__ import annotations

import itertools
from collections.abc import Iterable

import pytest

from nimeet_desktop.call.quality_policy import (
    CPU_TROUBLE_OBSERVATIONS,
    DOWN_HOLD_S,
    UP_AFTER_MAX_S,
    UP_AFTER_S,
    Observation,
    QualityPolicy,
)

TICK_S = 1.0
FAST_720_MS = 5.0  # 720p VP8 on this machine, unloaded
SLOW_MS = 25.0  # three quarters of a 30 fps frame interval: the machine is short of CPU


def run(policy: QualityPolicy, start: float, seconds: float, **fields: object) -> list[str]:
    """Observe once a second for ``seconds`` with the same ``fields``; the level's name after each observation."""
    names = []
    ticks = int(seconds / TICK_S)
    for tick in range(ticks):
        observation = Observation(at=start + tick * TICK_S, **fields)  # type: ignore[arg-type]
        names.append(policy.decide(observation).name)
    return names


def changes(names: Iterable[str]) -> int:
    names = list(names)
    return sum(1 for a, b in itertools.pairwise(names) if a != b)


@pytest.mark.parametrize(
    ("participants", "expected"),
    [(2, "720p30"), (3, "720p30"), (4, "540p30"), (5, "540p30"), (6, "360p30"), (9, "360p30")],
)
def test_the_mesh_size_caps_the_level_below_the_preset(participants: int, expected: str) -> None:
    policy = QualityPolicy(preset_height=720)
    assert run(policy, 0.0, 3, participants=participants, encode_ms=1.0)[-1] == expected


def test_the_preset_is_a_ceiling_whatever_the_headroom() -> None:
    policy = QualityPolicy(preset_height=360)
    assert set(run(policy, 0.0, 60, participants=2, encode_ms=0.5, bitrate_bps=2_500_000)) == {"360p30"}
    big = QualityPolicy(preset_height=1080)
    assert run(big, 0.0, 2, participants=2, encode_ms=2.0, bitrate_bps=2_500_000)[-1] == "1080p30"


def test_a_camera_below_the_lowest_rung_keeps_its_full_frame_rate() -> None:
    policy = QualityPolicy(preset_height=240)
    assert set(run(policy, 0.0, 5, participants=2, encode_ms=1.0)) == {"270p30"}


def test_a_growing_mesh_steps_down_at_once_and_a_shrinking_one_steps_up_only_after_sustained_headroom() -> None:
    policy = QualityPolicy(preset_height=720)
    assert run(policy, 0.0, 5, participants=3, encode_ms=FAST_720_MS)[-1] == "720p30"
    assert run(policy, 5.0, 1, participants=4, encode_ms=FAST_720_MS) == ["540p30"]
    assert run(policy, 6.0, 1, participants=6, encode_ms=3.0) == ["360p30"]
    # Back to three: one rung at a time, each after UP_AFTER_S of headroom.
    names = run(policy, 7.0, 3 * UP_AFTER_S, participants=3, encode_ms=1.5)
    assert names[: int(UP_AFTER_S)] == ["360p30"] * int(UP_AFTER_S)
    assert "540p30" in names and names[-1] == "720p30"
    assert changes(names) == 2


def test_cpu_trouble_steps_down_one_rung_per_hold_and_never_halves_the_frame_rate() -> None:
    policy = QualityPolicy(preset_height=720)
    names = run(policy, 0.0, 12, participants=2, encode_ms=SLOW_MS)
    assert names[0] == "720p30"  # one slow second is not trouble yet
    assert names[1] == "540p30"
    hold = int(DOWN_HOLD_S)
    assert names[1 : 1 + hold] == ["540p30"] * hold  # held while the step's effect shows
    assert names[1 + hold : 1 + 2 * hold] == ["360p30"] * hold
    assert names[1 + 2 * hold] == "270p30"
    # Fewer frames would take every tile of ours below 25 fps: CPU trouble stops at 270p30, the last full rate.
    assert set(names[1 + 2 * hold :]) == {"270p30"}


def test_cpu_headroom_is_judged_on_the_next_rungs_predicted_cost() -> None:
    policy = QualityPolicy(preset_height=720)
    run(policy, 0.0, 1, participants=5, encode_ms=3.0)
    assert policy.level.name == "540p30"
    run(policy, 1.0, 1, participants=3, encode_ms=3.0)
    # 540p at 7 ms predicts ~12.4 ms at 720p: above the headroom line (10 ms), under the trouble line (16.7 ms):
    # stay at 540p for good, neither up nor down.
    assert set(run(policy, 2.0, 120, participants=3, encode_ms=7.0)) == {"540p30"}
    # 4 ms at 540p predicts ~7 ms at 720p: up after UP_AFTER_S.
    assert run(policy, 200.0, UP_AFTER_S + 2, participants=3, encode_ms=4.0)[-1] == "720p30"


def test_a_level_at_the_edge_does_not_oscillate() -> None:
    """The encode time depends on the level: 720p costs more than the machine has, 540p fits (and predicts 720p
    fits: the prediction is wrong). Each failed try doubles the wait before the next, up to UP_AFTER_MAX_S: the
    tries get rarer, each is short, and the level stays at 540p nearly all the time."""
    policy = QualityPolicy(preset_height=720)
    names = []
    for tick in range(1200):
        cost = {"720p30": SLOW_MS, "540p30": 5.0}.get(policy.level.name, 2.0)
        names.append(policy.decide(Observation(at=float(tick), participants=3, encode_ms=cost)).name)
    tries = [t for t in range(1, len(names)) if names[t] == "720p30" and names[t - 1] != "720p30"]
    gaps = [b - a for a, b in itertools.pairwise(tries)]
    assert gaps == sorted(gaps) and gaps[-1] >= UP_AFTER_MAX_S, gaps
    assert len(tries) <= 12, tries
    # Each try (and the start) ends as soon as trouble is established: CPU_TROUBLE_OBSERVATIONS slow seconds.
    assert names.count("720p30") <= (len(tries) + 1) * CPU_TROUBLE_OBSERVATIONS
    assert set(names) == {"540p30", "720p30"}  # never further down than the trouble calls for


def test_one_bad_second_changes_nothing() -> None:
    policy = QualityPolicy(preset_height=720)
    run(policy, 0.0, 5, participants=3, encode_ms=FAST_720_MS)
    names = run(policy, 5.0, 1, participants=3, encode_ms=14.0)  # busier, still under half the interval
    names += run(policy, 6.0, 1, participants=3, encode_ms=SLOW_MS)  # one second over it: a hiccup
    names += run(policy, 7.0, 30, participants=3, encode_ms=FAST_720_MS)
    assert set(names) == {"720p30"}


def test_loss_steps_down_and_a_low_estimate_caps_the_level() -> None:
    policy = QualityPolicy(preset_height=720)
    assert run(policy, 0.0, 2, participants=2, encode_ms=2.0, loss_fraction=0.15)[0] == "540p30"
    # Lasting loss goes all the way to the last rung, half the frame rate: fewer frames, fewer bits.
    assert run(policy, 2.0, 10, participants=2, encode_ms=2.0, loss_fraction=0.15)[-1] == "270p15"
    lossless = QualityPolicy(preset_height=720)
    assert run(lossless, 0.0, 2, participants=2, encode_ms=2.0, bitrate_bps=300_000)[-1] == "360p30"
    assert run(QualityPolicy(), 0.0, 2, participants=2, encode_ms=2.0, bitrate_bps=150_000)[-1] == "270p30"
    # However low the estimate, it never halves the frame rate (the encoder sends 270p30 at its floor).
    assert run(QualityPolicy(), 0.0, 5, participants=2, encode_ms=2.0, bitrate_bps=50_000)[-1] == "270p30"
    # Loss just above the headroom line holds the level (no step up), below the trouble line moves nothing down.
    assert set(run(lossless, 2.0, 60, participants=2, encode_ms=1.0, bitrate_bps=1_000_000, loss_fraction=0.05)) == {
        "360p30"
    }


def test_a_lower_preset_mid_call_applies_at_once_and_a_higher_one_is_earned() -> None:
    policy = QualityPolicy(preset_height=720)
    run(policy, 0.0, 2, participants=2, encode_ms=2.0)
    policy.set_preset(360)
    assert policy.level.name == "360p30"
    policy.set_preset(720)
    assert policy.level.name == "360p30"
    assert run(policy, 10.0, 2 * UP_AFTER_S + 4, participants=2, encode_ms=1.0)[-1] == "720p30"
