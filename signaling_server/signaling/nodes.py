"""Server nodes on one Redis: each says it is alive, and the members of a node that stopped saying so are taken out.

Every node keeps ``alive:<node>`` set with an expiry of ``node_timeout_s`` and renews it every ``node_heartbeat_s``;
the set ``nodes`` lists the nodes that joined. Each round, every node looks for a listed node whose ``alive`` key
expired, claims it (``sweep:<node>``, SET NX, so one node sweeps it), strikes it off the list, and takes each of its
sockets out of its room or lobby exactly as a disconnect would: the others receive ``user-left``, a new host is named,
the stay is closed. A dead node's ghosts therefore last at most about ``node_timeout_s + node_heartbeat_s``.

A node sweeps only after it has reached Redis for a whole timeout: after a Redis restart (or at its own start)
every living node has beaten again by then, so nobody is taken for dead for Redis' absence. A node that was only
slow (a long pause, Redis out of its reach alone) and was swept finds itself struck off at its next heartbeat. Its
sockets' places are gone, so it disconnects them all: their clients reconnect and join again, which is the
contract's answer to a server restart, rather than sitting in rooms nobody else sees them in.

The Redis clock decides (key expiry), not the nodes' own clocks, which need not agree.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

from redis.asyncio import Redis
from redis.exceptions import RedisError

from signaling_server.signaling.redis_state import RedisRoomState

logger = logging.getLogger(__name__)

SocketsGone = Callable[[str, list[str]], Awaitable[None]]
Swept = Callable[[], Awaitable[None]]


class Nodes:
    def __init__(self, redis: Redis, rooms: RedisRoomState, heartbeat_s: float, timeout_s: float) -> None:
        self._redis = redis
        self._rooms = rooms
        self.node_id = rooms.node_id
        self._heartbeat_s = heartbeat_s
        self._p = rooms.prefix
        self._timeout_s = timeout_s
        self._task: asyncio.Task[None] | None = None
        self._unreachable = False
        # When Redis last became reachable (our own clock, only compared with itself): no sweeping for a timeout
        # after that, so that every node that was cut off with us (a Redis restart) has beaten again first.
        self._reachable_since = time.monotonic()

    @property
    def _nodes_key(self) -> str:
        return f"{self._p}nodes"

    def _alive_key(self, node_id: str) -> str:
        return f"{self._p}alive:{node_id}"

    async def register(self) -> bool:
        """Join the nodes; True when no other node is alive (this one starts first, or alone)."""
        await self._beat()
        return not await self._others_alive()

    async def _beat(self) -> bool:
        """Say we are alive; True when we had been struck off the list (swept) since the last beat."""
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(self._alive_key(self.node_id), b"1", px=max(1, round(self._timeout_s * 1000)))
            pipe.sadd(self._nodes_key, self.node_id)
            _, added = await pipe.execute()
        return bool(added)

    async def _others(self) -> list[str]:
        found = await self._redis.smembers(self._nodes_key)
        names = (n.decode() if isinstance(n, bytes) else str(n) for n in found)
        return sorted(n for n in names if n != self.node_id)

    async def _others_alive(self) -> bool:
        others = await self._others()
        return bool(others) and bool(await self._redis.exists(*(self._alive_key(n) for n in others)))

    def start(self, gone: SocketsGone, swept: Swept) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(gone, swept), name="node heartbeat")

    async def stop(self) -> None:
        """Stop beating and leave the list (after this node's sockets were closed, so its set is empty)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        with contextlib.suppress(RedisError, OSError):
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.srem(self._nodes_key, self.node_id)
                pipe.delete(self._alive_key(self.node_id))
                await pipe.execute()
            await self._rooms.forget_node(self.node_id)

    async def alone(self) -> bool:
        """No other node is alive: for shutdown, which may then close every stay still open."""
        with contextlib.suppress(RedisError, OSError):
            return not await self._others_alive()
        return False

    async def _run(self, gone: SocketsGone, swept: Swept) -> None:
        while True:
            try:
                if await self._beat():
                    logger.warning(
                        "this node was taken for dead by the others: disconnecting its sockets so they join again",
                        extra={"node": self.node_id},
                    )
                    await swept()
                if self._unreachable:
                    self._unreachable = False
                    self._reachable_since = time.monotonic()
                    logger.info("Redis is reachable again", extra={"node": self.node_id})
                if time.monotonic() - self._reachable_since >= self._timeout_s:
                    await self.sweep(gone)
            except (RedisError, OSError) as exc:
                if not self._unreachable:
                    self._unreachable = True
                    logger.warning("Redis is out of reach: retrying", extra={"error": type(exc).__name__})
            except Exception:
                logger.exception("node heartbeat failed")
            await asyncio.sleep(self._heartbeat_s)

    async def sweep(self, gone: SocketsGone) -> list[str]:
        """Take out the sockets of every listed node whose heartbeat lapsed; the nodes swept."""
        swept = []
        for node in await self._others():
            if await self._redis.exists(self._alive_key(node)):
                continue
            claimed = await self._redis.set(f"{self._p}sweep:{node}", self.node_id.encode(), nx=True, ex=60)
            if not claimed:
                continue  # another node sweeps it
            # Struck off first: should it only have been slow, its next heartbeat finds out (see the module).
            await self._redis.srem(self._nodes_key, node)
            sockets = await self._rooms.sockets_of(node)
            logger.warning("a node stopped: taking its sockets out", extra={"node": node, "sockets": len(sockets)})
            await gone(node, sockets)
            await self._rooms.forget_node(node)
            swept.append(node)
        return swept
