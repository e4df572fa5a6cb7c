"""Which tile in view a speaker from another page replaces (ui/speaker_order.py)."""

from __future__ import annotations

from nimeet_desktop.ui.speaker_order import QUIET_S, tile_to_replace

VISIBLE = ["self", "a", "b", "c"]


def test_the_speaker_takes_the_place_of_whoever_has_been_quiet_longest() -> None:
    spoke_at = {"a": 100.0, "b": 90.0, "c": 95.0}
    assert tile_to_replace("z", VISIBLE, {"self"}, spoke_at, now=100.0 + QUIET_S + 20) == "b"
    never = {"a": 100.0, "c": 95.0}  # b never spoke: the quietest of all
    assert tile_to_replace("z", VISIBLE, {"self"}, never, now=101.0) == "b"


def test_nobody_moves_when_everyone_in_view_spoke_lately_or_the_speaker_is_in_view() -> None:
    spoke_at = {"a": 100.0, "b": 99.0, "c": 98.0}
    assert tile_to_replace("z", VISIBLE, {"self"}, spoke_at, now=98.0 + QUIET_S - 0.1) is None
    assert tile_to_replace("a", VISIBLE, {"self"}, {}, now=1000.0) is None


def test_our_own_and_the_focused_tile_never_move() -> None:
    assert tile_to_replace("z", ["self", "pinned"], {"self", "pinned"}, {}, now=1000.0) is None
    assert tile_to_replace("z", ["self", "pinned", "a"], {"self", "pinned"}, {"a": 0.0}, now=1000.0) == "a"
