"""Every place where the server reaches into python-socketio's private parts, and nowhere else.

``strict_server.StrictAsyncServer`` takes over how one incoming Socket.IO packet is decoded, checked and
dispatched, so that a bad packet ends the connection (instead of a logged traceback per packet) and no reserved
event name reaches a handler. It overrides ``_handle_eio_message`` (the handler python-socketio registers for
Engine.IO's ``message`` event) and, once a packet has passed its checks, hands it to python-socketio's own
``_handle_connect`` / ``_handle_disconnect`` / ``_handle_event``. The canary ``tests/compat/test_socketio_hook.py``
fails with the attribute's name when an upgrade moves one; the version it passed on is pinned in pyproject.toml.
"""

from __future__ import annotations

import importlib.metadata
from typing import Any

import socketio

SOCKETIO_VERSION = importlib.metadata.version("python-socketio")

# python-socketio 5.18, AsyncServer: the Engine.IO message handler we override, the dispatchers we call after our
# checks (``_handle_connect(eio_sid, namespace, auth)``, ``_handle_disconnect(eio_sid, namespace, reason)``,
# ``_handle_event(eio_sid, namespace, id, data)``), the packet class that decodes, and ``reserved_events`` (the
# names its own dispatch keeps from catch-all handlers).
SERVER_ATTRIBUTES = (
    "_handle_eio_message",
    "_handle_connect",
    "_handle_disconnect",
    "_handle_event",
    "packet_class",
    "reserved_events",
    "manager",
    "reason",
)
# ... of its client manager: who is connected (public methods, listed because the checks depend on them).
MANAGER_ATTRIBUTES = ("sid_from_eio_sid", "eio_sid_from_sid", "is_connected")


class SocketIOMoved(RuntimeError):
    def __init__(self, attribute: str) -> None:
        where = "signaling_server/signaling/socketio_compat.py"
        super().__init__(f"python-socketio {SOCKETIO_VERSION} has no {attribute}: update {where}")


def missing_attributes(sio: socketio.AsyncServer) -> list[str]:
    """The attributes above that this python-socketio lacks (empty when the strict server can run)."""
    missing = [f"AsyncServer.{name}" for name in SERVER_ATTRIBUTES if not hasattr(sio, name)]
    if hasattr(sio, "manager"):
        missing += [f"manager.{name}" for name in MANAGER_ATTRIBUTES if not hasattr(sio.manager, name)]
    if hasattr(sio, "reason") and not hasattr(sio.reason, "CLIENT_DISCONNECT"):
        missing.append("AsyncServer.reason.CLIENT_DISCONNECT")
    # The override only runs if Engine.IO's message event is bound to it (python-socketio's BaseServer.__init__).
    handler = getattr(sio.eio, "handlers", {}).get("message")
    if getattr(handler, "__func__", None) is not type(sio)._handle_eio_message:
        missing.append("eio.handlers['message'] bound to AsyncServer._handle_eio_message")
    return missing


def check(sio: socketio.AsyncServer) -> None:
    missing = missing_attributes(sio)
    if missing:
        raise SocketIOMoved(", ".join(missing))


def connected_sid(sio: socketio.AsyncServer, eio_sid: str, namespace: str = "/") -> Any:
    """The Socket.IO sid of an Engine.IO session in ``namespace`` (``None`` when not connected there, or only
    half-way: its connect handler is still running)."""
    sid = sio.manager.sid_from_eio_sid(eio_sid, namespace)
    if sid is None or not sio.manager.is_connected(sid, namespace):
        return None
    return sid
