"""GET /metrics: Prometheus text format, for loopback clients only unless ``NIMEET_METRICS_PUBLIC=true``.

"Loopback" is decided on the address the request came from after the trusted-proxy rules (uvicorn believes
``X-Forwarded-For`` only from ``NIMEET_TRUSTED_PROXIES``), and more strictly still: a request that carries
forwarding headers naming anything but loopback came through a proxy from elsewhere, so it is refused even when
that proxy is not trusted and the connection itself comes from 127.0.0.1. A client cannot fake loopback with such a
header either: from an untrusted address the header is not believed, and through a proxy the proxy adds the real
address to it. Others get 403 ``forbidden`` (the path exists; it is just not theirs).
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST

from signaling_server.api.deps import ServicesDep
from signaling_server.api.errors import ApiError
from signaling_server.api.host_guard import is_loopback
from signaling_server.protocol import ErrorCode

router = APIRouter()

# Headers by which a proxy names the client it forwards for.
_ADDRESS_HEADERS = (b"x-forwarded-for", b"x-real-ip")


def from_loopback(request: Request) -> bool:
    client = request.scope.get("client")
    if not client or not is_loopback(str(client[0])):
        return False
    for name, value in request.scope["headers"]:
        if name == b"forwarded":
            return False  # RFC 7239: only a proxy sends it; not parsed, so never taken for loopback
        if name in _ADDRESS_HEADERS:
            addresses = [item.strip() for item in value.decode("latin-1").split(",")]
            if not all(address and is_loopback(address) for address in addresses):
                return False
    return True


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request, svc: ServicesDep) -> Response:
    if not svc.settings.metrics_public and not from_loopback(request):
        raise ApiError(403, ErrorCode.FORBIDDEN, "metrics are served to loopback clients only (NIMEET_METRICS_PUBLIC)")
    rooms, participants = await svc.rooms.occupancy()
    return Response(svc.metrics.exposition(rooms, participants), media_type=CONTENT_TYPE_LATEST)
