"""The lean websocket transport keeps engineio's guarantees: dead peers are dropped, upgrades still work."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable

import httpx
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


async def test_long_polling_upgrade_to_websocket(server: ServerProcess) -> None:
    token = register(server.url, f"upgrader{time.monotonic_ns() % 10**8}")
    room = httpx.post(f"{server.url}/api/rooms/create", headers=bearer(token)).json()["room"]["roomId"]
    client = socketio.AsyncClient(reconnection=False)
    await client.connect(server.url, auth={"token": token}, transports=["polling", "websocket"], wait_timeout=5)
    for _ in range(50):
        if client.transport() == "websocket":
            break
        await asyncio.sleep(0.05)
    assert client.transport() == "websocket"
    media = {"camera": True, "microphone": True, "screen": False}
    ack = await client.call("join-room", {"roomId": room, "mediaState": media}, timeout=5)
    assert ack["ok"] is True
    await client.disconnect()


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
