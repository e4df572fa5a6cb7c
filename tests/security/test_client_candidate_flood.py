"""Issue 10, item 9 (app side): a participant inflated another's memory with candidates sent before any offer,
with huge ``sdpMid`` / ``usernameFragment`` (5,600 of them: +535 MB).

The victim is the desktop engine (``CallSession``, headless) in this process; the attacker a raw socket.io client in
another process (``appnet_attacks``), in the same room on the real server, sending 5,600 candidates to the victim
before any offer: 200 well-formed ones, then 5,400 with 24 KiB ``sdpMid`` and ``usernameFragment`` (the engine
before this fix grew 485 MiB with 48 KiB ones). The engine keeps at most ``MAX_PENDING_CANDIDATES`` per peer,
drops oversize fields on arrival, grows by less than 20 MiB, logs one line per kind of drop per peer, and a call
with a real peer works afterwards."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator

import pytest

from nimeet_desktop.call import ice
from nimeet_desktop.call.peer import MAX_PENDING_CANDIDATES
from nimeet_desktop.call.session import CallSession
from nimeet_desktop.media.synthetic import SyntheticVideo
from tests.call.conftest import Recorder, frames_from, wait_until
from tests.security.appnet_attacks import candidate_flood_argv, parser
from tests.security.probes import rss_mib
from tests.support.clients import Api
from tests.support.server import ServerProcess, running

NORMAL, HUGE = 200, 5400
GROWTH_LIMIT_MIB = 20


@pytest.fixture(scope="module", autouse=True)
def loopback_ice() -> Iterator[None]:
    ice.restrict_host_addresses(["127.0.0.1"])
    yield
    ice.restrict_host_addresses(None)


@pytest.fixture(scope="module")
def flood_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with running(tmp_path_factory.mktemp("candidate-flood")) as proc:
        yield proc


@pytest.fixture
async def made() -> AsyncIterator[list[CallSession]]:
    sessions: list[CallSession] = []
    yield sessions
    for session in sessions:
        await session.leave()


def session(server: ServerProcess, token: str, made: list[CallSession]) -> CallSession:
    made.append(
        CallSession(server.url, token, [], observer=Recorder(), camera_factory=lambda: SyntheticVideo(160, 120, 15))
    )
    return made[-1]


async def test_a_candidate_flood_before_any_offer_is_capped(
    flood_server: ServerProcess, made: list[CallSession], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="nimeet_desktop")
    api = Api(flood_server.url)
    victim_token, attacker_token, friend_token = [(await api.register())["token"] for _ in range(3)]
    room_id = (await api.create_room(victim_token))["roomId"]
    await api.aclose()

    victim = session(flood_server, victim_token, made)
    await victim.join(room_id, microphone=False)
    assert victim.self_participant is not None
    await asyncio.sleep(1.5)  # the encoder and the loop settle before the baseline
    before = rss_mib(os.getpid())

    attacker = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.security.appnet_attacks",
        *candidate_flood_argv(
            flood_server.url, attacker_token, room_id, victim.self_participant.socket_id, NORMAL, HUGE
        ),
        stdout=subprocess.PIPE,
    )
    assert attacker.stdout is not None
    attacker_sid = json.loads(await attacker.stdout.readline())["joined"]
    await wait_until(lambda: attacker_sid in victim.peers, what="the attacker's peer")
    peer = victim.peers[attacker_sid]  # kept: a server that cuts the attacker off drops it from the session
    peak = before
    report = asyncio.ensure_future(attacker.stdout.readline())
    while not report.done():
        peak = max(peak, rss_mib(os.getpid()))
        await asyncio.wait([report], timeout=0.1)
    accepted = json.loads(report.result())["accepted"]
    assert await attacker.wait() == 0

    # A server that checks those fields (or rate-limits the attacker) relays fewer: the counts are what it accepted.
    # Everything the server relayed has reached the engine, then was queued up to the cap or dropped.
    await wait_until(
        lambda: (
            peer.pending_candidates + peer.dropped_candidates == accepted["normal"]
            and victim.signaling.dropped_candidates == accepted["huge"]
        ),
        timeout=30,
        what="the relayed candidates to be handled",
    )
    peak = max(peak, rss_mib(os.getpid()))
    assert accepted["normal"] > MAX_PENDING_CANDIDATES, accepted  # the queue's cap was reached
    assert peer.pending_candidates == MAX_PENDING_CANDIDATES
    assert peak - before < GROWTH_LIMIT_MIB, f"the engine grew {peak - before:.0f} MiB; relayed: {accepted}"
    messages = [record.getMessage() for record in caplog.records]
    assert sum("before its description" in m for m in messages) == 1, messages
    assert sum("oversize" in m for m in messages) == (1 if accepted["huge"] else 0), messages

    # A real participant joins and the call works both ways.
    friend = session(flood_server, friend_token, made)
    await friend.join(room_id, microphone=False)
    await wait_until(lambda: frames_from(victim, friend) > 10, timeout=20, what="video from the friend")
    await wait_until(lambda: frames_from(friend, victim) > 10, timeout=20, what="video to the friend")


@pytest.mark.parametrize("socket_id", ["-Lh7cU2BvX4mYqK0AAAB", "--x", "AAAB"])
def test_the_attack_takes_any_socket_id(socket_id: str) -> None:
    """Socket ids are base64url and may start with "-" (CI once gave the victim such an id and argparse took it for
    an option: the attacker never started)."""
    args = parser().parse_args(candidate_flood_argv("http://127.0.0.1:1", "t", "room", socket_id, 1, 2))
    assert (args.target, args.normal, args.huge) == (socket_id, 1, 2)
