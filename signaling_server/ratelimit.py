"""Per-client request budgets (token buckets) for the endpoints that cost us or invite guessing."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Protocol


class Budget(Protocol):
    """A budget per key (an address, an account): ``spend`` takes one unit, answering 0.0 when allowed, else the
    seconds until one is available. In this process (``RateLimiter``) or shared by several nodes through Redis
    (``shared_limits.SharedRateLimiter``)."""

    async def spend(self, key: str) -> float: ...


class RateLimiter:
    """``rate_per_min`` requests per minute per key, with bursts up to the same number (or ``burst``). In this
    process: one server, or the reference the shared one (several nodes) must agree with."""

    def __init__(
        self,
        rate_per_min: float,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 100_000,
        burst: float | None = None,
    ) -> None:
        self._capacity = float(rate_per_min if burst is None else burst)
        self._refill_per_s = rate_per_min / 60.0
        self._clock = clock
        self._max_keys = max_keys
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, last update)

    def take(self, key: str) -> float:
        """Spend one request for ``key``: 0.0 when allowed, else the seconds until one is available."""
        now = self._clock()
        tokens, last = self._buckets.get(key, (self._capacity, now))
        tokens = min(self._capacity, tokens + (now - last) * self._refill_per_s)
        if tokens >= 1.0:
            self._remember(key, tokens - 1.0, now)
            return 0.0
        self._remember(key, tokens, now)
        return (1.0 - tokens) / self._refill_per_s

    async def spend(self, key: str) -> float:
        return self.take(key)

    def _remember(self, key: str, tokens: float, now: float) -> None:
        if key not in self._buckets and len(self._buckets) >= self._max_keys:
            # Bounded memory under an address sweep: forget buckets that have refilled completely.
            full_after = self._capacity / self._refill_per_s
            self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < full_after}
        self._buckets[key] = (tokens, now)


def retry_after_header(wait_s: float) -> str:
    return str(max(1, math.ceil(wait_s)))
