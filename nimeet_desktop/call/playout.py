"""A remote camera's frames handed to the screen at the pace they were captured, not in the bursts they arrive in.

Frames do not arrive evenly: a sender that was busy sends two at once, a loaded network or receiving loop delivers
packets in batches, and the last packet of one frame and the first of the next can be decoded back to back. Measured
in a call with seven remote cameras on the 2-core machine (``benchmarks/app_mesh.py --k 7``), 25-40 % of frames
arrived within 8 ms of the one before. A tile that shows only the newest frame at its clock tick (every 16 ms) never
shows the first of such a pair: a third of the frames were decoded and thrown away, and the picture stuttered.

``Playout`` keeps the last few decoded frames and releases them one at a time, each at least half its capture
interval (RTP timestamps) after the previous one was released, so a burst is spread over the next ticks. When the
queue grows beyond ``depth`` (the screen cannot keep up, or a long stall) the oldest are dropped: the delay this adds
is bounded by a frame or two, and a steady stream (arriving one by one) is released at the first tick, as before.
This is what browsers do with their render timing, in the smallest form that serves a tile.

``push`` runs on the engine's thread, ``current`` on the UI thread; a lock guards the few operations in between.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

import av

DEPTH = 2
"""Frames kept at most: a pair arriving at once (the common burst) is shown as two. Three painted more frames at
seven remote cameras but held the picture a frame longer whenever the screen fell behind (K = 7: painted 22.7 fps,
capture-to-paint 168 ms, against 23.8 fps and 114 ms with two)."""
PACE_FRACTION = 0.5
"""A frame is released once this share of its capture interval has passed since the previous one was: the tiles'
clock ticks every 16 ms, so waiting for the whole interval would often hold a frame a tick longer than needed."""
MAX_INTERVAL_S = 0.5
"""Timestamp steps beyond this (a paused camera, a switch to the screen) are not a pace to keep."""


class Playout:
    def __init__(self, depth: int = DEPTH, clock: Callable[[], float] = time.monotonic) -> None:
        self._depth = depth
        self._clock = clock
        self._lock = threading.Lock()
        self._waiting: deque[av.VideoFrame] = deque()
        self._shown: av.VideoFrame | None = None
        self._shown_at = 0.0
        self.dropped = 0
        """Frames dropped unshown because more than ``depth`` were waiting."""

    def push(self, frame: av.VideoFrame) -> None:
        """A newly decoded frame (the engine's thread)."""
        with self._lock:
            self._waiting.append(frame)
            while len(self._waiting) > self._depth:
                self._waiting.popleft()
                self.dropped += 1

    def clear(self) -> None:
        """The video stopped (camera off, the participant left): nothing to show."""
        with self._lock:
            self._waiting.clear()
            self._shown = None

    def current(self) -> av.VideoFrame | None:
        """The frame to show now (the UI thread): the next one waiting if its time has come, else the one shown."""
        with self._lock:
            if not self._waiting:
                return self._shown
            now = self._clock()
            following = self._waiting[0]
            if self._shown is None or now - self._shown_at >= PACE_FRACTION * _interval_s(self._shown, following):
                self._waiting.popleft()
                self._shown, self._shown_at = following, now
            return self._shown


def _interval_s(shown: av.VideoFrame, following: av.VideoFrame) -> float:
    """Seconds between two frames' capture, from their timestamps; 0 when unknown or not a steady pace."""
    if shown.pts is None or following.pts is None or following.time_base is None:
        return 0.0
    interval = float((following.pts - shown.pts) * following.time_base)
    return interval if 0.0 < interval <= MAX_INTERVAL_S else 0.0
