"""Version 1.1's meetings on the socket side: the lobby, moderation by hosts, chat, hands, reactions, the
recording notice, and what REST changes (room settings, deletion, files) tell the people in a room.

Every rule reads and changes the live state through the room-state interface (``state.py``), never a dictionary of
its own, so that several server nodes can share it. Checks run in the contract's order; the event budget, size and
shape checks are the router's (``Signaling.route``), so each handler starts at membership: ``not-in-room`` (a
socket waiting in a lobby is not in the room), ``forbidden`` (hosts only), ``unknown-target``.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel

from signaling_server.db.models import RoomRow
from signaling_server.protocol import (
    CHAT_RATE,
    REACTION_RATE,
    Admitted,
    ChatAck,
    ChatMessage,
    ClientEvent,
    Denied,
    ErrorCode,
    HandRaised,
    LobbyEntry,
    LobbyLeft,
    LockRoom,
    MediaToggled,
    MeetingEnded,
    ModeratedMedia,
    MutedByHost,
    MuteParticipant,
    NoFields,
    RaiseHand,
    Reaction,
    RecordingChanged,
    Removed,
    Role,
    RoleChanged,
    Room,
    RoomUpdated,
    SendChat,
    SendReaction,
    ServerEvent,
    SetRecording,
    SetRole,
    Target,
    error_ack,
)
from signaling_server.signaling.limits import SlidingWindow
from signaling_server.signaling.sessions import SocketSession
from signaling_server.signaling.state import (
    Ended,
    LastHost,
    Left,
    Member,
    NotWaiting,
    RoomFull,
    SeatsTaken,
    Waiter,
)

M = TypeVar("M", bound=BaseModel)
# A meeting event's handler once membership is checked: (session, message, the room's id, the sender).
InRoom = Callable[[SocketSession, M, str, Member], Awaitable[dict[str, Any]]]

if TYPE_CHECKING:
    from signaling_server.signaling.handlers import Signaling

logger = logging.getLogger(__name__)

Ack = dict[str, Any]
OK: Ack = {"ok": True}


def _now() -> datetime:
    return datetime.now(UTC)


def _entry(waiter: Waiter) -> LobbyEntry:
    return LobbyEntry(socket_id=waiter.socket_id, user_id=waiter.user_id, username=waiter.username)


class MeetingHandlers:
    def __init__(self, signaling: Signaling) -> None:
        self._sig = signaling
        self._svc = signaling.services
        self._sio = signaling.sio
        route, hosts, members = signaling.route, self._for_hosts, self._for_members
        route(ClientEvent.ADMIT, Target, hosts(self.admit))
        route(ClientEvent.DENY, Target, hosts(self.deny))
        route(ClientEvent.SET_ROLE, SetRole, hosts(self.set_role))
        route(ClientEvent.MUTE_PARTICIPANT, MuteParticipant, hosts(self.mute_participant))
        route(ClientEvent.MUTE_ALL, NoFields, hosts(self.mute_all))
        route(ClientEvent.REMOVE_PARTICIPANT, Target, hosts(self.remove_participant))
        route(ClientEvent.LOCK_ROOM, LockRoom, hosts(self.lock_room))
        route(ClientEvent.LOWER_HAND, Target, hosts(self.lower_hand))
        route(ClientEvent.END_MEETING, NoFields, hosts(self.end_meeting))
        route(ClientEvent.RECORDING, SetRecording, hosts(self.recording))
        route(ClientEvent.CHAT_MESSAGE, SendChat, members(self.chat_message))
        route(ClientEvent.RAISE_HAND, RaiseHand, members(self.raise_hand))
        route(ClientEvent.REACTION, SendReaction, members(self.reaction))

    # ---- helpers ----
    async def _emit_room(self, room_id: str, event: str, payload: dict[str, Any], skip: str | None = None) -> None:
        await self._sio.emit(event, payload, to=room_id, skip_sid=skip)

    async def _hosts(self, room_id: str) -> list[Member]:
        return [m for m in await self._svc.rooms.members(room_id) if m.role == "host"]

    def _for_members(self, handler: InRoom[M]) -> Callable[[SocketSession, M], Awaitable[Ack]]:
        """``handler`` runs for a socket in a room (``not-in-room`` otherwise: waiting in a lobby is not being in
        it), with the room's id and the sender as a member."""

        async def checked(session: SocketSession, msg: M) -> Ack:
            member = await self._svc.rooms.member(session.sid)
            room_id = await self._svc.rooms.room_of(session.sid)
            if member is None or room_id is None:
                return error_ack(ErrorCode.NOT_IN_ROOM, "join a room first (waiting in a lobby is not being in it)")
            return await handler(session, msg, room_id, member)

        return checked

    def _for_hosts(self, handler: InRoom[M]) -> Callable[[SocketSession, M], Awaitable[Ack]]:
        """As ``_for_members``, then ``forbidden`` unless the sender is a host."""

        async def host_only(session: SocketSession, msg: M, room_id: str, member: Member) -> Ack:
            if member.role != "host":
                return error_ack(ErrorCode.FORBIDDEN, "only a host can do that")
            return await handler(session, msg, room_id, member)

        return self._for_members(host_only)

    async def _target(self, room_id: str, sender: str, target: str, allow_self: bool = False) -> Member | Ack:
        member = await self._svc.rooms.member(target)
        if member is None or await self._svc.rooms.room_of(target) != room_id or (target == sender and not allow_self):
            return error_ack(ErrorCode.UNKNOWN_TARGET, "the target is not another participant of your room")
        return member

    async def _room_wire(self, room_id: str, base_url: str) -> Room | None:
        from signaling_server.api.views import room_out  # the REST view of a room; imported late (FastAPI)

        row = await self._svc.store.room(room_id)
        if row is None:
            return None
        return room_out(row, base_url, locked=await self._svc.rooms.locked(room_id), sfu=self._svc.settings.sfu)

    # ---- arrivals and departures (called by Signaling) ----
    async def arrival(self, room_id: str, member: Member, others: list[Member]) -> dict[str, Any]:
        """The fields of a join ack or ``admitted`` for ``member``: the ``others`` in the room, the chat so far, and
        for a host the lobby."""
        from signaling_server.signaling.handlers import participant

        lobby = None
        if member.role == "host":
            lobby = [_entry(w) for w in await self._svc.rooms.lobby(room_id)]
        return {
            "self_": participant(member),
            "participants": [participant(other) for other in others],
            "chat": await self._svc.rooms.chat(room_id),
            "lobby": lobby,
        }

    async def knocked(self, room_id: str, waiter: Waiter) -> None:
        payload = _entry(waiter).wire()
        for host in await self._hosts(room_id):
            await self._sig.send_to(host.socket_id, ServerEvent.LOBBY_KNOCK, payload)

    async def lobby_left(self, room_id: str, socket_id: str) -> None:
        payload = LobbyLeft(socket_id=socket_id).wire()
        for host in await self._hosts(room_id):
            await self._sig.send_to(host.socket_id, ServerEvent.LOBBY_LEFT, payload)

    async def after_leave(self, left: Left) -> None:
        for member in left.promoted:
            await self._role_changed(left.room_id, member.socket_id, member.role)
        if left.ended_meeting is not None:
            logger.info("meeting ended: the room is empty", extra={"roomId": left.room_id})
            await self._svc.files.discard_meeting(left.room_id, left.ended_meeting)

    async def _role_changed(self, room_id: str, socket_id: str, role: Role) -> None:
        """Everyone is told (from the values given, not a member object: a shared room state hands out copies)."""
        payload = RoleChanged(socket_id=socket_id, role=role).wire()
        await self._emit_room(room_id, ServerEvent.ROLE_CHANGED, payload)
        if role == "host":
            # A new host learns who is waiting the way hosts always do: one knock each.
            for waiter in await self._svc.rooms.lobby(room_id):
                await self._sig.send_to(socket_id, ServerEvent.LOBBY_KNOCK, _entry(waiter).wire())

    # ---- the lobby ----
    async def admit(self, session: SocketSession, msg: Target, room_id: str, _sender: Member) -> Ack:
        room = await self._svc.store.room(room_id)
        if room is None:
            return error_ack(ErrorCode.UNKNOWN_TARGET, "nobody with that id is waiting in this room's lobby")
        return await self._admit(room, msg.target, by=session.sid)

    async def _admit(self, room: RoomRow, target: str, by: str | None) -> Ack:
        """Move ``target`` from the lobby into the room: it receives ``admitted``, the hosts ``lobby-left``, the
        room ``user-joined``."""
        room_id = room.room_id
        rooms = self._svc.rooms
        waiting = self._sig.sessions.get(target)
        remote = waiting is None and self._svc.nodes is not None  # it waits through another node
        if (waiting is None and not remote) or await rooms.lobby_of(target) != room_id:
            return error_ack(ErrorCode.UNKNOWN_TARGET, "nobody with that id is waiting in this room's lobby")
        # The admitted socket's own lock, as for its own join: its disconnect must not run half-way through this and
        # leave the others told of someone who is gone. (Handlers take only their own socket's lock otherwise, and a
        # waiting socket can admit nobody, so the two locks are never taken the other way round.) A socket on another
        # node has no lock here: the state's admit is still one transaction, and should its disconnect come in
        # between, its own node takes it out again and the room is told it left.
        async with contextlib.nullcontext() if waiting is None else waiting.lock:
            if waiting is not None and waiting.closed:
                return error_ack(ErrorCode.UNKNOWN_TARGET, "nobody with that id is waiting in this room's lobby")
            try:
                member, joined = await rooms.admit(
                    room_id, target, room.max_participants, self._sig.settings.max_seats_per_user, room.owner_id
                )
            except NotWaiting:
                return error_ack(ErrorCode.UNKNOWN_TARGET, "nobody with that id is waiting in this room's lobby")
            except (RoomFull, SeatsTaken):
                return error_ack(ErrorCode.ROOM_FULL, f"the room is full ({room.max_participants} participants)")
            await self.lobby_left(room_id, target)
            admitted = Admitted(**(await self.arrival(room_id, member, joined.others))).wire()
            await self._sig.send_to(target, ServerEvent.ADMITTED, admitted)
            await self._sig.entered(room_id, member, joined)
        logger.info("admitted", extra={"roomId": room_id, "sid": target, "by": by})
        return OK

    async def deny(self, session: SocketSession, msg: Target, room_id: str, _sender: Member) -> Ack:
        rooms = self._svc.rooms
        if await rooms.lobby_of(msg.target) != room_id or await rooms.unknock(msg.target) is None:
            return error_ack(ErrorCode.UNKNOWN_TARGET, "nobody with that id is waiting in this room's lobby")
        await self._sig.send_to(msg.target, ServerEvent.DENIED, Denied().wire())
        await self.lobby_left(room_id, msg.target)
        return OK

    # ---- moderation ----
    async def set_role(self, session: SocketSession, msg: SetRole, room_id: str, _sender: Member) -> Ack:
        target = await self._target(room_id, session.sid, msg.target, allow_self=True)
        if isinstance(target, dict):
            return target
        last_host = error_ack(ErrorCode.LAST_HOST, "you are the only host: make someone else host first")
        if target.owner and msg.role != "host":
            # The owner is host whenever present; alone, the contract's own answer for the last host comes first.
            others = [m for m in await self._hosts(room_id) if m.socket_id != target.socket_id]
            return error_ack(ErrorCode.FORBIDDEN, "the room's owner is always a host") if others else last_host
        try:
            await self._svc.rooms.set_role(target.socket_id, msg.role)
        except LastHost:
            return last_host
        await self._role_changed(room_id, target.socket_id, msg.role)
        if msg.role == "participant" and target.recording:
            # Recording is a host's right, and ``recording`` is hosts only: a demoted host could not even say they
            # stopped, so the notice is taken down for them (their client stops recording on the role change).
            await self._svc.rooms.set_recording(target.socket_id, False)
            stopped = RecordingChanged(socket_id=target.socket_id, active=False).wire()
            await self._emit_room(room_id, ServerEvent.RECORDING_CHANGED, stopped)
        return OK

    async def mute_participant(self, session: SocketSession, msg: MuteParticipant, room_id: str, sender: Member) -> Ack:
        target = await self._target(room_id, session.sid, msg.target)
        if isinstance(target, dict):
            return target
        await self._mute(room_id, target, msg.media_type, sender)
        return OK

    async def _mute(self, room_id: str, target: Member, media: ModeratedMedia, by: Member) -> None:
        await self._svc.rooms.set_media(target.socket_id, media, False)
        told = MutedByHost(media_type=media, by=by.socket_id, by_username=by.username).wire()
        await self._sig.send_to(target.socket_id, ServerEvent.MUTED_BY_HOST, told)
        toggled = MediaToggled(socket_id=target.socket_id, media_type=media, enabled=False).wire()
        await self._emit_room(room_id, ServerEvent.MEDIA_TOGGLED, toggled, skip=target.socket_id)

    async def mute_all(self, session: SocketSession, msg: NoFields, room_id: str, sender: Member) -> Ack:
        for member in await self._svc.rooms.members(room_id):
            if member.role != "host":
                await self._mute(room_id, member, "microphone", sender)
        return OK

    async def remove_participant(self, session: SocketSession, msg: Target, room_id: str, sender: Member) -> Ack:
        target = await self._target(room_id, session.sid, msg.target)
        if isinstance(target, dict):
            return target
        if target.owner:
            return error_ack(ErrorCode.FORBIDDEN, "the room's owner cannot be removed from their own room")
        rooms = self._svc.rooms
        await rooms.ban(room_id, target.user_id)
        removed = Removed(by=sender.socket_id, by_username=sender.username).wire()
        await self._sig.send_to(target.socket_id, ServerEvent.REMOVED, removed)
        left = await rooms.leave(target.socket_id)
        if left is not None:
            await self._sig.left(left)
        logger.info("removed by a host", extra={"roomId": room_id, "sid": target.socket_id, "by": session.sid})
        return OK

    async def lock_room(self, session: SocketSession, msg: LockRoom, room_id: str, _sender: Member) -> Ack:
        await self._svc.rooms.set_locked(room_id, msg.locked)
        room = await self._room_wire(room_id, session.base_url)
        if room is not None:
            await self._emit_room(room_id, ServerEvent.ROOM_UPDATED, RoomUpdated(room=room).wire())
        return OK

    async def lower_hand(self, session: SocketSession, msg: Target, room_id: str, _sender: Member) -> Ack:
        target = await self._target(room_id, session.sid, msg.target)
        if isinstance(target, dict):
            return target
        await self._svc.rooms.set_hand(target.socket_id, None)
        payload = HandRaised(socket_id=target.socket_id, raised=False, at=None).wire()
        await self._emit_room(room_id, ServerEvent.HAND_RAISED, payload)
        return OK

    async def end_meeting(self, session: SocketSession, msg: NoFields, room_id: str, sender: Member) -> Ack:
        ended = MeetingEnded(reason="ended-by-host", by=sender.socket_id, by_username=sender.username)
        await self._end(room_id, ended)
        logger.info("meeting ended by a host", extra={"roomId": room_id, "by": session.sid})
        return OK

    async def _end(self, room_id: str, why: MeetingEnded) -> Ended:
        """Everyone in the room and its lobby is told and taken out; the meeting (chat, files, bans, lock) goes."""
        ended = await self._svc.rooms.end_meeting(room_id)
        payload = why.wire()
        for member in ended.members:
            await self._sig.send_to(member.socket_id, ServerEvent.MEETING_ENDED, payload)
            await self._sio.leave_room(member.socket_id, room_id)
            self._sig.end_stay(member, room_id)
        for waiter in ended.waiters:
            await self._sig.send_to(waiter.socket_id, ServerEvent.MEETING_ENDED, payload)
        await self._sig.sfu.ended(room_id, [member.socket_id for member in ended.members])
        if ended.meeting_id is not None:
            await self._svc.files.discard_meeting(room_id, ended.meeting_id)
        return ended

    # ---- everyone in the room ----
    async def chat_message(self, session: SocketSession, msg: SendChat, room_id: str, member: Member) -> Ack:
        if session.chat_window is None:
            session.chat_window = SlidingWindow(*CHAT_RATE)
        if not session.chat_window.take():  # the contract's own limit, stricter than the socket's event budget
            return error_ack(ErrorCode.RATE_LIMITED, "too many messages; wait a few seconds")
        if msg.to is not None:
            target = await self._target(room_id, session.sid, msg.to)
            if isinstance(target, dict):
                return target
        message = self.message(member, msg.text, to=msg.to)
        await self.deliver(room_id, message)
        return ChatAck(message=message).wire()

    @staticmethod
    def message(member: Member, text: str, to: str | None = None, file: Any = None) -> ChatMessage:
        return ChatMessage(
            id=uuid.uuid4().hex,
            from_=member.socket_id,
            user_id=member.user_id,
            username=member.username,
            text=text,
            sent_at=_now(),
            to=to,
            file=file,
        )

    async def deliver(self, room_id: str, message: ChatMessage, echo: bool = False) -> None:
        """To ``message.to`` alone, or to the room (kept in its history); the sender's socket only with ``echo``."""
        payload = message.wire()
        if message.to is not None:
            await self._sig.send_to(message.to, ServerEvent.CHAT_MESSAGE, payload)
            return
        await self._svc.rooms.add_chat(room_id, message)
        await self._emit_room(room_id, ServerEvent.CHAT_MESSAGE, payload, skip=None if echo else message.from_)

    async def raise_hand(self, session: SocketSession, msg: RaiseHand, room_id: str, member: Member) -> Ack:
        # Raising an already raised hand keeps its place in the queue.
        at = (member.hand_raised_at or _now()) if msg.raised else None
        await self._svc.rooms.set_hand(session.sid, at)
        payload = HandRaised(socket_id=session.sid, raised=msg.raised, at=at).wire()
        await self._emit_room(room_id, ServerEvent.HAND_RAISED, payload, skip=session.sid)
        return OK

    async def reaction(self, session: SocketSession, msg: SendReaction, room_id: str, member: Member) -> Ack:
        if session.reaction_window is None:
            session.reaction_window = SlidingWindow(*REACTION_RATE)
        if not session.reaction_window.take():
            return error_ack(ErrorCode.RATE_LIMITED, "too many reactions; wait a few seconds")
        payload = Reaction(socket_id=session.sid, emoji=msg.emoji).wire()
        await self._emit_room(room_id, ServerEvent.REACTION, payload, skip=session.sid)
        return OK

    async def recording(self, session: SocketSession, msg: SetRecording, room_id: str, _sender: Member) -> Ack:
        await self._svc.rooms.set_recording(session.sid, msg.active)
        payload = RecordingChanged(socket_id=session.sid, active=msg.active).wire()
        await self._emit_room(room_id, ServerEvent.RECORDING_CHANGED, payload, skip=session.sid)
        return OK

    # ---- what REST tells the room (services.MeetingEvents) ----
    async def room_updated(self, room: Room) -> None:
        await self._emit_room(room.room_id, ServerEvent.ROOM_UPDATED, RoomUpdated(room=room).wire())
        if not room.is_private:
            # The owner turned the lobby off: nobody is left waiting for a host who no longer has to let them in
            # (as far as there are seats; the rest keep waiting and a host can still admit them).
            row = await self._svc.store.room(room.room_id)
            if row is not None:
                for waiter in await self._svc.rooms.lobby(room.room_id):
                    await self._admit(row, waiter.socket_id, by=None)

    async def room_deleted(self, room_id: str) -> None:
        await self._end(room_id, MeetingEnded(reason="room-deleted"))

    async def file_posted(self, room_id: str, message: ChatMessage) -> None:
        # The uploader's socket too: it sent no chat-message, so no ack brought it this message's id and time.
        await self.deliver(room_id, message, echo=True)
