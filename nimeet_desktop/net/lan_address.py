"""The address other computers on the local network reach this one at, for a server hosted from the app.

The kernel already knows it: the source address it would use for traffic leaving by the default route. A UDP
socket's ``connect()`` asks exactly that question (route lookup, source address chosen) and sends nothing: UDP has
no handshake, so no packet leaves the machine, and it works offline as long as a default route exists. Enumerating
interfaces instead would need a dependency and a guess among docker bridges, VPNs and link-local addresses; the
default route is the interface the user's network actually is.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Final

# Where the question is asked about: any address off this machine works (nothing is sent). TEST-NET-2, a range
# reserved for documentation, so even a misreading of this code cannot point it at someone's real host.
_ROUTE_PROBE: Final = ("198.51.100.1", 9)


def lan_address() -> str | None:
    """The IPv4 address of the interface the default route leaves by; None when there is no usable network (no
    default route, or only loopback / link-local addresses, which other computers cannot be sent to)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(_ROUTE_PROBE)  # a route lookup; UDP sends nothing on connect
            address = str(probe.getsockname()[0])
        except OSError:  # ENETUNREACH: no route at all
            return None
    return address if usable_for_others(address) else None


def usable_for_others(address: str) -> bool:
    """An address another computer can be told to use: not loopback, unspecified, link-local or multicast."""
    try:
        ip = ipaddress.IPv4Address(address)
    except ValueError:
        return False
    return not (ip.is_loopback or ip.is_unspecified or ip.is_link_local or ip.is_multicast)
