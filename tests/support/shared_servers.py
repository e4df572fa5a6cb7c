"""The session's shared servers (``server``, ``ui_server`` and ``call_server`` in the conftests): one per backend,
started when a test first asks for it, stopped at the end of the session."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, ExitStack

import pytest

from tests.support.nodes import running_nodes
from tests.support.redis_server import RedisServer
from tests.support.server import ServerProcess, running
from tests.support.system_packages import REDIS, require


class SharedServers:
    """The session's shared servers, one per backend, each started the first time a test asks for it and stopped
    at the end of the session. Kept here rather than in ``server`` itself: pytest keeps one value of a parametrized
    fixture at a time, so a module running on SQLite, PostgreSQL and two nodes in turn would stop and start all
    three for every module (5–9 s of set-up per module and backend on this 2-core machine under the suite)."""

    def __init__(
        self, tmp_path_factory: pytest.TempPathFactory, url_for: Callable[[str], str], redis: RedisServer | None
    ) -> None:
        self._tmp = tmp_path_factory
        self._database_url_for = url_for
        self._redis = redis
        self._stack = ExitStack()
        self._started: dict[str, ServerProcess] = {}

    def get(self, backend: str) -> ServerProcess:
        if backend not in self._started:
            self._started[backend] = self._stack.enter_context(self._start(backend))
        return self._started[backend]

    def _start(self, backend: str) -> AbstractContextManager[ServerProcess]:
        if backend == "two-nodes":
            require(self._redis is not None, REDIS)
            assert self._redis is not None
            data_dir, database_url = self._tmp.mktemp("server-nodes"), self._database_url_for("postgresql")
            # What the tests use of a server, a group has too.
            return running_nodes(data_dir, database_url, self._redis.url)  # type: ignore[return-value]
        return running(self._tmp.mktemp(f"server-{backend}"), self._database_url_for(backend))

    def errors_logged(self) -> dict[str, list[str]]:
        """Each started backend's error and traceback lines so far."""
        return {backend: server.errors_logged() for backend, server in self._started.items()}

    def close(self) -> None:
        self._stack.close()


STARTED: list[SharedServers] = []  # the session's, once started: read by the per-module error check
