"""Refuse every Engine.IO request that is not a new WebSocket session, before python-engineio sees it.

Our clients (the desktop app, the bots, socket.io-client with ``transports: ["websocket"]``) open on WebSocket
and stay there, so the server offers nothing else (``transports=["websocket"]``). Long-polling was only a second
way in, and the worse one: two racing POSTs left a ghost member in a room. engineio would refuse it too, but with
an ERROR log line (``Invalid transport``) and a bare 400; here a polling request gets a 400 that says what to do,
and a websocket request for another transport or for an existing session (an upgrade, which needs polling) is
refused, with nothing logged: these are client mistakes or probes, not server errors.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qs

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

ENGINEIO_PATH = "/socket.io/"
# Engine.IO's own answer to an unknown transport (code 0, "Transport unknown"), with a sentence for people.
REFUSAL = json.dumps(
    {
        "code": 0,
        "message": "Transport unknown",
        "detail": "this server accepts only the websocket transport (transport=websocket)",
    }
).encode()


def _is_engineio(scope: Scope) -> bool:
    path = str(scope.get("path", ""))
    return (path if path.endswith("/") else path + "/").startswith(ENGINEIO_PATH)


def _new_websocket_session(scope: Scope) -> bool:
    query = parse_qs(bytes(scope.get("query_string", b"")).decode("latin-1"))
    return query.get("transport") == ["websocket"] and "sid" not in query


def websocket_only(app: ASGIApp) -> ASGIApp:
    async def guarded(scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http" and _is_engineio(scope):
            await send(
                {
                    "type": "http.response.start",
                    "status": 400,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(REFUSAL)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": REFUSAL})
            return
        if kind == "websocket" and _is_engineio(scope) and not _new_websocket_session(scope):
            await send({"type": "websocket.close", "code": 1008})  # before accepting: uvicorn answers 403
            return
        await app(scope, receive, send)

    return guarded
