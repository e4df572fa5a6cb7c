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

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff
from redis.exceptions import ConnectionError, TimeoutError


def options() -> dict[str, Any]:
    """A fresh set each time: redis-py copies the Retry, but nobody should share a mutable one by accident."""
    return {
        "retry": Retry(ExponentialWithJitterBackoff(base=0.01, cap=1.0), retries=10),
        "retry_on_error": [ConnectionError, TimeoutError],
        # A connection idle for this long is checked (PING) before use, so a dead one is found before a command.
        "health_check_interval": 10,
    }


def connect(url: str) -> Redis:
    return Redis.from_url(url, **options())
