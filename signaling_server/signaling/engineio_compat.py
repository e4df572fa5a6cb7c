"""Every place where the server reaches into python-engineio's private parts, and nowhere else.

The lean websocket transport (``transport.py``) replaces engineio's per-message Task/``wait_for`` scaffolding and
needs to stand where engineio looks up its websocket class, and to drive an ``AsyncSocket`` as engineio's own
handler does. Each function names the version and attribute it relies on; the canary
``tests/compat/test_engineio_hook.py`` fails with the attribute's name when an upgrade moves one, and the version it
passed on is pinned in ``pyproject.toml``. (The client has its own list: ``nimeet_desktop/call/aiortc_compat.py``;
the server never imports the client.)
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Awaitable, Callable
from typing import Any

import engineio
from engineio.async_socket import AsyncSocket

ENGINEIO_VERSION = importlib.metadata.version("python-engineio")

# python-engineio 4.15: what ``AsyncSocket`` (the per-client socket) offers that the lean loop uses. ``queue`` is
# the outgoing packet queue its writer drains (the transport puts its counting ``Outbox`` there); ``receive``
# handles one incoming packet; ``close(wait, abort, reason)`` ends it; ``connected``/``upgraded``/``closed`` are
# its state flags; ``sid`` its session id; ``_websocket_handler`` is the bound method engineio passes to the
# websocket class (we reach the socket through its ``__self__``).
SOCKET_ATTRIBUTES = ("queue", "receive", "close", "connected", "upgraded", "closed", "sid", "_websocket_handler")
# ... and of the server: the size limit, the disconnect reasons, the driver table, the open sessions by sid, and
# the event handlers ``on()`` registered (the transport calls the ``message`` handler itself, see
# ``message_handler``).
SERVER_ATTRIBUTES = ("max_http_buffer_size", "reason", "_async", "sockets", "handlers")


class EngineIOMoved(RuntimeError):
    def __init__(self, attribute: str) -> None:
        where = "signaling_server/signaling/engineio_compat.py"
        super().__init__(f"python-engineio {ENGINEIO_VERSION} has no {attribute}: update {where}")


def missing_attributes(eio: engineio.AsyncServer) -> list[str]:
    """The attributes above that this engineio lacks (empty when the lean transport can run)."""
    socket = AsyncSocket(eio, "probe")
    missing = [f"AsyncSocket.{name}" for name in SOCKET_ATTRIBUTES if not hasattr(socket, name)]
    missing += [f"AsyncServer.{name}" for name in SERVER_ATTRIBUTES if not hasattr(eio, name)]
    if hasattr(eio, "_async") and "websocket" not in eio._async:
        missing.append("AsyncServer._async['websocket']")
    for reason in ("TRANSPORT_CLOSE", "SERVER_DISCONNECT"):
        if hasattr(eio, "reason") and not hasattr(eio.reason, reason):
            missing.append(f"AsyncServer.reason.{reason}")
    return missing


def use_websocket_class(eio: engineio.AsyncServer, websocket_class: Callable[[Any, Any], Any]) -> None:
    """Make ``eio`` build ``websocket_class(handler, server)`` for each websocket connection (a class, or a
    ``functools.partial`` of one carrying its settings).

    python-engineio 4.15: ``AsyncSocket._upgrade_websocket`` looks the class up in the server's private driver table
    ``_async['websocket']`` (filled from ``engineio.async_drivers.asgi``) at every connection. The table is copied,
    so other servers in the process keep engineio's own class.
    """
    missing = missing_attributes(eio)
    if missing:
        raise EngineIOMoved(", ".join(missing))
    table = dict(eio._async)
    table["websocket"] = websocket_class
    eio._async = table


def websocket_class(eio: engineio.AsyncServer) -> Any:
    """The class ``eio`` builds for a websocket connection (see ``use_websocket_class``)."""
    return eio._async["websocket"]


def message_handler(eio: engineio.AsyncServer) -> Callable[[str, str], Awaitable[None]]:
    """The coroutine engineio runs for each MESSAGE packet (python-socketio's, with the packet's text).

    python-engineio 4.15: ``AsyncSocket.receive`` runs it through ``AsyncServer._trigger_event``, which catches
    and logs every exception with its traceback and carries on: one traceback per malformed frame. The transport
    calls the handler itself (``eio.handlers['message']``, what ``eio.on('message', ...)`` registered) so that a
    bad message ends its connection instead; for the MESSAGE packets a websocket client sends (``4`` and text
    starting with a digit) engineio passes the same text.
    """
    handler: Callable[[str, str], Awaitable[None]] = eio.handlers["message"]
    return handler


def close_session(eio: engineio.AsyncServer, eio_sid: str) -> Awaitable[None] | None:
    """Close an Engine.IO session the way engineio closes one itself (a CLOSE packet after what is queued), but
    without waiting for its queue to drain as ``AsyncServer.disconnect`` does (forever, for a peer that does not
    read). ``None`` when there is no such open session."""
    socket = eio.sockets.get(eio_sid)
    if socket is None or socket.closed:
        return None
    return socket.close(wait=False, abort=False, reason=eio.reason.SERVER_DISCONNECT)  # type: ignore[no-any-return]


def socket_of(handler: Any) -> Any:
    """The ``AsyncSocket`` whose bound ``_websocket_handler`` engineio handed to the websocket class."""
    return handler.__self__


def open_on_websocket(socket: Any) -> None:
    """Mark a socket that opened on websocket as live, as engineio 4.15's ``_websocket_handler`` does for it."""
    socket.connected = True
    socket.upgraded = True
