"""Churn across two nodes (issue 17): 12 clients join, leave, drop and reconnect at random through either node for 15
seconds into an 8-seat room. At the end every client's view of the room equals the server's, and once all are gone
Redis keeps nothing of them (tests/support/churn.py; benchmarks/churn.py runs the same for minutes)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.support.churn import churn
from tests.support.nodes import running_nodes
from tests.support.redis_server import RedisServer
from tests.support.system_packages import REDIS, require

# Enough to churn: a loaded full run made 135 actions in 15 s (a quiet machine over 700), so it goes on to this many.
MIN_ACTIONS = 151
SHIPPED_HEARTBEAT = {"NIMEET_NODE_HEARTBEAT_S": "1", "NIMEET_NODE_TIMEOUT_S": "5"}


async def test_churn_across_two_nodes_leaves_every_view_right_and_nothing_behind(
    tmp_path: Path, database_url_for: Callable[[str], str]
) -> None:
    require(RedisServer.available(), REDIS)
    redis = RedisServer(tmp_path / "redis")
    redis.start()
    try:
        # The nodes' heartbeat as shipped (1 s, dead after 5 s), not the node tests' quick one: no node dies here, and
        # a CI machine busy enough to delay a heartbeat past 1.5 s must not make one look dead.
        with running_nodes(
            tmp_path / "data", database_url_for("postgresql"), redis.url, env=SHIPPED_HEARTBEAT
        ) as nodes:
            report = await churn(nodes.urls, redis.url, clients=12, seconds=15, min_actions=MIN_ACTIONS)
    finally:
        redis.stop()
    print(
        f"churn: {dict(report.actions)}, refused {dict(report.refused)}, {report.members_at_end} in the room at the end"
    )
    assert sum(report.actions.values()) >= MIN_ACTIONS  # it did churn
    assert report.actions["drop"] > 5 and report.actions["reconnect"] > 5 and report.refused["room-full"] > 0
    assert report.wrong_views == {}
    assert report.leftover_keys == []
    assert report.violations == []
