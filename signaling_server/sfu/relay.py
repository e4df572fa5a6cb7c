"""SFU rooms on the socket: each participant's Janus session, and the ``sfu-*`` events that drive it.

Who holds what. Each socket in an ``"sfu"`` room has one Janus session, on the node that holds the socket, with two
handles: a *publisher* (it joins the Janus room as ``ptype: publisher`` under the socket's id, even before it sends
anything, because that handle is what hears of the others publishing and leaving) and, once there is someone to
receive, a *subscriber* (one PeerConnection for everything the participant receives). Nothing is stored elsewhere:
the Janus room's id is our room id, and its secret and pin are derived from the server's JWT signing key and the
room id (``room_keys``), so any node can create, join or destroy any room. The Janus room is created by whoever
joins first (``427 room exists`` is fine) and destroyed when the meeting ends (the last one leaves, or a host ends
it); sockets of other nodes hear ``destroyed`` on their publisher handle and close their sessions.

Order. A participant's Janus requests and the events Janus sends it are handled one at a time under its lock, in a
task of its own (``_events``): a subscriber offer goes out only when the previous one was answered (``sfu-answer``),
and the feeds that came up meanwhile are asked for together after that answer (``_refresh``). A feed is asked for
only after Janus's ``publishers`` event names it: before its publisher's PeerConnection is up, Janus refuses it
(428, docs/sfu.md). When a feed unpublishes, Janus itself offers the subscriber again (its m-lines now
``inactive``): that offer goes to the client the same way.

Janus unreachable: the join stands (chat and the rest work), the setup's failure is logged once per node, and the
client's ``sfu-*`` events are answered ``internal-error`` naming the SFU; the next ``sfu-publish`` tries again.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import httpx

from signaling_server.protocol import (
    ClientEvent,
    ErrorCode,
    ServerEvent,
    SessionDescription,
    SfuAnswer,
    SfuCandidate,
    SfuOffered,
    SfuPublish,
    SfuPublished,
    SfuStream,
    SfuView,
    error_ack,
    room_mode,
)
from signaling_server.sfu.janus_session import REQUEST_TIMEOUT_S, JanusError, JanusEvent, JanusSession, Jsep
from signaling_server.sfu.videoroom import PLUGIN, Publisher, RoomAdmin, RoomKeys, Subscriber, SubscriberOffer

if TYPE_CHECKING:
    from signaling_server.signaling.handlers import Signaling
    from signaling_server.signaling.members import Member
    from signaling_server.signaling.sessions import SocketSession

logger = logging.getLogger(__name__)

Ack = dict[str, Any]
OK: Ack = {"ok": True}
# Janus's VideoRoom error codes the relay expects (docs/sfu.md).
ROOM_EXISTS, NO_SUCH_ROOM, NO_SUCH_FEED = 427, 426, 428


def room_keys(signing_key: bytes, room_id: str) -> RoomKeys:
    """The Janus room's secret and pin: the same on every node (same signing key), unguessable without the key."""

    def derive(purpose: str) -> str:
        return hmac.new(signing_key, f"janus-{purpose}:{room_id}".encode(), hashlib.sha256).hexdigest()

    return RoomKeys(secret=derive("secret"), pin=derive("pin"))


@dataclass
class _Stream:
    feed: str
    kind: Literal["audio", "video"]
    active: bool


@dataclass
class _Participant:
    """One socket of this node in an SFU room, and its Janus session."""

    sid: str
    room_id: str
    display: str
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    inbox: asyncio.Queue[tuple[str, JanusEvent]] = field(default_factory=asyncio.Queue)
    session: JanusSession | None = None
    publisher: Publisher | None = None
    subscriber: Subscriber | None = None
    private_id: int = 0
    published: bool = False
    # Feeds the subscriber receives, feeds up but not yet asked for, and offers sent but not yet answered.
    feeds: set[str] = field(default_factory=set)
    pending: set[str] = field(default_factory=set)
    dropping: set[str] = field(default_factory=set)  # kicked feeds whose m-lines Janus does not take away itself
    unanswered: int = 0
    streams: dict[str, _Stream] = field(default_factory=dict)  # mid -> what it carries
    view: set[str] | None = None  # whose video the client shows; None: everyone's
    failure: JanusError | None = None
    worker: asyncio.Task[None] | None = None
    closed: bool = False


class SfuRelay:
    """The ``sfu-*`` events and the hooks ``Signaling`` calls (``entered``, ``left``, ``ended``)."""

    def __init__(self, signaling: Signaling) -> None:
        """Without Janus settings there are no SFU rooms, and the ``sfu-*`` events are refused as in a mesh room."""
        self._sig = signaling
        settings, services = signaling.settings, signaling.services
        self.configured = settings.janus_url is not None and settings.janus_admin_key is not None
        self._url = settings.janus_url or ""
        self._admin_key = "" if settings.janus_admin_key is None else settings.janus_admin_key.get_secret_value()
        self._signing_key = services.tokens.derived_key("janus-rooms")
        # Every session holds one connection for its long-poll: no pool limit, or the 101st participant would wait.
        self._client = httpx.AsyncClient(
            timeout=REQUEST_TIMEOUT_S, limits=httpx.Limits(max_connections=None, max_keepalive_connections=32)
        )
        self._admin: RoomAdmin | None = None
        self._admin_lock = asyncio.Lock()
        self._participants: dict[str, _Participant] = {}
        self._unreachable_logged = False
        route = signaling.route
        route(ClientEvent.SFU_PUBLISH, SfuPublish, self._in_sfu_room(self.publish))
        route(ClientEvent.SFU_ANSWER, SfuAnswer, self._in_sfu_room(self.answer))
        route(ClientEvent.SFU_CANDIDATE, SfuCandidate, self._in_sfu_room(self.candidate))
        route(ClientEvent.SFU_VIEW, SfuView, self._in_sfu_room(self.view))

    def in_sfu_room(self, sid: str) -> bool:
        """``sid`` (a socket of this node) is in an SFU room: its peer-to-peer relays are refused."""
        return sid in self._participants

    async def aclose(self) -> None:
        for participant in list(self._participants.values()):
            await self._close(participant)
        if self._admin is not None:
            with contextlib.suppress(JanusError):
                await self._admin.handle.session.destroy()
        await self._client.aclose()

    # ---- hooks (Signaling) ----
    async def entered(self, room_id: str, member: Member) -> None:
        """``member`` (a socket of this node) joined ``room_id``: in an SFU room, its Janus session is set up in the
        background (the join's ack does not wait for Janus)."""
        if not self.configured or self._sig.sessions.get(member.socket_id) is None:
            # Admitted from a lobby through another node: the socket's own node sets it up at its first sfu-* event.
            return
        row = await self._sig.services.store.room(room_id)
        if row is None or room_mode(row.max_participants, True) != "sfu":
            return
        self._start(room_id, member.socket_id, member.username)

    def _start(self, room_id: str, sid: str, display: str) -> _Participant:
        participant = _Participant(sid, room_id, display)
        self._participants[sid] = participant
        participant.worker = asyncio.get_running_loop().create_task(self._run(participant), name=f"sfu-{sid}")
        return participant

    async def left(self, room_id: str, sid: str, meeting_ended: bool) -> None:
        if not self.configured:
            return
        participant = self._participants.pop(sid, None)
        if participant is None and not meeting_ended:
            # Not this node's socket (removed or replaced by someone here, or its node died): its session lives on
            # its own node; taken out of the Janus room here, that node hears ``kicked`` and closes the session.
            self._sig.background.spawn(self._kick(room_id, sid))
        if meeting_ended:  # the last one out: their session goes, then the Janus room
            self._sig.background.spawn(self._end(room_id, [] if participant is None else [participant]))
        elif participant is not None:
            self._sig.background.spawn(self._close(participant))

    async def ended(self, room_id: str, sids: list[str]) -> None:
        """A host ended the meeting (or the room was deleted): everyone's sessions go, and the Janus room."""
        if not self.configured:
            return
        closing = [self._participants.pop(sid) for sid in sids if sid in self._participants]
        self._sig.background.spawn(self._end(room_id, closing))

    async def _end(self, room_id: str, closing: list[_Participant]) -> None:
        for participant in closing:
            await self._close(participant)
        if not closing:
            # None of its people were on this node: an SFU room still has a Janus room (theirs, on other nodes,
            # hear ``destroyed`` and close their sessions); a mesh room never had one.
            row = await self._sig.services.store.room(room_id)
            if row is None or room_mode(row.max_participants, True) != "sfu":
                return
        await self._destroy_room(room_id)

    # ---- setup and Janus's events ----
    async def _run(self, participant: _Participant) -> None:
        socket = self._sig.sessions.get(participant.sid)
        if socket is not None:
            async with socket.lock:  # until the join's handler is done: the join ack goes before any sfu-offer
                pass
        async with participant.lock:
            await self._set_up(participant)
        while not participant.closed:
            role, event = await participant.inbox.get()
            async with participant.lock:
                if participant.closed:
                    return
                try:
                    await self._on_event(participant, role, event)
                except JanusError as exc:
                    logger.warning(
                        "SFU: handling a Janus event failed",
                        extra={"sid": participant.sid, "roomId": participant.room_id, "error": str(exc)},
                    )

    async def _set_up(self, participant: _Participant) -> bool:
        """The participant's session and publisher in the room (created if need be); False when Janus failed."""
        if participant.publisher is not None:
            return True
        keys = room_keys(self._signing_key, participant.room_id)
        try:
            await self._ensure_room(participant.room_id, keys)
            session = participant.session = await JanusSession.create(self._url, client=self._client)
            handle = await session.attach(PLUGIN, on_event=lambda e: participant.inbox.put_nowait(("publisher", e)))
            publisher = Publisher(handle)
            joined = await publisher.join(participant.room_id, participant.sid, keys.pin, display=participant.display)
        except JanusError as exc:
            participant.failure = exc
            await self._drop_session(participant)
            self._janus_failed(exc)
            return False
        participant.failure = None
        self._unreachable_logged = False  # Janus answers: its next failure is news again
        participant.publisher = publisher
        participant.private_id = joined.private_id
        participant.pending |= {str(p["id"]) for p in joined.publishers if str(p.get("id")) != participant.sid}
        await self._refresh(participant)
        return True

    async def _ensure_room(self, room_id: str, keys: RoomKeys) -> None:
        admin = await self._room_admin()
        try:
            await admin.create(room_id, keys)
        except JanusError as exc:
            if exc.code != ROOM_EXISTS:  # someone (maybe on another node) created it first
                raise

    async def _room_admin(self) -> RoomAdmin:
        async with self._admin_lock:
            if self._admin is None or self._admin.handle.session.lost is not None:
                session = await JanusSession.create(self._url, client=self._client)
                self._admin = RoomAdmin(await session.attach(PLUGIN), self._admin_key)
            return self._admin

    async def _kick(self, room_id: str, sid: str) -> None:
        row = await self._sig.services.store.room(room_id)
        if row is None or room_mode(row.max_participants, True) != "sfu":
            return  # a mesh room (most leaves that come here: a disconnect of a mesh room's socket)
        try:
            await (await self._room_admin()).kick(room_id, room_keys(self._signing_key, room_id), sid)
        except JanusError as exc:
            # No such room (a mesh room) or no such participant (never set up, or gone already): nothing to do.
            logger.debug("SFU: kick not needed", extra={"roomId": room_id, "sid": sid, "error": str(exc)})

    async def _destroy_room(self, room_id: str) -> None:
        if any(p.room_id == room_id for p in self._participants.values()):
            return  # someone joined again meanwhile: a new meeting in the same Janus room
        try:
            await (await self._room_admin()).destroy(room_id, room_keys(self._signing_key, room_id))
        except JanusError as exc:
            if exc.code != NO_SUCH_ROOM:
                self._janus_failed(exc)

    def _janus_failed(self, exc: JanusError) -> None:
        if not self._unreachable_logged:  # once per outage and node: a Janus that is down would log every event
            self._unreachable_logged = True
            logger.error("SFU: Janus failed; SFU rooms have no media until it answers", extra={"error": str(exc)})

    async def _on_event(self, participant: _Participant, role: str, event: JanusEvent) -> None:
        data = event.data
        if event.kind == "gone":
            participant.failure = JanusError(int(data.get("code") or -1), str(data.get("reason")))
            self._janus_failed(participant.failure)
            await self._drop_session(participant)
            return
        if event.kind != "event":
            return
        if role == "publisher":
            if data.get("videoroom") == "destroyed" or (data.get("leaving") == "ok" and data.get("reason") == "kicked"):
                await self._out_of_janus_room(participant)
                return
            up = {str(p["id"]) for p in data.get("publishers") or [] if "id" in p}
            participant.pending |= up - {participant.sid} - participant.feeds
            for key in ("unpublished", "leaving", "kicked"):
                gone = data.get(key)
                if isinstance(gone, str) and gone not in ("ok", participant.sid):
                    participant.pending.discard(gone)
                    if gone in participant.feeds and key == "kicked":
                        # Janus sends no new offer for a kicked publisher's streams (measured, 1.1.2): ask for one.
                        participant.dropping.add(gone)
                    participant.feeds.discard(gone)
            await self._refresh(participant)
        elif event.jsep is not None and event.jsep.type == "offer":
            # Janus's own new offer (a feed it sent unpublished): the client answers it like ours.
            await self._offer(participant, SubscriberOffer(event.jsep, list(data.get("streams") or [])))

    async def _out_of_janus_room(self, participant: _Participant) -> None:
        """The Janus room went (its meeting ended, maybe on another node), or this socket was kicked out of it (a
        host on another node removed it). Still in our room: a new meeting began at once, so set up again;
        otherwise this socket's session goes."""
        await self._drop_session(participant)
        if await self._sig.services.rooms.room_of(participant.sid) == participant.room_id:
            participant.feeds.clear()
            participant.streams.clear()
            participant.unanswered = 0
            await self._set_up(participant)
        else:
            self._participants.pop(participant.sid, None)
            participant.closed = True

    async def _refresh(self, participant: _Participant) -> None:
        """Ask for the feeds that came up, unless an offer is still unanswered (then after its answer)."""
        if participant.unanswered or participant.publisher is None:
            return
        if participant.dropping and participant.subscriber is not None:
            # By our own mids (Subscriber.update says why); Janus looks up no feed for them, so no "No such feed".
            mids = sorted(mid for mid, s in participant.streams.items() if s.feed in participant.dropping and s.active)
            participant.dropping.clear()
            offer = await participant.subscriber.update(unsubscribe_mids=mids) if mids else None
            if offer is not None:
                await self._offer(participant, offer)
                return  # the feeds that came up meanwhile after this offer's answer
        if not participant.pending:
            return
        wanted = sorted(participant.pending)
        participant.pending.clear()
        try:
            offer = await self._subscribe(participant, wanted)
        except JanusError as exc:
            if exc.code != NO_SUCH_FEED:
                raise
            if len(wanted) > 1:
                # One of them left between its ``publishers`` event and this request: the first alone, then the rest.
                participant.pending = {wanted[0]}
                await self._refresh(participant)
                participant.pending |= set(wanted[1:])
                await self._refresh(participant)
            return
        participant.feeds |= set(wanted)
        if offer is not None:
            await self._offer(participant, offer)

    async def _subscribe(self, participant: _Participant, feeds: list[str]) -> SubscriberOffer | None:
        if participant.subscriber is not None:
            return await participant.subscriber.update(subscribe=feeds)
        assert participant.session is not None
        handle = await participant.session.attach(
            PLUGIN, on_event=lambda e: participant.inbox.put_nowait(("subscriber", e))
        )
        subscriber = Subscriber(handle)
        pin = room_keys(self._signing_key, participant.room_id).pin
        try:
            offer = await subscriber.join(participant.room_id, feeds, pin, private_id=participant.private_id)
        except JanusError:
            with contextlib.suppress(JanusError):
                await handle.detach()
            raise
        participant.subscriber = subscriber
        return offer

    async def _offer(self, participant: _Participant, offer: SubscriberOffer) -> None:
        for stream in offer.streams:
            kind = stream.get("type")
            mid = str(stream.get("mid"))
            if kind not in ("audio", "video"):
                continue
            feed = stream.get("feed_id")
            known = participant.streams.get(mid)
            if feed is None and known is None:
                continue
            active = feed is not None and bool(stream.get("active", True))
            owner = str(feed) if feed is not None else known.feed if known is not None else ""
            participant.streams[mid] = _Stream(owner, kind, active)
        streams = [
            SfuStream(mid=mid, socket_id=s.feed, kind=s.kind, active=s.active) for mid, s in participant.streams.items()
        ]
        participant.unanswered += 1
        payload = SfuOffered(description=SessionDescription(type="offer", sdp=offer.jsep.sdp), streams=streams)
        await self._sig.send_to(participant.sid, ServerEvent.SFU_OFFER, payload.wire())

    async def _apply_view(self, participant: _Participant) -> None:
        if participant.view is None or participant.subscriber is None:
            return
        streams = [
            {"mid": mid, "send": s.feed in participant.view}
            for mid, s in participant.streams.items()
            if s.kind == "video" and s.active
        ]
        if streams:
            await participant.subscriber.configure(streams)

    # ---- closing ----
    async def _close(self, participant: _Participant) -> None:
        """The socket left: stop publishing (else its m-lines stay ``sendonly`` at the others), leave, and the
        session goes (its handles are detached, its PeerConnections hung up)."""
        participant.closed = True
        if participant.worker is not None and participant.worker is not asyncio.current_task():
            participant.worker.cancel()
        async with participant.lock:
            if participant.publisher is not None and participant.session is not None:
                with contextlib.suppress(JanusError):
                    if participant.published:
                        await participant.publisher.unpublish()
                    await participant.publisher.leave()
            await self._drop_session(participant)

    async def _drop_session(self, participant: _Participant) -> None:
        session, participant.session = participant.session, None
        participant.publisher = participant.subscriber = None
        participant.published = False
        if session is not None:
            with contextlib.suppress(JanusError):
                await session.destroy()

    # ---- the client's events ----
    Handler = Callable[["SocketSession", Any, _Participant], Awaitable[Ack]]

    def _in_sfu_room(self, handler: Handler) -> Callable[[SocketSession, Any], Awaitable[Ack]]:
        """``not-in-room`` outside a room, ``invalid-input`` in a mesh room, ``internal-error`` while Janus fails;
        then ``handler`` under the participant's lock."""

        async def checked(session: SocketSession, msg: Any) -> Ack:
            participant = self._participants.get(session.sid)
            if participant is None:
                room_id = await self._sig.services.rooms.room_of(session.sid)
                if room_id is None:
                    return error_ack(ErrorCode.NOT_IN_ROOM, "join a room first")
                row = await self._sig.services.store.room(room_id) if self.configured else None
                if row is None or room_mode(row.max_participants, True) != "sfu":
                    return error_ack(
                        ErrorCode.INVALID_INPUT, "this room is a mesh (mode: mesh): media goes peer to peer, not sfu-*"
                    )
                # In an SFU room without a session here: admitted from its lobby by a host on another node.
                member = await self._sig.services.rooms.member(session.sid)
                participant = self._start(room_id, session.sid, member.username if member else session.sid)
            async with participant.lock:
                if participant.closed:
                    return error_ack(ErrorCode.NOT_IN_ROOM, "join a room first")
                if not await self._set_up(participant):
                    return error_ack(ErrorCode.INTERNAL, "the SFU is unreachable; try again later")
                try:
                    return await handler(session, msg, participant)
                except JanusError as exc:
                    logger.warning("SFU: a request failed", extra={"sid": session.sid, "error": str(exc)})
                    return error_ack(ErrorCode.INTERNAL, f"the SFU refused or failed: {exc.reason}"[:300])

        return checked

    async def publish(self, session: SocketSession, msg: SfuPublish, participant: _Participant) -> Ack:
        assert participant.publisher is not None
        answer = await participant.publisher.publish(Jsep("offer", msg.description.sdp))
        participant.published = True
        return SfuPublished(description=SessionDescription(type="answer", sdp=answer.sdp)).wire()

    async def answer(self, session: SocketSession, msg: SfuAnswer, participant: _Participant) -> Ack:
        if participant.subscriber is None or not participant.unanswered:
            return error_ack(ErrorCode.INVALID_INPUT, "no sfu-offer is waiting for an answer")
        await participant.subscriber.start(Jsep("answer", msg.description.sdp))
        participant.unanswered -= 1
        await self._apply_view(participant)
        await self._refresh(participant)
        return OK

    async def candidate(self, session: SocketSession, msg: SfuCandidate, participant: _Participant) -> Ack:
        handle = participant.publisher if msg.target == "publisher" else participant.subscriber
        if handle is None:
            return error_ack(ErrorCode.INVALID_INPUT, "target: no subscription yet (wait for sfu-offer)")
        candidate = None if msg.candidate is None else msg.candidate.model_dump(by_alias=True, exclude_unset=True)
        await handle.handle.trickle(candidate)
        return OK

    async def view(self, session: SocketSession, msg: SfuView, participant: _Participant) -> Ack:
        participant.view = set(msg.socket_ids)
        await self._apply_view(participant)
        return OK
