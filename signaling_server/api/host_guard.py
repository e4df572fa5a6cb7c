"""DNS rebinding and cross-site requests: the server answers only to the host names it is meant to be reached by,
and refuses browser requests from origins it does not allow.

A web page on ``attacker.example`` whose name is re-pointed at 127.0.0.1 reaches a server on loopback as "same
origin" (its ``Origin`` and ``Host`` agree), so the ``Host`` check is what protects the local server the desktop app
runs; the ``Origin`` check refuses requests that a page elsewhere sends to the server's real name. Both REST and
``/socket.io`` go through here.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Collection
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

from signaling_server.api.errors import error_response
from signaling_server.logs import Throttle
from signaling_server.protocol import ErrorCode

logger = logging.getLogger(__name__)

LOOPBACK_NAMES = frozenset({"localhost"})
_DEFAULT_PORTS = {"http": 80, "ws": 80, "https": 443, "wss": 443}


def is_loopback(host: str) -> bool:
    host = host.strip("[]").lower()
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def allowed_hosts_for(listen_host: str, configured: Collection[str]) -> frozenset[str] | None:
    """The host names to answer to; None means any. On loopback: localhost and loopback addresses (always), plus
    the configured names; elsewhere the configured names, or any when none are."""
    names = frozenset(configured)
    if "*" in names:
        return None
    if is_loopback(listen_host):
        return names | LOOPBACK_NAMES
    return names or None


def split_host(value: str) -> tuple[str, int | None]:
    """``Host`` header value -> (lower-case host without brackets or trailing dot, port or None)."""
    value = value.strip().lower()
    if value.startswith("["):
        end = value.find("]")
        host, rest = (value[1:end], value[end + 1 :]) if end != -1 else (value, "")
    elif value.count(":") == 1:
        host, _, port_text = value.partition(":")
        rest = ":" + port_text
    else:
        host, rest = value, ""
    port: int | None = None
    if rest.startswith(":") and rest[1:].isdigit():
        port = int(rest[1:])
    elif rest:
        return "", None  # not a host[:port]: matches nothing
    return host.rstrip("."), port


class HostGuard:
    def __init__(self, app: ASGIApp, allowed_hosts: frozenset[str] | None, cors_origins: Collection[str]) -> None:
        self.app = app
        self.allowed_hosts = allowed_hosts
        self.cors_origins = frozenset(origin.rstrip("/").lower() for origin in cors_origins)
        self._throttle = Throttle()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        host_header = origin = None
        for name, value in scope["headers"]:
            if name == b"host":
                host_header = value.decode("latin-1")
            elif name == b"origin":
                origin = value.decode("latin-1")
        host, port = split_host(host_header or "")
        if not self._host_allowed(host):
            self._log("request for a host name this server does not answer to", scope)
            await self._refuse(scope, receive, send, 421, "this server does not answer to that host name")
            return
        if origin is not None and not self._origin_allowed(origin, host, port):
            self._log("browser request from an origin that is not allowed", scope)
            await self._refuse(scope, receive, send, 403, "requests from that origin are not allowed")
            return
        await self.app(scope, receive, send)

    def _host_allowed(self, host: str) -> bool:
        if self.allowed_hosts is None:
            return True
        if not host:
            return False
        return host in self.allowed_hosts or (is_loopback(host) and "localhost" in self.allowed_hosts)

    def _origin_allowed(self, origin: str, host: str, port: int | None) -> bool:
        origin = origin.strip().lower()
        if origin in self.cors_origins:
            return True
        parts = urlsplit(origin)
        if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
            return False  # "null" (sandboxed pages, file://) and anything else is never same-origin
        try:
            origin_port = parts.port or _DEFAULT_PORTS[parts.scheme]
        except ValueError:
            return False
        # The scheme is not compared: behind a TLS proxy the server sees http while the page is https.
        return parts.hostname.rstrip(".") == host and (port or _DEFAULT_PORTS[parts.scheme]) == origin_port

    def _log(self, what: str, scope: Scope) -> None:
        skipped = self._throttle.due()
        if skipped is not None:
            client = scope.get("client")
            logger.warning(what, extra={"peer": client[0] if client else None, "alsoSince": skipped})

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, status: int, message: str) -> None:
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})  # before accept: uvicorn answers 403
            return
        await error_response(status, ErrorCode.FORBIDDEN, message)(scope, receive, send)
