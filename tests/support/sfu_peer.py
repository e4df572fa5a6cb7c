"""A participant of an SFU room as the client will be, with bare aiortc: the tests' and benchmarks' peer of Janus.

It publishes a synthetic camera and tone on one PeerConnection (its offer, Janus's answer) and receives everyone it
subscribes to on another (Janus's offer, its answer), counting decoded frames per publisher and kind. Both
PeerConnections use ``peer_configuration()``: no ICE servers and max-bundle (see there why). The host addresses
aioice gathers on are the caller's business (``tests/support/janus.py``: ``media_address``).
"""

from __future__ import annotations

import asyncio
from collections import Counter

import av
from aiortc import MediaStreamTrack, RTCBundlePolicy, RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError

from nimeet_desktop.media.synthetic import SyntheticAudio, SyntheticVideo
from signaling_server.sfu.janus_session import JSON, JanusEvent, JanusSession, Jsep
from signaling_server.sfu.videoroom import PLUGIN, Publisher, Subscriber, SubscriberOffer
from tests.support.clients import Peer


def without_candidates(sdp: str) -> tuple[str, list[JSON]]:
    """``sdp`` without its candidates, and those as trickle candidates (``{"sdpMid", "sdpMLineIndex",
    "candidate"}``), as a browser would send them."""
    lines: list[str] = []
    candidates: list[JSON] = []
    mid, index = "", -1
    for line in sdp.splitlines():
        if line.startswith("m="):
            index += 1
        elif line.startswith("a=mid:"):
            mid = line[len("a=mid:") :]
        if line.startswith("a=candidate:"):
            candidates.append({"sdpMid": mid, "sdpMLineIndex": index, "candidate": line[2:]})
        elif line != "a=end-of-candidates":
            lines.append(line)
    return "\r\n".join(lines) + "\r\n", candidates


def peer_configuration() -> RTCConfiguration:
    """No ICE servers (aiortc would otherwise ask Google's STUN server), and max-bundle: with aiortc's default
    (balanced), an offer of Janus's with two m-lines of one kind in one go (two people's video) leaves the second on
    a transport of its own that never connects (aiortc 1.16: the transceiver made for it reuses the first video
    transceiver's transport before BUNDLE replaces that one, and is then skipped as already bundled)."""
    return RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)


class SfuParticipant:
    """One person as the client in SFU mode will be: a PeerConnection that publishes a synthetic camera and tone,
    and one that receives every other participant's, both negotiated through the module."""

    def __init__(
        self, name: str, session: JanusSession, *, width: int = 320, height: int = 180, fps: float = 15
    ) -> None:
        self.name = name
        self.session = session
        self.width, self.height, self.fps = width, height, fps
        self.sending = RTCPeerConnection(peer_configuration())
        self.receiving = RTCPeerConnection(peer_configuration())
        self.frames: Counter[tuple[str, str]] = Counter()  # (publisher, kind) -> decoded frames
        self.sizes: set[tuple[int, int]] = set()
        self.feed_of_mid: dict[str, str] = {}
        self.video_mids: set[str] = set()
        self.readers: list[asyncio.Task[None]] = []
        self.publisher: Publisher
        self.subscriber: Subscriber
        self.private_id = 0
        self.heard: list[JanusEvent] = []  # what the publisher handle was told, by callback
        self._up = asyncio.Event()
        self.receiving.on("track", self._on_track)

    async def join(self, room: str, pin: str) -> None:
        self.publisher = Publisher(await self.session.attach(PLUGIN, on_event=self._hear))
        joined = await self.publisher.join(room, self.name, pin, display=self.name.title())
        self.private_id = joined.private_id

    async def publish(self, *, trickle: bool) -> None:
        self.sending.addTrack(SyntheticAudio())
        self.sending.addTrack(SyntheticVideo(self.width, self.height, self.fps))
        await self.sending.setLocalDescription(await self.sending.createOffer())
        sdp, candidates = without_candidates(self.sending.localDescription.sdp)
        answer = await self.publisher.publish(Jsep("offer", sdp if trickle else self.sending.localDescription.sdp))
        await self.sending.setRemoteDescription(RTCSessionDescription(answer.sdp, answer.type))
        if trickle:
            for candidate in candidates:
                await self.publisher.handle.trickle(candidate)
            await self.publisher.handle.trickle(None)

    def _hear(self, event: JanusEvent) -> None:
        self.heard.append(event)
        if event.kind == "webrtcup":
            self._up.set()

    async def until_published(self, timeout_s: float = 10) -> None:
        """Until Janus says this participant's PeerConnection is up (``webrtcup``): only then can anyone subscribe
        to it (before, ``join``/``update`` naming it fail with 428 "No such feed"), and only then are the others
        told (``publishers``)."""
        async with asyncio.timeout(timeout_s):
            await self._up.wait()

    async def subscribe(self, room: str, pin: str, feeds: list[str]) -> None:
        self.subscriber = Subscriber(await self.session.attach(PLUGIN))
        await self.answer(await self.subscriber.join(room, feeds, pin, private_id=self.private_id))

    async def add_feeds(self, feeds: list[str]) -> None:
        offer = await self.subscriber.update(subscribe=feeds)
        assert offer is not None
        await self.answer(offer)

    async def answer(self, offer: SubscriberOffer) -> None:
        self.feed_of_mid.update({str(s["mid"]): str(s["feed_id"]) for s in offer.streams if "feed_id" in s})
        self.video_mids.update(str(s["mid"]) for s in offer.streams if s.get("type") == "video")
        await self.receiving.setRemoteDescription(RTCSessionDescription(offer.jsep.sdp, offer.jsep.type))
        await self.receiving.setLocalDescription(await self.receiving.createAnswer())
        await self.subscriber.start(Jsep("answer", self.receiving.localDescription.sdp))

    def _on_track(self, track: MediaStreamTrack) -> None:
        self.readers.append(asyncio.get_running_loop().create_task(self._read(track)))

    async def _read(self, track: MediaStreamTrack) -> None:
        mid = str(next(t.mid for t in self.receiving.getTransceivers() if t.receiver.track is track))
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            self.frames[self.feed_of_mid.get(mid, f"mid {mid}"), track.kind] += 1
            if isinstance(frame, av.VideoFrame):
                self.sizes.add((frame.width, frame.height))

    async def close(self) -> None:
        for reader in self.readers:
            reader.cancel()
        await self.sending.close()
        await self.receiving.close()
        await self.session.destroy()


class SocketSfuParticipant:
    """The same person through the NIMeet server's socket (the ``sfu-*`` events, docs/protocol.md "SFU rooms"),
    as a client in an ``"sfu"`` room does it: ``sfu-publish`` with its offer (answered in the ack), and every
    ``sfu-offer`` answered with ``sfu-answer``, in order. Received tracks are told apart by the ``streams`` of the
    offers (``mid`` -> ``socketId``)."""

    def __init__(self, peer: Peer, *, width: int = 320, height: int = 180, fps: float = 15) -> None:
        self.peer = peer
        self.width, self.height, self.fps = width, height, fps
        self.sending = RTCPeerConnection(peer_configuration())
        self.receiving = RTCPeerConnection(peer_configuration())
        self.frames: Counter[tuple[str, str]] = Counter()  # (socket id, kind) -> decoded frames
        self.owner_of_mid: dict[str, str] = {}
        self.offers: list[JSON] = []  # every sfu-offer, as received
        self.answer_acks: list[JSON] = []
        self._readers: list[asyncio.Task[None]] = []
        self.receiving.on("track", self._on_track)
        self._answering = asyncio.get_running_loop().create_task(self._answer_offers())

    @property
    def sid(self) -> str:
        return self.peer.sid

    def active_from(self) -> set[str]:
        """Whose streams the last offer says flow."""
        return {s["socketId"] for s in self.offers[-1]["streams"] if s["active"]} if self.offers else set()

    async def publish(self, *, trickle: bool = False) -> JSON:
        self.sending.addTrack(SyntheticAudio())
        self.sending.addTrack(SyntheticVideo(self.width, self.height, self.fps))
        await self.sending.setLocalDescription(await self.sending.createOffer())
        sdp, candidates = without_candidates(self.sending.localDescription.sdp)
        offer = {"type": "offer", "sdp": sdp if trickle else self.sending.localDescription.sdp}
        ack: JSON = await self.peer.call("sfu-publish", {"description": offer})
        if not ack.get("ok"):
            return ack
        answer = ack["description"]
        await self.sending.setRemoteDescription(RTCSessionDescription(answer["sdp"], answer["type"]))
        if trickle:
            for candidate in [*candidates, None]:
                sent = await self.peer.call("sfu-candidate", {"target": "publisher", "candidate": candidate})
                assert sent == {"ok": True}, sent
        return ack

    async def _answer_offers(self) -> None:
        while True:
            offer = await self.peer.log.next("sfu-offer", timeout=3600)
            self.offers.append(offer)
            self.owner_of_mid.update({s["mid"]: s["socketId"] for s in offer["streams"]})
            description = offer["description"]
            await self.receiving.setRemoteDescription(RTCSessionDescription(description["sdp"], description["type"]))
            await self.receiving.setLocalDescription(await self.receiving.createAnswer())
            answer = {"type": "answer", "sdp": self.receiving.localDescription.sdp}
            self.answer_acks.append(await self.peer.call("sfu-answer", {"description": answer}))

    def _on_track(self, track: MediaStreamTrack) -> None:
        self._readers.append(asyncio.get_running_loop().create_task(self._read(track)))

    async def _read(self, track: MediaStreamTrack) -> None:
        mid = str(next(t.mid for t in self.receiving.getTransceivers() if t.receiver.track is track))
        while True:
            try:
                await track.recv()
            except MediaStreamError:
                return
            self.frames[self.owner_of_mid.get(mid, f"mid {mid}"), track.kind] += 1

    async def close(self) -> None:
        self._answering.cancel()
        for reader in self._readers:
            reader.cancel()
        await self.sending.close()
        await self.receiving.close()
