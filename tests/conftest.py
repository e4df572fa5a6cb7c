"""Shared fixtures: the real server on loopback (SQLite and PostgreSQL), and clients for it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest

from tests.support import shared_servers as shared
from tests.support.clients import Api, Peer
from tests.support.postgres import PostgresCluster, find_bin_dir
from tests.support.redis_server import RedisServer
from tests.support.server import ServerProcess
from tests.support.shared_servers import SharedServers
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


@pytest.fixture(scope="module", autouse=True)
def _shared_servers_log_no_errors() -> Iterator[None]:
    """A shared server must log no error or traceback, checked after each module (as when every module had its own
    servers) so that a failure names the module that caused it, not the end of the session."""
    before = {id(servers): servers.errors_logged() for servers in shared.STARTED}
    yield
    for servers in shared.STARTED:
        seen = before.get(id(servers), {})
        for backend, lines in servers.errors_logged().items():
            new = lines[len(seen.get(backend, [])) :]
            assert new == [], f"the shared {backend} server logged errors during this module:\n{''.join(new)}"


@pytest.fixture(scope="session")
def _servers(
    tmp_path_factory: pytest.TempPathFactory, database_url_for: Callable[[str], str], _redis: RedisServer | None
) -> Iterator[SharedServers]:
    """Asks for PostgreSQL and Redis itself so that both outlive the servers on them (stopped before they are)."""
    servers = SharedServers(tmp_path_factory, database_url_for, _redis)
    shared.STARTED.append(servers)
    yield servers
    shared.STARTED.remove(servers)
    servers.close()


@pytest.fixture(scope="session")
def server(request: pytest.FixtureRequest, _servers: SharedServers) -> ServerProcess:
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
