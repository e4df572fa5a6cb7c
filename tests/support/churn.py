"""Churn across server nodes (issue 17, reliability): clients join, leave, drop and come back at random, each time
through a node picked at random, for a while; then the room as every client sees it must equal the room as the
server sees it, and once everyone is gone Redis must hold nothing of any of them.

Each join is a new socket: a client that leaves (``leave-room``) or drops (its connection cut without a word)
throws its socket away and comes back on a fresh one, so a socket id is in a room at most once and a client's view
is simply its join ack plus the ``user-joined`` and minus the ``user-left`` it received. Used by
tests/reliability/test_churn.py (seconds, in CI) and benchmarks/churn.py (minutes).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from redis.asyncio import Redis

from tests.support.clients import Api, Peer, room_view

MEDIA = ("camera", "microphone")
# Keys that outlive everyone leaving, by design: the nodes' own (heartbeats, their list) and rate-limit buckets,
# which expire by themselves once full again.
LASTING_KEYS = ("nimeet:nodes", "nimeet:alive:", "nimeet:limit:", "nimeet:sweep:")
# How long every view may take to settle on the server's once the churn stops.
CONVERGE_TIMEOUT_S = 10.0


@dataclass
class Client:
    token: str
    peer: Peer | None = None
    ack: dict[str, Any] | None = None

    def view(self) -> set[str]:
        """The room as this client sees it, itself included."""
        assert self.peer is not None and self.ack is not None
        return set(room_view(self.peer, self.ack))


@dataclass
class ChurnReport:
    actions: Counter[str] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    # The socket ids each client in the room believes are there, against the server's (an observer's join ack).
    wrong_views: dict[str, tuple[list[str], list[str]]] = field(default_factory=dict)
    members_at_end: int = 0
    leftover_keys: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)


async def _join(client: Client, url: str, room_id: str, report: ChurnReport) -> None:
    peer = await Peer(url, client.token).connect()
    ack = await peer.join(room_id, camera=random.random() < 0.5, microphone=True)
    if ack.get("ok"):
        client.peer, client.ack = peer, ack
    else:  # a full room: the contract's answer, counted, and the socket thrown away
        report.refused[ack["error"]["code"]] += 1
        report.violations += peer.violations
        await peer.close()


async def _leave(client: Client, room_id: str, report: ChurnReport) -> None:
    peer = client.peer
    assert peer is not None
    client.peer = client.ack = None
    report.actions["leave"] += 1
    assert await peer.call("leave-room", {"roomId": room_id}) == {"ok": True}
    report.violations += peer.violations
    await peer.close()


async def _step(client: Client, urls: list[str], room_id: str, report: ChurnReport) -> None:
    if client.peer is None:
        report.actions["join"] += 1
        await _join(client, random.choice(urls), room_id, report)
        return
    roll = random.random()
    peer = client.peer
    if roll < 0.5:
        report.actions["toggle-media"] += 1
        ack = await peer.call("toggle-media", {"mediaType": random.choice(MEDIA), "enabled": random.random() < 0.5})
        assert ack == {"ok": True}, ack
        return
    if roll < 0.7:
        await _leave(client, room_id, report)
        return
    report.violations += peer.violations
    client.peer = client.ack = None
    if roll < 0.85:
        report.actions["drop"] += 1  # the connection cut, no leave, no goodbye
        transport = peer.sio.eio
        if transport.ws is not None:
            await transport.ws.close()
        await peer.sio.disconnect()
    else:
        report.actions["reconnect"] += 1  # straight back, through another node perhaps
        await peer.close()
        await _join(client, random.choice(urls), room_id, report)


def _wrong_views(seated: list[Client], observer: Peer, server_view: set[str]) -> dict[str, tuple[list[str], list[str]]]:
    """The views (socket ids, the observer left out) that differ from the server's, by socket; "server" when the
    server's differs from who the churn believes is seated (a socket the server cut off, say)."""
    server_view = server_view - {observer.sid}
    wrong = {}
    for client in seated:
        assert client.peer is not None
        if not client.peer.sio.connected:
            wrong[client.peer.sid] = (["disconnected by the server"], sorted(server_view))
            continue
        mine = client.view() - {observer.sid}
        if mine != server_view:
            wrong[client.peer.sid] = (sorted(mine), sorted(server_view))
    believed = {c.peer.sid for c in seated if c.peer is not None}
    if server_view != believed:
        wrong["server"] = (sorted(server_view), sorted(believed))
    return wrong


async def churn(
    urls: list[str],
    redis_url: str,
    *,
    clients: int,
    seconds: float,
    capacity: int = 8,
    seed: int = 1,
    min_actions: int = 0,
) -> ChurnReport:
    """``clients`` of their own accounts churn in one room of ``capacity`` seats for ``seconds``, and on until they
    made ``min_actions`` in all (a loaded machine makes fewer a second), for at most four times ``seconds``."""
    random.seed(seed)
    report = ChurnReport()
    api = Api(urls[0])
    tokens = [(await api.register())["token"] for _ in range(clients + 1)]
    room_id = (await api.create_room(tokens[0], maxParticipants=capacity))["roomId"]
    people = [Client(token) for token in tokens[1:]]
    start = time.monotonic()

    def going() -> bool:
        elapsed = time.monotonic() - start
        return elapsed < seconds or (sum(report.actions.values()) < min_actions and elapsed < 4 * seconds)

    async def run(client: Client) -> None:
        while going():
            await _step(client, urls, room_id, report)
            await asyncio.sleep(random.uniform(0.05, 0.4))

    await asyncio.gather(*(run(client) for client in people))
    report.seconds = time.monotonic() - start

    # The server's view: an observer's, in a seat made free if the room is full. Its join ack is the room at that
    # moment; the user-joined and user-left it receives from then on keep it the server's (its own arrival aside).
    full = [c for c in people if c.peer is not None]
    if len(full) >= capacity:
        await _leave(full[0], room_id, report)
    observer = await Peer(random.choice(urls), tokens[0]).connect()
    ack = await observer.join(room_id)
    assert ack["ok"], ack
    seated = [c for c in people if c.peer is not None]
    report.members_at_end = len(seated)
    # Every view must come to equal the server's. Waited for rather than slept on: on a loaded machine the last
    # drops reach the nodes late, while a view that missed an event never converges, however long the wait.
    deadline = time.monotonic() + CONVERGE_TIMEOUT_S
    while True:
        report.wrong_views = _wrong_views(seated, observer, set(room_view(observer, ack)))
        if not report.wrong_views or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.1)

    # Everyone goes; nothing of theirs may stay in Redis.
    for client in seated:
        assert client.peer is not None
        report.violations += client.peer.violations
        await client.peer.close()
    report.violations += observer.violations
    await observer.close()
    await api.aclose()
    await asyncio.sleep(1.0)
    redis = Redis.from_url(redis_url)
    try:
        keys = [k.decode() if isinstance(k, bytes) else str(k) for k in await redis.keys("nimeet:*")]
    finally:
        await redis.aclose()
    report.leftover_keys = sorted(k for k in keys if not k.startswith(LASTING_KEYS))
    return report
