"""GET /api/ice-servers and GET /healthz."""

from __future__ import annotations

import logging

from fastapi import APIRouter

from signaling_server.api.deps import UNAUTHORIZED_DOC, CurrentUser, ServicesDep, error_doc
from signaling_server.api.errors import ApiError
from signaling_server.ice import ice_servers_for
from signaling_server.protocol import ErrorCode, HealthResponse, IceServersResponse

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
    responses={503: error_doc("The database does not answer (`unavailable`)")},
    tags=["health"],
)
async def healthz(svc: ServicesDep) -> HealthResponse:
    try:
        await svc.store.ping()
    except Exception:
        logger.warning("health check: database unreachable", exc_info=True)
        raise ApiError(503, ErrorCode.UNAVAILABLE, "the database does not answer") from None
    return HealthResponse(status="ok")
