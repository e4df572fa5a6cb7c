"""POST /api/rooms/create, GET /api/rooms/{roomId}, GET /api/rooms."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Path, Request

from signaling_server.api.deps import (
    INVALID_DOC,
    RATE_DOC,
    UNAUTHORIZED_DOC,
    CurrentUser,
    ServicesDep,
    error_doc,
    rate_limited,
)
from signaling_server.api.errors import ApiError
from signaling_server.api.invitations import base_url
from signaling_server.api.views import room_out
from signaling_server.protocol import (
    ROOM_ID_RE,
    CreateRoomRequest,
    CreateRoomResponse,
    ErrorCode,
    RoomInfoResponse,
    RoomListResponse,
    join_url,
)

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/api/rooms", tags=["rooms"])


@router.post(
    "/create",
    status_code=201,
    response_model=CreateRoomResponse,
    responses={**UNAUTHORIZED_DOC, **INVALID_DOC, **RATE_DOC},
    dependencies=[Depends(rate_limited(lambda limits: limits.create_room))],
)
async def create_room(
    request: Request,
    user: CurrentUser,
    svc: ServicesDep,
    body: Annotated[CreateRoomRequest | None, Body()] = None,
) -> CreateRoomResponse:
    # Every field is optional, so an absent body means "all defaults".
    body = body or CreateRoomRequest()
    name = (body.name or "").strip() or f"{user.username}'s room"
    row = await svc.store.create_room(user.id, name, body.max_participants, body.description, body.is_private)
    logger.info("room created", extra={"roomId": row.room_id, "userId": user.id})
    return CreateRoomResponse(room=room_out(row, base_url(request, svc.settings)), join_url=join_url(row.room_id))


@router.get(
    "/{roomId}",
    response_model=RoomInfoResponse,
    responses={**UNAUTHORIZED_DOC, 404: error_doc("No room with that id (`room-not-found`)")},
)
async def get_room(
    request: Request, user: CurrentUser, svc: ServicesDep, room_id: Annotated[str, Path(alias="roomId")]
) -> RoomInfoResponse:
    row = await svc.store.room(room_id) if ROOM_ID_RE.fullmatch(room_id) else None
    if row is None:
        raise ApiError(404, ErrorCode.ROOM_NOT_FOUND, "no room with that id")
    return RoomInfoResponse(
        room=room_out(row, base_url(request, svc.settings)), participant_count=await svc.rooms.count(row.room_id)
    )


@router.get("", response_model=RoomListResponse, responses={**UNAUTHORIZED_DOC})
async def list_rooms(request: Request, user: CurrentUser, svc: ServicesDep) -> RoomListResponse:
    rows = await svc.store.recent_rooms(user.id)
    base = base_url(request, svc.settings)
    return RoomListResponse(rooms=[room_out(row, base) for row in rows])
