"""REST bodies over the limit are refused with 413 ``too-large`` before they are read whole.

A ``Content-Length`` over the limit is answered at once, without calling the app; a body without one (chunked) is
counted as it arrives and refused at the first chunk past the limit. Either way the answer says ``Connection:
close``, so the rest of the body is never read. Routes that take large bodies (file uploads) are listed as
exceptions and do their own limit.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from signaling_server.api.errors import error_response
from signaling_server.logs import Throttle
from signaling_server.protocol import ErrorCode

logger = logging.getLogger(__name__)

# Routes that take large bodies and bound them themselves: file uploads (``api/files.py``, NIMEET_MAX_FILE_BYTES).
UPLOADS = re.compile(r"/api/rooms/[^/]+/files")


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int, exempt: re.Pattern[str] | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.exempt = exempt
        self._throttle = Throttle()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        exempt = self.exempt is not None and scope["type"] == "http" and self.exempt.fullmatch(scope["path"])
        if scope["type"] != "http" or exempt:
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self._refuse(scope, receive, send)
            return

        received = 0
        refused = False
        started = False

        async def counted_receive() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    refused = True
                    if not started:
                        await self._refuse(scope, receive, send)
                    # The app sees a client that went away: it stops reading and its answer is dropped below.
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        await self.app(scope, counted_receive, guarded_send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        skipped = self._throttle.due()
        if skipped is not None:
            client = scope.get("client")
            logger.warning(
                "request body too large: refused", extra={"peer": client[0] if client else None, "alsoSince": skipped}
            )
        response = error_response(
            413,
            ErrorCode.TOO_LARGE,
            f"the request body is larger than {self.max_bytes} bytes",
            headers={"Connection": "close"},
        )
        await response(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    headers: Any = scope.get("headers", ())
    for name, value in headers:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the HTTP parser refuses these before we see them
    return None
