"""A leaner, stricter Engine.IO websocket transport for our server.

Lean: python-engineio's websocket loop pays for two things on every message that a signaling relay cannot afford
(measured: ~270 µs of server CPU per relayed offer, against a 100 µs budget):
- the reader wraps each ``receive`` in a new Task and an ``asyncio.wait_for`` (a timer, futures, a Task);
- the writer wakes through another ``wait_for`` around ``queue.get()`` for every packet it sends.

Both timeouts duplicate what engineio's service task already does: it closes sockets whose pings go unanswered,
which ends this loop too (the CLOSE packet ends the writer, the writer closes the websocket, and the closed
websocket ends the reader). So this transport keeps engineio's semantics (per-socket queue and writer task, so a
slow receiver never blocks a sender; size limit; CLOSE handling; ordering) without the per-message scaffolding.

Strict (PROTOCOL v1.1, "Sessions and limits"), each with a fixed cost per connection, not per message:
- What the server holds for a socket that does not read is capped (``Outbox``, ``max_unsent_bytes``): past it the
  socket is dropped at once (its TCP connection aborted, its queue freed) and leaves its room like any other.
- The first protocol violation closes the connection: a binary frame, an Engine.IO packet a websocket client does
  not send, and whatever ``StrictAsyncServer`` refuses in a Socket.IO packet (``ProtocolViolation``). It is logged
  once for the connection, with a fixed summary, never the payload, and under a global ``LogBudget``.
- A session that has not completed the Socket.IO connect ``connect_timeout_s`` after opening (or after leaving its
  namespace) is closed.
- A connection being closed gets ``GRACE_S`` to send its close; a peer that does not read it is then dropped.

Every engineio internal this touches goes through ``engineio_compat.py`` (its canary:
``tests/compat/test_engineio_hook.py``); aborting a TCP connection under uvicorn goes through ``uvicorn_compat.py``.
The server offers only this transport (``transports=["websocket"]``): no session opens on long-polling.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import engineio
from engineio import packet

from signaling_server.signaling import engineio_compat, uvicorn_compat, violations
from signaling_server.signaling.log_budget import LogBudget
from signaling_server.signaling.outbox import Outbox
from signaling_server.signaling.sessions import peer_address
from signaling_server.signaling.violations import Ending, ProtocolViolation

logger = logging.getLogger(__name__)

# How long a connection being closed may take to send its last packets and close frame before it is dropped.
GRACE_S = 2.0
NORMAL_CLOSURE = 1000


@dataclass(frozen=True)
class TransportLimits:
    max_unsent_bytes: int
    connect_timeout_s: float
    # Whether an Engine.IO session (by its sid) has a Socket.IO namespace connected: the Socket.IO layer knows.
    namespace_connected: Callable[[str], bool]
    log_budget: LogBudget = field(default_factory=LogBudget)


class LeanWebSocket:
    """Stands in for ``engineio.async_drivers.asgi.WebSocket`` (engineio builds it as ``(handler, server)``)."""

    def __init__(self, handler: Any, server: Any, *, limits: TransportLimits) -> None:
        self.handler = handler  # the socket's bound ``_websocket_handler``
        self.socket = engineio_compat.socket_of(handler)
        self.server = server
        self.limits = limits
        self.asgi_receive: Any = None
        self.asgi_send: Any = None
        self.client = "unknown"
        self.outbox: Outbox | None = None
        self.writer: asyncio.Task[None] | None = None
        self.ending: Ending | None = None  # set once the server has decided to end this connection
        self.close_code = NORMAL_CLOSURE
        self._connect_timer: asyncio.TimerHandle | None = None
        self._drop_timer: asyncio.TimerHandle | None = None

    async def __call__(self, environ: dict[str, Any]) -> str:
        self.asgi_receive = environ["asgi.receive"]
        self.asgi_send = environ["asgi.send"]
        self.client = peer_address(environ)
        await self.asgi_send({"type": "websocket.accept"})
        if self.socket.connected:
            # An upgrade from long-polling: the server offers no long-polling, so this is not one of our clients.
            await self.close()
        else:
            await self._serve()
        return ""

    async def close(self) -> None:
        with contextlib.suppress(Exception):  # already closed: nothing left to do
            await self.asgi_send({"type": "websocket.close", "code": self.close_code})

    async def send(self, message: str | bytes) -> None:
        if isinstance(message, bytes):
            await self.asgi_send({"type": "websocket.send", "bytes": message, "text": None})
        else:
            await self.asgi_send({"type": "websocket.send", "bytes": None, "text": message})

    # ---- the loop ----
    async def _serve(self) -> None:
        socket = self.socket
        limits = self.limits
        engineio_compat.open_on_websocket(socket)
        outbox = Outbox.replacing(socket.queue, limits.max_unsent_bytes, self._overflowed, self._closing)
        self.outbox = socket.queue = outbox
        self.writer = writer = asyncio.create_task(self._write())
        self._arm_connect_deadline()
        receive = self.asgi_receive
        on_message = engineio_compat.message_handler(self.server)
        sid = socket.sid
        limit = self.server.max_http_buffer_size
        try:
            while not socket.closed:
                try:
                    event = await receive()
                except (OSError, asyncio.CancelledError):
                    break
                if event["type"] != "websocket.receive":
                    break
                text = event.get("text")
                if text is None:
                    self._end(violations.BINARY_FRAME)
                    break
                if len(text) > limit:
                    self._end(violations.TOO_LARGE)
                    break
                kind = text[:1]
                if kind == "4":  # MESSAGE: a Socket.IO packet, the hot path
                    try:
                        await on_message(sid, text[1:])
                    except ProtocolViolation as exc:
                        self._end(exc.ending)
                        break
                    except Exception:
                        self._end(violations.SERVER_ERROR, exc_info=True)
                        break
                    if text[1:2] == "1" and not limits.namespace_connected(sid):
                        self._arm_connect_deadline()  # left its namespace: the same time to connect again
                elif kind == "3" or kind == "1":  # PONG, CLOSE: engineio's own handling
                    await socket.receive(packet.Packet(encoded_packet=text))
                else:  # a websocket client sends nothing else (no upgrade probes: it opened on websocket)
                    self._end(violations.BAD_ENGINEIO)
                    break
        finally:
            self._cancel_connect_deadline()
            if self.ending is None:
                # The peer went away or the server closed the socket: send what is queued, but not forever.
                outbox.put_nowait(None)
                self._arm_drop()
            with contextlib.suppress(asyncio.CancelledError):
                await writer
            if self._drop_timer is not None:
                self._drop_timer.cancel()
            transport = uvicorn_compat.transport_of(self.asgi_send)
            if transport is not None and transport.get_write_buffer_size() > 0:
                transport.abort()  # a peer that does not read would keep the connection and its buffer
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
                break  # a CLOSE means the server closed this socket (ping timeout, shutdown, disconnect)
        await self.close()

    # ---- ending a connection ----
    def _end(self, ending: Ending, exc_info: bool = False) -> None:
        """Close this connection for ``ending``: logged once, queued output dropped, the close frame sent with
        the ending's code (or, for a peer that does not read, the TCP connection aborted at once)."""
        if self.ending is not None:
            return
        self.ending = ending
        self._report(ending, exc_info)
        self.close_code = ending.code
        assert self.outbox is not None
        self.outbox.refusing = True
        self.outbox.discard()
        self.outbox.put_nowait(None)  # the writer stops, after sending the close frame
        if ending.abort:
            self._drop()
        else:
            self._arm_drop()

    def _overflowed(self) -> None:
        # Called from whoever queued the packet too many (often another socket's handler): nothing awaits here.
        self._end(violations.OVERFLOW)

    def _closing(self) -> None:
        self._arm_drop()  # engineio queued a CLOSE packet: it gets GRACE_S to go out

    def _drop(self) -> None:
        """End the connection without the peer's help. uvicorn's transport abort ends ``receive`` (the reader
        leaves its loop and closes the socket) and fails a ``send`` that waits (the writer stops)."""
        if self.outbox is not None:  # nothing queued will be sent now: free it, and release close(wait=True)
            self.outbox.refusing = True
            self.outbox.discard()
        transport = uvicorn_compat.transport_of(self.asgi_send)
        if transport is not None:
            transport.abort()
        elif self.writer is not None:
            self.writer.cancel()  # another ASGI server: at least stop waiting to send to it

    def _arm_drop(self) -> None:
        if self._drop_timer is None:
            self._drop_timer = asyncio.get_running_loop().call_later(GRACE_S, self._drop)

    def _arm_connect_deadline(self) -> None:
        self._cancel_connect_deadline()
        loop = asyncio.get_running_loop()
        self._connect_timer = loop.call_later(self.limits.connect_timeout_s, self._connect_deadline)

    def _cancel_connect_deadline(self) -> None:
        if self._connect_timer is not None:
            self._connect_timer.cancel()
            self._connect_timer = None

    def _connect_deadline(self) -> None:
        self._connect_timer = None
        if self.socket.closed or self.limits.namespace_connected(self.socket.sid):
            return
        self._end(violations.CONNECT_TIMEOUT)

    def _report(self, ending: Ending, exc_info: bool) -> None:
        dropped = self.limits.log_budget.take()
        if dropped is None:
            return
        if ending is violations.SERVER_ERROR:
            level = logging.ERROR
        elif ending is violations.CONNECT_TIMEOUT:
            level = logging.INFO
        else:
            level = logging.WARNING
        more = f"; {dropped} more not logged" if dropped else ""
        logger.log(
            level,
            "connection closed: %s (client %s%s)",
            ending.reason,
            self.client,
            more,
            exc_info=exc_info,
            extra={"sid": self.socket.sid, "client": self.client, "closed_for": ending.reason},
        )


def install(eio: engineio.AsyncServer, limits: TransportLimits) -> None:
    """Use the lean transport for this Engine.IO server only; refuses to start on an engineio it does not fit."""
    engineio_compat.use_websocket_class(eio, functools.partial(LeanWebSocket, limits=limits))
    uvicorn_compat.tame_invalid_utf8_log(limits.log_budget)
    logger.info(
        "engine.io websocket transport: %s (python-engineio %s)",
        LeanWebSocket.__name__,
        engineio_compat.ENGINEIO_VERSION,
    )
