"""Issue 10, item 7 (the transport's part): Engine.IO sessions that never authenticate lived forever, and 1,005 of
them exhausted a 1024 file-descriptor limit (``/healthz`` and login failed). Now a session that has not completed
the Socket.IO connect within ``NIMEET_CONNECT_TIMEOUT_S`` (10 s) is closed, and the server raises its soft
RLIMIT_NOFILE to the hard limit at start-up."""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time
from collections.abc import Callable

import httpx

from tests.security.probes import STALL_S, Watch, healthz_seconds
from tests.security.transport_attacks import Closed, RawSocket
from tests.support.clients import Api
from tests.support.server import ServerProcess

POLICY_VIOLATION = 1008


async def idle_session(url: str) -> RawSocket:
    """An Engine.IO session that never sends the Socket.IO connect."""
    raw = await RawSocket.open(url)
    await raw.engineio_open()
    return raw


async def test_sessions_without_a_socketio_connect_are_closed_after_the_timeout(
    make_server: Callable[..., ServerProcess],
) -> None:
    server = make_server(env={"NIMEET_CONNECT_TIMEOUT_S": "1"})
    url = server.start()
    api = Api(url)
    token = (await api.register())["token"]

    opened = time.monotonic()
    idle = await asyncio.gather(*(idle_session(url) for _ in range(50)))
    refused = await RawSocket.open(url)  # tries a bad token, then waits on the same session
    await refused.engineio_open()
    await refused.send_text('40{"token":"not-a-token"}')
    assert (await refused.recv_text()).startswith("44")
    member = await RawSocket.open(url)  # connects properly
    await member.socketio_connect(token)
    leaver = await RawSocket.open(url)  # connects, then leaves the namespace and lingers
    await leaver.socketio_connect(token)

    codes = await asyncio.gather(*(raw.closed_by_server(timeout=6) for raw in [*idle, refused]))
    closed_within = time.monotonic() - opened
    assert codes == [POLICY_VIOLATION] * len(codes)
    assert closed_within < 5, f"idle sessions lasted {closed_within:.1f} s with a 1 s connect timeout"

    await leaver.send_text("41")
    left_at = time.monotonic()
    assert await leaver.closed_by_server(timeout=6) == POLICY_VIOLATION
    assert 0.8 < time.monotonic() - left_at < 5
    # A connected socket is not touched: well past the timeout it still gets answers.
    assert time.monotonic() - opened > 2
    ack = await member.call("leave-room", {"roomId": "not-joined"}, ack_id=7)
    assert isinstance(ack, dict) and ack["error"]["code"] == "not-in-room", ack
    for raw in [*idle, refused, member, leaver]:
        raw.abort()
    lines = [line for line in server.stderr_lines if "no socket.io connect in time" in line]
    assert lines and all(" INFO " in line for line in lines), lines
    await api.aclose()
    server.stop_gracefully()


# The server is started with a soft limit of 256 open files; it must raise it itself.
LOW_SOFT_LIMIT = 256
IDLE_SESSIONS = 300


def server_under_low_fd_limit(make_server: Callable[..., ServerProcess], hard: int) -> ServerProcess:
    launcher = (
        "import resource, runpy, sys; "
        f"resource.setrlimit(resource.RLIMIT_NOFILE, ({LOW_SOFT_LIMIT}, {hard})); "
        "sys.argv[0] = 'signaling_server'; "
        "runpy.run_module('signaling_server', run_name='__main__', alter_sys=True)"
    )
    server = make_server()
    server.entry = ["-c", launcher]
    server.python = sys.executable
    return server


async def test_healthz_and_login_keep_working_with_hundreds_of_idle_sessions_at_a_low_fd_limit(
    make_server: Callable[..., ServerProcess],
) -> None:
    hard = min(resource.getrlimit(resource.RLIMIT_NOFILE)[1], 4096)
    assert hard >= 2 * IDLE_SESSIONS, f"this machine's hard limit on open files ({hard}) is too low for the test"
    server = server_under_low_fd_limit(make_server, hard)
    url = server.start()
    raised = [line for line in server.stderr_lines if "open files limit" in line]
    assert raised and f"open files limit: {hard} (was {LOW_SOFT_LIMIT}," in raised[0], raised
    api = Api(url)
    account = await api.register()
    credentials = {"email": account["user"]["email"], "password": "correct horse battery"}

    sessions: list[RawSocket] = []
    async with Watch(server.pid, url) as watch:
        for start in range(0, IDLE_SESSIONS, 30):
            sessions += await asyncio.gather(*(idle_session(url) for _ in range(start, min(start + 30, IDLE_SESSIONS))))
        # All of them open at once (the connect timeout is 10 s): the server still answers.
        health = await healthz_seconds(url, timeout=5)
        async with httpx.AsyncClient(base_url=url, timeout=5) as fresh:  # a new connection: a new descriptor
            login = await fresh.post("/api/auth/login", json=credentials)
    assert len(sessions) == IDLE_SESSIONS
    assert health < STALL_S, f"/healthz took {health:.2f} s with {IDLE_SESSIONS} idle sessions"
    assert login.status_code == 200, login.text
    assert json.loads(login.text)["token"]
    assert watch.worst_health_s < STALL_S, f"/healthz took {watch.worst_health_s:.2f} s during the attack"
    for raw in sessions:
        raw.abort()
    await api.aclose()
    server.stop_gracefully()


async def test_the_idle_sessions_are_gone_after_the_timeout(make_server: Callable[..., ServerProcess]) -> None:
    """The same attack with a short connect timeout: every session is closed by the server, none left open."""
    server = make_server(env={"NIMEET_CONNECT_TIMEOUT_S": "1"})
    url = server.start()
    sessions = []
    for start in range(0, IDLE_SESSIONS, 30):
        sessions += await asyncio.gather(*(idle_session(url) for _ in range(start, min(start + 30, IDLE_SESSIONS))))
    results = await asyncio.gather(*(raw.closed_by_server(timeout=8) for raw in sessions), return_exceptions=True)
    still_open = [r for r in results if isinstance(r, TimeoutError)]
    assert not still_open, f"{len(still_open)} of {IDLE_SESSIONS} idle sessions still open"
    assert all(r == POLICY_VIOLATION or isinstance(r, Closed) for r in results)
    for raw in sessions:
        raw.abort()
    server.stop_gracefully()
