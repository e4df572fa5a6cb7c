"""The transport finds the TCP connection behind uvicorn's websocket ``send``, and aborting it ends the socket."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import uvicorn
import websockets

from signaling_server.signaling import uvicorn_compat
from tests.call.conftest import wait_until
from tests.compat.test_engineio_hook import free_port

UVICORN = f"uvicorn {uvicorn_compat.UVICORN_VERSION}"


# The implementation the server runs (signaling_server/__main__.py) and uvicorn's default, and wsproto's.
@pytest.mark.parametrize("ws", ["websockets-sansio", "auto", "wsproto"])
async def test_aborting_the_transport_behind_send_ends_receive(ws: str) -> None:
    seen: dict[str, Any] = {}

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "websocket":
            return
        await receive()  # websocket.connect
        await send({"type": "websocket.accept"})
        transport = uvicorn_compat.transport_of(send)
        seen["found"] = transport is not None
        if transport is not None:
            transport.abort()
            seen["after_abort"] = (await asyncio.wait_for(receive(), 5))["type"]

    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, ws=ws, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    try:
        await wait_until(lambda: server.started, 10, "uvicorn to listen")
        async with websockets.connect(f"ws://127.0.0.1:{port}/") as client:
            with pytest.raises(websockets.ConnectionClosed):
                await asyncio.wait_for(client.recv(), 5)
    finally:
        server.should_exit = True
        await serving
    assert seen.get("found"), f"{UVICORN} ({ws}): send is no longer a bound method of a protocol with .transport"
    assert seen.get("after_abort") == "websocket.disconnect", f"{UVICORN} ({ws}): abort did not end receive"
