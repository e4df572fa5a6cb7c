"""Which tile in view a speaker from another page of the grid replaces (active speakers first, without shuffling).

A speaker off the page takes the place of whoever in view has been quiet longest, and only if that one has been
quiet for ``QUIET_S``: when everyone in view spoke lately nobody moves, since tiles that trade places while people
talk are worse than a speaker on the next page. Our own tile and the focused one never move.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

# Speaking this long without a pause counts (a cough does not).
SPEAKING_FOR_S = 1.5
QUIET_S = 5.0


def tile_to_replace(
    speaker: str,
    visible: Sequence[str],
    fixed: set[str],
    spoke_at: Mapping[str, float],
    now: float,
) -> str | None:
    """The tile in ``visible`` that ``speaker`` should take the place of, or None (already in view, or nobody in
    view has been quiet long enough). ``fixed``: tiles that never move; ``spoke_at``: when each was last heard."""
    if speaker in visible:
        return None
    movable = [t for t in visible if t not in fixed]
    if not movable:
        return None
    quietest = min(movable, key=lambda t: spoke_at.get(t, float("-inf")))
    return quietest if now - spoke_at.get(quietest, float("-inf")) >= QUIET_S else None
