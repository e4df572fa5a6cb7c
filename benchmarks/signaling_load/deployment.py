"""What the benchmark runs the server on: one process (SQLite, or ``--database postgresql``), or ``--nodes N`` nodes
on one throwaway PostgreSQL and one throwaway Redis, set up as docs/deploy.md section 10 says (the tests' own support
code: ``tests/support/postgres.py``, ``tests/support/redis_server.py``; everything on 127.0.0.1)."""

from __future__ import annotations

import argparse
import contextlib
import shutil
import tempfile
from pathlib import Path

from tests.support.postgres import PostgresCluster, find_bin_dir, free_port
from tests.support.redis_server import RedisServer

from .probes import BenchServer


class Deployment:
    """The server's processes: ``nodes`` (one or more ``BenchServer``), and the Redis and PostgreSQL they use."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        # One data directory for every node, as in production (the files shared in meetings must be seen by all).
        self.data_dir = tempfile.mkdtemp(prefix="nimeet-bench-")
        self.nodes: list[BenchServer] = []
        self.redis: RedisServer | None = None
        self.postgres: PostgresCluster | None = None
        self.database_url = ""

    @property
    def database(self) -> str:
        return "postgresql" if self.postgres is not None else "sqlite"

    def start(self) -> None:
        args = self.args
        try:
            if args.database == "postgresql":
                bin_dir = find_bin_dir()
                if bin_dir is None:
                    raise RuntimeError("--database postgresql needs PostgreSQL's binaries (Debian: postgresql)")
                self.postgres = PostgresCluster(bin_dir)
                self.postgres.start()
                self.database_url = self.postgres.new_database()
            env: dict[str, str] = {}
            ports = [0]
            if args.nodes > 1:
                if not RedisServer.available():
                    raise RuntimeError("--nodes needs redis-server (Debian: redis-server)")
                self.redis = RedisServer(Path(self.data_dir) / "redis")
                self.redis.start()
                ports = [free_port() for _ in range(args.nodes)]
                # Behind one proxy every node has one public address; the first node's stands in for it (as in
                # tests/support/nodes.py). Heartbeat and timeout stay at their defaults (1 s, 5 s): their cost is
                # part of what a node costs.
                env = {"NIMEET_REDIS_URL": self.redis.url, "NIMEET_PUBLIC_URL": f"http://127.0.0.1:{ports[0]}"}
            for i, port in enumerate(ports):
                name = "server" if args.nodes == 1 else f"node{i}"
                self.nodes.append(
                    BenchServer(
                        args, database_url=self.database_url, env=env, data_dir=self.data_dir, port=port, name=name
                    )
                )
        except BaseException:
            self.stop()
            self.cleanup()
            raise

    @property
    def redis_pid(self) -> int | None:
        return None if self.redis is None or self.redis.proc is None else self.redis.proc.pid

    @property
    def postgres_pid(self) -> int | None:
        """The postmaster (pg_ctl starts it detached, so it is no child of ours); its backends are not included."""
        if self.postgres is None:
            return None
        with contextlib.suppress(OSError, ValueError, IndexError):
            return int((self.postgres.data / "postmaster.pid").read_text().split()[0])
        return None

    def stop(self) -> list[int | None]:
        codes = [node.stop() for node in self.nodes]
        if self.redis is not None:
            self.redis.stop()
        if self.postgres is not None:
            self.postgres.stop()
        return codes

    def cleanup(self) -> None:
        shutil.rmtree(self.data_dir, ignore_errors=True)
