"""The socket.io side of the wire contract, typed with ``signaling_server.protocol``, with its own reconnect loop.

python-socketio's client gives up when the *server* ends the connection (a restart drains sockets with a proper
close), and a call app must not: so its reconnection is off and this module reconnects with backoff whatever the
cause, until ``close()`` or a refused token. Every incoming event is validated against the contract; a malformed
one is logged and dropped, never passed on.

Events and connection-state changes reach the ``SignalingHandler`` through one inbox, in arrival order, one at a
time (Engine.IO's client runs each message in a task of its own, which alone would not keep order). Each event is
tagged with the connection it came on; once a newer connection is up, whatever the older one left in the inbox is
dropped: after a reconnect we are a new socket, and a relay addressed to the old one would recreate a peer for a
participant that has already seen us leave.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import random
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol
from urllib.parse import urlsplit

import socketio
from pydantic import BaseModel, ValidationError

from nimeet_desktop.net.error_codes import AnyErrorCode, LocalErrorCode, parse_error_code
from nimeet_desktop.task_set import Once, TaskSet
from signaling_server.protocol import (
    CHAT_TEXT_MAX,
    MAX_CANDIDATE_BYTES,
    MAX_CANDIDATE_FIELD_BYTES,
    Admitted,
    Answer,
    AnswerDescription,
    ChatAck,
    ChatMessage,
    ClientEvent,
    Denied,
    ErrorAck,
    ErrorCode,
    HandRaised,
    IceCandidateInit,
    JoinAck,
    JoinRoom,
    LeaveRoom,
    LobbyEntry,
    LobbyLeft,
    LockRoom,
    MediaState,
    MediaToggled,
    MediaType,
    MeetingEnded,
    ModeratedMedia,
    MutedByHost,
    MuteParticipant,
    NoFields,
    Offer,
    OfferDescription,
    Participant,
    RaiseHand,
    Reaction,
    RecordingChanged,
    Relayed,
    RelayedCandidate,
    Removed,
    Role,
    RoleChanged,
    RoomUpdated,
    SendChat,
    SendReaction,
    ServerEvent,
    SetRecording,
    SetRole,
    SfuAnswer,
    SfuAnswerDescription,
    SfuOfferDescription,
    SfuOffered,
    SfuPublish,
    SfuPublished,
    SfuView,
    Target,
    ToggleMedia,
    UserLeft,
    WaitingAck,
)

logger = logging.getLogger(__name__)

DescriptionType = Literal["offer", "answer"]

ACK_TIMEOUT_S = 10.0
CONNECT_TIMEOUT_S = 5.0
BACKOFF_FIRST_S = 0.25
BACKOFF_MAX_S = 5.0
# A connection that ends sooner than this after it came up counts as a failed attempt: the backoff keeps growing, so
# a server that drops (or a hostile one that breaks) every connection at once is not reconnected to 4 times a second.
STABLE_AFTER_S = 10.0
# A relayed candidate's ``sdpMid`` and ``usernameFragment``: real ones are a few bytes ("0", 4-256 ICE characters);
# the server refuses larger ones, and so does the client, on arrival, before they are queued anywhere (a hostile or
# older server): 5,600 candidates with 100 KB fields were half a gigabyte held by the engine.
MAX_CANDIDATE_ID_BYTES = MAX_CANDIDATE_FIELD_BYTES
# Senders whose oversize candidates were logged, per connection: one line per sender, and a bounded set.
_LOGGED_SENDERS_MAX = 64


class SignalingError(Exception):
    """The server refused a message (its ack said ``ok: false``) or did not answer."""

    def __init__(self, code: AnyErrorCode, message: str, *, raw_code: str | None = None) -> None:
        super().__init__(f"{raw_code or code}: {message}")
        self.code = code
        self.raw_code = raw_code or str(code)
        self.message = message


class Unauthorized(SignalingError):
    """The server refused our token at connect: reconnecting will not help; sign in again."""

    def __init__(self) -> None:
        super().__init__(ErrorCode.UNAUTHORIZED, "the server refused our session; sign in again")


class ConnectionState(enum.StrEnum):
    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"
    CLOSED = "closed"


class SignalingHandler(Protocol):
    """What every handler takes: the room and its relays (version 1). The meeting's events (v1.1) are
    ``MeetingHandler``'s; a handler without one of those methods ignores that event, as a version-1 client does."""

    async def on_user_joined(self, participant: Participant) -> None: ...
    async def on_user_left(self, event: UserLeft) -> None: ...
    async def on_description(self, event: Relayed) -> None: ...
    async def on_candidate(self, event: RelayedCandidate) -> None: ...
    async def on_media_toggled(self, event: MediaToggled) -> None: ...
    async def on_connection_state(self, state: ConnectionState, detail: str | None) -> None: ...


class MeetingHandler:
    """The meeting's server events (contract v1.1), one method each, doing nothing unless overridden."""

    async def on_room_updated(self, event: RoomUpdated) -> None: ...
    async def on_meeting_ended(self, event: MeetingEnded) -> None: ...
    async def on_role_changed(self, event: RoleChanged) -> None: ...
    async def on_lobby_knock(self, entry: LobbyEntry) -> None: ...
    async def on_lobby_left(self, event: LobbyLeft) -> None: ...
    async def on_admitted(self, event: Admitted) -> None: ...
    async def on_denied(self, event: Denied) -> None: ...
    async def on_muted_by_host(self, event: MutedByHost) -> None: ...
    async def on_removed(self, event: Removed) -> None: ...
    async def on_chat_message(self, message: ChatMessage) -> None: ...
    async def on_hand_raised(self, event: HandRaised) -> None: ...
    async def on_reaction(self, event: Reaction) -> None: ...
    async def on_recording_changed(self, event: RecordingChanged) -> None: ...
    # v1.1 "Large rooms": the SFU's offer of what we receive, in an ``"sfu"`` room (docs/protocol.md section 18)
    async def on_sfu_offer(self, event: SfuOffered) -> None: ...


# Every server event: the model it must match, and the handler method it goes to.
_EVENTS: dict[str, tuple[type[BaseModel], str]] = {
    ServerEvent.USER_JOINED: (Participant, "on_user_joined"),
    ServerEvent.USER_LEFT: (UserLeft, "on_user_left"),
    ServerEvent.RECEIVE_OFFER: (Relayed, "on_description"),
    ServerEvent.RECEIVE_ANSWER: (Relayed, "on_description"),
    ServerEvent.RECEIVE_ICE_CANDIDATE: (RelayedCandidate, "on_candidate"),
    ServerEvent.MEDIA_TOGGLED: (MediaToggled, "on_media_toggled"),
    ServerEvent.ROOM_UPDATED: (RoomUpdated, "on_room_updated"),
    ServerEvent.MEETING_ENDED: (MeetingEnded, "on_meeting_ended"),
    ServerEvent.ROLE_CHANGED: (RoleChanged, "on_role_changed"),
    ServerEvent.LOBBY_KNOCK: (LobbyEntry, "on_lobby_knock"),
    ServerEvent.LOBBY_LEFT: (LobbyLeft, "on_lobby_left"),
    ServerEvent.ADMITTED: (Admitted, "on_admitted"),
    ServerEvent.DENIED: (Denied, "on_denied"),
    ServerEvent.MUTED_BY_HOST: (MutedByHost, "on_muted_by_host"),
    ServerEvent.REMOVED: (Removed, "on_removed"),
    ServerEvent.CHAT_MESSAGE: (ChatMessage, "on_chat_message"),
    ServerEvent.HAND_RAISED: (HandRaised, "on_hand_raised"),
    ServerEvent.REACTION: (Reaction, "on_reaction"),
    ServerEvent.RECORDING_CHANGED: (RecordingChanged, "on_recording_changed"),
    ServerEvent.SFU_OFFER: (SfuOffered, "on_sfu_offer"),
}


@dataclass(frozen=True, slots=True)
class _Event:
    connection: int  # which connection it came on (``SignalingClient._connection``)
    name: str
    payload: BaseModel


@dataclass(frozen=True, slots=True)
class _StateChange:
    state: ConnectionState
    detail: str | None


def socketio_endpoint(server_url: str) -> tuple[str, str]:
    """(origin, socket.io path) of a server base URL. python-socketio keeps only the URL's host and puts its own
    path at the root: behind a reverse proxy serving NIMeet under ``https://host/nimeet`` that reached the host's
    ``/socket.io`` while REST went to ``/nimeet/api``. The path is the base URL's path plus ``/socket.io``."""
    parts = urlsplit(server_url)
    prefix = parts.path.strip("/")
    return f"{parts.scheme}://{parts.netloc}", f"{prefix}/socket.io" if prefix else "socket.io"


# What a malformed packet from the server becomes (see ``_GuardedPacket``): an event of ours, never a server's name.
_MALFORMED_EVENT = "\x00malformed"
_PACKET_TYPES = frozenset(
    {socketio.packet.CONNECT, socketio.packet.DISCONNECT, socketio.packet.EVENT, socketio.packet.ACK}
    | {socketio.packet.CONNECT_ERROR}
)


class _GuardedPacket(socketio.packet.Packet):  # type: ignore[misc]  # python-socketio is untyped
    """python-socketio's packet, decoding what a server sends without letting a hostile one in: JSON nested deeper
    than the stack (RecursionError), an unknown packet type or any binary packet (the protocol has none; a header
    announcing a billion attachments would have us collect frames for it) would each raise inside python-socketio's
    message task, a traceback per packet in our log. Each becomes the ``_MALFORMED_EVENT``, on which the client
    drops that connection (once, logged once) and reconnects. Plugged in as python-socketio's ``serializer``."""

    def decode(self, encoded_packet: Any) -> int:
        try:
            attachments = super().decode(encoded_packet)
        except (ValueError, TypeError, RecursionError):
            attachments = -1
        if attachments != 0 or getattr(self, "packet_type", None) not in _PACKET_TYPES:
            self.packet_type, self.namespace, self.id, self.data = socketio.packet.EVENT, "/", None, [_MALFORMED_EVENT]
        return 0


def _over(text: str | None, limit: int) -> bool:
    if text is None or len(text) * 4 <= limit:
        return False
    return len(text) > limit or len(text.encode("utf-8", "surrogatepass")) > limit


def oversize_candidate(candidate: IceCandidateInit | None) -> str | None:
    """The first field of a relayed candidate over its size limit, or None when it is within them."""
    if candidate is None:
        return None
    if _over(candidate.candidate, MAX_CANDIDATE_BYTES):
        return "candidate"
    if _over(candidate.sdp_mid, MAX_CANDIDATE_ID_BYTES):
        return "sdpMid"
    if _over(candidate.username_fragment, MAX_CANDIDATE_ID_BYTES):
        return "usernameFragment"
    return None


def new_resume_id() -> str:
    """The ``resumeId`` of one call (contract v1.1): 32 URL-safe characters, sent with every join of that call so a
    rejoin after a reconnect replaces our own older socket instead of sitting next to it."""
    return secrets.token_urlsafe(24)


def _backoff(attempt: int) -> float:
    """0.25 s, 0.5 s, 1 s … capped at 5 s, with jitter so a restarted server is not hit by everyone at once."""
    delay: float = min(BACKOFF_MAX_S, BACKOFF_FIRST_S * 2**attempt)
    return delay * random.uniform(0.75, 1.25)  # noqa: S311 - jitter, not a secret


class SignalingClient:
    def __init__(self, server_url: str, token: str, handler: SignalingHandler) -> None:
        self.server_url = server_url.rstrip("/")
        self.token = token
        self._handler = handler
        self._sio: socketio.AsyncClient | None = None
        # Set when the current connection ends: calls waiting on it for an answer fail at once (see ``_call``).
        self._sio_gone = asyncio.Event()
        self._inbox: asyncio.Queue[_Event | _StateChange | None] = asyncio.Queue()
        self._tasks = TaskSet("signaling", log=logger)
        self._dispatcher: asyncio.Task[Any] | None = None
        self._reconnector: asyncio.Task[Any] | None = None
        self._connection = 0  # counts connections made; events of an older one are dropped
        self._closed = False
        self._connect_refusal: str | None = None
        self._connected_at = 0.0
        self._short_lived = 0  # connections in a row that ended before STABLE_AFTER_S
        self._close = Once(self._close_now)
        self.state = ConnectionState.CLOSED
        self.socket_id: str | None = None
        self.reconnects = 0
        self.dropped_candidates = 0  # oversize, for tests and diagnostics
        self._logged_senders: set[tuple[int, str]] = set()

    # ---- connection --------------------------------------------------------------------------------------

    async def connect(self) -> None:
        """Connect once; raises ``Unauthorized`` or ``SignalingError(UNREACHABLE, …)``. Later drops reconnect."""
        if self._dispatcher is None:
            self._dispatcher = self._tasks.spawn(self._dispatch(), "dispatch")
        self._post_state(ConnectionState.CONNECTING, None)
        try:
            await self._connect_once()
        except BaseException:
            self.state = ConnectionState.CLOSED
            raise
        self._post_state(ConnectionState.CONNECTED, None)

    async def _connect_once(self) -> None:
        sio = socketio.AsyncClient(reconnection=False, logger=False, engineio_logger=False, serializer=_GuardedPacket)
        connection = self._connection + 1
        gone = asyncio.Event()
        self._register(sio, connection, gone)
        self._connect_refusal = None
        try:
            origin, path = socketio_endpoint(self.server_url)
            await sio.connect(
                origin,
                auth={"token": self.token},
                transports=["websocket"],
                socketio_path=path,
                wait_timeout=CONNECT_TIMEOUT_S,
            )
        except BaseException as exc:
            # Also on cancellation (close() during a reconnect attempt): a half-open client keeps its aiohttp
            # session, and "Unclosed client session" is what that leak looks like at exit.
            with contextlib.suppress(Exception):
                await asyncio.shield(sio.disconnect())
            if not isinstance(exc, socketio.exceptions.ConnectionError):
                raise
            refusal = parse_error_code(self._connect_refusal or "")
            if refusal == ErrorCode.UNAUTHORIZED:
                raise Unauthorized from None
            if refusal in (ErrorCode.TOO_MANY_CONNECTIONS, ErrorCode.UNAVAILABLE):
                # The server answered and said why: not "unreachable". Reconnecting may help later (a socket of
                # ours elsewhere closes or times out; the database comes back), so the reconnect loop goes on.
                raise SignalingError(refusal, f"{self.server_url} refused the connection: {refusal}") from None
            detail = self._connect_refusal or str(exc) or "connection failed"
            raise SignalingError(LocalErrorCode.UNREACHABLE, f"cannot reach {self.server_url}: {detail}") from None
        self._connection = connection
        self._sio, self._sio_gone = sio, gone
        self._connected_at = time.monotonic()
        self.socket_id = sio.get_sid()

    def _register(self, sio: socketio.AsyncClient, connection: int, gone: asyncio.Event) -> None:
        async def on_connect_error(data: Any = None) -> None:
            message = data.get("message") if isinstance(data, dict) else data
            self._connect_refusal = str(message) if message is not None else None

        async def on_disconnect(*_reason: Any) -> None:
            gone.set()
            if sio is self._sio:
                self._sio = None
                self._start_reconnect()

        async def on_malformed(*_: Any) -> None:
            if sio is self._sio and not self._closed:
                logger.warning("the server sent a malformed or binary socket.io packet: reconnecting")
                await self.drop_connection()

        sio.on("connect_error", on_connect_error)
        sio.on("disconnect", on_disconnect)
        sio.on(_MALFORMED_EVENT, on_malformed)
        for event, (model, _) in _EVENTS.items():
            sio.on(event, self._receiver(event, model, connection))

    def _receiver(self, event: str, model: type[BaseModel], connection: int) -> Callable[[Any], Awaitable[None]]:
        async def receive(data: Any = None) -> None:
            try:
                parsed = model.model_validate(data)
            except ValidationError as exc:
                logger.warning("dropped malformed %r from the server: %s", event, exc.errors(include_input=False))
                return
            if isinstance(parsed, RelayedCandidate) and (field := oversize_candidate(parsed.candidate)) is not None:
                self._drop_candidate(connection, parsed.from_, field)
                return
            self._inbox.put_nowait(_Event(connection, event, parsed))

        return receive

    def _drop_candidate(self, connection: int, sender: str, field: str) -> None:
        self.dropped_candidates += 1
        key = (connection, sender)
        if key in self._logged_senders or len(self._logged_senders) >= _LOGGED_SENDERS_MAX:
            return
        self._logged_senders.add(key)
        logger.warning("dropping candidates from %s with an oversize %s (further ones not logged)", sender, field)

    async def _dispatch(self) -> None:
        while (item := await self._inbox.get()) is not None:
            if isinstance(item, _StateChange):
                try:
                    await self._handler.on_connection_state(item.state, item.detail)
                except Exception:
                    logger.exception("connection-state handler failed")
                continue
            if item.connection != self._connection:
                logger.debug("dropped %r of an earlier connection", item.name)
                continue
            method = getattr(self._handler, _EVENTS[item.name][1], None)
            if method is None:
                continue  # a handler of version 1 only: the meeting's events are not for it
            try:
                await method(item.payload)
            except Exception:
                logger.exception("handling %r failed", item.name)

    def _start_reconnect(self) -> None:
        if self._closed or (self._reconnector is not None and not self._reconnector.done()):
            return
        self._reconnector = self._tasks.spawn(self._reconnect(), "reconnect")

    async def _reconnect(self) -> None:
        self._post_state(ConnectionState.RECONNECTING, "connection lost")
        lived = time.monotonic() - self._connected_at
        self._short_lived = self._short_lived + 1 if lived < STABLE_AFTER_S else 0
        # The first early end reconnects as fast as ever (a restart, a test); the next ones in a row back off.
        slower = max(0, self._short_lived - 1)
        attempt = 0
        while not self._closed:
            await asyncio.sleep(_backoff(slower + attempt))
            attempt += 1
            try:
                await self._connect_once()
            except Unauthorized as exc:
                self._post_state(ConnectionState.CLOSED, exc.message)
                return
            except SignalingError as exc:
                logger.info("reconnect attempt %d failed: %s", attempt, exc.message)
                continue
            self.reconnects += 1
            logger.info("signaling reconnected after %d attempt(s)", attempt)
            self._post_state(ConnectionState.CONNECTED, "reconnected")
            return

    def _post_state(self, state: ConnectionState, detail: str | None) -> None:
        """The state is ours at once (``_call`` reads it); the handler hears of it in order with the events."""
        self.state = state
        self._inbox.put_nowait(_StateChange(state, detail))

    async def drop_connection(self) -> None:
        """End the current connection as a network failure would (the reconnect loop takes over)."""
        if self._sio is not None:
            await self._sio.eio.disconnect(abort=True)

    async def close(self) -> None:
        """Disconnect for good. Idempotent; a second caller waits for the first one's close to finish."""
        await self._close()

    async def _close_now(self) -> None:
        self._closed = True
        sio, self._sio = self._sio, None
        self._sio_gone.set()
        if self._reconnector is not None:
            self._reconnector.cancel()
            await asyncio.gather(self._reconnector, return_exceptions=True)
        if sio is not None:
            with contextlib.suppress(Exception):
                await sio.disconnect()
        # Whatever is queued is still handed over (the handler may be waiting for the last user-left), then the
        # dispatcher ends at the sentinel.
        self._inbox.put_nowait(None)
        if self._dispatcher is not None:
            await asyncio.gather(self._dispatcher, return_exceptions=True)
        await self._tasks.close()
        self.state = ConnectionState.CLOSED

    # ---- client -> server ----------------------------------------------------------------------------------

    async def _call(self, event: ClientEvent, payload: BaseModel) -> dict[str, Any]:
        sio, gone = self._sio, self._sio_gone
        if sio is None:
            raise SignalingError(LocalErrorCode.DISCONNECTED, "not connected to the signaling server")
        data = payload.model_dump(mode="json", by_alias=True)
        # The answer comes on the connection the call went out on, or never: python-socketio would wait the whole
        # timeout after that connection ended (our own close included, say the call's end on ``meeting-ended``,
        # which the server sends before its answer to ``end-meeting``). So the call also ends with the connection.
        call = asyncio.ensure_future(sio.call(event, data, timeout=ACK_TIMEOUT_S))
        ended = asyncio.ensure_future(gone.wait())
        try:
            await asyncio.wait((call, ended), return_when=asyncio.FIRST_COMPLETED)
        finally:
            ended.cancel()
            answered = call.done()
            if not answered:
                call.cancel()
        if not answered:
            raise SignalingError(LocalErrorCode.DISCONNECTED, f"the connection ended before {event} was answered")
        try:
            ack = call.result()
        except socketio.exceptions.TimeoutError:
            raise SignalingError(LocalErrorCode.TIMEOUT, f"no answer to {event} within {ACK_TIMEOUT_S:.0f} s") from None
        except socketio.exceptions.BadNamespaceError:
            raise SignalingError(LocalErrorCode.DISCONNECTED, "not connected to the signaling server") from None
        if isinstance(ack, dict) and ack.get("ok") is True:
            return ack
        try:
            error = ErrorAck.model_validate(ack).error
        except ValidationError:
            raise SignalingError(LocalErrorCode.INVALID_ACK, f"unexpected answer to {event}: {ack!r:.200}") from None
        raise SignalingError(parse_error_code(error.code), error.message, raw_code=error.code)

    async def join(
        self, room_id: str, media: MediaState, resume_id: str | None = None, *, password: str | None = None
    ) -> JoinAck | WaitingAck:
        """``resume_id`` (``new_resume_id()``, the same for every join of one call): the server replaces our older
        socket that joined with it, so after a reconnect we are not in the room twice. ``password``: the room's,
        for a room that has one. The answer is a ``WaitingAck`` when we now wait in the room's lobby (v1.1): we are
        not in the room until ``admitted`` comes."""
        join = JoinRoom(room_id=room_id, media_state=media, resume_id=resume_id, password=password)
        ack = await self._call(ClientEvent.JOIN_ROOM, join)
        model: type[JoinAck | WaitingAck] = WaitingAck if ack.get("waiting") is True else JoinAck
        try:
            return model.model_validate(ack)
        except ValidationError as exc:
            raise SignalingError(
                LocalErrorCode.INVALID_ACK, f"malformed join-room answer: {exc.error_count()} errors"
            ) from None

    async def leave(self, room_id: str) -> None:
        await self._call(ClientEvent.LEAVE_ROOM, LeaveRoom(room_id=room_id))

    async def send_description(self, target: str, kind: DescriptionType, sdp: str) -> None:
        if kind == "offer":
            await self._call(
                ClientEvent.OFFER, Offer(target=target, description=OfferDescription(type="offer", sdp=sdp))
            )
        else:
            await self._call(
                ClientEvent.ANSWER, Answer(target=target, description=AnswerDescription(type="answer", sdp=sdp))
            )

    async def toggle_media(self, media_type: MediaType, enabled: bool) -> None:
        await self._call(ClientEvent.TOGGLE_MEDIA, ToggleMedia(media_type=media_type, enabled=enabled))

    # ---- the meeting (v1.1): everyone in the room ----------------------------------------------------------

    async def send_chat(self, text: str, to: str | None = None) -> ChatMessage:
        """A chat message to the room, or to the socket ``to`` alone; the server's copy of it (id, time, sender).
        Raises ValueError for a text the contract refuses (empty after trimming, or over ``CHAT_TEXT_MAX``
        characters), before anything is sent."""
        if len(text.strip()) > CHAT_TEXT_MAX:
            raise ValueError(f"a chat message is at most {CHAT_TEXT_MAX} characters")
        ack = await self._call(ClientEvent.CHAT_MESSAGE, SendChat(text=text, to=to))
        try:
            return ChatAck.model_validate(ack).message
        except ValidationError as exc:
            raise SignalingError(
                LocalErrorCode.INVALID_ACK, f"malformed chat-message answer: {exc.error_count()} errors"
            ) from None

    async def raise_hand(self, raised: bool) -> None:
        await self._call(ClientEvent.RAISE_HAND, RaiseHand(raised=raised))

    async def react(self, emoji: str) -> None:
        """Raises ValueError for an emoji that is not one of ``protocol.REACTIONS``."""
        await self._call(ClientEvent.REACTION, SendReaction(emoji=emoji))

    async def set_recording(self, active: bool) -> None:
        """Tell the room we record (hosts only: ``forbidden`` otherwise)."""
        await self._call(ClientEvent.RECORDING, SetRecording(active=active))

    # ---- the meeting (v1.1): hosts only ---------------------------------------------------------------------

    async def admit(self, target: str) -> None:
        await self._call(ClientEvent.ADMIT, Target(target=target))

    async def deny(self, target: str) -> None:
        await self._call(ClientEvent.DENY, Target(target=target))

    async def set_role(self, target: str, role: Role) -> None:
        await self._call(ClientEvent.SET_ROLE, SetRole(target=target, role=role))

    async def mute_participant(self, target: str, media_type: ModeratedMedia) -> None:
        await self._call(ClientEvent.MUTE_PARTICIPANT, MuteParticipant(target=target, media_type=media_type))

    async def mute_all(self) -> None:
        await self._call(ClientEvent.MUTE_ALL, NoFields())

    async def remove_participant(self, target: str) -> None:
        await self._call(ClientEvent.REMOVE_PARTICIPANT, Target(target=target))

    async def lock_room(self, locked: bool) -> None:
        await self._call(ClientEvent.LOCK_ROOM, LockRoom(locked=locked))

    async def lower_hand(self, target: str) -> None:
        await self._call(ClientEvent.LOWER_HAND, Target(target=target))

    async def end_meeting(self) -> None:
        await self._call(ClientEvent.END_MEETING, NoFields())

    # ---- an SFU room (v1.1 "Large rooms", docs/protocol.md section 18) --------------------------------------------

    async def sfu_publish(self, offer_sdp: str) -> str:
        """Our offer of what we send; the SFU's answer (its SDP)."""
        ack = await self._call(
            ClientEvent.SFU_PUBLISH, SfuPublish(description=SfuOfferDescription(type="offer", sdp=offer_sdp))
        )
        try:
            return SfuPublished.model_validate(ack).description.sdp
        except ValidationError as exc:
            raise SignalingError(
                LocalErrorCode.INVALID_ACK, f"malformed sfu-publish answer: {exc.error_count()} errors"
            ) from None

    async def sfu_answer(self, answer_sdp: str) -> None:
        """Our answer to the last ``sfu-offer``."""
        await self._call(
            ClientEvent.SFU_ANSWER, SfuAnswer(description=SfuAnswerDescription(type="answer", sdp=answer_sdp))
        )

    async def sfu_view(self, socket_ids: list[str]) -> None:
        """Whose video we show: the SFU pauses the others' (audio always flows)."""
        await self._call(ClientEvent.SFU_VIEW, SfuView(socket_ids=socket_ids))
