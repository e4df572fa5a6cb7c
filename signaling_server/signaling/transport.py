"""A leaner Engine.IO websocket transport for our server.

python-engineio's websocket loop pays for two things on every message that a signaling relay cannot afford
(measured: ~270 µs of server CPU per relayed offer, against a 100 µs budget):
- the reader wraps each ``receive`` in a new Task and an ``asyncio.wait_for`` (a timer, futures, a Task);
- the writer wakes through another ``wait_for`` around ``queue.get()`` for every packet it sends.

Both timeouts duplicate what engineio's service task already does: it closes sockets whose pings go unanswered,
which ends this loop too (the CLOSE packet ends the writer, the writer closes the websocket, and the closed
websocket ends the reader). So this transport keeps engineio's semantics (per-socket queue and writer task, so a
slow receiver never blocks a sender; size limit; CLOSE handling; ordering) without the per-message scaffolding.

Installed per server instance (``install``), never by patching the library globally. Connections that start
on long-polling and upgrade later keep engineio's own handler. Every engineio internal this touches goes through
``engineio_compat.py`` (its canary: ``tests/compat/test_engineio_hook.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import engineio
from engineio import exceptions, packet

from signaling_server.signaling import engineio_compat

logger = logging.getLogger(__name__)


class LeanWebSocket:
    """Stands in for ``engineio.async_drivers.asgi.WebSocket`` (same constructor and interface)."""

    def __init__(self, handler: Any, server: Any) -> None:
        self.handler = handler  # the socket's bound ``_websocket_handler``
        self.socket = engineio_compat.socket_of(handler)
        self.server = server
        self.asgi_receive: Any = None
        self.asgi_send: Any = None

    async def __call__(self, environ: dict[str, Any]) -> str:
        self.asgi_receive = environ["asgi.receive"]
        self.asgi_send = environ["asgi.send"]
        await self.asgi_send({"type": "websocket.accept"})
        if self.socket.connected:
            await self.handler(self)  # an upgrade from long-polling: engineio's own handshake and loop
        else:
            await self._serve()
        return ""

    # ---- the interface engineio's handler expects ----
    async def close(self) -> None:
        with contextlib.suppress(Exception):  # already closed: nothing left to do
            await self.asgi_send({"type": "websocket.close"})

    async def send(self, message: str | bytes) -> None:
        if isinstance(message, bytes):
            await self.asgi_send({"type": "websocket.send", "bytes": message, "text": None})
        else:
            await self.asgi_send({"type": "websocket.send", "bytes": None, "text": message})

    async def wait(self) -> str | bytes:
        event = await self.asgi_receive()
        if event["type"] != "websocket.receive":
            raise OSError("websocket closed")
        data = event.get("text")
        if data is None:
            data = event.get("bytes")
        if data is None:
            raise OSError("empty websocket message")
        return data  # type: ignore[no-any-return]

    # ---- the lean loop for connections that open on websocket ----
    async def _serve(self) -> None:
        socket = self.socket
        engineio_compat.open_on_websocket(socket)
        writer = asyncio.create_task(self._write())
        limit = self.server.max_http_buffer_size
        try:
            while not socket.closed:
                try:
                    data = await self.wait()
                except (OSError, asyncio.CancelledError):
                    break
                if len(data) > limit:
                    break  # as engineio: an oversize packet ends the connection
                try:
                    await socket.receive(packet.Packet(encoded_packet=data))
                except exceptions.UnknownPacketError:
                    pass
                except exceptions.SocketIsClosedError:
                    break
                except Exception:
                    logger.exception("engine.io receive failed")
        finally:
            await socket.queue.put(None)  # lets the writer finish what is queued, then stop
            await writer
            await socket.close(wait=False, abort=True, reason=self.server.reason.TRANSPORT_CLOSE)

    async def _write(self) -> None:
        """Send what the socket queues, batching what is already there; stop at the sentinel or a CLOSE."""
        queue: asyncio.Queue[Any] = self.socket.queue
        while True:
            pkt = await queue.get()
            queue.task_done()
            if pkt is None:
                break
            batch = [pkt]
            closing = pkt.packet_type == packet.CLOSE
            ended = False
            while not closing and not queue.empty():
                nxt = queue.get_nowait()
                queue.task_done()
                if nxt is None:
                    ended = True
                    break
                batch.append(nxt)
                closing = nxt.packet_type == packet.CLOSE
            try:
                for item in batch:
                    await self.send(item.encode())
            except Exception:
                break
            if closing or ended:
                break  # a CLOSE means the server closed this socket (ping timeout, shutdown)
        await self.close()


def install(eio: engineio.AsyncServer) -> None:
    """Use the lean transport for this Engine.IO server only; refuses to start on an engineio it does not fit."""
    engineio_compat.use_websocket_class(eio, LeanWebSocket)
    logger.info(
        "engine.io websocket transport: %s (python-engineio %s)",
        LeanWebSocket.__name__,
        engineio_compat.ENGINEIO_VERSION,
    )
