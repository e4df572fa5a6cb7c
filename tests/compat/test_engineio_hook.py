"""The lean websocket transport stands where python-engineio looks for its websocket class, and serves."""

from __future__ import annotations

import asyncio
import functools
import gc
import socket
from pathlib import Path

import engineio
import uvicorn
import websockets
from engineio.async_socket import AsyncSocket

from signaling_server.app import create_app
from signaling_server.config import Settings
from signaling_server.signaling import engineio_compat
from signaling_server.signaling.outbox import Outbox
from signaling_server.signaling.transport import LeanWebSocket
from tests.call.conftest import wait_until
from tests.support.server import TEST_JWT_SECRET, running

ENGINEIO = f"python-engineio {engineio_compat.ENGINEIO_VERSION}"


def test_engineio_still_has_what_the_lean_transport_drives(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path, jwt_secret=TEST_JWT_SECRET))
    assert engineio_compat.missing_attributes(app.sio.eio) == [], ENGINEIO
    factory = engineio_compat.websocket_class(app.sio.eio)
    assert isinstance(factory, functools.partial), ENGINEIO
    assert factory.func is LeanWebSocket, ENGINEIO


def test_engineio_hands_the_message_handler_the_text_the_transport_passes(tmp_path: Path) -> None:
    """The transport calls ``eio.handlers['message']`` itself with the text after the ``4``: engineio must pass
    python-socketio the same (it decodes JSON only when the text after the type is not a digit)."""
    app = create_app(Settings(data_dir=tmp_path, jwt_secret=TEST_JWT_SECRET))
    handler = engineio_compat.message_handler(app.sio.eio)
    assert handler.__func__ is type(app.sio)._handle_eio_message, ENGINEIO  # type: ignore[attr-defined]
    for text in ('42["offer",{"target":"x"}]', "40", '431[{"ok":true}]', "41"):
        assert engineio.packet.Packet(encoded_packet=text).data == text[1:], f"{ENGINEIO} decodes {text!r} itself"


async def test_engineio_queues_into_the_outbox_the_transport_installs() -> None:
    """``AsyncSocket.send`` must look its queue up at each send (the transport swaps in its counting ``Outbox``),
    and ``close(wait=False)`` must queue a CLOSE packet without waiting for the queue to drain."""
    eio = engineio.AsyncServer(async_mode="asgi")
    socket = AsyncSocket(eio, "probe")
    closes: list[bool] = []
    outbox = Outbox.replacing(socket.queue, 1 << 20, on_overflow=lambda: None, on_close=lambda: closes.append(True))
    socket.queue = outbox
    await socket.send(engineio.packet.Packet(engineio.packet.MESSAGE, data="2" + "x" * 999))
    assert outbox.unsent == 1000, f"{ENGINEIO}: AsyncSocket.send no longer puts into socket.queue"
    eio.sockets["probe"] = socket
    closing = engineio_compat.close_session(eio, "probe")
    assert closing is not None
    await asyncio.wait_for(closing, 2)  # a queue nobody drains: close_session must not wait for it
    assert socket.closed and closes == [True], f"{ENGINEIO}: AsyncSocket.close no longer queues a CLOSE packet"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def test_a_websocket_connection_is_served_by_the_lean_transport(tmp_path: Path) -> None:
    """engineio must build *our* class for a websocket that opens on websocket, and a packet must go round it."""
    app = create_app(Settings(data_dir=tmp_path, jwt_secret=TEST_JWT_SECRET))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app.asgi, host="127.0.0.1", port=port, log_level="warning"))
    serving = asyncio.create_task(server.serve())
    try:
        await wait_until(lambda: server.started, 10, "uvicorn to listen")
        url = f"ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket"
        async with websockets.connect(url) as ws:
            assert str(await ws.recv()).startswith("0{")  # engine.io OPEN
            live = [o for o in gc.get_objects() if isinstance(o, LeanWebSocket)]
            assert live, (
                f"{ENGINEIO} served a websocket without LeanWebSocket: AsyncSocket._upgrade_websocket no longer "
                "builds AsyncServer._async['websocket'] (engineio_compat.use_websocket_class)"
            )
            await ws.send("40")  # socket.io CONNECT without a token: refused, through the lean reader and writer
            assert str(await asyncio.wait_for(ws.recv(), 5)).startswith("44")
    finally:
        server.should_exit = True
        await serving


def test_the_real_server_installs_the_lean_transport(tmp_path: Path) -> None:
    with running(tmp_path / "data") as proc:
        pass
    logged = [line for line in proc.stderr_lines if "engine.io websocket transport" in line]
    assert logged and "LeanWebSocket" in logged[0], f"{ENGINEIO}: the server did not install its transport"
