"""POST /api/rooms/create, GET /api/rooms/{roomId}, GET /api/rooms."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Request, Response
from pydantic.alias_generators import to_camel

from signaling_server.api.deps import (
    INVALID_DOC,
    RATE_DOC,
    UNAUTHORIZED_DOC,
    CurrentUser,
    ResponsesDoc,
    ServicesDep,
    error_doc,
    rate_limited,
)
from signaling_server.api.errors import ApiError
from signaling_server.api.invitations import base_url
from signaling_server.api.views import room_out
from signaling_server.db.models import RoomRow, UserRow
from signaling_server.protocol import (
    MESH_PARTICIPANTS_MAX,
    PARTICIPANTS_MAX,
    ROOM_ID_RE,
    CreateRoomRequest,
    CreateRoomResponse,
    ErrorCode,
    RoomInfoResponse,
    RoomListResponse,
    RoomResponse,
    UpdateRoomRequest,
    join_url,
    room_mode,
)
from signaling_server.services import Services

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
    _within_server_limit(svc, body.max_participants)
    name = (body.name or "").strip() or f"{user.username}'s room"
    password_hash = None if body.password is None else await svc.passwords.hash(body.password)
    row = await svc.store.create_room(
        user.id, name, body.max_participants, body.description, body.is_private, password_hash
    )
    logger.info("room created", extra={"roomId": row.room_id, "userId": user.id})
    return CreateRoomResponse(
        room=room_out(row, base_url(request, svc.settings), sfu=svc.settings.sfu), join_url=join_url(row.room_id)
    )


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
    locked = await svc.rooms.locked(row.room_id)
    return RoomInfoResponse(
        room=room_out(row, base_url(request, svc.settings), locked, sfu=svc.settings.sfu),
        participant_count=await svc.rooms.count(row.room_id),
    )


@router.get("", response_model=RoomListResponse, responses={**UNAUTHORIZED_DOC})
async def list_rooms(request: Request, user: CurrentUser, svc: ServicesDep) -> RoomListResponse:
    rows = await svc.store.recent_rooms(user.id)
    base = base_url(request, svc.settings)
    return RoomListResponse(
        rooms=[room_out(row, base, await svc.rooms.locked(row.room_id), sfu=svc.settings.sfu) for row in rows]
    )


def _within_server_limit(svc: Services, max_participants: int) -> None:
    """The shape allows up to SFU_PARTICIPANTS_MAX; a server without an SFU keeps the version-1 limit."""
    if max_participants > PARTICIPANTS_MAX and not svc.settings.sfu:
        raise ApiError(
            422,
            ErrorCode.INVALID_INPUT,
            f"maxParticipants: must be at most {PARTICIPANTS_MAX} (this server has no SFU for larger rooms)",
            field="maxParticipants",
        )


FORBIDDEN_DOC: ResponsesDoc = {403: error_doc("Only the room's owner may do this (`forbidden`)")}
NOT_FOUND_DOC: ResponsesDoc = {404: error_doc("No room with that id (`room-not-found`)")}


async def _owned_room(svc: Services, user: UserRow, room_id: str) -> RoomRow:
    row = await svc.store.room(room_id) if ROOM_ID_RE.fullmatch(room_id) else None
    if row is None:
        raise ApiError(404, ErrorCode.ROOM_NOT_FOUND, "no room with that id")
    if row.owner_id != user.id:
        raise ApiError(403, ErrorCode.FORBIDDEN, "only the room's owner can change or delete it")
    return row


@router.patch(
    "/{roomId}",
    response_model=RoomResponse,
    responses={**UNAUTHORIZED_DOC, **FORBIDDEN_DOC, **NOT_FOUND_DOC, **INVALID_DOC},
)
async def update_room(
    request: Request,
    user: CurrentUser,
    svc: ServicesDep,
    room_id: Annotated[str, Path(alias="roomId")],
    body: Annotated[UpdateRoomRequest, Body()],
) -> RoomResponse:
    row = await _owned_room(svc, user, room_id)
    given = body.model_fields_set
    changes: dict[str, Any] = {}
    if "name" in given:
        name = (body.name or "").strip()
        if not name:
            raise ApiError(422, ErrorCode.INVALID_INPUT, "name: must not be empty", field="name")
        changes["name"] = name
    if "description" in given:
        changes["description"] = body.description
    for field in ("max_participants", "is_private"):
        if field in given:
            value = getattr(body, field)
            if value is None:
                raise ApiError(
                    422, ErrorCode.INVALID_INPUT, f"{to_camel(field)}: must not be null", field=to_camel(field)
                )
            changes[field] = value
    if "max_participants" in changes:
        _within_server_limit(svc, changes["max_participants"])
        new_mode = room_mode(changes["max_participants"], svc.settings.sfu)
        # A meeting's media cannot move between peer to peer and the SFU under its participants' feet (every client
        # would have to tear down and renegotiate at once, and those who joined as a mesh would keep relaying offers
        # the room no longer carries): the change waits until the room is empty.
        if new_mode != room_mode(row.max_participants, svc.settings.sfu) and await svc.rooms.count(row.room_id) > 0:
            raise ApiError(
                422,
                ErrorCode.INVALID_INPUT,
                f"maxParticipants: cannot cross {MESH_PARTICIPANTS_MAX} while a meeting is under way (it would "
                "move the meeting between peer-to-peer and the SFU); change it when the room is empty",
                field="maxParticipants",
            )
    if "password" in given:
        changes["password_hash"] = None if body.password is None else await svc.passwords.hash(body.password)
    updated = await svc.store.update_room(row.room_id, changes)
    if updated is None:  # deleted meanwhile
        raise ApiError(404, ErrorCode.ROOM_NOT_FOUND, "no room with that id")
    room = room_out(
        updated, base_url(request, svc.settings), await svc.rooms.locked(updated.room_id), sfu=svc.settings.sfu
    )
    if svc.meetings is not None:
        await svc.meetings.room_updated(room)
    logger.info("room updated", extra={"roomId": row.room_id, "fields": sorted(changes)})
    return RoomResponse(room=room)


@router.delete("/{roomId}", status_code=204, responses={**UNAUTHORIZED_DOC, **FORBIDDEN_DOC, **NOT_FOUND_DOC})
async def delete_room(user: CurrentUser, svc: ServicesDep, room_id: Annotated[str, Path(alias="roomId")]) -> Response:
    row = await _owned_room(svc, user, room_id)
    # The row goes first: whoever is told "room deleted" and tries again gets 404, not a fresh meeting.
    await svc.store.delete_room(row.room_id)
    if svc.meetings is not None:
        await svc.meetings.room_deleted(row.room_id)
    logger.info("room deleted", extra={"roomId": row.room_id})
    return Response(status_code=204)
