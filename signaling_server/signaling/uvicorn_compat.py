"""Where the server reaches past ASGI into uvicorn, and nowhere else.

ASGI can close a websocket only by sending ``websocket.close``, and uvicorn (0.54, its ``websockets-sansio``
implementation, the one the server runs) waits for the TCP transport to drain before it writes anything, the close
frame included. A peer that does not read therefore can never be closed through ASGI: the send waits forever and
the connection, with what uvicorn buffered for it, stays as long as the peer keeps the TCP connection open. To drop
such a peer the transport aborts the TCP connection itself: ``abort()`` on the asyncio transport of the uvicorn
protocol object whose bound ``send`` the ASGI app was given. uvicorn then calls ``connection_lost``, which ends the
app's ``receive`` with ``websocket.disconnect`` and wakes a ``send`` that was waiting.

The canary ``tests/compat/test_uvicorn_hook.py`` fails with uvicorn's version when this stops holding; under
another ASGI server (or a middleware that wraps ``send``) ``transport_of`` finds nothing and the transport falls
back to ASGI's close.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
from typing import Any

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
