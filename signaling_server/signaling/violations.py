"""Protocol violations: what makes the server close a connection at once, and how each is reported.

The wire has no room for tolerance here: a client that sends what the contract does not allow (a binary frame, a
malformed packet, a reserved event name...) is broken or hostile, and answering it packet by packet is exactly
what let 100,000 malformed frames write 120 MB of tracebacks. So the first violation ends the connection; the
transport logs it once for that connection, with this short fixed summary and never the payload.
"""

from __future__ import annotations

from dataclasses import dataclass

# WebSocket close codes (RFC 6455, 7.4.1) sent with the close frame, for clients and proxies that show them.
PROTOCOL_ERROR = 1002
UNSUPPORTED_DATA = 1003
POLICY_VIOLATION = 1008
MESSAGE_TOO_BIG = 1009
INTERNAL_ERROR = 1011


@dataclass(frozen=True)
class Ending:
    """Why the server ends a connection: a fixed summary (safe to log), the close code, and whether the peer is
    dropped at once (``abort``: it is not reading, so a close frame would never get through)."""

    reason: str
    code: int = PROTOCOL_ERROR
    abort: bool = False


BINARY_FRAME = Ending("binary websocket frame", UNSUPPORTED_DATA)
BINARY_PACKET = Ending("binary socket.io packet", UNSUPPORTED_DATA)
TOO_LARGE = Ending("message over the size limit", MESSAGE_TOO_BIG)
BAD_ENGINEIO = Ending("malformed engine.io packet")
BAD_SOCKETIO = Ending("malformed socket.io packet")
BAD_NAMESPACE = Ending("unknown namespace")
NOT_CONNECTED = Ending("event before the socket.io connect")
SECOND_CONNECT = Ending("socket.io connect on a connected socket")
BAD_EVENT = Ending("event without a name")
RESERVED_EVENT = Ending("reserved event name", POLICY_VIOLATION)
UNEXPECTED_PACKET = Ending("unexpected socket.io packet type")
CONNECT_TIMEOUT = Ending("no socket.io connect in time", POLICY_VIOLATION)
OVERFLOW = Ending("unsent output over the limit (peer not reading)", POLICY_VIOLATION, abort=True)
SERVER_ERROR = Ending("server error while handling a message", INTERNAL_ERROR)


class ProtocolViolation(Exception):
    """Raised while handling a message that breaks the contract; the transport closes the connection."""

    def __init__(self, ending: Ending) -> None:
        super().__init__(ending.reason)
        self.ending = ending
