"""Churn across server nodes for minutes (issue 17): clients join, leave, drop and reconnect at random through two
nodes on one PostgreSQL and one Redis; at the end every client's view of the room must equal the server's, and
once everyone is gone Redis must keep nothing of them. tests/reliability/test_churn.py runs the same for seconds.

    .venv/bin/python benchmarks/churn.py                          # 5 minutes, 12 clients, an 8-seat room
    .venv/bin/python benchmarks/churn.py --minutes 1 --clients 20

It starts its own throwaway PostgreSQL cluster and Redis (Debian's packages, as the tests do), all on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

from _call_common import machine_line

from tests.support.churn import churn
from tests.support.nodes import running_nodes
from tests.support.postgres import PostgresCluster, find_bin_dir
from tests.support.redis_server import RedisServer


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=12)
    parser.add_argument("--capacity", type=int, default=8)
    parser.add_argument("--nodes", type=int, default=2)
    args = parser.parse_args()
    bin_dir = find_bin_dir()
    if bin_dir is None:
        print("PostgreSQL is not installed: bash scripts/setup.sh --dev installs it", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="nimeet-churn-") as tmp:
        cluster = PostgresCluster(bin_dir)
        cluster.start()
        redis = RedisServer(Path(tmp) / "redis")
        redis.start()
        try:
            with running_nodes(Path(tmp) / "data", cluster.new_database(), redis.url, count=args.nodes) as nodes:
                report = asyncio.run(
                    churn(
                        nodes.urls,
                        redis.url,
                        clients=args.clients,
                        seconds=args.minutes * 60,
                        capacity=args.capacity,
                    )
                )
        finally:
            redis.stop()
            cluster.stop()
    total = sum(report.actions.values())
    print(f"{args.nodes} nodes, {args.clients} clients, {args.capacity} seats, {report.seconds / 60:.1f} minutes")
    print(f"actions: {total} ({', '.join(f'{k} {v}' for k, v in sorted(report.actions.items()))})")
    print(f"refused: {dict(report.refused) or 'none'}; seated at the end: {report.members_at_end}")
    print(f"views that differ from the server's at the end: {len(report.wrong_views)}")
    for sid, (mine, server) in report.wrong_views.items():
        print(f"  {sid}: sees {mine}, the server {server}")
    print(f"keys left in Redis once everyone was gone: {report.leftover_keys or 'none'}")
    print(f"contract violations received: {len(report.violations)}")
    print(machine_line())
    return 0 if not report.wrong_views and not report.leftover_keys and not report.violations else 1


if __name__ == "__main__":
    sys.exit(main())
