"""Issue 10, item 10: every client event is budgeted per socket (default 50/s in bursts of 100): over it the ack
is ``rate-limited`` and nothing is relayed, and a socket refused more than twice its burst within 10 s is
disconnected. ``join-room`` is also throttled per account (a burst of 10, then 1/s), since each join writes a
database row. Before the fix 2,900 ``toggle-media``/s reached 15 listeners as 43,800 events/s, and join/leave
churn wrote 162 rows a second."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import socketio
import websockets

from signaling_server.config import Settings
from tests.security.probes import STALL_S, Watch
from tests.security.sockets_attacks import MEDIA, RawSocket, event_frame, limits
from tests.support.clients import Api, Peer
from tests.support.server import ServerProcess

RATE = Settings.model_fields["event_rate_per_s"].default
BURST = Settings.model_fields["event_burst"].default
JOIN_RATE = Settings.model_fields["join_rate_per_s"].default
JOIN_BURST = Settings.model_fields["join_burst"].default
LISTENERS = 15


async def test_toggle_media_flood_reaches_listeners_within_the_budget(
    make_server: Callable[..., ServerProcess],
) -> None:
    server = make_server(env=limits())
    url = server.start()
    api = Api(url)
    owner = await api.register()
    room_id = (await api.create_room(owner["token"], maxParticipants=16))["roomId"]
    listeners = [await Peer(url, (await api.register())["token"]).connect() for _ in range(LISTENERS)]
    for listener in listeners:
        assert (await listener.join(room_id))["ok"] is True
    async with RawSocket.opened(url, owner["token"]) as attacker, Watch(server.pid, url) as watch:
        assert (await attacker.call("join-room", {"roomId": room_id, "mediaState": MEDIA}))["ok"] is True
        started = time.monotonic()
        sent = 0
        with contextlib.suppress(websockets.ConnectionClosed):  # the server disconnects the attacker
            # 2,900 a second for a second, in tenths.
            for tenth in range(10):
                for i in range(290):
                    toggle = {"mediaType": "camera", "enabled": bool(i % 2)}
                    await attacker.ws.send(event_frame("toggle-media", toggle, 2 + sent))
                    sent += 1
                await asyncio.sleep(max(0.0, started + (tenth + 1) / 10 - time.monotonic()))
        elapsed = time.monotonic() - started
        # Read what came back: acks, and the disconnect packet.
        frames: list[str] = []
        with contextlib.suppress(TimeoutError, websockets.ConnectionClosed):
            while True:
                frames.append(str(await asyncio.wait_for(attacker.ws.recv(), 1.0)))
    acks = [json.loads(frame[frame.index("[") :])[0] for frame in frames if frame.startswith("43")]
    codes = [ack["error"]["code"] if not ack.get("ok") else "ok" for ack in acks]
    budget = BURST + RATE * elapsed
    assert codes.count("ok") <= budget
    assert "rate-limited" in codes
    assert "41" in frames, "the socket that kept going was not disconnected"
    # The disconnect came after about twice the burst refused: well before the flood ended.
    assert len(acks) <= budget + 2 * BURST + 1
    await asyncio.sleep(0.3)
    for listener in listeners:
        got = len(listener.log.events["media-toggled"])
        assert got <= budget, f"a listener received {got} media-toggled in {elapsed:.1f} s"
    assert watch.worst_health_s < STALL_S, f"/healthz took {watch.worst_health_s:.2f} s"
    print(
        f"sent {sent} toggle-media in {elapsed:.1f} s, {codes.count('ok')} accepted, {len(acks)} answered before the"
        f" disconnect; each listener got at most {max(len(x.log.events['media-toggled']) for x in listeners)};"
        f" worst /healthz {watch.worst_health_s * 1000:.0f} ms"
    )
    for listener in listeners:
        await listener.close()
    await api.aclose()
    server.stop_gracefully()


async def test_a_socket_within_its_budget_is_never_refused(make_server: Callable[..., ServerProcess]) -> None:
    server = make_server(env=limits())
    url = server.start()
    api = Api(url)
    owner = await api.register()
    room_id = (await api.create_room(owner["token"]))["roomId"]
    a, b = [await Peer(url, (await api.register())["token"]).connect() for _ in range(2)]
    await a.join(room_id)
    await b.join(room_id)
    # A whole burst at once, then the steady rate: everything is relayed.
    toggle = {"mediaType": "microphone", "enabled": True}
    acks = await asyncio.gather(*(a.call("toggle-media", toggle) for _ in range(BURST - 5)))
    started = time.monotonic()
    for i in range(int(RATE)):
        acks.append(await a.call("toggle-media", toggle))
        await asyncio.sleep(max(0.0, started + (i + 1) / RATE * 1.1 - time.monotonic()))
    assert all(ack == {"ok": True} for ack in acks)
    await b.log.next("media-toggled", index=len(acks) - 1)
    for peer in (a, b):
        await peer.close()
    await api.aclose()
    server.stop_gracefully()


async def test_join_churn_writes_at_most_the_throttle(
    make_server: Callable[..., ServerProcess], tmp_path: Path
) -> None:
    """One account churning join/leave from five sockets at full speed: the participation rows written stay
    within the account's join budget."""
    data = tmp_path / "churn"
    server = make_server(env=limits(), data_dir=data)
    url = server.start()
    api = Api(url)
    user = await api.register()
    room_id = (await api.create_room(user["token"]))["roomId"]
    sockets = [await Peer(url, user["token"]).connect() for _ in range(5)]
    started = time.monotonic()
    results: list[str] = []

    async def churn(peer: Peer) -> None:
        # At full speed a socket also runs through its event budget and is disconnected (its last call unanswered).
        with contextlib.suppress(socketio.exceptions.SocketIOError):
            while time.monotonic() - started < 3:
                ack = await peer.call("join-room", {"roomId": room_id, "mediaState": MEDIA}, timeout=1)
                results.append("joined" if ack["ok"] else ack["error"]["code"])
                if ack["ok"]:
                    await peer.call("leave-room", {"roomId": room_id}, timeout=1)

    await asyncio.gather(*(churn(peer) for peer in sockets))
    elapsed = time.monotonic() - started
    await asyncio.sleep(0.5)  # stay rows are written after the ack
    with sqlite3.connect(data / "nimeet.sqlite3") as conn:
        rows = conn.execute("select count(*) from participations").fetchone()[0]
    assert results.count("joined") == rows
    assert rows <= JOIN_BURST + JOIN_RATE * elapsed + 1
    assert "rate-limited" in results
    # Once the churn stops the budget refills: the person can join again.
    await asyncio.sleep(1.5)
    fresh = await Peer(url, user["token"]).connect()
    assert (await fresh.join(room_id))["ok"] is True
    for peer in (*sockets, fresh):
        await peer.close()
    await api.aclose()
    server.stop_gracefully()
