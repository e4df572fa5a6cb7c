"""Budgets for socket events: a token bucket per socket, one per account for joins, and the rule for a socket
that keeps going after it is refused."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

Clock = Callable[[], float]


class TokenBucket:
    """``rate`` per second on average, up to ``burst`` at once. Starts full."""

    __slots__ = ("_burst", "_clock", "_last", "_rate", "_tokens")

    def __init__(self, rate: float, burst: int, clock: Clock = time.monotonic) -> None:
        self._rate = rate
        self._burst = float(burst)
        self._clock = clock
        self._tokens = float(burst)
        self._last = clock()

    def take(self) -> bool:
        now = self._clock()
        self._tokens = min(self._burst, self._tokens + (now - self._last) * self._rate)
        self._last = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False

    def full(self) -> bool:
        """True when the bucket would be full now (it can be forgotten and made afresh)."""
        return self._tokens + (self._clock() - self._last) * self._rate >= self._burst


class RefusalWindow:
    """Counts refused events in fixed windows: a socket refused more than ``limit`` times within ``window_s``
    keeps going after being told, so it is not a client that misjudged a burst but a flood."""

    __slots__ = ("_clock", "_count", "_limit", "_start", "_window_s")

    def __init__(self, limit: int, window_s: float, clock: Clock = time.monotonic) -> None:
        self._limit = limit
        self._window_s = window_s
        self._clock = clock
        self._start = clock()
        self._count = 0

    def refused(self) -> bool:
        """Record one refusal; True when the socket is over the limit (disconnect it)."""
        now = self._clock()
        if now - self._start > self._window_s:
            self._start, self._count = now, 0
        self._count += 1
        return self._count > self._limit


class SlidingWindow:
    """At most ``limit`` events within any ``window_s`` seconds (the contract's "more than 10 messages in 10 s")."""

    __slots__ = ("_clock", "_limit", "_times", "_window_s")

    def __init__(self, limit: int, window_s: float, clock: Clock = time.monotonic) -> None:
        self._limit = limit
        self._window_s = window_s
        self._clock = clock
        self._times: deque[float] = deque()

    def take(self) -> bool:
        """Record one event; False (and nothing recorded) when it would be over the limit."""
        now = self._clock()
        while self._times and self._times[0] <= now - self._window_s:
            self._times.popleft()
        if len(self._times) >= self._limit:
            return False
        self._times.append(now)
        return True


class Occasionally:
    """True for a key at most once per ``period_s``: logs about refused connects stay few when a client retries in
    a tight loop (each refused connect is a new connection, so "once per connection" alone would not bound them)."""

    def __init__(self, period_s: float, clock: Clock = time.monotonic, max_keys: int = 10_000) -> None:
        self._period_s = period_s
        self._clock = clock
        self._max_keys = max_keys
        self._last: dict[str, float] = {}

    def __len__(self) -> int:
        return len(self._last)

    def __call__(self, key: str) -> bool:
        now = self._clock()
        last = self._last.get(key)
        if last is not None and now - last < self._period_s:
            return False
        if len(self._last) >= self._max_keys:
            self._last = {k: t for k, t in self._last.items() if now - t < self._period_s}
            if len(self._last) >= self._max_keys:
                self._last = {}  # a sweep of keys within a minute: a few more log lines, never unbounded memory
        self._last[key] = now
        return True
