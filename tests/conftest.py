"""Shared fixtures: the real server on loopback (SQLite and PostgreSQL), and clients for it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AbstractContextManager, ExitStack
from pathlib import Path

import pytest

from tests.support.clients import Api, Peer
from tests.support.nodes import running_nodes
from tests.support.postgres import PostgresCluster, find_bin_dir
from tests.support.redis_server import RedisServer
from tests.support.server import ServerProcess, running
from tests.support.system_packages import IN_CI, POSTGRESQL, REDIS, missing_reason, require


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresCluster | None]:
    bin_dir = find_bin_dir()
    if bin_dir is None:
        if IN_CI:
            pytest.fail(missing_reason(POSTGRESQL))
        yield None
        return
    cluster = PostgresCluster(bin_dir)
    cluster.start()
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def _redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer | None]:
    if not RedisServer.available():
        yield None
        return
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_server(_redis: RedisServer | None) -> RedisServer:
    """One throwaway Redis for the session; tests keep apart by key prefix (or a database number of their own)."""
    require(_redis is not None, REDIS)
    assert _redis is not None
    return _redis


@pytest.fixture(scope="session")
def database_url_for(postgres: PostgresCluster | None) -> Callable[[str], str]:
    """``sqlite`` -> "" (the embedded default), ``postgresql`` -> a fresh database on the test cluster."""

    def make(backend: str) -> str:
        if backend == "sqlite":
            return ""
        require(postgres is not None, POSTGRESQL)
        assert postgres is not None
        return postgres.new_database()

    return make


# The contract's own tests (version 1 and 1.1) also run on two server nodes sharing PostgreSQL and Redis.
CONTRACT_TESTS = Path(__file__).parent / "signaling_server"


def _names_server_itself(metafunc: pytest.Metafunc) -> bool:
    """A test whose own ``parametrize`` has an argument called ``server`` (a URL, say): not our fixture."""
    for mark in metafunc.definition.iter_markers("parametrize"):
        names = mark.args[0]
        listed = [n.strip() for n in names.split(",")] if isinstance(names, str) else list(names)
        if "server" in listed:
            return True
    return False


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "server" in metafunc.fixturenames and not _names_server_itself(metafunc):
        backends = ["sqlite", "postgresql"]
        # A module may say it is about one process (its /metrics counters, say): each node has its own.
        if metafunc.definition.path.is_relative_to(CONTRACT_TESTS) and not getattr(metafunc.module, "ONE_NODE", False):
            backends.append("two-nodes")
        metafunc.parametrize("server", backends, indirect=True, scope="session")


class _Servers:
    """The session's shared servers, one per backend, each started the first time a test asks for it and stopped
    at the end of the session. Kept here rather than in ``server`` itself: pytest keeps one value of a parametrized
    fixture at a time, so a module running on SQLite, PostgreSQL and two nodes in turn would stop and start all
    three for every module (about 17 s of set-up per module, a quarter of CI's time)."""

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

    def close(self) -> None:
        self._stack.close()


@pytest.fixture(scope="session")
def _servers(
    tmp_path_factory: pytest.TempPathFactory, database_url_for: Callable[[str], str], _redis: RedisServer | None
) -> Iterator[_Servers]:
    """Asks for PostgreSQL and Redis itself so that both outlive the servers on them (stopped before they are)."""
    servers = _Servers(tmp_path_factory, database_url_for, _redis)
    yield servers
    servers.close()


@pytest.fixture(scope="session")
def server(request: pytest.FixtureRequest, _servers: _Servers) -> ServerProcess:
    """One server per backend for the whole session; tests make their own users and rooms. ``two-nodes`` is two
    server processes on PostgreSQL and Redis that hand out their addresses in turn (tests/support/nodes.py)."""
    return _servers.get(request.param)


@pytest.fixture
def make_server(tmp_path: Path) -> Iterator[Callable[..., ServerProcess]]:
    """Servers of a test's own (other settings, restarts); all stopped at the end."""
    started: list[ServerProcess] = []

    def make(env: dict[str, str] | None = None, database_url: str = "", data_dir: Path | None = None) -> ServerProcess:
        proc = ServerProcess(data_dir or tmp_path / f"data{len(started)}", database_url, env)
        started.append(proc)
        return proc

    yield make
    for proc in started:
        proc.stop()


@pytest.fixture
async def api(server: ServerProcess) -> AsyncIterator[Api]:
    client = Api(server.url)
    yield client
    await client.aclose()


@pytest.fixture
async def peers(server: ServerProcess) -> AsyncIterator[Callable[[str | None], Awaitable[Peer]]]:
    """Connected signaling clients for a token; all disconnected at the end of the test."""
    opened: list[Peer] = []

    async def connect(token: str | None) -> Peer:
        peer = Peer(server.url, token)
        opened.append(peer)
        return await peer.connect()

    yield connect
    for peer in opened:
        await peer.close()
    assert [v for peer in opened for v in peer.violations] == []


SERVER_LOG_LINES = 80


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """A failed test that used a server process gets that server's last log lines in its report: a server shared by
    a module is gone (and its temporary folder rotated away) by the time anyone reads a CI failure."""
    outcome = yield
    report: pytest.TestReport = outcome.get_result()  # type: ignore[attr-defined]
    if not report.failed:
        return
    for name, value in getattr(item, "funcargs", {}).items():
        if isinstance(value, ServerProcess) and value.stderr_lines:
            report.sections.append(
                (f"server log ({name}, last lines)", "".join(value.stderr_lines[-SERVER_LOG_LINES:]))
            )
