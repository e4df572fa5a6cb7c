"""Several server nodes on one PostgreSQL and one Redis (``NIMEET_REDIS_URL``), as docs/deploy.md sets them up.

``NodeGroup.url`` hands out the nodes' addresses in turn, so the tests written for one server, which connect a
client or call the REST API through ``server.url`` each time, spread their clients over the nodes: two people of one
test's room are on different nodes, and their every event crosses Redis.
"""

from __future__ import annotations

import itertools
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.postgres import free_port
from tests.support.server import ServerProcess

# Quick to declare a node dead, so the tests of a node's death need not wait long; the defaults are 1 s and 5 s.
FAST_NODES_ENV = {"NIMEET_NODE_HEARTBEAT_S": "0.25", "NIMEET_NODE_TIMEOUT_S": "1.5"}


class NodeGroup:
    def __init__(
        self, data_dir: Path, database_url: str, redis_url: str, count: int = 2, env: dict[str, str] | None = None
    ):
        # One data directory for all: the files shared in meetings live there, and every node must reach them
        # (in production a shared folder; docs/deploy.md).
        self.database_url = database_url
        self.data_dir = data_dir
        self._ports = [free_port() for _ in range(count)]
        # Behind one reverse proxy every node has the same public address; the first node's stands in for it, so
        # the links a node writes (``inviteUrl``) are the same whichever node wrote them.
        self.public_url = f"http://127.0.0.1:{self._ports[0]}"
        node_env = {"NIMEET_REDIS_URL": redis_url, "NIMEET_PUBLIC_URL": self.public_url, **FAST_NODES_ENV}
        self.nodes = [ServerProcess(data_dir, database_url, {**node_env, **(env or {})}) for _ in range(count)]
        self._turn = itertools.cycle(range(count))
        # Error lines a test brings about on purpose (python-socketio logs its own retries while Redis is away).
        self.expected_errors: list[str] = []

    def start(self) -> None:
        for node, port in zip(self.nodes, self._ports, strict=True):
            node.start(port=port)

    @property
    def url(self) -> str:
        """The next node's address, in turn."""
        return self.nodes[next(self._turn)].url

    @property
    def urls(self) -> list[str]:
        return [node.url for node in self.nodes]

    @property
    def stderr_lines(self) -> list[str]:
        return [line for node in self.nodes for line in node.stderr_lines]

    def errors_logged(self) -> list[str]:
        lines = [line for node in self.nodes for line in node.errors_logged()]
        return [line for line in lines if not any(expected in line for expected in self.expected_errors)]

    def around_errors(self) -> str:
        """Each node's log around its first unexpected error line: what a failure report needs."""
        parts = []
        for i, node in enumerate(self.nodes):
            lines = node.stderr_lines
            bad = [n for n, line in enumerate(lines) if line in self.errors_logged()]
            if bad:
                parts.append(f"--- node {i} ---\n" + "".join(lines[max(0, bad[0] - 10) : bad[0] + 40]))
        return "\n".join(parts)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        for node in self.nodes:
            node.stop(sig)


@contextmanager
def running_nodes(
    data_dir: Path, database_url: str, redis_url: str, count: int = 2, env: dict[str, str] | None = None
) -> Iterator[NodeGroup]:
    group = NodeGroup(data_dir, database_url, redis_url, count, env)
    try:
        group.start()
        yield group
    finally:
        group.stop()
    assert group.errors_logged() == [], group.around_errors()
