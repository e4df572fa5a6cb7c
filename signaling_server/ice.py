"""ICE servers for clients. TURN credentials follow coturn's ``use-auth-secret`` (TURN REST API) scheme."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

from signaling_server.config import Settings
from signaling_server.protocol import IceServer, IceServersResponse


def turn_credentials(secret: str, user_id: str, ttl_s: int, now: float | None = None) -> tuple[str, str]:
    """(username, password): username ``<expiry unix time>:<userId>``, password base64(HMAC-SHA1(secret, username))."""
    expiry = int(time.time() if now is None else now) + ttl_s
    username = f"{expiry}:{user_id}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode()


def ice_servers_for(settings: Settings, user_id: str) -> IceServersResponse:
    servers: list[IceServer] = []
    if settings.stun_urls:
        servers.append(IceServer(urls=list(settings.stun_urls)))
    ttl = 0
    if settings.turn_urls and settings.turn_secret is not None:
        username, credential = turn_credentials(settings.turn_secret.get_secret_value(), user_id, settings.turn_ttl_s)
        servers.append(IceServer(urls=list(settings.turn_urls), username=username, credential=credential))
        ttl = settings.turn_ttl_s
    # Nothing configured: an empty list. Never a public STUN server (it stalls ICE on a closed network).
    return IceServersResponse(ice_servers=servers, ttl=ttl)
