"""Negotiation between two real ``Peer``s joined by an in-process relay that can reorder what it carries, as a
network and a server may: candidates before their offer, offers that cross (glare)."""

from __future__ import annotations

import asyncio
from typing import Any

from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from aiortc.sdp import candidate_from_sdp

from nimeet_desktop.call import ice
from nimeet_desktop.call.audio_broadcast import AudioBroadcast
from nimeet_desktop.call.peer import Peer
from nimeet_desktop.call.shared_encoder import SharedVideoEncoder
from nimeet_desktop.media.synthetic import SyntheticVideo
from nimeet_desktop.net.signaling import DescriptionType
from signaling_server.protocol import IceCandidateInit
from tests.call.conftest import wait_until


class Side:
    """One end: our media and what we received."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.encoder = SharedVideoEncoder(SyntheticVideo(320, 240, 30, label=name))
        self.frames = 0
        self.states: list[str] = []
        self.tasks: list[asyncio.Task[Any]] = []

    def video_feed(self) -> SharedVideoEncoder | None:
        return self.encoder

    def audio_feed(self) -> AudioBroadcast | None:
        return None

    def on_peer_track(self, peer: Peer, track: MediaStreamTrack) -> None:
        if track.kind == "video":
            self.tasks.append(asyncio.get_running_loop().create_task(self._count(track)))

    async def _count(self, track: MediaStreamTrack) -> None:
        try:
            while True:
                await track.recv()
                self.frames += 1
        except MediaStreamError:
            return

    def on_peer_state(self, peer: Peer, state: str) -> None:
        self.states.append(state)


class Relay:
    """Carries descriptions between two peers; with ``trickle_first`` it takes the candidates out of each SDP and
    delivers them as ``ice-candidate`` messages *before* the description, then end-of-candidates."""

    def __init__(self, trickle_first: bool = False) -> None:
        self.peers: dict[str, Peer] = {}
        self.trickle_first = trickle_first
        self.sent: list[tuple[str, str]] = []
        self.trickled: dict[str, set[tuple[str, int]]] = {}  # sender id -> (ip, port) of what it trickled
        self.tasks: list[asyncio.Task[None]] = []

    def bind(self, sender_id: str) -> Any:
        relay = self

        class Bound:
            async def send_description(self, target: str, kind: DescriptionType, sdp: str) -> None:
                relay.sent.append((sender_id, kind))
                # Delivered in a task, as a server would: the sender still holds its own lock right now.
                relay.tasks.append(asyncio.get_running_loop().create_task(relay.deliver(sender_id, target, kind, sdp)))

        return Bound()

    async def deliver(self, sender: str, target: str, kind: DescriptionType, sdp: str) -> None:
        peer = self.peers[target]
        if self.trickle_first:
            lines = sdp.splitlines()
            first_media = next(i for i, line in enumerate(lines) if line.startswith("m="))
            next_media = next(
                (i for i, line in enumerate(lines) if line.startswith("m=") and i > first_media), len(lines)
            )
            candidates = [line[2:] for line in lines[first_media:next_media] if line.startswith("a=candidate:")]
            assert candidates, "aiortc put no candidates in its SDP"
            sdp = (
                "\r\n".join(line for line in lines if not line.startswith(("a=candidate:", "a=end-of-candidates")))
                + "\r\n"
            )
            parsed = [candidate_from_sdp(c.removeprefix("candidate:")) for c in candidates]
            self.trickled[sender] = {(c.ip, c.port) for c in parsed}
            for candidate in candidates:
                await peer.handle_candidate(IceCandidateInit(candidate=candidate, sdp_mid="0", sdp_m_line_index=0))
            await peer.handle_candidate(None)
        await peer.handle_description(kind, sdp)


def pair(relay: Relay) -> tuple[Peer, Peer, Side, Side]:
    config = ice.configuration([])
    # Socket ids compare as plain strings: "aaa" < "zzz", so the "aaa" side is the polite one.
    low, high = Side("aaa"), Side("zzz")
    p_low = Peer("zzz", "aaa", configuration=config, signaling=relay.bind("aaa"), media=low, observer=low)
    p_high = Peer("aaa", "zzz", configuration=config, signaling=relay.bind("zzz"), media=high, observer=high)
    relay.peers = {"zzz": p_high, "aaa": p_low}  # keyed by the id of the side that owns the Peer
    low.encoder.start()
    high.encoder.start()
    return p_low, p_high, low, high


async def close(*things: Any) -> None:
    for thing in things:
        await thing.close()


async def test_candidates_that_arrive_before_the_offer_are_kept() -> None:
    relay = Relay(trickle_first=True)
    p_low, p_high, low, high = pair(relay)
    try:
        await p_low.offer()
        await wait_until(lambda: low.frames > 10 and high.frames > 10, what="video both ways over trickled candidates")
        assert relay.sent == [("aaa", "offer"), ("zzz", "answer")]
        # ICE would also come up from one side's candidates alone (peer-reflexive discovery), so look at what each
        # side kept: every candidate trickled ahead of its description.
        for peer in (p_low, p_high):
            ice_transport = peer.pc.getTransceivers()[0].receiver.transport.transport
            kept = {(c.ip, c.port) for c in ice_transport.getRemoteCandidates() if c.type == "host"}
            assert kept == relay.trickled[peer.socket_id]
    finally:
        await close(p_low, p_high, low.encoder, high.encoder)


async def test_glare_is_resolved_by_the_polite_peer() -> None:
    relay = Relay()
    p_low, p_high, low, high = pair(relay)
    assert p_low.polite and not p_high.polite
    try:
        await asyncio.gather(p_low.offer(), p_high.offer())  # the offers cross
        await wait_until(lambda: low.frames > 10 and high.frames > 10, what="video both ways after glare")
        # The polite (lower id) side gave up its offer, rebuilt its connection and answered the impolite one.
        assert p_low.rebuilds == 1 and p_high.rebuilds == 0
        assert ("aaa", "answer") in relay.sent and ("zzz", "answer") not in relay.sent
    finally:
        await close(p_low, p_high, low.encoder, high.encoder)
