"""python-socketio's ``AsyncServer``, strict about what a client may send.

python-socketio is lenient by design: it logs and carries on after a packet it cannot decode, buffers binary
attachments as a packet header announces them, and dispatches any event name a client sends, so that
``42["disconnect"]`` ran our disconnect handler and ``42["connect",{},{"token":...}]`` re-ran the connect handler
with another user's token. Here every incoming packet is checked before python-socketio sees it, and the first
one that breaks the contract raises ``ProtocolViolation`` (the transport closes the connection and logs it once):

- binary packets (types 5 and 6) are refused from their header, before any attachment is buffered;
- a packet that does not decode, or names a namespace other than ``/``;
- an event before the connect, an event that is not ``[name, ...]`` with a string name, or a reserved name;
- a second connect on a connected socket, a client ACK (the server never asks a client for one), CONNECT_ERROR.

Reserved names end the connection rather than earning an ``unknown-event`` ack: no conforming client can send
them (socket.io-client throws when asked to emit one), so whoever does is probing, and the contract closes the
connection on a malformed packet.

The private methods this relies on are listed in ``socketio_compat.py`` (canary: tests/compat/test_socketio_hook.py).
"""

from __future__ import annotations

from typing import Any

import socketio
from socketio import packet

from signaling_server.signaling import engineio_compat, socketio_compat, violations
from signaling_server.signaling.violations import ProtocolViolation

# The Socket.IO protocol's reserved event names (socket.io-client refuses to emit them) and python-socketio's
# catch-all handler name; python-socketio's own ``reserved_events`` are added per server.
RESERVED_EVENTS = frozenset(
    {"connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener", "*"}
)

_BINARY_TYPES = (str(packet.BINARY_EVENT), str(packet.BINARY_ACK))


class StrictAsyncServer(socketio.AsyncServer):  # type: ignore[misc]  # python-socketio has no type hints
    """A ``socketio.AsyncServer`` that refuses what the contract does not allow (see the module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.refused_events = RESERVED_EVENTS | frozenset(self.reserved_events)
        socketio_compat.check(self)

    async def _handle_eio_message(self, eio_sid: str, data: Any) -> None:
        if type(data) is not str:
            raise ProtocolViolation(violations.BINARY_FRAME)
        if data[:1] in _BINARY_TYPES:
            raise ProtocolViolation(violations.BINARY_PACKET)
        try:
            pkt = self.packet_class(encoded_packet=data)
        except Exception:  # ValueError, orjson's JSONDecodeError, anything the decoder trips on
            raise ProtocolViolation(violations.BAD_SOCKETIO) from None
        if pkt.namespace not in (None, "/"):
            raise ProtocolViolation(violations.BAD_NAMESPACE)
        kind = pkt.packet_type
        if kind == packet.EVENT:
            if socketio_compat.connected_sid(self, eio_sid) is None:
                raise ProtocolViolation(violations.NOT_CONNECTED)
            event = pkt.data
            if type(event) is not list or not event or type(event[0]) is not str:
                raise ProtocolViolation(violations.BAD_EVENT)
            if event[0] in self.refused_events:
                raise ProtocolViolation(violations.RESERVED_EVENT)
            await self._handle_event(eio_sid, "/", pkt.id, event)
        elif kind == packet.CONNECT:
            if self.manager.sid_from_eio_sid(eio_sid, "/") is not None:
                raise ProtocolViolation(violations.SECOND_CONNECT)
            await self._handle_connect(eio_sid, "/", pkt.data)
        elif kind == packet.DISCONNECT:
            await self._handle_disconnect(eio_sid, "/", self.reason.CLIENT_DISCONNECT)
        else:
            raise ProtocolViolation(violations.UNEXPECTED_PACKET)

    async def disconnect(self, sid: str, namespace: str | None = None, ignore_queue: bool = False) -> None:
        """Disconnect a socket and close its connection.

        python-socketio only leaves the namespace (a DISCONNECT packet) and keeps the Engine.IO session, trusting
        the client to close it; a hostile client would keep it, connect again on it, or never leave. With one
        namespace there is nothing left to keep: the session is closed too (a CLOSE packet after the DISCONNECT;
        a peer that does not read is dropped by the transport a little later).
        """
        eio_sid = self.manager.eio_sid_from_sid(sid, namespace or "/")
        await super().disconnect(sid, namespace=namespace, ignore_queue=ignore_queue)
        closing = engineio_compat.close_session(self.eio, eio_sid) if eio_sid is not None else None
        if closing is not None:
            await closing
