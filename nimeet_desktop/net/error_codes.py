"""Error codes as the client sees them: the contract's ``ErrorCode`` plus the failures only a client can have.

A server newer than this client may send a code we do not know: it becomes ``LocalErrorCode.UNKNOWN`` (the raw
text is kept beside it for the log), so code that branches on errors only ever compares enum members.
"""

from __future__ import annotations

import enum

from signaling_server.protocol import ErrorCode


class LocalErrorCode(enum.StrEnum):
    UNREACHABLE = "unreachable"
    TIMEOUT = "timeout"
    DISCONNECTED = "disconnected"
    INVALID_ACK = "invalid-ack"
    HTTP_STATUS = "http-status"  # an HTTP error without the contract's error shape (a proxy's page, say)
    UNKNOWN = "unknown"


AnyErrorCode = ErrorCode | LocalErrorCode


def parse_error_code(raw: str) -> AnyErrorCode:
    if raw.startswith("http-"):
        return LocalErrorCode.HTTP_STATUS
    try:
        return ErrorCode(raw)
    except ValueError:
        return LocalErrorCode.UNKNOWN
