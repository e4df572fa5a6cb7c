"""The lean websocket transport keeps engineio's guarantees (dead peers are dropped, order is kept) and adds its
own: WebSocket only, a server-side disconnect closes the connection, unsent output is counted and capped."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
import socketio
import uvicorn
import websockets
from engineio import packet

from signaling_server.app import create_app
from signaling_server.config import Settings
from signaling_server.signaling.log_budget import LogBudget
from signaling_server.signaling.outbox import SMALL_PACKET, Outbox
from tests.call.conftest import wait_until
from tests.compat.test_engineio_hook import free_port
from tests.security.transport_attacks import Closed, RawSocket
from tests.support.clients import Peer, bearer
from tests.support.server import TEST_JWT_SECRET, ServerProcess


def register(url: str, name: str) -> str:
    r = httpx.post(
        f"{url}/api/auth/register", json={"username": name, "email": f"{name}@example.test", "password": "password123"}
    )
    assert r.status_code == 201, r.text
    return str(r.json()["token"])


async def test_silent_peer_is_dropped_after_ping_timeout(make_server: Callable[..., ServerProcess]) -> None:
    """A client that stops answering pings (a frozen laptop, a dead NAT binding) leaves the room for the others."""
    server = make_server(env={"NIMEET_PING_INTERVAL_S": "1", "NIMEET_PING_TIMEOUT_S": "1"})
    url = server.start()
    watcher_token, silent_token = register(url, "watcher"), register(url, "silent")
    room = httpx.post(f"{url}/api/rooms/create", headers=bearer(watcher_token)).json()["room"]["roomId"]
    watcher = await Peer(url, watcher_token).connect()
    await watcher.join(room)

    ws_url = url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    async with websockets.connect(ws_url) as ws:
        assert str(await ws.recv()).startswith("0{")
        await ws.send("40" + json.dumps({"token": silent_token}))
        sid = json.loads(str(await ws.recv())[2:])["sid"]
        media = {"camera": False, "microphone": False, "screen": False}
        await ws.send('421["join-room",' + json.dumps({"roomId": room, "mediaState": media}) + "]")
        ack = str(await ws.recv())
        assert ack.startswith("431[") and '"ok":true' in ack
        assert (await watcher.log.next("user-joined"))["socketId"] == sid
        started = time.monotonic()
        # From here on the client reads but never answers the server's pings.
        left = await watcher.log.next("user-left", timeout=10)
        assert left["socketId"] == sid
        assert time.monotonic() - started < 6  # one interval + one timeout + the service task's sweep
    await watcher.close()
    server.stop_gracefully()


async def test_long_polling_is_refused_with_a_clear_answer(server: ServerProcess) -> None:
    """The clients only use WebSocket, so the server offers nothing else (issue 10, item 4): a long-polling request
    gets a 400 that says so, and a websocket asking for another transport or to upgrade a session is refused; none
    of it is logged as a server error (the ``server`` fixture fails on any ERROR line)."""
    async with httpx.AsyncClient(base_url=server.url) as http:
        requests = [
            http.get("/socket.io/?EIO=4&transport=polling"),
            http.get("/socket.io/?EIO=4"),  # no transport: Engine.IO's default is polling
            http.post("/socket.io/?EIO=4&transport=polling&sid=abc", content="40"),
            http.options("/socket.io/?EIO=4&transport=polling"),
        ]
        for request in requests:
            reply = await request
            assert reply.status_code == 400, reply.text
            assert reply.json()["message"] == "Transport unknown"
            assert "only the websocket transport" in reply.json()["detail"]
    base = server.url.replace("http://", "ws://") + "/socket.io/?EIO=4"
    for query in ("&transport=polling", "", "&transport=websocket&sid=abc"):
        with pytest.raises(websockets.InvalidStatus) as refused:
            async with websockets.connect(base + query):
                pass
        assert refused.value.response.status_code == 403, query
    # python-socketio's client on long-polling does not get in either.
    token = register(server.url, f"poller{time.monotonic_ns() % 10**8}")
    client = socketio.AsyncClient(reconnection=False)
    with pytest.raises(Exception):  # noqa: B017, PT011 (its polling path fails with RuntimeError or ConnectionError)
        await client.connect(server.url, auth={"token": token}, transports=["polling"], wait_timeout=5)
    assert not client.connected


async def test_many_messages_keep_their_order(server: ServerProcess) -> None:
    """Relays from one sender arrive in the order sent, acks included (the writer batches but never reorders)."""
    tokens = [register(server.url, f"order{i}_{time.monotonic_ns() % 10**8}") for i in range(2)]
    room = httpx.post(f"{server.url}/api/rooms/create", headers=bearer(tokens[0])).json()["room"]["roomId"]
    a, b = [await Peer(server.url, t).connect() for t in tokens]
    await a.join(room)
    await b.join(room)
    sends = [
        a.sio.emit("offer", {"target": b.sid, "description": {"type": "offer", "sdp": f"v=0 #{i}"}}) for i in range(300)
    ]
    for send in sends:
        await send
    await b.log.next("receive-offer", index=299, timeout=10)
    got = [event["description"]["sdp"] for event in b.log.events["receive-offer"]]
    assert got == [f"v=0 #{i}" for i in range(300)]
    await a.close()
    await b.close()


async def test_a_server_side_disconnect_closes_the_connection(tmp_path: Path) -> None:
    """python-socketio's ``disconnect`` only leaves the namespace and trusts the client to close the session; ours
    closes it (a client that ignored the DISCONNECT could otherwise connect again on it, or just stay)."""
    settings = Settings(data_dir=tmp_path, jwt_secret=TEST_JWT_SECRET, argon2_time_cost=1, argon2_memory_kib=8192)
    app = create_app(settings)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app.asgi, host="127.0.0.1", port=port, log_level="warning"))
    serving = asyncio.create_task(server.serve())
    try:
        await wait_until(lambda: server.started, 10, "uvicorn to listen")
        url = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(base_url=url) as http:
            body = {"username": "kicked", "email": "kicked@example.test", "password": "password123"}
            token = (await http.post("/api/auth/register", json=body)).json()["token"]
        raw = await RawSocket.open(url)
        sid = await raw.socketio_connect(token)
        await app.sio.disconnect(sid)
        assert await raw.recv_text() == "41"  # python-socketio's DISCONNECT, then ours: CLOSE and the close frame
        assert await raw.recv_text() == "1"
        with pytest.raises(Closed) as closed:
            await raw.recv_text()
        assert closed.value.code == 1000
        raw.abort()
        await wait_until(lambda: not app.sio.eio.sockets, 5, "the session to be gone")
    finally:
        server.should_exit = True
        await serving


def message(text: str) -> packet.Packet:
    return packet.Packet(packet.MESSAGE, data=text)


async def test_the_outbox_counts_unsent_bytes_and_overflows_once() -> None:
    overflows: list[bool] = []
    closes: list[bool] = []
    box = Outbox(1000, on_overflow=lambda: overflows.append(True), on_close=lambda: closes.append(True))
    box.put_nowait(message("2" + "a" * 399))
    box.put_nowait(message("é" * 100))  # counted as UTF-8: 200 bytes
    box.put_nowait(packet.Packet(packet.PING))
    assert box.unsent == 400 + 200 + SMALL_PACKET
    assert (await box.get()).data.startswith("2a")
    box.task_done()  # as the writer does after each packet
    assert box.unsent == 200 + SMALL_PACKET
    box.put_nowait(message("b" * 700))
    assert box.unsent == 900 + SMALL_PACKET and not overflows
    box.put_nowait(message("c" * 200))  # over the cap: everything goes, the connection is told once
    assert overflows == [True] and box.refusing and box.empty() and box.unsent == 0
    box.put_nowait(message("d"))
    assert box.empty() and overflows == [True]
    box.put_nowait(None)  # the writer's stop sentinel is always taken
    assert await box.get() is None
    box.task_done()
    await asyncio.wait_for(box.join(), 1)  # close(wait=True) does not wait for what was dropped
    assert not closes


def test_the_outbox_reports_a_queued_close() -> None:
    closes: list[bool] = []
    box = Outbox(1000, on_overflow=lambda: None, on_close=lambda: closes.append(True))
    box.put_nowait(message("2[]"))
    assert not closes
    box.put_nowait(packet.Packet(packet.CLOSE))
    assert closes == [True]


def test_the_log_budget_counts_what_it_drops() -> None:
    now = [0.0]
    budget = LogBudget(lines=2, window_s=10, clock=lambda: now[0])
    assert [budget.take(), budget.take(), budget.take(), budget.take()] == [0, 0, None, None]
    now[0] = 10.0
    assert budget.take() == 2  # the first line of the next window says how many were dropped
    assert budget.take() == 0


def test_the_soft_open_files_limit_is_raised_to_the_hard_one() -> None:
    script = (
        "import resource, sys\n"
        "soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)\n"
        "resource.setrlimit(resource.RLIMIT_NOFILE, (min(256, hard), hard))\n"
        "from signaling_server.fd_limit import raise_open_files_limit\n"
        "now = raise_open_files_limit()\n"
        "assert now == resource.getrlimit(resource.RLIMIT_NOFILE)[0]\n"
        "print(now, hard)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout.split()
    now, hard = int(out[0]), int(out[1])
    assert now == hard or hard > now >= 10240, (now, hard)  # "unlimited" hard limits get a finite figure
