"""ICE configuration: servers only from our signaling server, and a choice of which local addresses to gather.

aiortc falls back to Google's public STUN server when given no list; offline that costs ~10 s per call setup, and
we never want our users' addresses sent to a third party unasked. So the list always comes from
``GET /api/ice-servers`` (possibly empty). aioice gathers host candidates from every interface except 127.0.0.1;
``restrict_host_addresses`` replaces that list (tests keep media on loopback, an admin can pin one interface).
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Sequence

from aiortc import RTCConfiguration, RTCIceServer, RTCIceTransportPolicy

from nimeet_desktop.call import aiortc_compat
from signaling_server.protocol import IceServer

logger = logging.getLogger(__name__)


def configuration(servers: Sequence[IceServer], *, relay_only: bool = False) -> RTCConfiguration:
    """An ``RTCConfiguration`` with exactly ``servers`` (an empty list means host candidates only, never STUN).

    ``relay_only``: aioice gathers relay candidates only (none without a TURN server) and pairs nothing else, so
    the peer never learns our addresses and media always goes through the TURN server (a network that allows
    only that, or a user who wants their address hidden from the others in the call)."""
    return RTCConfiguration(
        iceServers=[RTCIceServer(urls=s.urls, username=s.username, credential=s.credential) for s in servers],
        iceTransportPolicy=RTCIceTransportPolicy.RELAY if relay_only else RTCIceTransportPolicy.ALL,
    )


def offers_relay(servers: Sequence[IceServer]) -> bool:
    """Whether ``servers`` has a TURN server aiortc can use (``turn:``/``turns:`` with credentials): without one a
    relay-only call can never connect."""
    return any(
        s.username is not None and s.credential is not None and any(u.startswith(("turn:", "turns:")) for u in s.urls)
        for s in servers
    )


def restrict_host_addresses(addresses: Sequence[str] | None) -> None:
    """Gather host candidates on ``addresses`` only (``None``: every interface but loopback, aioice's default).

    Process-wide, because aioice reads it from a module function (``aiortc_compat.set_host_address_source``); the
    headless client and tests set it once.
    """
    if addresses is None:
        aiortc_compat.set_host_address_source(None)
        return
    chosen = [str(ipaddress.ip_address(a)) for a in addresses]  # ValueError on junk, before anything changes

    def gather(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        return [a for a in chosen if (use_ipv4 if ipaddress.ip_address(a).version == 4 else use_ipv6)]

    logger.info("ICE gathers host candidates on %s only", ", ".join(chosen))
    aiortc_compat.set_host_address_source(gather)
