"""The transport finds the TCP connection behind uvicorn's websocket ``send``, and aborting it ends the socket."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
import uvicorn
import websockets

from signaling_server.signaling import uvicorn_compat
from signaling_server.signaling.log_budget import LogBudget
from tests.call.conftest import wait_until
from tests.compat.test_engineio_hook import free_port
from tests.security.transport_attacks import TEXT, RawSocket, frame

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


async def test_uvicorn_still_logs_invalid_utf8_as_the_filter_expects() -> None:
    """uvicorn logs a text frame that is not UTF-8 with a traceback; ``tame_invalid_utf8_log`` must find that
    record by its message and leave one WARNING line without the traceback."""
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "websocket":
            await receive()
            await send({"type": "websocket.accept"})
            while (await receive())["type"] != "websocket.disconnect":
                pass

    uvicorn_logger = logging.getLogger("uvicorn.error")
    keep = Keep()
    uvicorn_logger.addHandler(keep)
    uvicorn_compat.tame_invalid_utf8_log(LogBudget())
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, ws="websockets-sansio", log_config=None, lifespan="off")
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    try:
        await wait_until(lambda: server.started, 10, "uvicorn to listen")
        raw = await RawSocket.open(f"http://127.0.0.1:{port}", query="")
        raw.write(frame(TEXT, b"\xff\xfe"))
        assert await raw.closed_by_server(timeout=5) == 1007
        raw.abort()
    finally:
        server.should_exit = True
        await serving
        uvicorn_logger.removeHandler(keep)
    utf8 = [r for r in records if "UTF-8" in r.getMessage()]
    assert len(utf8) == 1, f"{UVICORN}: no longer logs {uvicorn_compat.INVALID_UTF8_MESSAGE!r}"
    assert utf8[0].levelno == logging.WARNING and utf8[0].exc_info is None, UVICORN
