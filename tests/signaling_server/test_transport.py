"""The lean websocket transport keeps engineio's guarantees: dead peers are dropped, upgrades still work."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import httpx
import pytest
import socketio
import websockets

from tests.support.clients import Peer, bearer
from tests.support.server import ServerProcess


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
