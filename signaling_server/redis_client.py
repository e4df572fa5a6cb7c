"""How every connection of a node to Redis is made: the room state's, the heartbeat's, the rate limits' and
python-socketio's pub/sub (``redis_options``).

redis-py's ``from_url`` gives its connections no retry at all (``Retry(NoBackoff(), 0)``): after a Redis restart the
first command on each pooled connection, which the restart closed, would fail, and with it whatever event it served
(a disconnect's leave, a join). With these options a command on a dead connection reconnects and is sent again,
backing off up to 1 s, ten times; a transaction that was WATCHing is not retried by redis-py but fails with
WatchError, which the room state answers by running it again from the start.
"""

from __future__ import annotations

from typing import Any

import redis
from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff
from redis.driver_info import DriverInfo
from redis.exceptions import ConnectionError, TimeoutError

# The room state's connections: redis-py's default pool raises on its 101st concurrent command (a burst of joins or
# a thousand sockets closing at once failed with "internal" and left ghosts: benchmarks/signaling_load --nodes 2).
# A blocking pool makes the 65th wait for a free connection instead; Redis runs one command at a time anyway.
STATE_CONNECTIONS = 64
POOL_WAIT_S = 10.0
# python-socketio's manager takes a connection per publish from a default pool: a larger one, for bursts.
PUBSUB_CONNECTIONS = 512


def options() -> dict[str, Any]:
    """A fresh set each time: redis-py copies the Retry, but nobody should share a mutable one by accident."""
    return {
        "retry": Retry(ExponentialWithJitterBackoff(base=0.01, cap=1.0), retries=10),
        "retry_on_error": [ConnectionError, TimeoutError],
        # A connection idle for this long is checked (PING) before use, so a dead one is found before a command.
        "health_check_interval": 10,
        # The version given, not looked up: otherwise every new connection reads the package's metadata (0.8 ms
        # of CPU each, measured: what a node busy opening connections spent its time on).
        "driver_info": DriverInfo(lib_version=redis.__version__),
    }


def pubsub_options() -> dict[str, Any]:
    return {**options(), "max_connections": PUBSUB_CONNECTIONS}


def connect(url: str) -> Redis:
    pool = BlockingConnectionPool.from_url(url, max_connections=STATE_CONNECTIONS, timeout=POOL_WAIT_S, **options())
    return Redis.from_pool(pool)
