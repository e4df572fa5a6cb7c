"""Request heads (request line and headers) over the limit are refused with 431 before they are read whole.

uvicorn's httptools protocol has no bound of its own: 20 MB of headers were parsed and held, stalling the loop. This
subclass counts the bytes of a head still being received (so a head that never ends is cut off once it passes the
limit) and measures each complete head exactly; over the limit it answers 431 with the error shape and closes the
connection. It sits below the ASGI app, so it covers REST and the WebSocket handshake of ``/socket.io`` alike.
"""

from __future__ import annotations

import logging
from typing import Any

import httptools
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from signaling_server.api.errors import error_response
from signaling_server.logs import Throttle
from signaling_server.protocol import ErrorCode

logger = logging.getLogger(__name__)
_throttle = Throttle()


class _HeadTooLarge(Exception):
    """Raised from a parser callback to stop parsing a refused request."""


class HeaderLimitedProtocol(HttpToolsProtocol):
    max_head_bytes = 16 * 1024

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._in_head = True  # between messages, or headers not yet complete
        self._head_bytes = 0  # bytes received for a head that is not complete yet
        self._messages_done = 0
        self._refused = False

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        self._unset_keepalive_if_required()
        was_in_head, done_before = self._in_head, self._messages_done
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
            return
        except httptools.HttpParserError:
            if self._refused:
                return  # our own stop (_HeadTooLarge), answered already
            msg = "Invalid HTTP request received."
            self.logger.warning(msg)
            self.send_400_response(msg)
            return
        if not self._in_head:
            return
        if self._messages_done != done_before:
            # A message ended inside this chunk and the next head began in it: where is unknown, so that chunk is
            # not counted (the bound is then the limit plus one read).
            self._head_bytes = 0
        elif was_in_head:
            self._head_bytes += len(data)
            if self._head_bytes > self.max_head_bytes:
                self._refuse()

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._head_bytes = 0
        size = len(self.url)
        for name, value in self.headers:
            size += len(name) + len(value) + 4
        if size > self.max_head_bytes:
            self._refuse()
            raise _HeadTooLarge
        HttpToolsProtocol.on_headers_complete(self)

    def on_message_complete(self) -> None:
        self._messages_done += 1
        self._in_head = True
        HttpToolsProtocol.on_message_complete(self)

    def _refuse(self) -> None:
        self._refused = True
        skipped = _throttle.due()
        if skipped is not None:
            peer = self.client[0] if self.client else None
            logger.warning("request headers too large: refused", extra={"peer": peer, "alsoSince": skipped})
        message = f"the request headers are larger than {self.max_head_bytes} bytes"
        body = bytes(error_response(431, ErrorCode.TOO_LARGE, message).body)
        head = (
            b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
            b"content-type: application/json\r\n"
            b"content-length: " + str(len(body)).encode() + b"\r\n"
            b"connection: close\r\n\r\n"
        )
        self.transport.write(head + body)
        self.transport.close()


def header_limited(max_head_bytes: int) -> type[HttpToolsProtocol]:
    """The protocol class to give uvicorn's ``http=`` for this limit."""
    return type("HeaderLimitedProtocol", (HeaderLimitedProtocol,), {"max_head_bytes": max_head_bytes})
