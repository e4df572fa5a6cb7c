"""Rate limits shared by several server nodes: the same token buckets as ``ratelimit.RateLimiter``, kept in Redis, so
that a client spreading its requests over the nodes gets one budget, not one per node.

One Lua script per spend reads, refills and takes from the bucket atomically, on Redis' own clock (the nodes' clocks
need not agree), and lets the bucket expire once it would be full again: memory stays bounded by the keys in use.
"""

from __future__ import annotations

from redis.asyncio import Redis

# KEYS[1] the bucket; ARGV[1] capacity, ARGV[2] refill per second. Returns the wait in seconds (0 = allowed).
_SPEND = """
local now = redis.call('TIME')
now = tonumber(now[1]) + tonumber(now[2]) / 1000000
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or capacity
local at = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - at) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / rate end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - tokens) / rate * 1000) + 1000)
return tostring(wait)
"""


class SharedRateLimiter:
    """``rate_per_min`` per key per minute with bursts up to ``burst`` (default: the same number), across nodes."""

    def __init__(self, redis: Redis, name: str, rate_per_min: float, burst: float | None = None) -> None:
        self._redis = redis
        self._prefix = f"nimeet:limit:{name}:"
        self._capacity = float(rate_per_min if burst is None else burst)
        self._refill_per_s = rate_per_min / 60.0
        self._script = redis.register_script(_SPEND)

    async def spend(self, key: str) -> float:
        wait = await self._script(keys=[self._prefix + key], args=[self._capacity, self._refill_per_s])
        return float(wait)
