"""One remote participant: one RTCPeerConnection, its negotiation, and the rebuild that replaces an ICE restart.

- Every connection carries one audio and one video transceiver, sendrecv, from the start, whatever devices we
  have: turning a camera on later, or switching to the screen, is a ``replaceTrack`` and never a renegotiation.
- Operations on a peer (offers, answers, candidates, rebuilds) run one at a time, in arrival order.
- Remote candidates that arrive before the remote description are queued (aiortc would drop them), at most
  ``MAX_PENDING_CANDIDATES``: a real peer gathers a handful; a hostile one must not grow our memory with thousands.
- Glare (both sides offer at once): the peer with the lower socket id is polite. aiortc cannot roll back, so the
  polite side rebuilds its connection and answers; the impolite side ignores the colliding offer.
- aiortc has no ICE restart and notices a dead path only after ~30 s of consent failures, so the session watches
  inbound packets (``transport_counters()``) and calls ``rebuild()``: a fresh connection and a fresh offer.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from typing import Any, Protocol, cast

from aiortc import (
    RTCConfiguration,
    RTCPeerConnection,
    RTCRtpReceiver,
    RTCRtpSender,
    RTCRtpTransceiver,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamTrack
from aiortc.sdp import candidate_from_sdp

from nimeet_desktop.call import aiortc_compat
from nimeet_desktop.call.audio_broadcast import AudioBroadcast
from nimeet_desktop.call.call_stats import RtcpFigures, rtcp_figures
from nimeet_desktop.call.jitter import use_marker_jitter_buffers
from nimeet_desktop.call.options import EngineOptions
from nimeet_desktop.call.outgoing_track import OutgoingAudioTrack, OutgoingTrack
from nimeet_desktop.call.remote import PeerState
from nimeet_desktop.call.shared_encoder import SharedVideoEncoder
from nimeet_desktop.call.video_feed import VideoFeed
from nimeet_desktop.net.error_codes import LocalErrorCode
from nimeet_desktop.net.signaling import DescriptionType, SignalingError
from signaling_server.protocol import ErrorCode, IceCandidateInit

logger = logging.getLogger(__name__)

# Candidates kept while there is no remote description yet: a browser or aiortc peer sends a few per interface
# (host, srflx, relay, per transport) — far fewer than this. The rest are dropped, with one log line per peer.
MAX_PENDING_CANDIDATES = 64


class PeerSignaling(Protocol):
    async def send_description(self, target: str, kind: DescriptionType, sdp: str) -> None: ...


class PeerMedia(Protocol):
    """What we send, shared by all peers; the session switches it (camera, screen, none)."""

    def video_feed(self) -> VideoFeed | None: ...
    def audio_feed(self) -> AudioBroadcast | None: ...


class PeerObserver(Protocol):
    def on_peer_track(self, peer: Peer, track: MediaStreamTrack) -> None: ...
    def on_peer_state(self, peer: Peer, state: PeerState) -> None: ...


def ice_ufrag(sdp: str) -> str | None:
    for line in sdp.splitlines():
        if line.startswith("a=ice-ufrag:"):
            return line.split(":", 1)[1].strip()
    return None


def prepare_sender(
    transceiver: RTCRtpTransceiver,
    video_out: OutgoingTrack[Any],
    audio_out: OutgoingAudioTrack,
    round_trips: dict[str, aiortc_compat.RoundTrip],
    media: PeerMedia,
    options: EngineOptions,
) -> None:
    """``transceiver`` sends our per-connection track of its kind, fed from what ``media`` gives now; VP8 first for
    video (our shared encoder's codec). Idempotent. For a mesh peer's connection and an SFU's publishing one."""
    sender = transceiver.sender
    # A connection closed while its ICE checks complete (a call left during a rejoin) must not keep checking.
    aiortc_compat.end_consent_checks_after_close(aiortc_compat.ice_connection(sender))
    if sender.track is None and transceiver.kind not in round_trips:
        round_trips[transceiver.kind] = aiortc_compat.measure_round_trip(sender)
    if transceiver.kind == "video":
        _prefer_vp8(transceiver)
        if sender.track is None:
            sender.replaceTrack(video_out)
            if options.encode_once:
                _route_feedback(sender, video_out)
            video_out.switch(media.video_feed())
    elif sender.track is None:
        sender.replaceTrack(audio_out)
        aiortc_compat.send_audio_levels(sender, audio_out)
        audio_out.switch(media.audio_feed())


def lean_packet_path(pc: RTCPeerConnection, options: EngineOptions) -> None:
    """Received packets handled in aioice's datagram callback (``aiortc_compat.handle_srtp_inline``) on every
    transport a transceiver uses; call again after a remote description (BUNDLE moves transceivers onto the first
    one's transport, and an SFU's offers add transceivers). Idempotent."""
    if not options.lean_packet_path:
        return
    for transceiver in pc.getTransceivers():
        aiortc_compat.handle_srtp_inline(transceiver.receiver.transport)
        if transceiver.kind == "audio":
            aiortc_compat.decode_audio_inline(transceiver.receiver)


def _prefer_vp8(transceiver: RTCRtpTransceiver) -> None:
    capabilities = RTCRtpReceiver.getCapabilities("video")
    assert capabilities is not None
    vp8 = [c for c in capabilities.codecs if c.mimeType.lower() in ("video/vp8", "video/rtx")]
    transceiver.setCodecPreferences(vp8)


def _route_feedback(sender: RTCRtpSender, track: OutgoingTrack[Any]) -> None:
    """Keyframe requests (PLI/FIR) and bitrate estimates (REMB) go to the shared encoder we currently send;
    aiortc would apply them to an encoder of its own, which pre-encoded packets bypass."""
    key = id(sender)

    def on_bitrate(bitrate: int) -> None:
        if isinstance(track.feed, SharedVideoEncoder):
            track.feed.report_bitrate(key, bitrate)

    aiortc_compat.route_video_feedback(sender, on_keyframe_request=track.request_keyframe, on_bitrate=on_bitrate)


def forget_estimate(pc: RTCPeerConnection) -> None:
    """This connection's bitrate estimate no longer bounds the encoder it was sending."""
    for transceiver in pc.getTransceivers():
        track = transceiver.sender.track
        if isinstance(track, OutgoingTrack) and isinstance(track.feed, SharedVideoEncoder):
            track.feed.forget_bitrate(id(transceiver.sender))


async def close_connection(pc: RTCPeerConnection) -> None:
    """Close ``pc`` and stop the tracks it sent (aiortc's sender loop ends for good with its track)."""
    tracks = [t.sender.track for t in pc.getTransceivers() if t.sender.track is not None]
    forget_estimate(pc)
    with contextlib.suppress(Exception):
        await pc.close()
    for track in tracks:
        track.stop()


def received_counters(*pcs: RTCPeerConnection) -> tuple[int, int]:
    """(packets, bytes) received so far on the transports of ``pcs``, media and RTCP, each transport once."""
    transports = {id(t.receiver.transport): t.receiver.transport for pc in pcs for t in pc.getTransceivers()}
    received = [aiortc_compat.transport_received(dtls) for dtls in transports.values()]
    return sum(packets for packets, _ in received), sum(size for _, size in received)


class Peer:
    def __init__(
        self,
        socket_id: str,
        self_id: str,
        *,
        configuration: RTCConfiguration,
        signaling: PeerSignaling,
        media: PeerMedia,
        observer: PeerObserver,
        options: EngineOptions | None = None,
    ) -> None:
        self.socket_id = socket_id
        # Socket ids compare as plain strings (contract): the lower one is polite.
        self.polite = self_id < socket_id
        self._configuration = configuration
        self._signaling = signaling
        self._media = media
        self._observer = observer
        self._options = options or EngineOptions()
        if self._options.lean_packet_path:
            aiortc_compat.install_lean_packet_hooks()
        self._lock = asyncio.Lock()
        self._pending_candidates: list[IceCandidateInit | None] = []
        self.dropped_candidates = 0  # over MAX_PENDING_CANDIDATES, for the log line and the tests
        self._closed = False
        self.generation = 0
        self.rebuilds = 0
        self.negotiations = 0  # offers made and answered: a track switch must not add one
        self.pc = self._new_connection()

    # ---- connection lifecycle ---------------------------------------------------------------------------

    def _new_connection(self) -> RTCPeerConnection:
        self.generation += 1
        generation = self.generation
        pc = RTCPeerConnection(self._configuration)
        # Tracks live as long as their connection: aiortc's sender loop ends for good with its track.
        # Pre-encoded packets start at a keyframe; raw frames (encode_once off) are encoded by the sender itself.
        self.video_out: OutgoingTrack[Any] = OutgoingTrack("video", keyframes=self._options.encode_once)
        self.audio_out = OutgoingAudioTrack()
        self.round_trips: dict[str, aiortc_compat.RoundTrip] = {}  # by kind, for the statistics

        @pc.on("connectionstatechange")
        def on_state() -> None:
            if generation == self.generation and not self._closed:
                # aiortc types it as str; its values are exactly RTCPeerConnectionState's.
                self._observer.on_peer_state(self, cast(PeerState, pc.connectionState))

        @pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            if generation == self.generation and not self._closed:
                self._observer.on_peer_track(self, track)

        return pc

    def _prepare_transceivers(self, *, offering: bool) -> None:
        """Our transceivers sendrecv with our current tracks; VP8 first for video (our shared encoder's codec).

        Offering, we make sure there is one of each kind. Answering, we use only what the offer has: an answer
        cannot add a media section, and aiortc fails to answer with a transceiver the offer does not know (a client
        that offers audio only, say)."""
        pc = self.pc
        kinds = {t.kind for t in pc.getTransceivers()}
        for kind in ("audio", "video"):
            if offering and kind not in kinds:
                pc.addTransceiver(kind, direction="sendrecv")
        for transceiver in pc.getTransceivers():
            transceiver.direction = "sendrecv"
            prepare_sender(transceiver, self.video_out, self.audio_out, self.round_trips, self._media, self._options)
        if self._options.marker_jitter_buffer:
            use_marker_jitter_buffers(pc)
        lean_packet_path(pc, self._options)

    def replace_video(self) -> None:
        """Send whatever the session's media now gives (camera, screen, nothing): no renegotiation."""
        feed = self._media.video_feed()
        if feed is not self.video_out.feed:
            forget_estimate(self.pc)
            self.video_out.switch(feed)

    async def close(self) -> None:
        """Close the connection and stop our per-peer tracks. Idempotent."""
        if self._closed:
            return
        self._closed = True
        await close_connection(self.pc)

    @property
    def closed(self) -> bool:
        return self._closed

    # ---- negotiation ------------------------------------------------------------------------------------

    async def offer(self) -> None:
        async with self._lock:
            await self._offer()

    async def _offer(self) -> None:
        if self._closed:
            return
        self._prepare_transceivers(offering=True)
        self.negotiations += 1
        await self.pc.setLocalDescription(await self.pc.createOffer())
        await self._send("offer", self.pc.localDescription.sdp)

    async def rebuild(self, reason: str) -> None:
        """Replace the connection with a new one and offer again (our stand-in for an ICE restart)."""
        async with self._lock:
            if self._closed:
                return
            logger.info("rebuilding connection to %s: %s", self.socket_id, reason)
            await self._replace_connection()
            await self._offer()

    async def _replace_connection(self) -> None:
        old = self.pc
        self.pc = self._new_connection()
        self.rebuilds += 1
        self._pending_candidates.clear()
        await close_connection(old)

    async def handle_description(self, kind: DescriptionType, sdp: str) -> None:
        async with self._lock:
            if self._closed:
                return
            if kind == "offer":
                await self._handle_offer(sdp)
            else:
                await self._handle_answer(sdp)

    async def _handle_offer(self, sdp: str) -> None:
        pc = self.pc
        if pc.signalingState == "have-local-offer":
            if not self.polite:
                logger.info("glare with %s: we are impolite, ignoring its offer", self.socket_id)
                return
            logger.info("glare with %s: we are polite, dropping our offer and answering", self.socket_id)
            await self._replace_connection()
        elif pc.remoteDescription is not None and ice_ufrag(sdp) != ice_ufrag(pc.remoteDescription.sdp):
            # The remote side started over with a new connection (its rebuild): so must we.
            await self._replace_connection()
        pc = self.pc
        self.negotiations += 1
        await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
        self._prepare_transceivers(offering=False)
        await self._flush_candidates()
        await pc.setLocalDescription(await pc.createAnswer())
        await self._send("answer", pc.localDescription.sdp)

    async def _send(self, kind: DescriptionType, sdp: str) -> None:
        try:
            await self._signaling.send_description(self.socket_id, kind, sdp)
        except SignalingError as exc:
            # They left (or we are between connections) while we negotiated: the room's own events deal with it
            # (user-left drops this peer; a rejoin starts over), so this is no failure to report.
            if exc.code not in (ErrorCode.UNKNOWN_TARGET, ErrorCode.NOT_IN_ROOM, LocalErrorCode.DISCONNECTED):
                raise
            logger.info("%s to %s not delivered: %s", kind, self.socket_id, exc)

    async def _handle_answer(self, sdp: str) -> None:
        if self.pc.signalingState != "have-local-offer":
            logger.info("ignoring an answer from %s in state %s", self.socket_id, self.pc.signalingState)
            return
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))
        lean_packet_path(self.pc, self._options)
        await self._flush_candidates()

    async def handle_candidate(self, candidate: IceCandidateInit | None) -> None:
        async with self._lock:
            if self._closed:
                return
            if self.pc.remoteDescription is None:
                self._queue_candidate(candidate)
                return
            await self._add_candidate(candidate)

    def _queue_candidate(self, candidate: IceCandidateInit | None) -> None:
        if len(self._pending_candidates) < MAX_PENDING_CANDIDATES:
            self._pending_candidates.append(candidate)
            return
        if self.dropped_candidates == 0:
            logger.warning(
                "%s sent over %d candidates before its description: dropping the rest",
                self.socket_id,
                MAX_PENDING_CANDIDATES,
            )
        self.dropped_candidates += 1

    @property
    def pending_candidates(self) -> int:
        return len(self._pending_candidates)

    async def _flush_candidates(self) -> None:
        pending, self._pending_candidates = self._pending_candidates, []
        for candidate in pending:
            await self._add_candidate(candidate)

    async def _add_candidate(self, init: IceCandidateInit | None) -> None:
        if init is None:
            await self.pc.addIceCandidate(None)
            return
        text = init.candidate.removeprefix("candidate:")
        if not text:
            return  # an empty candidate is another way to say end-of-candidates for this m-line
        try:
            candidate = candidate_from_sdp(text)
        except (ValueError, IndexError):
            logger.warning("ignoring an unparsable candidate from %s", self.socket_id)
            return
        candidate.sdpMid = init.sdp_mid
        candidate.sdpMLineIndex = init.sdp_m_line_index
        try:
            await self.pc.addIceCandidate(candidate)
        except ValueError as exc:
            logger.warning("ignoring a candidate from %s: %s", self.socket_id, exc)

    # ---- statistics -------------------------------------------------------------------------------------

    async def rtcp_figures(self) -> tuple[RtcpFigures, RtcpFigures]:
        """(their video as we receive it, ours as they receive it) from this connection's RTCP, via aiortc's
        ``getStats()`` (no network traffic: it reads what the RTCP loops have already counted)."""
        inbound, outbound = rtcp_figures(await self.pc.getStats())
        # Ours counts every echoed sender report, aiortc's only an echo of the last one (aiortc_compat.RoundTrip).
        # Audio's first: it sends all the time (silence while muted), so its reports are always fresh; video sends
        # nothing while the camera is off.
        measured = [r.seconds for r in (self.round_trips.get("audio"), self.round_trips.get("video")) if r]
        round_trip = next((seconds for seconds in measured if seconds is not None), outbound.round_trip_s)
        return inbound, dataclasses.replace(outbound, round_trip_s=round_trip)

    # ---- health -----------------------------------------------------------------------------------------

    def transport_counters(self) -> tuple[int, int]:
        """(packets, bytes) received on this connection so far, media and RTCP. A live aiortc peer sends RTCP
        reports at least every ~1.5 s even when it sends no media, so a count that stops moving means a dead path.
        """
        return received_counters(self.pc)
