"""Shared by the socket-handling attacks (issue 10, items 4, 6, 7-10, 16): the server's socket limits at their
defaults, a raw Engine.IO/Socket.IO client that does exactly what it is told, long-polling by hand, an in-process
server for what only the server itself can trigger (revocations), and the room's participant count."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import socketio
import uvicorn
import websockets

from signaling_server.app import ServerApp, create_app
from signaling_server.config import Settings
from tests.support.clients import Api, Peer, bearer
from tests.support.server import FAST_ENV, SOCKET_LIMITS_LIFTED, TEST_JWT_SECRET

MEDIA = {"camera": False, "microphone": False, "screen": False}


def limits(**override: object) -> dict[str, str]:
    """The socket limits at the server's defaults (FAST_ENV lifts them), then ``override`` (``event_burst=5``)."""
    env = {}
    for name in SOCKET_LIMITS_LIFTED:
        field = name.removeprefix("NIMEET_").lower()
        env[name] = str(Settings.model_fields[field].default)
    for field, value in override.items():
        env["NIMEET_" + field.upper()] = str(value)
    return env


def watch_disconnect(peer: Peer) -> asyncio.Event:
    """Set when the server ends ``peer``'s socket."""
    gone = asyncio.Event()
    peer.sio.on("disconnect", lambda *args: gone.set())
    return gone


def forge_token(user_id: str, lifetime_s: float) -> str:
    """A token of the tests' signing key expiring ``lifetime_s`` from now (``exp`` is whole seconds)."""
    now = time.time()
    claims = {"sub": user_id, "iat": int(now), "exp": int(now + lifetime_s), "jti": uuid.uuid4().hex}
    return jwt.encode(claims, TEST_JWT_SECRET, algorithm="HS256")


async def participant_count(api: Api, token: str, room_id: str) -> int:
    r = await api.http.get(f"/api/rooms/{room_id}", headers=bearer(token))
    assert r.status_code == 200, r.text
    return int(r.json()["participantCount"])


def event_frame(event: str, payload: Any, ack_id: int | None = None) -> str:
    return "42" + ("" if ack_id is None else str(ack_id)) + json.dumps([event, payload])


class RawSocket:
    """One websocket speaking Engine.IO 4 / Socket.IO 5 by hand: it never answers pings unless asked, sends what it
    is given, and keeps every frame it receives."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.sid = ""
        self.frames: list[str] = []

    @classmethod
    @contextlib.asynccontextmanager
    async def opened(cls, url: str, token: str | None) -> AsyncIterator[RawSocket]:
        ws_url = url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
        async with websockets.connect(ws_url, max_size=None) as ws:
            raw = cls(ws)
            opening = str(await ws.recv())
            assert opening.startswith("0{"), opening
            if token is not None:
                await ws.send("40" + json.dumps({"token": token}))
                reply = str(await ws.recv())
                if reply.startswith("40{"):
                    raw.sid = json.loads(reply[2:])["sid"]
                else:
                    raw.frames.append(reply)
            yield raw

    async def send(self, event: str, payload: Any, ack_id: int | None = None) -> None:
        await self.ws.send(event_frame(event, payload, ack_id))

    async def ack(self, ack_id: int, timeout: float = 10.0) -> Any:
        """Read frames until the ack ``ack_id`` (answering pings meanwhile); returns its payload."""
        prefix = f"43{ack_id}["
        deadline = time.monotonic() + timeout
        while True:
            frame = str(await asyncio.wait_for(self.ws.recv(), max(0.01, deadline - time.monotonic())))
            self.frames.append(frame)
            if frame == "2":
                await self.ws.send("3")
            elif frame.startswith(prefix):
                return json.loads(frame[len(prefix) - 1 :])[0]

    async def call(self, event: str, payload: Any, ack_id: int = 1, timeout: float = 10.0) -> Any:
        await self.send(event, payload, ack_id)
        return await self.ack(ack_id, timeout)


class Polling:
    """An Engine.IO long-polling session by hand (when the server still offers that transport)."""

    def __init__(self, http: httpx.AsyncClient, sid: str) -> None:
        self.http = http
        self.path = f"/socket.io/?EIO=4&transport=polling&sid={sid}"

    @classmethod
    async def open(cls, http: httpx.AsyncClient, token: str) -> Polling | None:
        """A session with the namespace connected, or None when the server refuses long-polling."""
        r = await http.get("/socket.io/?EIO=4&transport=polling")
        if r.status_code != 200 or not r.text.startswith("0{"):
            return None
        session = cls(http, json.loads(r.text[1:])["sid"])
        await session.post("40" + json.dumps({"token": token}))
        reply = await http.get(session.path)
        assert "40{" in reply.text, reply.text
        return session

    async def post(self, body: str) -> int:
        return (await self.http.post(self.path, content=body)).status_code


@contextlib.asynccontextmanager
async def in_process_server(data_dir: Path, **settings: Any) -> AsyncIterator[tuple[str, ServerApp]]:
    """The real server app served by uvicorn on loopback inside the test's own loop, for what only the server
    can do to itself (a revocation through ``svc.revocations``). Same settings as FAST_ENV unless overridden."""
    base: dict[str, Any] = {
        key.removeprefix("NIMEET_").lower(): value for key, value in FAST_ENV.items() if key != "NIMEET_LOG_FORMAT"
    }
    for name in SOCKET_LIMITS_LIFTED:
        base.pop(name.removeprefix("NIMEET_").lower())
    app = create_app(Settings(**{**base, "data_dir": data_dir, **settings}))
    config = uvicorn.Config(
        app.asgi, host="127.0.0.1", port=0, log_config=None, access_log=False, ws="websockets-sansio", lifespan="on"
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    while not server.started:
        assert not serving.done(), "the in-process server did not start"
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}", app
    finally:
        await app.drain()
        server.should_exit = True
        await serving


async def connect_or_refusal(url: str, token: str) -> tuple[socketio.AsyncClient | None, object]:
    """A connected client and None, or None and the ``connect_error`` payload the server sent."""
    client = socketio.AsyncClient(reconnection=False)
    errors: list[object] = []
    client.on("connect_error", errors.append)
    try:
        await client.connect(url, auth={"token": token}, transports=["websocket"], wait_timeout=10)
    except socketio.exceptions.ConnectionError:
        return None, errors[0] if errors else None
    return client, None
