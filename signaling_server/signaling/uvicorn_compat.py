"""Where the server reaches past ASGI into uvicorn, and nowhere else.

ASGI can close a websocket only by sending ``websocket.close``, and uvicorn (0.54, its ``websockets-sansio``
implementation, the one the server runs) waits for the TCP transport to drain before it writes anything, the close
frame included. A peer that does not read therefore can never be closed through ASGI: the send waits forever and
the connection, with what uvicorn buffered for it, stays as long as the peer keeps the TCP connection open. To drop
such a peer the transport aborts the TCP connection itself: ``abort()`` on the asyncio transport of the uvicorn
protocol object whose bound ``send`` the ASGI app was given. uvicorn then calls ``connection_lost``, which ends the
app's ``receive`` with ``websocket.disconnect`` and wakes a ``send`` that was waiting.

It also keeps uvicorn from logging a traceback for each connection that sends a text frame that is not UTF-8
(``tame_invalid_utf8_log``).

The canary ``tests/compat/test_uvicorn_hook.py`` fails with uvicorn's version when this stops holding; under
another ASGI server (or a middleware that wraps ``send``) ``transport_of`` finds nothing and the transport falls
back to ASGI's close.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import logging
from typing import Any

from signaling_server.signaling.log_budget import LogBudget

UVICORN_VERSION = importlib.metadata.version("uvicorn")


def transport_of(asgi_send: Any) -> asyncio.Transport | None:
    """The TCP transport behind a websocket's ASGI ``send``, when ``send`` is uvicorn's protocol method.

    uvicorn 0.54: ``WebSocketsSansIOProtocol.send`` (and the ``wsproto`` protocol's ``send``) is a bound method of
    the ``asyncio.Protocol`` serving the connection, which keeps its transport in ``.transport``.
    """
    protocol = getattr(asgi_send, "__self__", None)
    transport = getattr(protocol, "transport", None)
    if callable(getattr(transport, "abort", None)) and callable(getattr(transport, "get_write_buffer_size", None)):
        return transport
    return None


# uvicorn 0.54 (websockets-sansio) logs a text frame that is not UTF-8 with ``logger.exception`` on "uvicorn.error",
# a traceback per connection any client can trigger; it closes the connection itself (1007).
INVALID_UTF8_MESSAGE = "Invalid UTF-8 sequence received from client."


class InvalidUtf8Filter(logging.Filter):
    """Turns uvicorn's invalid-UTF-8 traceback into the one WARNING line any other malformed frame gets (under
    the same budget); every other record passes untouched."""

    def __init__(self, budget: LogBudget) -> None:
        super().__init__()
        self.budget = budget

    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg != INVALID_UTF8_MESSAGE:
            return True
        dropped = self.budget.take()
        if dropped is None:
            return False
        more = f"; {dropped} more not logged" if dropped else ""
        record.msg, record.args = "connection closed: invalid UTF-8 in a text frame%s", (more,)
        record.exc_info = record.exc_text = None
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


def tame_invalid_utf8_log(budget: LogBudget) -> None:
    """Install ``InvalidUtf8Filter`` on uvicorn's logger (replacing one an earlier app in this process put there)."""
    uvicorn_logger = logging.getLogger("uvicorn.error")
    for old in [f for f in uvicorn_logger.filters if isinstance(f, InvalidUtf8Filter)]:
        uvicorn_logger.removeFilter(old)
    uvicorn_logger.addFilter(InvalidUtf8Filter(budget))
