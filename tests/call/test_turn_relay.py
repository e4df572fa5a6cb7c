"""A call that can only work through a TURN relay (issue 17): two ``nimeet-bot`` processes in network namespaces
with no route between them, the real server handing out coturn ``use-auth-secret`` credentials, a real coturn
reachable from both (``tests/support/relay_network.py``). Media flows, and both ends selected a relay pair."""

from __future__ import annotations

import asyncio
import errno
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import aioice
import aioice.stun
import aioice.turn
import pytest

from nimeet_desktop.call.errors import CallErrorKind
from nimeet_desktop.call.options import EngineOptions
from nimeet_desktop.call.session import CallSession
from signaling_server.ice import turn_credentials
from tests.call.conftest import Recorder, frames_from
from tests.support.relay_network import RelayNetwork, relay_network
from tests.support.server import ServerProcess

SECRET = "coturn-static-auth-secret-for-tests"


@pytest.fixture
def network(tmp_path: Path) -> Iterator[RelayNetwork]:
    with relay_network(tmp_path, SECRET) as net:
        yield net


@pytest.fixture
def relay_server(network: RelayNetwork, make_server: Callable[..., ServerProcess]) -> ServerProcess:
    """The signaling server on the address both namespaces reach, naming the test's coturn."""
    proc = make_server({"NIMEET_TURN_URLS": network.turn_url, "NIMEET_TURN_SECRET": SECRET})
    proc.start(host=network.service)
    return proc


def bot(network: RelayNetwork, which: str, server: ServerProcess, *args: str) -> subprocess.Popen[str]:
    address = network.address_a if which == "a" else network.address_b
    command = [sys.executable, "-m", "nimeet_desktop.bot", "--server", server.url, "--register", *args]
    env = {**os.environ, "NIMEET_ICE_HOSTS": address}
    return subprocess.Popen(
        network.in_namespace(which, command), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )


def finish(proc: subprocess.Popen[str], timeout: float = 60) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


async def test_two_hosts_with_no_route_between_them_call_through_coturn(
    network: RelayNetwork, relay_server: ServerProcess, tmp_path: Path
) -> None:
    common = ["--relay-only", "--resolution", "320x240", "--fps", "15", "--expect-peers", "1"]
    first = bot(network, "a", relay_server, "--create", "--duration", "8", "--json", str(tmp_path / "a.json"), *common)
    assert first.stdout is not None
    line = await asyncio.to_thread(first.stdout.readline)
    assert line.startswith("room: "), line + (first.stderr.read() if first.stderr else "")
    room = line.split()[1]
    second = bot(
        network, "b", relay_server, f"--room={room}", "--duration", "6", "--json", str(tmp_path / "b.json"), *common
    )
    results = [await asyncio.to_thread(finish, p) for p in (first, second)]
    for (code, out, err), name in zip(results, ("a", "b"), strict=True):
        assert code == 0, f"bot {name} exited {code}:\n{out}\n{err[-3000:]}\n{network.turn_log.read_text()[-2000:]}"
        report = json.loads((tmp_path / f"{name}.json").read_text())
        assert report["errors"] == [], report["errors"]
        (peer,) = report["peers"]
        assert peer["video"]["frames"] >= 20 and peer["audio"]["framesPerS"], peer
        # Relay-only on both ends: each sends from its own allocation to the other's.
        assert peer["candidatePair"] == {"local": "relay", "remote": "relay"}, peer
    log = network.turn_log.read_text(errors="replace")
    # Both allocated with the short-lived credentials the server handed out (``<expiry>:<userId>``, one hour here).
    allocated = re.findall(r"user <(\d+):([^>]+)>: incoming packet ALLOCATE processed, success", log)
    assert len({user for _, user in allocated}) == 2, log[-3000:]
    assert all(0 < int(expiry) - time.time() <= 3600 for expiry, _ in allocated), allocated


def unreachable(network: RelayNetwork, which: str, address: str) -> bool:
    """Whether a TCP connection from namespace ``which`` to ``address`` fails for want of a route (not refused)."""
    probe = (
        f"import socket\ntry: socket.create_connection(('{address}', 9), timeout=2)\n"
        "except OSError as e: print(e.errno)"
    )
    done = subprocess.run(network.in_namespace(which, [sys.executable, "-c", probe]), capture_output=True, text=True)
    return done.stdout.strip() == str(errno.ENETUNREACH)


def test_the_namespaces_reach_the_service_address_and_not_each_other(network: RelayNetwork) -> None:
    assert unreachable(network, "a", network.address_b) and unreachable(network, "b", network.address_a)
    assert not unreachable(network, "a", network.service) and not unreachable(network, "b", network.service)


async def test_without_a_turn_server_the_bot_refuses_relay_only_at_once(
    make_server: Callable[..., ServerProcess],
) -> None:
    server = make_server()
    server.start()
    command = [sys.executable, "-m", "nimeet_desktop.bot", "--server", server.url, "--register", "--relay-only"]
    done = await asyncio.to_thread(subprocess.run, [*command, "--create"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1, done
    assert "--relay-only: the server offers no TURN server" in done.stderr, done.stderr


async def test_without_a_turn_server_a_relay_only_call_never_connects_and_says_why(
    room_of: Callable[..., Awaitable[tuple[str, list[str]]]], sessions: Callable[..., CallSession]
) -> None:
    room, tokens = await room_of(2)
    first, second = (sessions(t, options=EngineOptions(relay_only=True)) for t in tokens)
    await first.join(room)
    await second.join(room)
    await asyncio.sleep(4)  # on loopback host candidates connect in well under a second
    for session, other in ((first, second), (second, first)):
        observer = session.observer
        assert isinstance(observer, Recorder)
        assert [e.kind for e in observer.errors] == [CallErrorKind.NO_RELAY], observer.errors
        assert frames_from(session, other) == 0
        assert all(r.connection_state != "connected" for r in session.participants.values())


async def allocate(network: RelayNetwork, username: str, password: str) -> None:
    """One TURN allocation at the test's coturn (from this, the root, namespace: to its own service address)."""
    transport, _ = await aioice.turn.create_turn_endpoint(
        asyncio.DatagramProtocol, (network.service, network.turn_port), username, password, lifetime=60
    )
    transport.close()


async def test_coturn_refuses_an_expired_credential_and_takes_a_fresh_one(network: RelayNetwork) -> None:
    fresh = turn_credentials(SECRET, "user-1", ttl_s=600)
    expired = turn_credentials(SECRET, "user-1", ttl_s=-60)  # the server's own scheme, its expiry a minute ago
    await allocate(network, *fresh)
    with pytest.raises(aioice.stun.TransactionFailed) as refused:
        await allocate(network, *expired)
    assert refused.value.response.attributes["ERROR-CODE"][0] == 401, refused.value
    # Same secret, same user, same scheme: only the expiry differs. coturn logs it as "Cannot find credentials of
    # user <expiry:user-1>" (4.6.1 does not say "expired"), so the log is no better witness than the two answers.
    await allocate(network, *turn_credentials(SECRET, "user-1", ttl_s=600))  # and a fresh one still works after
