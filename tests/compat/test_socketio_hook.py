"""The strict server stands where python-socketio dispatches each incoming packet, and hands packets back to it."""

from __future__ import annotations

import inspect
from pathlib import Path

import socketio

from signaling_server.app import create_app
from signaling_server.config import Settings
from signaling_server.signaling import socketio_compat
from signaling_server.signaling.strict_server import StrictAsyncServer
from tests.support.server import TEST_JWT_SECRET

SOCKETIO = f"python-socketio {socketio_compat.SOCKETIO_VERSION}"


def test_socketio_still_has_what_the_strict_server_overrides_and_calls(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path, jwt_secret=TEST_JWT_SECRET))
    assert isinstance(app.sio, StrictAsyncServer)
    assert socketio_compat.missing_attributes(app.sio) == [], SOCKETIO


def test_the_dispatchers_take_what_the_strict_server_passes() -> None:
    """``_handle_connect(eio_sid, namespace, data)``, ``_handle_disconnect(eio_sid, namespace, reason)``,
    ``_handle_event(eio_sid, namespace, id, data)`` and the overridden ``_handle_eio_message(eio_sid, data)``."""
    expected = {
        "_handle_eio_message": ["eio_sid", "data"],
        "_handle_connect": ["eio_sid", "namespace", "data"],
        "_handle_disconnect": ["eio_sid", "namespace", "reason"],
        "_handle_event": ["eio_sid", "namespace", "id", "data"],
        "disconnect": ["sid", "namespace", "ignore_queue"],
    }
    for name, params in expected.items():
        got = list(inspect.signature(getattr(socketio.AsyncServer, name)).parameters)[1:]
        assert got == params, f"{SOCKETIO}: AsyncServer.{name}{tuple(got)} (socketio_compat.py expects {params})"


def test_every_name_python_socketio_reserves_is_refused() -> None:
    sio = StrictAsyncServer(async_mode="asgi")
    assert set(socketio.AsyncServer.reserved_events) <= sio.refused_events, SOCKETIO
    assert {"connect", "disconnect", "*"} <= sio.refused_events
