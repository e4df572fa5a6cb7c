"""A cap on how many lines one kind of event may log, so an attacker cannot fill the disk through the log.

Each closed connection is logged once; a client that opens thousands of connections a second to be closed would
still write thousands of lines a second. The budget allows ``lines`` per ``window_s`` and counts the rest, which
the next line that gets through reports (``suppressed``).
"""

from __future__ import annotations

import time
from collections.abc import Callable


class LogBudget:
    def __init__(self, lines: int = 20, window_s: float = 10.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.lines = lines
        self.window_s = window_s
        self._clock = clock
        self._window_start = -window_s
        self._used = 0
        self._suppressed = 0

    def take(self) -> int | None:
        """``None`` when this line must be dropped; otherwise how many were dropped since the last one logged."""
        now = self._clock()
        if now - self._window_start >= self.window_s:
            self._window_start = now
            self._used = 0
        if self._used >= self.lines:
            self._suppressed += 1
            return None
        self._used += 1
        dropped, self._suppressed = self._suppressed, 0
        return dropped
