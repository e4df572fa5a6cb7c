"""Socket.IO event handlers: authenticate at connect, keep one room per socket, relay to targets.

Every client event is answered through its ack with ``{ok: true, ...}`` or ``{ok: false, error}``, and checks
run in the contract's order: size limits, payload shape, membership, target. A refused message is never relayed.
Handlers run inline per connection (``async_handlers=False``) so one client's events keep their order.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import socketio
from pydantic import BaseModel, ValidationError

from signaling_server.accounts.tokens import InvalidToken
from signaling_server.protocol import (
    Answer,
    ClientEvent,
    ErrorCode,
    IceCandidate,
    JoinAck,
    JoinRoom,
    LeaveRoom,
    MediaToggled,
    Offer,
    Participant,
    ServerEvent,
    ToggleMedia,
    UserLeft,
    error_ack,
    oversize_field,
)
from signaling_server.services import Services
from signaling_server.signaling.state import AlreadyInRoom, Member, RoomFull

logger = logging.getLogger(__name__)

Ack = dict[str, Any]
OK: Ack = {"ok": True}


@dataclass(frozen=True)
class Identity:
    user_id: str
    username: str


def participant(member: Member) -> Participant:
    return Participant(
        socket_id=member.socket_id,
        user_id=member.user_id,
        username=member.username,
        media_state=member.media,
    )


def _shape_error(exc: ValidationError) -> str:
    errors = exc.errors()
    if not errors:
        return "payload is not valid"
    where = ".".join(str(part) for part in errors[0]["loc"])
    text = errors[0]["msg"].removeprefix("Value error, ")
    return f"{where}: {text}" if where else f"payload {text}"


class Signaling:
    """Binds handlers to an ``AsyncServer``; holds who each connected socket is."""

    def __init__(self, sio: socketio.AsyncServer, services: Services) -> None:
        self._sio = sio
        self._svc = services
        self._identities: dict[str, Identity] = {}
        # Set while the server shuts down: every socket is being closed, and the lifespan's shutdown closes all
        # open stays in one statement, so per-socket writes would only hold shutdown up (10,000 sockets: minutes).
        self.draining = False
        sio.on("connect", self.connect)
        sio.on("disconnect", self.disconnect)
        self._route(ClientEvent.JOIN_ROOM, JoinRoom, self.join_room)
        self._route(ClientEvent.LEAVE_ROOM, LeaveRoom, self.leave_room)
        self._route(ClientEvent.OFFER, Offer, self.relay_description)
        self._route(ClientEvent.ANSWER, Answer, self.relay_description)
        self._route(ClientEvent.ICE_CANDIDATE, IceCandidate, self.relay_candidate)
        self._route(ClientEvent.TOGGLE_MEDIA, ToggleMedia, self.toggle_media)
        sio.on("*", self.unknown_event)

    def _route(self, event: ClientEvent, model: type[BaseModel], handler: Callable[[str, Any], Awaitable[Ack]]) -> None:
        async def on_event(sid: str, *args: Any) -> Ack:
            # An event carries exactly one payload object; anything else is the wrong shape.
            payload = args[0] if len(args) == 1 else None
            too_large = oversize_field(event, payload)
            if too_large is not None:
                return error_ack(ErrorCode.TOO_LARGE, too_large)
            if not isinstance(payload, dict):
                return error_ack(ErrorCode.INVALID_INPUT, "the payload must be one JSON object")
            try:
                message = model.model_validate(payload)
            except ValidationError as exc:
                return error_ack(ErrorCode.INVALID_INPUT, _shape_error(exc))
            try:
                return await handler(sid, message)
            except Exception:
                logger.exception("handler failed", extra={"event": str(event), "sid": sid})
                return error_ack(ErrorCode.INTERNAL, "the server failed to handle this event")

        self._sio.on(str(event), on_event)

    # ---- connection ----
    async def connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        token = auth.get("token") if isinstance(auth, dict) else None
        try:
            claims = self._svc.tokens.verify(token)
        except InvalidToken:
            raise socketio.exceptions.ConnectionRefusedError("unauthorized") from None
        try:
            user = await self._svc.store.user_by_id(claims.user_id)
        except Exception:
            # The database is down: refuse at once with a reason the client can retry on, rather than
            # leaving it waiting on a half-open connection.
            logger.warning("connect refused: database unavailable", exc_info=True)
            raise socketio.exceptions.ConnectionRefusedError("unavailable") from None
        if user is None:
            raise socketio.exceptions.ConnectionRefusedError("unauthorized")
        self._identities[sid] = Identity(user_id=user.id, username=user.username)

    async def disconnect(self, sid: str, reason: Any = None) -> None:
        await self._leave(sid)
        self._identities.pop(sid, None)

    async def unknown_event(self, event: str, sid: str, *args: Any) -> Ack:
        return error_ack(ErrorCode.UNKNOWN_EVENT, f"no such event: {event[:64]}")

    # ---- rooms ----
    async def join_room(self, sid: str, msg: JoinRoom) -> Ack:
        identity = self._identities.get(sid)
        if identity is None:  # connect handler did not finish for this socket; treat as not authenticated
            return error_ack(ErrorCode.INVALID_INPUT, "the socket is not authenticated")
        if await self._svc.rooms.room_of(sid) is not None:
            return error_ack(ErrorCode.ALREADY_IN_ROOM, "this socket is already in a room; leave it first")
        room = await self._svc.store.room(msg.room_id)
        if room is None:
            return error_ack(ErrorCode.ROOM_NOT_FOUND, "no room with that id")
        member = Member(
            socket_id=sid,
            user_id=identity.user_id,
            username=identity.username,
            media=msg.media_state.model_dump(),
        )
        try:
            others = await self._svc.rooms.join(room.room_id, member, room.max_participants)
        except RoomFull:
            return error_ack(ErrorCode.ROOM_FULL, f"the room is full ({room.max_participants} participants)")
        except AlreadyInRoom:
            return error_ack(ErrorCode.ALREADY_IN_ROOM, "this socket is already in a room; leave it first")
        await self._sio.enter_room(sid, room.room_id)
        await self._record_stay(sid, room.room_id, identity.user_id)
        me = participant(member)
        await self._sio.emit(ServerEvent.USER_JOINED, me.wire(), to=room.room_id, skip_sid=sid)
        logger.info("joined", extra={"roomId": room.room_id, "sid": sid, "others": len(others)})
        return JoinAck(self_=me, participants=[participant(other) for other in others]).wire()

    async def _record_stay(self, sid: str, room_id: str, user_id: str) -> None:
        # History is secondary to the call: a database hiccup is logged, the join still goes through.
        try:
            stay = await self._svc.store.start_participation(room_id, user_id)
        except Exception:
            logger.exception("could not record a participation", extra={"roomId": room_id})
            return
        if not await self._svc.rooms.set_participation(sid, stay):
            await self._svc.store.end_participation(stay)  # left while the row was being written

    async def leave_room(self, sid: str, msg: LeaveRoom) -> Ack:
        if await self._svc.rooms.room_of(sid) != msg.room_id:
            return error_ack(ErrorCode.NOT_IN_ROOM, "this socket is not in that room")
        await self._leave(sid)
        return OK

    async def _leave(self, sid: str) -> None:
        left = await self._svc.rooms.leave(sid)
        if left is None:
            return
        room_id, member = left
        await self._sio.leave_room(sid, room_id)
        left_msg = UserLeft(socket_id=sid, user_id=member.user_id).wire()
        await self._sio.emit(ServerEvent.USER_LEFT, left_msg, to=room_id, skip_sid=sid)
        logger.info("left", extra={"roomId": room_id, "sid": sid})
        if member.participation_id is not None and not self.draining:
            try:
                await self._svc.store.end_participation(member.participation_id)
            except Exception:
                logger.exception("could not record the end of a participation", extra={"roomId": room_id})

    async def toggle_media(self, sid: str, msg: ToggleMedia) -> Ack:
        room_id = await self._svc.rooms.set_media(sid, msg.media_type, msg.enabled)
        if room_id is None:
            return error_ack(ErrorCode.NOT_IN_ROOM, "join a room first")
        payload = MediaToggled(socket_id=sid, media_type=msg.media_type, enabled=msg.enabled).wire()
        await self._sio.emit(ServerEvent.MEDIA_TOGGLED, payload, to=room_id, skip_sid=sid)
        return OK

    # ---- relay ----
    async def _send_to(self, sid: str, event: str, payload: dict[str, Any]) -> None:
        """Emit to one socket. ``AsyncServer.emit`` spawns a Task per recipient and waits on them all, which
        costs more than the rest of a relay; one recipient needs none of that, only its Engine.IO queue."""
        eio_sid = self._sio.manager.eio_sid_from_sid(sid, "/")
        if eio_sid is None:
            return  # disconnected since the target check
        pkt = self._sio.packet_class(socketio.packet.EVENT, namespace="/", data=[str(event), payload])
        await self._sio.eio.send(eio_sid, pkt.encode())

    async def _check_target(self, sid: str, target: str) -> Ack | None:
        room_id = await self._svc.rooms.room_of(sid)
        if room_id is None:
            return error_ack(ErrorCode.NOT_IN_ROOM, "join a room first")
        if target == sid or await self._svc.rooms.room_of(target) != room_id:
            return error_ack(ErrorCode.UNKNOWN_TARGET, "the target is not another participant of your room")
        return None

    # The relay payloads below are built by hand, not through protocol.Relayed/RelayedCandidate: this is the
    # per-message path. Tests validate every event they receive against those models.
    async def relay_description(self, sid: str, msg: Offer | Answer) -> Ack:
        refused = await self._check_target(sid, msg.target)
        if refused is not None:
            return refused
        event = ServerEvent.RECEIVE_OFFER if msg.description.type == "offer" else ServerEvent.RECEIVE_ANSWER
        description = {"type": msg.description.type, "sdp": msg.description.sdp}
        await self._send_to(msg.target, event, {"from": sid, "description": description})
        return OK

    async def relay_candidate(self, sid: str, msg: IceCandidate) -> Ack:
        refused = await self._check_target(sid, msg.target)
        if refused is not None:
            return refused
        candidate = None if msg.candidate is None else msg.candidate.model_dump(by_alias=True, exclude_unset=True)
        await self._send_to(msg.target, ServerEvent.RECEIVE_ICE_CANDIDATE, {"from": sid, "candidate": candidate})
        return OK
