"""A call: our media, the mesh of peers, and the room as the signaling server tells it.

The UI and the headless client drive a ``CallSession`` and learn what happens through a ``CallObserver``; the
session never imports Qt. UI state is derived from these events and from ``participants``, never kept twice.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, Literal

import av
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from nimeet_desktop.call import aiortc_compat, ice
from nimeet_desktop.call.audio_broadcast import AudioBroadcast
from nimeet_desktop.call.call_stats import RtcpFigures, with_interval_loss
from nimeet_desktop.call.errors import CallError, CallErrorKind
from nimeet_desktop.call.meeting import EndReason, Meeting, MeetingSnapshot
from nimeet_desktop.call.options import EngineOptions
from nimeet_desktop.call.peer import Peer
from nimeet_desktop.call.presenter import PresenterOverlay
from nimeet_desktop.call.quality_policy import Observation, QualityPolicy
from nimeet_desktop.call.remote import PeerState, RemoteParticipant
from nimeet_desktop.call.sfu_link import SfuLink
from nimeet_desktop.call.shared_encoder import SharedVideoEncoder
from nimeet_desktop.call.video_feed import VideoFeed, video_feed
from nimeet_desktop.media.audio_processing import AudioProcessor
from nimeet_desktop.media.base import AudioSource, VideoSource
from nimeet_desktop.media.devices import DeviceProblem
from nimeet_desktop.net.error_codes import LocalErrorCode
from nimeet_desktop.net.rest import ApiClient, RestError
from nimeet_desktop.net.signaling import (
    ConnectionState,
    MeetingHandler,
    SignalingClient,
    SignalingError,
    new_resume_id,
)
from nimeet_desktop.task_set import Once, TaskSet
from signaling_server.protocol import (
    PARTICIPANTS_MAX,
    SFU_PARTICIPANTS_MAX,
    Admitted,
    ChatMessage,
    Denied,
    ErrorCode,
    HandRaised,
    IceServer,
    JoinAck,
    LobbyEntry,
    LobbyLeft,
    MediaState,
    MediaToggled,
    MediaType,
    MeetingEnded,
    ModeratedMedia,
    MutedByHost,
    Participant,
    Reaction,
    RecordingChanged,
    Relayed,
    RelayedCandidate,
    Removed,
    Role,
    RoleChanged,
    RoomMode,
    RoomUpdated,
    SfuOffered,
    UserLeft,
    WaitingAck,
)

logger = logging.getLogger(__name__)

WATCH_INTERVAL_S = 0.5
# No packet at all (media or RTCP) for this long on a connected peer: the path is dead, rebuild it.
DEAD_AFTER_S = 4.0
# A connection that has not come up in this long will not: start it over.
CONNECT_TIMEOUT_S = 10.0

# RTCP figures (getStats) are gathered at most this often, and only for this long after someone last asked.
RTCP_INTERVAL_S = 1.0
RTCP_WANTED_FOR_S = 3.0
# sfu-publish refused (the SFU unreachable): tried again after 1, 2, 4... s, at most this far apart.
PUBLISH_RETRY_FIRST_S = 1.0
PUBLISH_RETRY_MAX_S = 10.0
# The quality policy observes the camera's encoding this often (quality_policy.py).
QUALITY_INTERVAL_S = 1.0

TrackKind = Literal["audio", "video"]
_NO_RTCP = (RtcpFigures(), RtcpFigures())


class CallObserver:
    """Override what you need; every method is called on the event loop and must not block."""

    def on_participant_joined(self, participant: RemoteParticipant) -> None: ...
    def on_participant_left(self, participant: RemoteParticipant) -> None: ...
    def on_participant_updated(self, participant: RemoteParticipant) -> None: ...
    def on_track(self, participant: RemoteParticipant, kind: TrackKind) -> None: ...
    def on_video_frame(self, participant: RemoteParticipant) -> None: ...
    def on_stats(self, participant: RemoteParticipant) -> None: ...
    def on_local_media(self, media: MediaState) -> None: ...
    def on_connection(self, state: ConnectionState, detail: str | None) -> None: ...
    def on_error(self, error: CallError) -> None: ...
    # The meeting (contract v1.1).
    def on_meeting_changed(self, meeting: MeetingSnapshot) -> None:
        """Roles, hands, who records, the lobby, the lock, whether we wait to be let in: the whole picture again."""

    def on_chat_message(self, message: ChatMessage) -> None:
        """A message not seen before in this call: the history first (at the join), ours too (once sent)."""

    def on_reaction(self, socket_id: str, emoji: str) -> None:
        """Someone in the room (or we, ``socket_id`` our own) reacted."""

    def on_muted_by_host(self, media: ModeratedMedia, by_username: str | None) -> None:
        """A host turned our microphone or camera off (it is off by now); we may turn it on again."""

    def on_call_ended(self, reason: EndReason, by_username: str | None) -> None:
        """The server ended our call: we were removed or denied, or the meeting ended. The session leaves by itself
        (its ``leave()`` may still be awaited); nothing rejoins."""


class CallSession(MeetingHandler):
    def __init__(
        self,
        server_url: str,
        token: str,
        ice_servers: Sequence[IceServer],
        *,
        observer: CallObserver | None = None,
        camera_factory: Callable[[], VideoSource] | None = None,
        microphone: AudioSource | None = None,
        audio_sink: Callable[[str, MediaStreamTrack], None] | None = None,
        audio_processor: AudioProcessor | None = None,
        measure_latency: bool = False,
        options: EngineOptions | None = None,
    ) -> None:
        self.options = options or EngineOptions()
        self.observer = observer or CallObserver()
        self._configuration = ice.configuration(ice_servers, relay_only=self.options.relay_only)
        # Relay-only with no TURN server: ICE has no candidate at all, so no peer can ever connect; said at the join.
        self._no_relay = self.options.relay_only and not ice.offers_relay(ice_servers)
        self._camera_factory = camera_factory
        self._microphone = microphone
        self._audio_sink = audio_sink
        self._audio_processor = audio_processor
        self._measure_latency = measure_latency
        self.signaling = SignalingClient(server_url, token, self)
        self.room_id: str | None = None
        # The meeting as we see it: our role, everyone's hands and roles, the lobby, the chat (meeting.py).
        self.meeting = Meeting()
        self._password: str | None = None  # the room's, sent again with every rejoin
        # The leave that follows a call the server ended, held here: a task nobody refers to may be collected.
        self._ending: asyncio.Task[None] | None = None
        self.participants: dict[str, RemoteParticipant] = {}
        # Called on the loop with each decoded remote audio frame the session receives itself (no ``audio_sink``):
        # a recording's mix (call/recording.py).
        self.remote_audio_taps: list[Callable[[str, av.AudioFrame], None]] = []
        self.peers: dict[str, Peer] = {}
        # The room's mode (``room.mode``): a mesh of peers, or everything through the SFU (``sfu``, one link).
        self.mode: RoomMode = "mesh"
        self.sfu: SfuLink | None = None
        self._sfu_restarting = False  # the link was found dead and the rejoin it takes has begun (``_watch_sfu``)
        self._sfu_seen: tuple[int, float] = (-1, 0.0)  # (packets received on the link, when that count last moved)
        self._view: list[str] | None = None  # whose video we show in an SFU room (``show_only``), sent again on rejoin
        self._view_due = False  # a view wished for and not sent yet
        self._view_sending = False  # an sfu-view is on its way (``_send_views``)
        self.camera: VideoFeed | None = None
        self.screen: VideoFeed | None = None
        self.audio: AudioBroadcast | None = None
        self.microphone_on = False
        self.join_ack_ms: float | None = None
        self.joined_at: float | None = None
        self.errors: list[CallError] = []
        # Offers, answers, receive loops, rebuilds, the watcher: a failure is logged with its stack by the set and
        # told to the observer here.
        self._tasks = TaskSet("call", on_error=self._task_failed, log=logger)
        self._liveness: dict[str, tuple[int, float]] = {}
        self._counted: dict[str, tuple[int, int, int]] = {}  # socket id -> (connection generation, packets, bytes)
        self._closed = False
        self._leave = Once(self._leave_now)
        # One per call, sent with every join of it: a rejoin after a reconnect replaces our own older socket.
        self.resume_id = new_resume_id()
        # Our sockets of earlier connections in this call: the server may still tell us about them (the user-left
        # of the socket our rejoin replaced), and they are never someone to call.
        self._former_sockets: set[str] = set()
        # Clear while a join-room waits for its ack. The server may announce a newcomer (and relay its offer) before
        # our own ack arrives, or before our loop gets to it: room events wait here until the ack has told us who
        # we are and who is in the room, instead of being dropped as coming from strangers.
        self._ack_processed = asyncio.Event()
        self._ack_processed.set()
        self.ignored_relays = 0  # relays from sockets that are not in our room (for the log line and tests)
        self.ignored_joins = 0  # participants announced beyond what a room can hold
        # RTCP figures per socket id (their video as we receive it, ours as they do) and the connection generation
        # they were read from, gathered by ``_watch``.
        self._rtcp: dict[str, tuple[int, RtcpFigures, RtcpFigures]] = {}
        self._rtcp_wanted_until = 0.0
        self._rtcp_at = float("-inf")
        self._rtcp_gathering = False
        # The camera's encoding level (quality_policy.py): the preset is a ceiling, the mesh, CPU and bandwidth decide.
        self.video_quality = self.options.video_quality  # the preset: the ceiling of the camera's level
        self.quality = QualityPolicy(self.video_quality)
        self._quality_at = float("-inf")
        self._quality_seen: tuple[int, int, float] | None = None  # (feed id, frames encoded, encode seconds)
        # Told (on the loop) when a camera or microphone ends by itself, before the session forgets it; returns
        # True when it takes over (DesktopCall falls back to the system default and reports only if that fails).
        self.on_device_lost: Callable[[MediaType, str], bool] | None = None

    # ---- errors -----------------------------------------------------------------------------------------

    def _task_failed(self, exc: BaseException) -> None:
        # Already logged with its stack by the task set.
        code = exc.code if isinstance(exc, SignalingError) else None
        self._tell_error(CallError(CallErrorKind.FAILED, f"{type(exc).__name__}: {exc}", code=code))

    def report_error(self, error: CallError) -> None:
        """A failure around the call (a device that would not open) told the same way as the session's own."""
        logger.warning("%s", error)
        self._tell_error(error)

    def _tell_error(self, error: CallError) -> None:
        self.errors.append(error)
        self.observer.on_error(error)

    # ---- media state ------------------------------------------------------------------------------------

    @property
    def media_state(self) -> MediaState:
        return MediaState(camera=self.camera is not None, microphone=self.microphone_on, screen=self.screen is not None)

    def video_feed(self) -> VideoFeed | None:
        return self.screen or self.camera

    def audio_feed(self) -> AudioBroadcast | None:
        return self.audio

    def _senders(self) -> list[Peer | SfuLink]:
        """Every connection that sends our media: the mesh's peers, or the SFU link."""
        senders: list[Peer | SfuLink] = list(self.peers.values())
        if self.sfu is not None:
            senders.append(self.sfu)
        return senders

    def rtcp_figures(self, socket_id: str) -> tuple[RtcpFigures, RtcpFigures]:
        """(their video as we receive it, our video as they receive it), as RTCP last told; unknown at first, and
        only gathered while wanted (``want_rtcp``)."""
        entry = self._rtcp.get(socket_id)
        return _NO_RTCP if entry is None else (entry[1], entry[2])

    def want_rtcp(self) -> None:
        """Someone shows RTCP figures: gather them about once a second for the next ``RTCP_WANTED_FOR_S``."""
        self._rtcp_wanted_until = time.monotonic() + RTCP_WANTED_FOR_S

    async def _gather_rtcp(self) -> None:
        try:
            for socket_id, peer in list(self.peers.items()):
                if peer.closed:
                    continue
                generation = peer.generation
                try:
                    inbound, outbound = await peer.rtcp_figures()
                except Exception:  # a connection closing under us: statistics never break a call
                    logger.debug("no RTCP figures for %s", socket_id, exc_info=True)
                    continue
                previous = self._rtcp.get(socket_id)
                # A rebuilt connection counts from zero again: no loss figure across the two.
                then = previous[1] if previous is not None and previous[0] == generation else None
                self._rtcp[socket_id] = (generation, with_interval_loss(inbound, then), outbound)
            for socket_id in set(self._rtcp) - set(self.peers):
                del self._rtcp[socket_id]
        finally:
            self._rtcp_gathering = False

    def _start_camera(self) -> None:
        if self._camera_factory is None or self.camera is not None:
            return
        try:
            source = self._camera_factory()
        except Exception as exc:  # a device that cannot open: the call goes on without it
            self.report_error(CallError.device_unavailable("camera", exc))
            return
        self.camera = video_feed(source, self.options, on_ended=lambda reason: self._on_source_ended("camera", reason))
        if isinstance(self.camera, SharedVideoEncoder) and self.options.adapt_video:
            self.camera.level = self.quality.level
        self.camera.start()

    def _start_microphone(self, enabled: bool = True) -> None:
        if self._microphone is not None and self.audio is None:
            # Joining muted still starts the stream (of silence): unmuting is then instant and renegotiates nothing.
            # The broadcast mutes, after processing, so the "you are muted" hint still hears the user; the source
            # itself always delivers what it hears.
            self._microphone.enabled = True
            self.audio = AudioBroadcast(
                self._microphone,
                on_ended=lambda reason: self._on_source_ended("microphone", reason),
                processor=self._audio_processor,
            )
            self.audio.muted = not enabled
            self.audio.start()
            self.microphone_on = enabled

    def _on_source_ended(self, media_type: MediaType, reason: str) -> None:
        """A device vanished mid-call: report it off, to the UI and the room; never crash."""
        if self._closed:
            return
        handled = self.on_device_lost is not None and self.on_device_lost(media_type, reason)
        if not handled:
            self.report_error(self.device_lost_error(media_type, reason))
        if media_type == "camera":
            self.camera = None
        elif media_type == "screen":
            self.screen = None
        else:
            self.audio = None
            self.microphone_on = False
        self._tasks.spawn(self._announce(media_type, False), f"announce-{media_type}")
        if media_type != "microphone":
            for sender in self._senders():
                sender.replace_video()
        self.observer.on_local_media(self.media_state)

    @staticmethod
    def device_lost_error(media_type: MediaType, reason: str) -> CallError:
        return CallError(CallErrorKind.DEVICE_STOPPED, reason, media=media_type, problem=DeviceProblem.LOST)

    async def _announce(self, media_type: MediaType, enabled: bool) -> None:
        if self.room_id is None:
            return
        try:
            await self.signaling.toggle_media(media_type, enabled)
        except SignalingError as exc:
            logger.info("toggle-media %s not sent: %s", media_type, exc)

    async def set_camera(self, enabled: bool, *, announce: bool = True) -> None:
        """``announce``: tell the room (``toggle-media``); not when the server has already told it."""
        if enabled == (self.camera is not None):
            return
        if enabled:
            self._start_camera()
            if self.camera is None:
                return
        else:
            camera, self.camera = self.camera, None
            assert camera is not None
            await camera.close()  # releases the device (and its light)
        if self.screen is None:
            for sender in self._senders():
                sender.replace_video()
        self.observer.on_local_media(self.media_state)
        if announce:
            await self._announce("camera", enabled)

    async def set_microphone(self, enabled: bool, *, announce: bool = True) -> None:
        if self._microphone is None or self.audio is None or enabled == self.microphone_on:
            return  # no microphone, or it was lost: there is nothing to unmute
        self.microphone_on = enabled
        # Muted sends silence rather than nothing: the remote decoders keep their timing and nobody renegotiates.
        self.audio.muted = not enabled
        self.observer.on_local_media(self.media_state)
        if announce:
            await self._announce("microphone", enabled)

    async def start_screen_share(self, source: VideoSource) -> None:
        """Send ``source`` instead of the camera: a ``replaceTrack`` on every peer, no renegotiation. While the
        camera is on, it shows in a corner of the shared picture (``call/presenter.py``)."""
        if self.screen is not None:
            await self.screen.close()
        shared = PresenterOverlay(source, self._camera_picture)
        self.screen = video_feed(shared, self.options, on_ended=lambda reason: self._on_source_ended("screen", reason))
        self.screen.start()
        for sender in self._senders():
            sender.replace_video()
        self.observer.on_local_media(self.media_state)
        await self._announce("screen", True)

    def _camera_picture(self) -> av.VideoFrame | None:
        camera = self.camera
        return None if camera is None else camera.latest_frame

    async def stop_screen_share(self) -> None:
        if self.screen is None:
            return
        screen, self.screen = self.screen, None
        for sender in self._senders():
            sender.replace_video()
        await screen.close()
        self.observer.on_local_media(self.media_state)
        await self._announce("screen", False)

    # ---- switching devices during the call (no renegotiation) ------------------------------------------------

    def spawn(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        """Run ``coro`` with the call's tasks: cancelled on leave, a failure logged and told like the session's."""
        self._tasks.spawn(coro, name)

    async def replace_camera(self, source: VideoSource) -> None:
        """Send ``source`` (opened by the caller) instead of the camera: the camera's feed keeps every peer's
        subscription and starts the new picture at a keyframe. With the camera off (or lost), this turns it on."""
        if self._closed:
            source.stop()
            return
        if self.camera is not None:
            await self.camera.replace_source(source)
            return
        factory = self._camera_factory
        self._camera_factory = lambda: source
        try:
            await self.set_camera(True)
        finally:
            self._camera_factory = factory

    async def replace_microphone(self, source: AudioSource, *, enabled: bool | None = None) -> None:
        """Send ``source`` (opened by the caller) instead of the microphone, muted or not as before (or as
        ``enabled`` says). A lost microphone comes back this way: a new broadcast every peer's audio track is
        re-pointed at, on the transceivers they already have."""
        if self._closed:
            source.stop()
            return
        if self.audio is not None and self._microphone is not None:
            source.enabled = True  # the broadcast mutes (after processing), the source always delivers
            self._microphone = source
            await self.audio.replace_source(source)
            if enabled is not None and enabled != self.microphone_on:
                await self.set_microphone(enabled)
            return
        self._microphone = source
        self._start_microphone(enabled=True if enabled is None else enabled)
        for sender in self._senders():
            sender.audio_out.switch(self.audio)
        self.observer.on_local_media(self.media_state)
        await self._announce("microphone", self.microphone_on)

    async def reopen_microphone_source(self, open_source: Callable[[], AudioSource]) -> bool:
        """Stop the microphone first, then send what ``open_source`` (run in a worker thread) opens, muted or not as
        before (the broadcast keeps the mute): for re-initializing PortAudio in between. If it will not open, the
        microphone is lost (reported the usual way)."""
        audio, current = self.audio, self._microphone
        if audio is None or current is None:
            return False

        def open_delivering() -> AudioSource:
            source = open_source()
            source.enabled = True  # muting stays with the broadcast, which outlives the source
            return source

        if not await audio.reopen_source(open_delivering):
            return False
        assert isinstance(audio.source, AudioSource)
        self._microphone = audio.source
        return True

    # ---- joining and leaving ----------------------------------------------------------------------------

    @property
    def self_participant(self) -> Participant | None:
        """We, as the server last described us (our socket id, role, hand): None before the first join answer."""
        return self.meeting.me

    async def join(
        self,
        room_id: str,
        *,
        camera: bool = True,
        microphone: bool = True,
        password: str | None = None,
        mode: RoomMode | None = None,
    ) -> JoinAck | WaitingAck:
        """Connect, start our media, join ``room_id`` and offer to everyone already there. ``password``: the room's
        (sent again with every rejoin). A ``WaitingAck`` means we wait in the room's lobby: nobody is called until
        a host admits us (``on_meeting_changed`` tells it; then it goes as after a join). ``mode``: the room's
        (``room.mode``) when the caller knows it; else it is asked for (``GET /api/rooms/{id}``) while the socket
        connects."""
        if self._no_relay:
            self.report_error(
                CallError(CallErrorKind.NO_RELAY, "relay-only calls need a TURN server, and the server names none")
            )
        if camera:
            self._start_camera()
        self._start_microphone(enabled=microphone)
        asked = None if mode is not None else asyncio.create_task(self._room_mode(room_id), name="room-mode")
        try:
            await self.signaling.connect()
        finally:
            if asked is not None:
                mode = await asked
        assert mode is not None
        self.mode = mode
        self.room_id = room_id
        self._password = password
        ack = await self._join()
        self._tasks.spawn(self._watch(), "peer-watch")
        return ack

    async def _room_mode(self, room_id: str) -> RoomMode:
        """The room's mode as the server says; ``mesh`` when it cannot say (the join then says why, if the room is
        the problem; a server of contract version 1 has no other mode)."""
        try:
            async with ApiClient(self.signaling.server_url, self.signaling.token) as api:
                return (await api.get_room(room_id)).room.mode
        except (RestError, ValueError) as exc:
            logger.info("the room's mode is unknown (%s): a mesh", exc)
            return "mesh"

    async def _join(self) -> JoinAck | WaitingAck:
        self._ack_processed.clear()
        try:
            return await self._join_room()
        finally:
            self._ack_processed.set()  # also on a refusal or a timeout: nothing may wait for an ack that never comes

    async def _join_room(self) -> JoinAck | WaitingAck:
        assert self.room_id is not None
        started = time.monotonic()
        ack = await self.signaling.join(self.room_id, self.media_state, self.resume_id, password=self._password)
        self.join_ack_ms = (time.monotonic() - started) * 1000
        if isinstance(ack, WaitingAck):
            self.meeting.wait_in_lobby(ack.self_)
            self._meeting_changed()
        else:
            self._enter(ack)
        return ack

    def _enter(self, ack: JoinAck | Admitted) -> None:
        """In the room, by a join ack or admitted from the lobby: offer to everyone already there."""
        self.joined_at = time.monotonic()
        self.meeting.enter(ack.self_, ack.lobby)
        for participant in ack.participants:
            if participant.socket_id in self._former_sockets or participant.socket_id == ack.self_.socket_id:
                continue  # our replaced socket, not yet gone (or ourselves, from a confused server): it is us
            if (
                participant.socket_id in self.participants
                or not self._wanted(participant)
                or self._room_is_full(participant)
            ):
                continue
            self._add_participant(participant, since=self.joined_at)
            if self.mode == "mesh":
                peer = self._peer(participant.socket_id)
                self._tasks.spawn(peer.offer(), f"offer:{participant.socket_id}")
        if self.mode == "sfu":
            self._start_sfu()
        self._meeting_changed()
        self._tell_chat(ack.chat)

    async def leave(self) -> None:
        """Leave the room, close every peer and our devices. Idempotent: a second caller waits for the first
        one's leave to finish, and cancelling a caller does not cut the leave short."""
        await self._leave()

    async def _leave_now(self) -> None:
        self._closed = True
        # After the server ended our call we are in no room (or lobby) any more: nothing to leave.
        room_id = self.room_id if self.meeting.ended is None else None
        if room_id is not None and self.signaling.state == ConnectionState.CONNECTED:
            try:
                await self.signaling.leave(room_id)
            except SignalingError as exc:
                logger.info("leave-room: %s", exc)
        await self.signaling.close()
        # The tasks first: a receive loop or an offer still running would otherwise race the closing peers.
        await self._tasks.close()
        peers = list(self.peers.values())
        self.peers.clear()
        for peer in peers:
            await peer.close()
        await self._close_sfu()
        for encoder in (self.camera, self.screen):
            if encoder is not None:
                await encoder.close()
        if self.audio is not None:
            await self.audio.close()

    # ---- participants and peers -------------------------------------------------------------------------

    def _room_is_full(self, participant: Participant) -> bool:
        """No room holds more than PARTICIPANTS_MAX people (us included; SFU_PARTICIPANTS_MAX in an SFU room): a
        server announcing more is not believed, or each one would cost us a connection (or a tile)."""
        limit = SFU_PARTICIPANTS_MAX if self.mode == "sfu" else PARTICIPANTS_MAX
        if len(self.participants) < limit - 1:
            return False
        if self.ignored_joins == 0:
            logger.warning(
                "ignoring %s: the room already has the most participants a room can hold", participant.socket_id
            )
        self.ignored_joins += 1
        return True

    def _wanted(self, participant: Participant) -> bool:
        """Someone to call: everyone, unless the options name the one user this session connects to. The others
        are never known here, so any relay from them is ignored as from a stranger (they do not call us either)."""
        only = self.options.peer_only_with
        return only is None or participant.user_id == only

    def _add_participant(self, participant: Participant, since: float) -> RemoteParticipant:
        remote = RemoteParticipant.from_wire(participant, since)
        if self.sfu is not None and self.sfu.state != "new":
            # They come through the link as it is: its state (and pair) is their connection's first in the report.
            self._link_state(remote, self.sfu.state, since)
        self.participants[participant.socket_id] = remote
        self.meeting.add(participant)
        self.observer.on_participant_joined(remote)
        return remote

    def _peer(self, socket_id: str) -> Peer:
        peer = self.peers.get(socket_id)
        if peer is None:
            assert self.self_participant is not None
            peer = Peer(
                socket_id,
                self.self_participant.socket_id,
                configuration=self._configuration,
                signaling=self.signaling,
                media=self,
                observer=self,
                options=self.options,
            )
            self.peers[socket_id] = peer
        return peer

    async def _drop(self, socket_id: str) -> None:
        peer = self.peers.pop(socket_id, None)
        self._liveness.pop(socket_id, None)
        self._counted.pop(socket_id, None)
        remote = self.participants.pop(socket_id, None)
        # Told before the connection is closed (which takes a while): the tile goes the moment they left.
        if remote is not None:
            self.observer.on_participant_left(remote)
        if self.meeting.remove(socket_id):
            self._meeting_changed()
        if peer is not None:
            await peer.close()

    def on_peer_state(self, peer: Peer, state: PeerState) -> None:
        remote = self.participants.get(peer.socket_id)
        if remote is not None:
            remote.connection_state = state
            remote.stats.connection_states.append((state, time.monotonic()))
            if state == "connected":
                remote.stats.candidate_types = aiortc_compat.selected_candidate_types(peer.pc)
            self.observer.on_participant_updated(remote)

    def on_peer_track(self, peer: Peer, track: MediaStreamTrack) -> None:
        self._remote_track(peer.socket_id, track)

    def _remote_track(self, socket_id: str, track: MediaStreamTrack) -> None:
        remote = self.participants.get(socket_id)
        kind: TrackKind = "video" if track.kind == "video" else "audio"
        if remote is not None:
            self.observer.on_track(remote, kind)
        if kind == "audio" and self._audio_sink is not None:
            self._audio_sink(socket_id, track)
            return
        self._tasks.spawn(self._receive(socket_id, track), f"receive-{kind}:{socket_id}")

    async def _receive(self, socket_id: str, track: MediaStreamTrack) -> None:
        video = track.kind == "video"
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            remote = self.participants.get(socket_id)
            if remote is None:
                continue
            if video:
                remote.on_video_frame(frame, self._measure_latency)  # type: ignore[arg-type]
                self.observer.on_video_frame(remote)
            else:
                remote.on_audio_frame()
                for tap in self.remote_audio_taps:
                    tap(socket_id, frame)  # type: ignore[arg-type]

    # ---- SignalingHandler -------------------------------------------------------------------------------

    async def on_user_joined(self, participant: Participant) -> None:
        await self._ack_processed.wait()
        if (
            participant.socket_id in self.participants
            or participant.socket_id in self._former_sockets
            or self.self_participant is None
            or self.meeting.waiting
            or participant.socket_id == self.self_participant.socket_id
            or not self._wanted(participant)
            or self._room_is_full(participant)
        ):
            return
        self._add_participant(participant, since=time.monotonic())
        if self.mode == "mesh":
            self._peer(participant.socket_id)  # the newcomer offers; we wait with state ready for its messages
        self._meeting_changed()

    async def on_user_left(self, event: UserLeft) -> None:
        await self._ack_processed.wait()
        if event.socket_id in self._former_sockets:
            logger.debug("our former socket %s left the room", event.socket_id)
            return
        await self._drop(event.socket_id)

    def _member_peer(self, socket_id: str, event: str) -> Peer | None:
        """The peer for a relay from ``socket_id``, or None when that socket is not in our room: state is made only
        for participants we know, so relays from made-up ids (a hostile server) or from someone who has just left
        cannot create connections."""
        if self.self_participant is None or self.meeting.waiting:
            return None
        if socket_id not in self.participants:
            if self.ignored_relays == 0:
                logger.warning("ignoring %s from %s, who is not in our room (further ones counted)", event, socket_id)
            self.ignored_relays += 1
            return None
        return self._peer(socket_id)

    async def on_description(self, event: Relayed) -> None:
        await self._ack_processed.wait()
        description = event.description
        peer = self._member_peer(event.from_, description.type)
        if peer is not None:
            self._tasks.spawn(
                peer.handle_description(description.type, description.sdp), f"{description.type}:{event.from_}"
            )

    async def on_candidate(self, event: RelayedCandidate) -> None:
        await self._ack_processed.wait()
        peer = self._member_peer(event.from_, "a candidate")
        if peer is not None:
            self._tasks.spawn(peer.handle_candidate(event.candidate), f"candidate:{event.from_}")

    async def on_media_toggled(self, event: MediaToggled) -> None:
        await self._ack_processed.wait()
        remote = self.participants.get(event.socket_id)
        if remote is not None:
            remote.set_media(event.media_type, event.enabled)
            self.meeting.set_media(event.socket_id, event.media_type, event.enabled)
            self.observer.on_participant_updated(remote)
            self._meeting_changed()  # the People list shows microphones and cameras from the meeting's picture

    async def on_connection_state(self, state: ConnectionState, detail: str | None) -> None:
        self.observer.on_connection(state, detail)
        if (
            state == ConnectionState.CONNECTED
            and detail == "reconnected"
            and self.room_id
            and not self._closed
            and self.meeting.ended is None
        ):
            await self._rejoin()
        elif state == ConnectionState.CLOSED and detail:
            self.report_error(CallError(CallErrorKind.SIGNALING_CLOSED, detail))

    async def _rejoin(self) -> None:
        """After a signaling reconnect we are a new socket: everyone we knew is stale (the server said user-left
        to them about our old socket, or it restarted and forgot us all). Start over from the join ack, with the same
        resume id: the server replaces our old socket if it still holds it (a silent network death)."""
        if self.self_participant is not None:
            self._former_sockets.add(self.self_participant.socket_id)
        for socket_id in list(self.participants):
            await self._drop(socket_id)
        for socket_id in list(self.peers):
            await self._drop(socket_id)
        await self._close_sfu()
        self.meeting.left_room()
        try:
            await self._join()
        except SignalingError as exc:
            if exc.code == ErrorCode.REMOVED_FROM_ROOM:
                # Removed while our connection was down (the ``removed`` event went to our old socket).
                self._end("removed", None)
                return
            self.report_error(CallError(CallErrorKind.REJOIN_FAILED, exc.message, code=exc.code))

    # ---- an SFU room: one link to the SFU instead of a peer each (docs/protocol.md section 18) ---------------

    def _start_sfu(self) -> None:
        """In the room (a join ack or admitted): publish what we send; the server then offers what we receive."""
        if self.sfu is not None or self._closed:
            return
        self.sfu = SfuLink(
            configuration=self._configuration,
            signaling=self.signaling,
            media=self,
            observer=self,
            options=self.options,
        )
        self._tasks.spawn(self._publish(self.sfu), "sfu-publish")

    async def _publish(self, link: SfuLink) -> None:
        attempt = 0
        while True:
            if self.sfu is not link or link.closed:
                return
            try:
                await link.publish()
                break
            except SignalingError as exc:
                if exc.code in (ErrorCode.NOT_IN_ROOM, LocalErrorCode.DISCONNECTED):
                    return  # gone or between connections: the rejoin starts a new link
                # The SFU unreachable (``internal-error``; the server tries it again at each sfu-publish): the
                # call goes on (chat, the rest) while we try again, and the user is told once.
                if attempt == 0:
                    failed = f"sending to the SFU failed: {exc.message}"
                    self.report_error(CallError(CallErrorKind.SFU_UNREACHABLE, failed, code=exc.code))
                await asyncio.sleep(min(PUBLISH_RETRY_MAX_S, PUBLISH_RETRY_FIRST_S * 2**attempt))
                attempt += 1
        if attempt:
            logger.info("publishing to the SFU worked after %d failed attempt(s)", attempt)
        if self._view is not None:
            self._view_changed(link)  # a new link (a rejoin): the server knows no view of ours yet

    async def _close_sfu(self) -> None:
        link, self.sfu = self.sfu, None
        self._sfu_restarting = False
        self._sfu_seen = (-1, 0.0)
        if link is not None:
            await link.close()

    async def on_sfu_offer(self, event: SfuOffered) -> None:
        await self._ack_processed.wait()
        link = self.sfu
        if link is None or not self._in_room():
            return
        self._tasks.spawn(self._answer_sfu(link, event), "sfu-answer")

    async def _answer_sfu(self, link: SfuLink, event: SfuOffered) -> None:
        # The server applies our last view again after each answer: nothing to send here.
        try:
            await link.handle_offer(event)
        except SignalingError as exc:
            if exc.code not in (ErrorCode.NOT_IN_ROOM, LocalErrorCode.DISCONNECTED):
                raise

    def on_sfu_track(self, socket_id: str, track: MediaStreamTrack) -> None:
        if socket_id in self.participants:
            self._remote_track(socket_id, track)
        else:  # a stream of someone we do not know (yet, or any more): read and dropped by no one
            track.stop()

    def on_sfu_state(self, state: PeerState) -> None:
        """Everyone reaches us through the one link: its state is each remote's connection state."""
        now = time.monotonic()
        for remote in self.participants.values():
            self._link_state(remote, state, now)
            self.observer.on_participant_updated(remote)

    def _link_state(self, remote: RemoteParticipant, state: PeerState, at: float) -> None:
        remote.connection_state = state
        remote.stats.connection_states.append((state, at))
        if state == "connected" and self.sfu is not None:
            remote.stats.candidate_types = aiortc_compat.selected_candidate_types(self.sfu.receiving)

    async def show_only(self, socket_ids: Sequence[str] | None) -> None:
        """Whose video the grid shows (a page of a large room): in an SFU room the SFU then sends only theirs
        (audio from everyone). ``None``: everyone's. A mesh sends everyone's anyway. Returns at once: the view is
        sent in the background, one ``sfu-view`` at a time, the latest wish only (a grid filling up as a room
        arrives changes its view with every newcomer)."""
        self._view = None if socket_ids is None else list(dict.fromkeys(socket_ids))[:SFU_PARTICIPANTS_MAX]
        if self.sfu is not None:
            self._view_changed(self.sfu)

    @property
    def view_pending(self) -> bool:
        """An ``sfu-view`` is on its way or due (tests and tools wait for it)."""
        return self._view_sending or self._view_due

    def _view_changed(self, link: SfuLink) -> None:
        self._view_due = True
        if not self._view_sending:
            self._view_sending = True
            self._tasks.spawn(self._send_views(link), "sfu-view")

    async def _send_views(self, link: SfuLink) -> None:
        try:
            while self._view_due and self.sfu is link and not link.closed:
                self._view_due = False
                wanted = self._view if self._view is not None else list(self.participants)
                shown = [s for s in wanted if s in self.participants]
                logger.debug("sfu-view: %d of %d people's video", len(shown), len(self.participants))
                try:
                    await link.view(shown)
                except SignalingError as exc:
                    logger.info("sfu-view not sent: %s", exc)
        finally:
            self._view_sending = False

    # ---- the meeting (contract v1.1): what the server tells ------------------------------------------------

    def _meeting_changed(self) -> None:
        self.observer.on_meeting_changed(self.meeting.snapshot(self.media_state))

    def _tell_chat(self, messages: Sequence[ChatMessage]) -> None:
        for message in self.meeting.add_chat(messages):
            self.observer.on_chat_message(message)

    def _in_room(self) -> bool:
        """Room events count: we are in the room (not waiting in its lobby) and the call goes on."""
        return self.self_participant is not None and not self.meeting.waiting and self.meeting.ended is None

    async def on_admitted(self, event: Admitted) -> None:
        await self._ack_processed.wait()
        if self.meeting.waiting and not self._closed:
            self._enter(event)

    async def on_denied(self, event: Denied) -> None:
        await self._ack_processed.wait()
        if self.meeting.waiting:
            self._end("denied", None)

    async def on_removed(self, event: Removed) -> None:
        await self._ack_processed.wait()
        self._end("removed", event.by_username)

    async def on_meeting_ended(self, event: MeetingEnded) -> None:
        await self._ack_processed.wait()
        self._end(event.reason, event.by_username)

    def _end(self, reason: EndReason, by_username: str | None) -> None:
        """The server ended our call: tell it, then leave on a task of its own (this runs on the signaling
        dispatcher, which the leave closes and waits for). Nothing rejoins from now on."""
        if self._closed or self.meeting.ended is not None:
            return
        logger.info("the call ended: %s%s", reason, f" by {by_username}" if by_username else "")
        self.meeting.end(reason)
        self._meeting_changed()
        self.observer.on_call_ended(reason, by_username)
        self._ending = asyncio.create_task(self.leave(), name="call-ended-leave")

    async def on_muted_by_host(self, event: MutedByHost) -> None:
        """A host turned our microphone or camera off. The server has already told everyone else (``media-toggled``
        with ``enabled: false``), so we turn it off without a ``toggle-media`` of our own."""
        await self._ack_processed.wait()
        if not self._in_room():
            return
        if event.media_type == "microphone":
            await self.set_microphone(False, announce=False)
        else:
            await self.set_camera(False, announce=False)
        self.observer.on_muted_by_host(event.media_type, event.by_username)

    async def on_role_changed(self, event: RoleChanged) -> None:
        await self._ack_processed.wait()
        if self._in_room() and self.meeting.role_changed(event):
            self._meeting_changed()

    async def on_hand_raised(self, event: HandRaised) -> None:
        await self._ack_processed.wait()
        if self._in_room() and self.meeting.hand_raised(event):
            self._meeting_changed()

    async def on_recording_changed(self, event: RecordingChanged) -> None:
        await self._ack_processed.wait()
        if self._in_room() and self.meeting.recording_changed(event):
            self._meeting_changed()

    async def on_lobby_knock(self, entry: LobbyEntry) -> None:
        await self._ack_processed.wait()
        if self._in_room() and self.meeting.lobby_knock(entry):
            self._meeting_changed()

    async def on_lobby_left(self, event: LobbyLeft) -> None:
        await self._ack_processed.wait()
        if self.meeting.lobby_left(event.socket_id):
            self._meeting_changed()

    async def on_room_updated(self, event: RoomUpdated) -> None:
        await self._ack_processed.wait()
        if event.room.room_id == self.room_id and self.meeting.room_updated(event.room):
            self._meeting_changed()

    async def on_chat_message(self, message: ChatMessage) -> None:
        await self._ack_processed.wait()
        if self._in_room():
            self._tell_chat([message])

    async def on_reaction(self, event: Reaction) -> None:
        await self._ack_processed.wait()
        if self._in_room() and event.socket_id in self.participants:
            self.observer.on_reaction(event.socket_id, event.emoji)

    # ---- the meeting: what we do ------------------------------------------------------------------------
    # Each raises SignalingError when the server refuses (``forbidden`` for a participant's host action, say).

    async def send_chat(self, text: str, to: str | None = None) -> ChatMessage:
        """To the room, or to the socket ``to`` alone. Our own message is told like the others' once sent.
        Raises ValueError for a text the contract refuses (empty, or too long)."""
        message = await self.signaling.send_chat(text, to)
        self._tell_chat([message])
        return message

    async def raise_hand(self, raised: bool = True) -> None:
        await self.signaling.raise_hand(raised)
        if self.meeting.own_hand(raised):  # the server tells everyone else, not us
            self._meeting_changed()

    async def react(self, emoji: str) -> None:
        """One of ``protocol.REACTIONS`` (else ValueError); told to our own observer too, as from us."""
        await self.signaling.react(emoji)
        if self.self_participant is not None:
            self.observer.on_reaction(self.self_participant.socket_id, emoji)

    async def set_recording(self, active: bool) -> None:
        """Hosts only: tell the room that we record (or stopped)."""
        await self.signaling.set_recording(active)
        if self.meeting.own_recording(active):
            self._meeting_changed()

    async def admit(self, socket_id: str) -> None:
        await self.signaling.admit(socket_id)

    async def deny(self, socket_id: str) -> None:
        await self.signaling.deny(socket_id)

    async def set_role(self, socket_id: str, role: Role) -> None:
        await self.signaling.set_role(socket_id, role)

    async def mute_participant(self, socket_id: str, media: ModeratedMedia = "microphone") -> None:
        await self.signaling.mute_participant(socket_id, media)

    async def mute_all(self) -> None:
        await self.signaling.mute_all()

    async def remove_participant(self, socket_id: str) -> None:
        await self.signaling.remove_participant(socket_id)

    async def lock_room(self, locked: bool) -> None:
        await self.signaling.lock_room(locked)

    async def lower_hand(self, socket_id: str) -> None:
        await self.signaling.lower_hand(socket_id)

    async def end_meeting(self) -> None:
        """End the meeting for everyone; our own call ends with it (``on_call_ended``, ``ended-by-host``)."""
        try:
            await self.signaling.end_meeting()
        except SignalingError as exc:
            # The server tells everyone, us too, before it answers; our call's end then closes the connection,
            # which may take the answer with it. The meeting did end: that was the point.
            if exc.code != LocalErrorCode.DISCONNECTED or self.meeting.ended is None:
                raise

    # ---- the camera's encoding level -------------------------------------------------------------------------

    def set_video_quality(self, height: int) -> None:
        """The preset (settings ``video_quality``) changed: a new ceiling for the camera's level."""
        self.video_quality = height
        self.quality.set_preset(height)
        if isinstance(self.camera, SharedVideoEncoder) and self.options.adapt_video:
            self.camera.level = self.quality.level

    def _adapt_video(self, now: float) -> None:
        """Observe the camera's encoding and the receivers' reports; hand the level chosen to the encoder."""
        camera = self.camera
        if not isinstance(camera, SharedVideoEncoder) or not self.options.adapt_video:
            return
        source = camera.latest_frame
        if source is not None:  # a camera opened at fewer lines than the preset is the real ceiling
            self.quality.set_preset(min(self.video_quality, source.height))
        seen = (id(camera), camera.frames_encoded, camera.encode_seconds)
        before, self._quality_seen = self._quality_seen, seen
        encode_ms = None
        if before is not None and before[0] == seen[0] and seen[1] > before[1]:
            encode_ms = (seen[2] - before[2]) / (seen[1] - before[1]) * 1000
        # Receivers' loss is known only while the RTCP figures are gathered (getStats costs a walk over every
        # connection: the statistics view asks for it); the round trip is measured on every connection anyway.
        losses, round_trips = [], []
        for socket_id in self.peers:
            outbound = self.rtcp_figures(socket_id)[1]
            if outbound.fraction_lost is not None:
                losses.append(outbound.fraction_lost)
        for sender in self._senders():
            round_trip = sender.round_trips.get("video")
            if round_trip is not None and round_trip.seconds is not None:
                round_trips.append(round_trip.seconds)
        observation = Observation(
            at=now,
            participants=len(self.participants) + 1,
            encode_ms=encode_ms,
            bitrate_bps=camera.estimated_bitrate,
            loss_fraction=max(losses, default=None),
            round_trip_s=max(round_trips, default=None),
        )
        camera.level = self.quality.decide(observation)

    # ---- health -----------------------------------------------------------------------------------------

    def _watch_sfu(self, now: float) -> None:
        """Each person's packets, counted on the one link by their streams (``SfuLink.take_received``), as a mesh
        counts a peer's. A failed SFU link is not rebuilt on its own: the SFU ties both connections to our socket,
        so we start over as after a network drop (a new socket, a rejoin with the same resume id, a new link)."""
        link = self.sfu
        if link is None:
            return
        received = link.take_received()
        for socket_id, person in self.participants.items():
            packets, total_bytes = received.get(socket_id, (0, 0))
            person.stats.packets_received += packets
            person.stats.bytes_received += total_bytes
            self.observer.on_stats(person)
        packets = link.packets_received()
        if packets != self._sfu_seen[0]:
            self._sfu_seen = (packets, now)
        silent = now - self._sfu_seen[1]
        # aiortc notices a dead path only after ~30 s of consent failures (as in a mesh, see DEAD_AFTER_S).
        dead = link.state in ("failed", "closed") or (link.state == "connected" and silent > DEAD_AFTER_S)
        if not dead or self.signaling.state != ConnectionState.CONNECTED:
            self._sfu_restarting = False
            return
        if not self._sfu_restarting:
            self._sfu_restarting = True
            reason = link.state if link.state != "connected" else f"silent for {silent:.1f} s"
            logger.warning("the connection to the SFU: %s; joining again", reason)
            self._tasks.spawn(self.signaling.drop_connection(), "sfu-restart")

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(WATCH_INTERVAL_S)
            now = time.monotonic()
            # Due a tick early rather than a tick late: on the half-second ticks, that is once a second.
            due = now - self._rtcp_at >= RTCP_INTERVAL_S - WATCH_INTERVAL_S / 2
            if now - self._quality_at >= QUALITY_INTERVAL_S - WATCH_INTERVAL_S / 2:
                self._quality_at = now
                self._adapt_video(now)
            if now < self._rtcp_wanted_until and due and not self._rtcp_gathering:
                self._rtcp_at, self._rtcp_gathering = now, True
                self._tasks.spawn(self._gather_rtcp(), "rtcp-stats")
            self._watch_sfu(now)
            for socket_id, peer in list(self.peers.items()):
                packets, total_bytes = peer.transport_counters()
                remote = self.participants.get(socket_id)
                if remote is not None:
                    # Counters restart with each rebuilt connection: add what is new since the last look.
                    generation, seen_packets, seen_bytes = self._counted.get(socket_id, (peer.generation, 0, 0))
                    if generation != peer.generation:
                        seen_packets = seen_bytes = 0
                    remote.stats.packets_received += packets - seen_packets
                    remote.stats.bytes_received += total_bytes - seen_bytes
                    self._counted[socket_id] = (peer.generation, packets, total_bytes)
                    self.observer.on_stats(remote)
                last_packets, since = self._liveness.get(socket_id, (-1, now))
                if packets != last_packets:
                    self._liveness[socket_id] = (packets, now)
                    continue
                state = peer.pc.connectionState
                stalled = now - since
                if self.signaling.state != ConnectionState.CONNECTED:
                    continue
                if (
                    (state == "connected" and stalled > DEAD_AFTER_S)
                    or state == "failed"
                    # Closed, yet still ours (a peer we close is gone from ``peers``): aiortc closes a connection
                    # itself when its STUN consent expires, e.g. after the loop fell seconds behind.
                    or state == "closed"
                    or (state in ("new", "connecting") and stalled > CONNECT_TIMEOUT_S)
                ):
                    self._liveness[socket_id] = (packets, now)
                    self._tasks.spawn(
                        peer.rebuild(f"{state}, nothing received for {stalled:.1f} s"), f"rebuild:{socket_id}"
                    )
