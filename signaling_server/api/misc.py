"""GET /api/ice-servers and GET /healthz."""

from __future__ import annotations

import logging

from fastapi import APIRouter

from signaling_server.api.deps import UNAUTHORIZED_DOC, CurrentUser, ServicesDep, error_doc
from signaling_server.api.errors import unavailable
from signaling_server.ice import ice_servers_for
from signaling_server.protocol import HealthResponse, IceServersResponse

logger = logging.getLogger(__name__)
router = APIRouter()


# Absent, not null: RTCPeerConnection rejects ``username: null`` in an RTCIceServer.
@router.get(
    "/api/ice-servers",
    response_model=IceServersResponse,
    response_model_exclude_none=True,
    responses={**UNAUTHORIZED_DOC},
    tags=["ice"],
)
async def ice_servers(user: CurrentUser, svc: ServicesDep) -> IceServersResponse:
    return ice_servers_for(svc.settings, user.id)


@router.get(
    "/healthz",
    response_model=HealthResponse,
    responses={503: error_doc("The database cannot be read or written (`unavailable`)")},
    tags=["health"],
)
async def healthz(svc: ServicesDep) -> HealthResponse:
    # A read and a committed write: "ok" must mean registrations and joins can be stored right now, not only that a
    # connection answers (a deleted, read-only, full or locked database still answers SELECT 1).
    try:
        await svc.store.check_health()
    except Exception as exc:
        if _health.ok:
            logger.warning("health check: the database cannot be read or written", extra={"error": type(exc).__name__})
        _health.ok = False
        raise unavailable() from None
    if not _health.ok:
        logger.info("health check: the database is back")
    _health.ok = True
    return HealthResponse(status="ok")


class _Health:
    """The last verdict, so an outage is logged when it starts and ends, not on every probe."""

    ok = True


_health = _Health()
