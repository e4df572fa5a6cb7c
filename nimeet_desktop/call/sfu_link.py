"""Our media through the SFU in an ``"sfu"`` room (docs/protocol.md section 18): one connection out, one in.

- *Sending*: one PeerConnection that carries our camera (or screen) and microphone once, to the SFU, whatever the
  number of people. Like a mesh peer it has an audio and a video transceiver from the start, fed by the session's
  shared encoder and audio broadcast, so turning the camera on or sharing the screen is a ``replaceTrack`` and never
  a renegotiation. We offer (``sfu-publish``); the ack is the SFU's answer.
- *Receiving*: one PeerConnection for everyone else, offered by the server (``sfu-offer``) whenever what we receive
  changes and answered (``sfu-answer``) one offer at a time, in order.
- Whose is what: each ``sfu-offer`` lists its m-lines (``streams``: ``mid`` -> ``socketId``). The SFU reuses an
  m-line that went inactive for someone who arrives later, so the owner of a transceiver's track can change. Each
  received track is therefore read by one pump here and its frames handed on through a ``RoutedTrack`` per (m-line,
  owner): the session reads that like a mesh peer's track, and when the m-line changes hands or goes inactive the
  routed track ends and a new one starts for the new owner.
- Both connections use max-bundle: the SFU's offer has one m-line per stream, several of one kind, in one BUNDLE
  group, which aiortc's default policy leaves partly unconnected (docs/sfu.md).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from typing import Any, Protocol, cast

import av
from aiortc import RTCBundlePolicy, RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from nimeet_desktop.call import aiortc_compat
from nimeet_desktop.call.jitter import use_marker_jitter_buffers
from nimeet_desktop.call.options import EngineOptions
from nimeet_desktop.call.outgoing_track import OutgoingAudioTrack, OutgoingTrack
from nimeet_desktop.call.peer import (
    PeerMedia,
    close_connection,
    forget_estimate,
    lean_packet_path,
    prepare_sender,
    received_counters,
)
from nimeet_desktop.call.remote import PeerState
from signaling_server.protocol import SfuOffered, SfuStream

logger = logging.getLogger(__name__)

# Frames a routed track holds for a reader that fell behind; the oldest go first (a late frame is worth nothing).
ROUTED_FRAMES_MAX = 8


class SfuSignaling(Protocol):
    async def sfu_publish(self, offer_sdp: str) -> str: ...
    async def sfu_answer(self, answer_sdp: str) -> None: ...
    async def sfu_view(self, socket_ids: list[str]) -> None: ...


class SfuObserver(Protocol):
    def on_sfu_track(self, socket_id: str, track: MediaStreamTrack) -> None:
        """A new track of ``socket_id``'s (audio or video), to be read like a mesh peer's."""

    def on_sfu_state(self, state: PeerState) -> None:
        """The link's state: the receiving connection's, or ``failed`` when either connection failed."""


class RoutedTrack(MediaStreamTrack):
    """The frames of one m-line while it carries one person's stream; ends when it no longer does."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind
        self._frames: asyncio.Queue[av.AudioFrame | av.VideoFrame | None] = asyncio.Queue()

    def put(self, frame: av.AudioFrame | av.VideoFrame) -> None:
        if self.readyState != "live":
            return
        if self._frames.qsize() >= ROUTED_FRAMES_MAX:
            self._frames.get_nowait()
        self._frames.put_nowait(frame)

    async def recv(self) -> Any:
        if self.readyState != "live" and self._frames.empty():
            raise MediaStreamError
        frame = await self._frames.get()
        if frame is None:
            raise MediaStreamError
        return frame

    def stop(self) -> None:
        if self.readyState == "live":
            self._frames.put_nowait(None)
        super().stop()


def sfu_configuration(configuration: RTCConfiguration) -> RTCConfiguration:
    """The session's ICE servers and transport policy (relay-only or not), with max-bundle."""
    return dataclasses.replace(configuration, bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)


class SfuLink:
    def __init__(
        self,
        *,
        configuration: RTCConfiguration,
        signaling: SfuSignaling,
        media: PeerMedia,
        observer: SfuObserver,
        options: EngineOptions | None = None,
    ) -> None:
        self._configuration = sfu_configuration(configuration)
        self._signaling = signaling
        self._media = media
        self._observer = observer
        self._options = options or EngineOptions()
        if self._options.lean_packet_path:
            aiortc_compat.install_lean_packet_hooks()
        self._lock = asyncio.Lock()  # offers are answered one at a time, in order
        self._closed = False
        self.views_sent = 0  # sfu-view events
        self.streams: dict[str, SfuStream] = {}  # mid -> the stream the last offer says it carries
        self._routed: dict[str, tuple[str, RoutedTrack]] = {}  # mid -> (owner, its frames)
        self._pumps: list[asyncio.Task[None]] = []
        self._state: PeerState = "new"
        self.video_out: OutgoingTrack[Any] = OutgoingTrack("video", keyframes=self._options.encode_once)
        self.audio_out = OutgoingAudioTrack()
        self.round_trips: dict[str, aiortc_compat.RoundTrip] = {}
        self._ssrc_mids: dict[int, str] = {}  # the SSRCs the last offer routes, to their m-lines
        self._received: dict[str, list[int]] = {}  # person -> [RTP packets, bytes] from their streams, not yet taken
        self.sending = RTCPeerConnection(self._configuration)
        self.receiving = RTCPeerConnection(self._configuration)
        self.sending.on("connectionstatechange", self._state_changed)
        self.receiving.on("connectionstatechange", self._state_changed)
        self.receiving.on("track", self._on_track)

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def state(self) -> PeerState:
        return self._state

    def _state_changed(self) -> None:
        if self._closed:
            return
        states = (self.sending.connectionState, self.receiving.connectionState)
        state = cast(PeerState, "failed" if "failed" in states else self.receiving.connectionState)
        if state != self._state:
            self._state = state
            self._observer.on_sfu_state(state)

    # ---- sending ------------------------------------------------------------------------------------------

    async def publish(self) -> None:
        """Offer what we send (an audio and a video transceiver, whatever devices we have) and apply the answer.
        Again after a failure (the SFU unreachable): the same offer."""
        if self._closed:
            return
        if not self.sending.getTransceivers():
            for kind in ("audio", "video"):
                self.sending.addTransceiver(kind, direction="sendonly")
            for transceiver in self.sending.getTransceivers():
                prepare_sender(
                    transceiver, self.video_out, self.audio_out, self.round_trips, self._media, self._options
                )
            await self.sending.setLocalDescription(await self.sending.createOffer())
        answer = await self._signaling.sfu_publish(self.sending.localDescription.sdp)
        if self._closed:
            return
        await self.sending.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))

    def replace_video(self) -> None:
        """Send whatever the session's media now gives (camera, screen, nothing): no renegotiation."""
        feed = self._media.video_feed()
        if feed is not self.video_out.feed:
            forget_estimate(self.sending)
            self.video_out.switch(feed)

    # ---- receiving ----------------------------------------------------------------------------------------

    async def handle_offer(self, offer: SfuOffered) -> None:
        """Apply the SFU's offer of what we receive and answer it."""
        async with self._lock:
            if self._closed:
                return
            self.streams = {s.mid: s for s in offer.streams}
            self._reroute()
            pc = self.receiving
            await pc.setRemoteDescription(RTCSessionDescription(sdp=offer.description.sdp, type="offer"))
            # An m-line may now carry someone else's stream: route its packets, and count them for its owner (before
            # ``lean_packet_path``, which takes the transport's handler as it then is).
            self._ssrc_mids = aiortc_compat.route_offered_ssrcs(pc)
            for transceiver in pc.getTransceivers():
                if transceiver.receiver.transport is not None:
                    aiortc_compat.watch_received_rtp(transceiver.receiver.transport, self._received_rtp)
            if self._options.marker_jitter_buffer:
                use_marker_jitter_buffers(pc)
            lean_packet_path(pc, self._options)
            await pc.setLocalDescription(await pc.createAnswer())
            await self._signaling.sfu_answer(pc.localDescription.sdp)

    def _reroute(self) -> None:
        """End the routed tracks of m-lines that went inactive or changed hands."""
        for mid, (owner, routed) in list(self._routed.items()):
            stream = self.streams.get(mid)
            if stream is None or not stream.active or stream.socket_id != owner:
                del self._routed[mid]
                routed.stop()

    def owners(self) -> set[str]:
        """Everyone whose streams flow to us, as the last offer says."""
        return {s.socket_id for s in self.streams.values() if s.active}

    async def view(self, socket_ids: list[str]) -> None:
        """Show only these people's video (the SFU pauses the others'; audio always flows)."""
        self.views_sent += 1
        await self._signaling.sfu_view(socket_ids)

    def _on_track(self, track: MediaStreamTrack) -> None:
        if self._closed:
            return
        mid = next((t.mid for t in self.receiving.getTransceivers() if t.receiver.track is track), None)
        if mid is None:
            return
        self._pumps.append(asyncio.get_running_loop().create_task(self._pump(str(mid), track), name=f"sfu-{mid}"))

    async def _pump(self, mid: str, track: MediaStreamTrack) -> None:
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            stream = self.streams.get(mid)
            if stream is None or not stream.active:
                continue
            entry = self._routed.get(mid)
            if entry is None:
                entry = (stream.socket_id, RoutedTrack(stream.kind))
                self._routed[mid] = entry
                self._observer.on_sfu_track(stream.socket_id, entry[1])
            if isinstance(frame, (av.AudioFrame, av.VideoFrame)):  # aiortc's receivers give decoded frames
                entry[1].put(frame)

    def _received_rtp(self, ssrc: int, size: int) -> None:
        stream = self.streams.get(self._ssrc_mids.get(ssrc, ""))
        if stream is None or not stream.active:
            return
        counts = self._received.setdefault(stream.socket_id, [0, 0])
        counts[0] += 1
        counts[1] += size

    def take_received(self) -> dict[str, tuple[int, int]]:
        """(RTP packets, bytes) received from each person's streams since the last call: what a mesh counts per
        peer connection (there with RTCP too; the SFU's reports here are nobody's)."""
        taken = {owner: (packets, size) for owner, (packets, size) in self._received.items()}
        self._received.clear()
        return taken

    # ---- health -------------------------------------------------------------------------------------------

    def packets_received(self) -> int:
        """Packets received so far on both connections, media and RTCP: the SFU sends receiver reports for what we
        publish (audio flows all the time, silence while muted) and media for what we receive, so a count that
        stops moving means a dead path or a dead SFU."""
        return received_counters(self.sending, self.receiving)[0]

    async def close(self) -> None:
        """Close both connections and end every routed track. Idempotent."""
        if self._closed:
            return
        self._closed = True
        for _, routed in self._routed.values():
            routed.stop()
        self._routed.clear()
        for pump in self._pumps:
            pump.cancel()
        for pc in (self.sending, self.receiving):
            await close_connection(pc)
        await asyncio.gather(*self._pumps, return_exceptions=True)
