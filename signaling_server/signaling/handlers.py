"""Socket.IO event handlers: authenticate at connect, keep one room per socket, relay to targets.

Every client event is answered through its ack with ``{ok: true, ...}`` or ``{ok: false, error}``, and checks
run in the contract's order: the socket's event budget, size limits, payload shape, membership, target. A refused
message is never relayed. Handlers run inline per connection (``async_handlers=False``) so one client's events
keep their order, and each socket's connect, events and disconnect are serialised by its session's lock
(``sessions.py``): a disconnect never runs in the middle of a join, and a join that finishes after its socket
disconnected is undone by that disconnect.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import socketio
from pydantic import BaseModel, ValidationError

from signaling_server.accounts.revocation import Revoked
from signaling_server.accounts.tokens import InvalidToken
from signaling_server.config import Settings
from signaling_server.db.models import RoomRow, utcnow
from signaling_server.protocol import (
    PASSWORD_TRIES,
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
    WaitingAck,
    error_ack,
    oversize_field,
)
from signaling_server.services import Services
from signaling_server.sfu.relay import SfuRelay
from signaling_server.signaling.background import Background, FailureLog
from signaling_server.signaling.expiry import ExpiryQueue, Ticker
from signaling_server.signaling.limits import Occasionally, RefusalWindow, TokenBucket
from signaling_server.signaling.meetings import MeetingHandlers
from signaling_server.signaling.sessions import (
    Identity,
    Refusal,
    Sessions,
    SocketSession,
    peer_address,
    socket_base_url,
)
from signaling_server.signaling.state import AlreadyInRoom, Joined, Left, Member, RoomFull, SeatsTaken, Waiter

T = TypeVar("T")
logger = logging.getLogger(__name__)

Ack = dict[str, Any]
OK: Ack = {"ok": True}
NAMESPACE = "/"
# A socket refused more than this many times its burst within REFUSAL_WINDOW_S keeps going: it is disconnected.
REFUSALS_PER_BURST = 2
REFUSAL_WINDOW_S = 10.0
# The watchdog's period, and how many periods between sweeps for sessions whose Engine.IO socket went away
# without a disconnect reaching us (belt and braces: "no member without a live socket, ever").
TICK_S = 1.0
# The most a join ack waits for its stay's row (history) before it goes without it.
STAY_WAIT_S = 0.25
# A history write that fails (SQLite locked past its busy timeout on a saturated machine, PostgreSQL restarting) is
# tried again after these pauses before it counts as failed: about 7.5 s in all, in the background.
STAY_RETRY_PAUSES_S = (0.5, 1.0, 2.0, 4.0)
SWEEP_EVERY = 10


def participant(member: Member) -> Participant:
    return Participant(
        socket_id=member.socket_id,
        user_id=member.user_id,
        username=member.username,
        media_state=member.media,
        role=member.role,
        hand_raised_at=member.hand_raised_at,
        recording=member.recording,
    )


def waiting_participant(waiter: Waiter) -> Participant:
    return Participant(
        socket_id=waiter.socket_id, user_id=waiter.user_id, username=waiter.username, media_state=waiter.media
    )


def _shape_error(exc: ValidationError) -> str:
    errors = exc.errors()
    if not errors:
        return "payload is not valid"
    where = ".".join(str(part) for part in errors[0]["loc"])
    text = errors[0]["msg"].removeprefix("Value error, ")
    return f"{where}: {text}" if where else f"payload {text}"


Handler = Callable[[SocketSession, Any], Awaitable[Ack]]


class Signaling:
    """Binds handlers to an ``AsyncServer``; holds each connected socket's session."""

    def __init__(self, sio: socketio.AsyncServer, services: Services) -> None:
        self._sio = sio
        self._svc = services
        settings = services.settings
        self._settings = settings
        self.sessions = Sessions(settings.max_sockets_per_user, settings.max_sockets_per_address)
        self._refusals_logged = Occasionally(60.0)
        self._expiry = ExpiryQueue()
        self._ticks = 0
        self._ticker = Ticker(TICK_S, self._tick)
        self.background = Background()
        self._stay_writes = FailureLog("record a participation")
        self._draining = False
        sio.on("connect", self.connect)
        sio.on("disconnect", self.disconnect)
        self.route(ClientEvent.JOIN_ROOM, JoinRoom, self.join_room)
        self.route(ClientEvent.LEAVE_ROOM, LeaveRoom, self.leave_room)
        self.route(ClientEvent.OFFER, Offer, self.relay_description)
        self.route(ClientEvent.ANSWER, Answer, self.relay_description)
        self.route(ClientEvent.ICE_CANDIDATE, IceCandidate, self.relay_candidate)
        self.route(ClientEvent.TOGGLE_MEDIA, ToggleMedia, self.toggle_media)
        self.meetings = MeetingHandlers(self)
        services.meetings = self.meetings
        self.sfu = SfuRelay(self)  # large rooms (issue 17): the sfu-* events, and hooks at join, leave and end
        sio.on("*", self.unknown_event)
        services.revocations.subscribe(self._on_revoked)

    @property
    def services(self) -> Services:
        return self._svc

    @property
    def sio(self) -> socketio.AsyncServer:
        return self._sio

    @property
    def settings(self) -> Settings:
        return self._settings

    # Set while the server shuts down: every socket is being closed, and the lifespan's shutdown closes all open
    # stays in one statement, so per-socket writes would only hold shutdown up (10,000 sockets: minutes).
    @property
    def draining(self) -> bool:
        return self._draining

    @draining.setter
    def draining(self, value: bool) -> None:
        self._draining = value
        if value:
            self._ticker.stop()

    async def drain_background(self, timeout_s: float = 2.0) -> None:
        """Wait (bounded) for the stay rows being written, so that shutdown's closing of every open stay sees them
        and no write meets a disposed engine. For ``ServerApp.drain``, after the transports are closed."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.background.idle(), timeout_s)
        await self.sfu.aclose()

    def route(self, event: ClientEvent, model: type[BaseModel], handler: Handler) -> None:
        metrics = self._svc.metrics

        async def on_event(sid: str, *args: Any) -> Ack:
            ack = await handle(sid, *args)
            metrics.acked(ack)
            return ack

        async def handle(sid: str, *args: Any) -> Ack:
            session = self.sessions.get(sid)
            if session is None or session.identity is None:
                return error_ack(ErrorCode.INVALID_INPUT, "the socket is not authenticated")
            over_budget = await self._over_budget(session, str(event))
            if over_budget is not None:
                return over_budget
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
            async with session.lock:
                if session.closed:  # disconnected while this event waited for the previous one
                    return error_ack(ErrorCode.NOT_IN_ROOM, "the socket is disconnected")
                try:
                    return await handler(session, message)
                except Exception:
                    logger.exception("handler failed", extra={"event": str(event), "sid": sid})
                    return error_ack(ErrorCode.INTERNAL, "the server failed to handle this event")

        self._sio.on(str(event), on_event)

    async def _over_budget(self, session: SocketSession, event: str) -> Ack | None:
        """The socket's event budget, checked before anything else: a flood costs one comparison per event."""
        if session.events.take():
            return None
        if session.refusals.refused():
            if session.first_time("flood"):
                logger.warning(
                    "socket disconnected: it kept sending over its event budget",
                    extra={"sid": session.sid, "userId": session.user_id, "event": event[:64]},
                )
            await self.kick(session.sid)
        elif session.first_time("rate-limited"):
            logger.warning(
                "socket over its event budget: events refused",
                extra={"sid": session.sid, "userId": session.user_id, "event": event[:64]},
            )
        return error_ack(ErrorCode.RATE_LIMITED, "too many events; slow down")

    # ---- connection ----
    async def connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> bool:
        if self._sio.manager.is_connected(sid, NAMESPACE) or self.sessions.get(sid) is not None:
            # A ``connect`` *event* on a connected socket (``42["connect", ...]``), not a connect: it must not
            # swap the socket's identity. Answered as refused; the connection stays as it was.
            return False
        token = auth.get("token") if isinstance(auth, dict) else None
        try:
            claims = self._svc.tokens.verify(token)
        except InvalidToken:
            raise socketio.exceptions.ConnectionRefusedError("unauthorized") from None
        if self._svc.revocations.is_revoked(claims):
            raise socketio.exceptions.ConnectionRefusedError("unauthorized")
        settings = self._settings
        session = SocketSession(
            sid=sid,
            claims=claims,
            address=peer_address(environ),
            base_url=self._settings.public_url or socket_base_url(environ),
            events=TokenBucket(settings.event_rate_per_s, settings.event_burst),
            refusals=RefusalWindow(REFUSALS_PER_BURST * settings.event_burst, REFUSAL_WINDOW_S),
        )
        refused = self.sessions.admit(session)
        if refused is not None:
            key = session.address if refused is Refusal.PER_ADDRESS else claims.user_id
            if self._refusals_logged(f"{refused}:{key}"):
                logger.warning(
                    "connect refused: too many connections (logged once a minute per account or address)",
                    extra={"per": str(refused), "userId": claims.user_id}
                    | ({"address": session.address} if refused is Refusal.PER_ADDRESS else {}),
                )
            raise socketio.exceptions.ConnectionRefusedError(str(ErrorCode.TOO_MANY_CONNECTIONS))
        async with session.lock:
            try:
                user = await self._svc.store.user_by_id(claims.user_id)
            except Exception:
                # The database is down: refuse at once with a reason the client can retry on, rather than
                # leaving it waiting on a half-open connection.
                self.sessions.remove(session)
                logger.warning("connect refused: database unavailable", exc_info=True)
                raise socketio.exceptions.ConnectionRefusedError("unavailable") from None
            if user is None or self._svc.revocations.is_revoked(claims):  # deleted or logged out meanwhile
                self.sessions.remove(session)
                raise socketio.exceptions.ConnectionRefusedError("unauthorized")
            if not self._transport_alive(sid):
                # The connection closed while we waited for the database; engineio's disconnect skipped us
                # (the socket was not connected yet), so nothing else would ever remove this session.
                self.sessions.remove(session)
                raise socketio.exceptions.ConnectionRefusedError("unauthorized")
            session.identity = Identity(user_id=user.id, username=user.username)
            self._expiry.add(session)
            self._ticker.start()
        return True

    def _transport_alive(self, sid: str) -> bool:
        eio_sid = self._sio.manager.eio_sid_from_sid(sid, NAMESPACE)
        socket = None if eio_sid is None else self._sio.eio.sockets.get(eio_sid)
        return socket is not None and not socket.closed and not socket.closing

    async def disconnect(self, sid: str, reason: Any = None) -> None:
        if self._sio.manager.is_connected(sid, NAMESPACE):
            return  # a ``disconnect`` *event* (``42["disconnect"]``) from a connected socket, not a disconnect
        session = self.sessions.get(sid)
        if session is not None:
            await self._close(session)

    async def _close(self, session: SocketSession) -> None:
        if session.closed:
            return
        session.closed = True
        self.sessions.remove(session)  # its caps are free at once
        if session.lock.locked():
            # An event of this socket is mid-way (awaiting the database): let it finish, then undo what it did.
            # Not awaited here: engineio's service task calls this for ping timeouts of every socket in turn.
            self.background.spawn(self._finish(session))
        else:
            await self._finish(session)  # the lock is free, so taken at once: nothing can slip in before the leave

    async def _finish(self, session: SocketSession) -> None:
        async with session.lock:
            try:
                await self._take_out(session.sid)
            except Exception as exc:
                if self._svc.nodes is None:
                    raise  # one process: nothing to wait for, a bug to see
                # Several nodes, Redis out of reach (restarting): the socket is gone and must still leave its room,
                # or it would stay there as a ghost. Tried again in the background until Redis answers.
                logger.warning(
                    "could not take a closed socket out of its room: trying again",
                    extra={"sid": session.sid, "error": type(exc).__name__},
                )
                self.background.spawn(self._take_out_later(session.sid))

    async def _take_out_later(self, sid: str, attempts: int = 40) -> None:
        error = ""
        for attempt in range(attempts):
            await asyncio.sleep(min(5.0, 0.25 * 2**attempt))
            try:
                await self._take_out(sid)
            except Exception as exc:
                error = type(exc).__name__
            else:
                logger.info("a closed socket left its room after all", extra={"sid": sid})
                return
        logger.error("gave up taking a closed socket out of its room", extra={"sid": sid, "error": error})

    async def unknown_event(self, event: str, sid: str, *args: Any) -> Ack:
        session = self.sessions.get(sid)
        if session is not None:
            over_budget = await self._over_budget(session, event)
            if over_budget is not None:
                return over_budget
        return error_ack(ErrorCode.UNKNOWN_EVENT, f"no such event: {event[:64]}")

    # ---- token expiry and revocation ----
    def _tick(self) -> None:
        for session in self._expiry.due():
            self._drop(session, "token expired")
        self._ticks += 1
        if self._ticks % SWEEP_EVERY == 0:
            for session in self.sessions.all():
                accepted = session.identity is not None
                if accepted and not session.lock.locked() and not self._transport_alive(session.sid):
                    logger.warning("socket gone without a disconnect: cleaning up", extra={"sid": session.sid})
                    self.background.spawn(self._sweep(session))

    async def _sweep(self, session: SocketSession) -> None:
        await self._sio.disconnect(session.sid)  # socket.io's own record of it, when it has one
        await self._close(session)  # ours, when socket.io did not call the disconnect handler

    def _drop(self, session: SocketSession, why: str) -> None:
        logger.info("disconnecting a socket: %s", why, extra={"sid": session.sid, "userId": session.user_id})
        self.background.spawn(self.kick(session.sid))

    async def kick(self, sid: str) -> None:
        """Disconnect a socket the server no longer wants: the client is told (``io server disconnect``, so it does
        not reconnect by itself) and the disconnect handler runs at once. ``StrictAsyncServer.disconnect`` also
        closes its Engine.IO connection, so a client which ignores the disconnect cannot keep it (and its fd) busy."""
        await self._sio.disconnect(sid)

    async def _on_revoked(self, revoked: Revoked) -> None:
        """A logout, a "log out everywhere" or a deleted account: every socket opened with those tokens goes now."""
        for session in self.sessions.of_user(revoked.user_id):
            if revoked.token_id is None or session.claims.token_id == revoked.token_id:
                logger.info("disconnecting a socket: token revoked", extra={"sid": session.sid})
                await self.kick(session.sid)

    # ---- rooms ----
    async def join_room(self, session: SocketSession, msg: JoinRoom) -> Ack:
        identity = session.identity
        assert identity is not None  # routed events come only from accepted sockets
        sid = session.sid
        rooms = self._svc.rooms
        if await rooms.room_of(sid) is not None or await rooms.lobby_of(sid) is not None:
            return error_ack(ErrorCode.ALREADY_IN_ROOM, "this socket is already in a room; leave it first")
        if await self._svc.limits.join.spend(identity.user_id) > 0:
            if session.first_time("join-throttled"):
                logger.warning("joins refused: too many for this account", extra={"userId": identity.user_id})
            return error_ack(ErrorCode.RATE_LIMITED, "too many joins from this account; wait a few seconds")
        room = await self._svc.store.room(msg.room_id)
        if room is None:
            return error_ack(ErrorCode.ROOM_NOT_FOUND, "no room with that id")
        owner = room.owner_id == identity.user_id
        refused = await self._admission(room, identity.user_id, owner, msg)
        if refused is not None:
            return refused
        if session.closed:  # cannot happen under the lock; kept so a future change cannot make a ghost silently
            return error_ack(ErrorCode.NOT_IN_ROOM, "the socket is disconnected")
        media = msg.media_state.model_dump()
        resuming = msg.resume_id is not None and any(
            m.user_id == identity.user_id and m.resume_id == msg.resume_id for m in await rooms.members(room.room_id)
        )
        lobby = room.is_private and not owner and not resuming
        # Invited attendees (by account) of a scheduled meeting in this room skip its lobby: one indexed EXISTS, asked
        # only of someone the lobby would otherwise hold.
        if lobby and await self._svc.schedule.is_invited(room.room_id, identity.user_id):
            lobby = False
        if lobby and not await rooms.was_admitted(room.room_id, identity.user_id):
            if await rooms.count(room.room_id) >= room.max_participants:
                return error_ack(ErrorCode.ROOM_FULL, f"the room is full ({room.max_participants} participants)")
            waiter = Waiter(sid, identity.user_id, identity.username, media, msg.resume_id)
            try:
                await rooms.knock(room.room_id, waiter)
            except AlreadyInRoom:
                return error_ack(ErrorCode.ALREADY_IN_ROOM, "this socket is already in a room; leave it first")
            await self.meetings.knocked(room.room_id, waiter)
            logger.info("waiting in the lobby", extra={"roomId": room.room_id, "sid": sid})
            return WaitingAck(self_=waiting_participant(waiter)).wire()
        member = Member(
            socket_id=sid,
            user_id=identity.user_id,
            username=identity.username,
            media=media,
            resume_id=msg.resume_id,
            owner=owner,
        )
        try:
            joined = await rooms.join(room.room_id, member, room.max_participants, self._settings.max_seats_per_user)
        except RoomFull:
            return error_ack(ErrorCode.ROOM_FULL, f"the room is full ({room.max_participants} participants)")
        except SeatsTaken as exc:
            return error_ack(
                ErrorCode.ROOM_FULL, f"your account already holds {exc.seats} seats in this room; leave one first"
            )
        except AlreadyInRoom:
            return error_ack(ErrorCode.ALREADY_IN_ROOM, "this socket is already in a room; leave it first")
        others = await self.entered(room.room_id, member, joined)
        logger.info("joined", extra={"roomId": room.room_id, "sid": sid, "others": len(others)})
        return JoinAck(**(await self.meetings.arrival(room.room_id, member, others))).wire()

    async def _admission(self, room: RoomRow, user_id: str, owner: bool, msg: JoinRoom) -> Ack | None:
        """The contract's checks between the room's existence and its capacity: removed, password, lock."""
        rooms = self._svc.rooms
        if await rooms.is_banned(room.room_id, user_id):
            return error_ack(ErrorCode.REMOVED_FROM_ROOM, "a host removed you from this meeting")
        if room.password_hash is not None and not owner:
            if not msg.password:
                return error_ack(ErrorCode.PASSWORD_REQUIRED, "this room needs a password")
            tries, window_s = PASSWORD_TRIES
            now = time.monotonic()
            if await rooms.password_failures(room.room_id, user_id, now, window_s) >= tries:
                return error_ack(ErrorCode.RATE_LIMITED, "too many wrong passwords; wait a minute")
            # argon2id costs the same for a right and a wrong answer: the time tells nothing.
            verdict = await self._svc.passwords.verify(room.password_hash, msg.password)
            if not verdict.ok:
                await rooms.add_password_failure(room.room_id, user_id, now, window_s)
                return error_ack(ErrorCode.WRONG_PASSWORD, "the room's password is not right")
        if not owner and await rooms.locked(room.room_id):
            resuming = msg.resume_id is not None and any(
                m.user_id == user_id and m.resume_id == msg.resume_id for m in await rooms.members(room.room_id)
            )
            if not resuming:  # the same person's new connection is not someone new
                return error_ack(ErrorCode.ROOM_LOCKED, "a host locked this meeting")
        return None

    async def entered(self, room_id: str, member: Member, joined: Joined) -> list[Member]:
        """``member`` is in the room's state: the socket.io room, its stay's row, and the others are told. Returns
        the others its ack lists: those of ``joined`` still in the room, as they are now."""
        sid = member.socket_id
        # Into the socket.io room first, before anything here can wait: whatever the others do from now on (leave,
        # toggle a camera) reaches this socket. A replaced socket's leaving waits on the network, and someone leaving
        # meanwhile used to be told to everyone but this socket, while its ack listed them: a ghost for the whole
        # call (tests/signaling_server/test_rejoin_race.py).
        await self._sio.enter_room(sid, room_id)
        if joined.replaced is not None:
            await self._replaced(room_id, joined.replaced, sid)
        self._svc.metrics.joins.inc()
        recording = self.background.spawn(self._record_stay(sid, member.join_id, room_id, member.user_id))
        # A healthy database writes the row in milliseconds: waiting that long keeps "recent rooms" right the moment
        # the join is acknowledged. A slow or locked one does not hold the ack: the row is written when it can be.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(recording), STAY_WAIT_S)
        # Whoever joined after ``member`` (while the row above was written) already lists it in their own join ack,
        # taken after ours: telling them again would list it twice (tests/reliability/test_join_storm.py).
        told = {m.socket_id for m in joined.others}
        present = await self._svc.rooms.members(room_id)
        later = [m.socket_id for m in present if m.socket_id not in told]
        await self._sio.emit(ServerEvent.USER_JOINED, participant(member).wire(), to=room_id, skip_sid=[sid, *later])
        await self.sfu.entered(room_id, member)
        # Read after entering the socket.io room: who left since the join's snapshot may have been told before this
        # socket could hear it (another node's event can overtake the join's last step), so the ack leaves them
        # out; who leaves from here on is told to this socket as well.
        return [m for m in present if m.socket_id in told]

    async def _replaced(self, room_id: str, old: Member, new_sid: str) -> None:
        """The same person rejoined (same account and resume id): their old socket leaves the room as if it had
        disconnected, then is disconnected (its network may be dead: it would otherwise linger until ping timeout).
        The new socket is not told its own old one left: it never listed it."""
        await self.left(Left(room_id, old), also_skip=new_sid)
        logger.info("replaced by a rejoin", extra={"roomId": room_id, "sid": old.socket_id})
        await self.kick(old.socket_id)

    async def _retrying(self, write: Callable[[], Awaitable[T]]) -> T:
        """``write()``, tried again after ``STAY_RETRY_PAUSES_S`` while it fails (not once the server drains)."""
        for pause in STAY_RETRY_PAUSES_S:
            try:
                return await write()
            except Exception:
                if self.draining:
                    raise
                logger.debug("a history write failed; trying again in %.1f s", pause, exc_info=True)
            await asyncio.sleep(pause)
        return await write()

    async def _record_stay(self, sid: str, join_id: str, room_id: str, user_id: str) -> None:
        # History is secondary to the call: written after the ack, a database hiccup is tried again and then
        # logged; the join stands.
        try:
            began = utcnow()  # when they joined, however late the row is written
            stay = await self._retrying(lambda: self._svc.history.start_stay(room_id, user_id, began))
        except Exception:
            self._stay_failed(room_id)
            return
        self._stay_writes.succeeded()
        if not await self._svc.rooms.set_participation(sid, join_id, stay):
            await self._end_stay(stay, room_id)  # left while the row was being written

    async def _end_stay(self, stay: int, room_id: str) -> None:
        try:
            ended = utcnow()
            await self._retrying(lambda: self._svc.history.end_stay(stay, ended))
        except Exception:
            self._stay_failed(room_id)
        else:
            self._stay_writes.succeeded()

    def _stay_failed(self, room_id: str) -> None:
        if self.draining:
            # Shutting down: the engine may be gone already, and shutdown closes every open stay in one statement.
            logger.info("a stay was not recorded: the server is shutting down", extra={"roomId": room_id})
        else:
            self._stay_writes.failed({"roomId": room_id})

    async def leave_room(self, session: SocketSession, msg: LeaveRoom) -> Ack:
        rooms = self._svc.rooms
        if msg.room_id not in (await rooms.room_of(session.sid), await rooms.lobby_of(session.sid)):
            return error_ack(ErrorCode.NOT_IN_ROOM, "this socket is not in that room")
        await self._take_out(session.sid)
        return OK

    async def _take_out(self, sid: str) -> None:
        """Out of its lobby or room, as when the socket disconnects: hosts told of a waiter gone, the room of a
        member gone."""
        waited = await self._svc.rooms.unknock(sid)
        if waited is not None:
            await self.meetings.lobby_left(waited[0], sid)
        left = await self._svc.rooms.leave(sid)
        if left is not None:
            await self.left(left)

    # ---- several nodes ----
    async def sockets_gone(self, node: str, sids: list[str]) -> None:
        """A node died (``nodes.py``): its sockets leave their rooms and lobbies as if each had disconnected."""
        for sid in sids:
            try:
                await self._take_out(sid)
            except Exception:  # one socket's failure must not keep the rest in their rooms
                logger.exception("could not take out a socket of a stopped node", extra={"node": node, "sid": sid})

    async def disconnect_all(self) -> None:
        """This node was swept by the others: its sockets' places are gone, so they go and join again."""
        for session in self.sessions.all():
            await self.kick(session.sid)

    async def left(self, left: Left, also_skip: str | None = None) -> None:
        """Tell the room ``left.member`` is gone (it is already out of the room state), close its stay, and carry out
        what its leaving caused: a new host, or the end of the meeting."""
        room_id, member = left.room_id, left.member
        sid = member.socket_id
        await self._sio.leave_room(sid, room_id)
        left_msg = UserLeft(socket_id=sid, user_id=member.user_id).wire()
        skip = [sid] if also_skip is None else [sid, also_skip]
        await self._sio.emit(ServerEvent.USER_LEFT, left_msg, to=room_id, skip_sid=skip)
        logger.info("left", extra={"roomId": room_id, "sid": sid})
        self.end_stay(member, room_id)
        await self.sfu.left(room_id, sid, meeting_ended=left.ended_meeting is not None)
        await self.meetings.after_leave(left)

    def end_stay(self, member: Member, room_id: str) -> None:
        # One process shutting down closes every open stay in one statement; one of several nodes closes only its own,
        # one by one as its sockets leave (the others' stays go on).
        if member.participation_id is not None and (not self.draining or self._svc.nodes is not None):
            self.background.spawn(self._end_stay(member.participation_id, room_id))

    async def toggle_media(self, session: SocketSession, msg: ToggleMedia) -> Ack:
        sid = session.sid
        room_id = await self._svc.rooms.set_media(sid, msg.media_type, msg.enabled)
        if room_id is None:
            return error_ack(ErrorCode.NOT_IN_ROOM, "join a room first")
        payload = MediaToggled(socket_id=sid, media_type=msg.media_type, enabled=msg.enabled).wire()
        await self._sio.emit(ServerEvent.MEDIA_TOGGLED, payload, to=room_id, skip_sid=sid)
        return OK

    # ---- relay ----
    async def send_to(self, sid: str, event: str, payload: dict[str, Any]) -> None:
        """Emit to one socket. ``AsyncServer.emit`` spawns a Task per recipient and waits on them all, which
        costs more than the rest of a relay; one recipient needs none of that, only its Engine.IO queue."""
        eio_sid = self._sio.manager.eio_sid_from_sid(sid, NAMESPACE)
        if eio_sid is None:
            if self._svc.nodes is not None:  # on another node (or gone): through Redis, to whichever node has it
                await self._sio.emit(str(event), payload, to=sid)
            return  # one process: disconnected since the target check
        pkt = self._sio.packet_class(socketio.packet.EVENT, namespace=NAMESPACE, data=[str(event), payload])
        await self._sio.eio.send(eio_sid, pkt.encode())

    async def _check_target(self, sid: str, target: str) -> Ack | None:
        if self.sfu.in_sfu_room(sid):
            return error_ack(
                ErrorCode.INVALID_INPUT,
                "this room's media goes through the SFU (mode: sfu): use sfu-publish, not relays",
            )
        room_id = await self._svc.rooms.room_of(sid)
        if room_id is None:
            return error_ack(ErrorCode.NOT_IN_ROOM, "join a room first")
        if target == sid or await self._svc.rooms.room_of(target) != room_id:
            return error_ack(ErrorCode.UNKNOWN_TARGET, "the target is not another participant of your room")
        return None

    # The relay payloads below are built by hand, not through protocol.Relayed/RelayedCandidate: this is the
    # per-message path. Tests validate every event they receive against those models.
    async def relay_description(self, session: SocketSession, msg: Offer | Answer) -> Ack:
        sid = session.sid
        refused = await self._check_target(sid, msg.target)
        if refused is not None:
            return refused
        event = ServerEvent.RECEIVE_OFFER if msg.description.type == "offer" else ServerEvent.RECEIVE_ANSWER
        description = {"type": msg.description.type, "sdp": msg.description.sdp}
        await self.send_to(msg.target, event, {"from": sid, "description": description})
        self._svc.metrics.relayed[msg.description.type].inc()
        return OK

    async def relay_candidate(self, session: SocketSession, msg: IceCandidate) -> Ack:
        sid = session.sid
        refused = await self._check_target(sid, msg.target)
        if refused is not None:
            return refused
        candidate = None if msg.candidate is None else msg.candidate.model_dump(by_alias=True, exclude_unset=True)
        await self.send_to(msg.target, ServerEvent.RECEIVE_ICE_CANDIDATE, {"from": sid, "candidate": candidate})
        self._svc.metrics.relayed["ice-candidate"].inc()
        return OK
