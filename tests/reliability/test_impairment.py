"""A real call through 5 % random packet loss and 50 ms of jitter (issue 17, impairment).

Two aiortc sessions of the engine (``CallSession``, synthetic 320x240 camera at 30 fps and a synthetic microphone)
call each other through the real server; their media goes through ``tests.support.lossy_relay``, which drops 5 % of
the datagrams in each direction and delays each of the others by 25-75 ms (50 ms mean, so up to +/-25 ms of jitter
and reordering). The kernel has no netem, hence a user-space relay (see its module docstring).

What must hold over a measured window after the call settled, in both directions:
- video decoded at >= 20 fps (30 sent);
- freezes counted as WebRTC's stats define them (a gap between decoded frames longer than both three times the mean
  gap and the mean gap + 150 ms), at most ``MAX_FREEZES`` and none over ``MAX_FREEZE_S``. Why these bounds: each
  lost video packet is asked for again (NACK) and arrives one round trip later (~100 ms through the relay, plus the
  time to notice the gap), so a repaired loss costs a short freeze of 0.2-0.3 s; measured 0-4 per direction in
  6-8 s. When the NACK or the retransmission is lost too (5 % of each), aiortc asks again only once it sees the
  next gap (``NackGenerator``), about half a second later: measured up to 0.8 s. A freeze over 1.5 s means repair
  failed (the picture waited for a key frame, or stalled);
- NACK at work: receivers asked for lost packets again (RTCP NACK seen at the relay). PLI is counted and reported
  but not required: with NACK repairing single losses a key frame is seldom needed (0-4 per run measured);
- audio kept playing: >= ``MIN_AUDIO_PER_S`` of the 50 Opus frames a second, never silent for ``MAX_AUDIO_GAP_S``.
  Measured 35-42 a second: more goes missing than the 5 % lost, most likely packets that the +/-25 ms of jitter
  reorders past their turn in aiortc's audio jitter buffer (not investigated further).

Both peers and the relay run on this process's one event loop: when the loop itself stalls (a loaded CI machine
descheduled it for half a second), every direction goes silent at once, whatever the network did. The sampler sees
that stall as the longest time between two of its own samples, and the audio gap bound allows for it (and reports it).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from nimeet_desktop.call.session import CallObserver, CallSession
from nimeet_desktop.media.synthetic import SyntheticAudio, SyntheticVideo
from nimeet_desktop.net.signaling import DescriptionType, SignalingClient
from tests.support.clients import Api
from tests.support.lossy_relay import LossyRelay
from tests.support.server import ServerProcess

WIDTH, HEIGHT, FPS = 320, 240, 30
SETTLE_S = 2.0  # ICE, DTLS and the first key frame through the lossy path, then the jitter buffers fill
WINDOW_S = 6.0
MIN_FPS = 20.0
# Per direction in the window; see the module docstring.
MAX_FREEZES = 6
MAX_FREEZE_S = 1.5
MIN_AUDIO_PER_S = 30.0  # of 50 Opus frames (20 ms) a second sent
MAX_AUDIO_GAP_S = 0.5


pytestmark = pytest.mark.usefixtures("loopback_ice")  # tests/reliability/conftest.py


@pytest.fixture
async def relay(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[LossyRelay]:
    """Every offer and answer leaves with its candidates pointing at the relay: no direct path between the peers."""
    lossy = LossyRelay(loss=0.05, delay_s=(0.025, 0.075))
    send = SignalingClient.send_description

    async def through_relay(self: SignalingClient, target: str, kind: DescriptionType, sdp: str) -> None:
        await send(self, target, kind, await lossy.rewrite(sdp))

    monkeypatch.setattr(SignalingClient, "send_description", through_relay)
    yield lossy
    lossy.close()


@dataclass
class Direction:
    """Arrival times of decoded video frames and of audio frames in one direction, sampled every 5 ms."""

    video_at: list[float]
    audio_at: list[float]
    seconds: float
    stall_s: float  # the longest time the event loop, which runs the peers and the relay, did not run this sampler

    def fps(self) -> float:
        return len(self.video_at) / self.seconds

    def freezes(self) -> list[float]:
        gaps = [b - a for a, b in zip(self.video_at, self.video_at[1:], strict=False)]
        if not gaps:
            return []
        mean = sum(gaps) / len(gaps)
        return [round(g, 3) for g in gaps if g > max(3 * mean, mean + 0.150)]

    def audio_per_s(self) -> float:
        return len(self.audio_at) / self.seconds

    def longest_audio_gap(self) -> float:
        return max((b - a for a, b in zip(self.audio_at, self.audio_at[1:], strict=False)), default=self.seconds)


def remote_stats_of(me: CallSession, other: CallSession) -> tuple[int, int]:
    assert other.self_participant is not None
    remote = me.participants.get(other.self_participant.socket_id)
    return (0, 0) if remote is None else (remote.stats.video_frames, remote.stats.audio_frames)


async def measure(me: CallSession, other: CallSession, seconds: float) -> Direction:
    video_at: list[float] = []
    audio_at: list[float] = []
    video_seen, audio_seen = remote_stats_of(me, other)
    started = last = time.monotonic()
    stall = 0.0
    while time.monotonic() - started < seconds:
        await asyncio.sleep(0.005)
        now = time.monotonic()
        stall, last = max(stall, now - last), now
        video, audio = remote_stats_of(me, other)
        video_at += [now] * (video - video_seen)
        audio_at += [now] * (audio - audio_seen)
        video_seen, audio_seen = video, audio
    return Direction(video_at, audio_at, time.monotonic() - started, stall)


async def test_call_through_loss_and_jitter(server: ServerProcess, relay: LossyRelay) -> None:
    api = Api(server.url)
    tokens = [(await api.register())["token"] for _ in range(2)]
    room = (await api.create_room(tokens[0], maxParticipants=2))["roomId"]
    await api.aclose()
    a, b = (
        CallSession(
            server.url,
            token,
            [],
            observer=CallObserver(),
            camera_factory=lambda: SyntheticVideo(WIDTH, HEIGHT, FPS),
            microphone=SyntheticAudio(),
        )
        for token in tokens
    )
    try:
        await a.join(room)
        await b.join(room)
        deadline = time.monotonic() + 15
        while min(remote_stats_of(a, b)[0], remote_stats_of(b, a)[0]) < 10:
            assert time.monotonic() < deadline, "no video through the relay"
            await asyncio.sleep(0.05)
        await asyncio.sleep(SETTLE_S)
        before = (relay.counts.nacks, relay.counts.plis, relay.counts.dropped)
        a_sees_b, b_sees_a = await asyncio.gather(measure(a, b, WINDOW_S), measure(b, a, WINDOW_S))
        nacks, plis, dropped = (
            now - then
            for now, then in zip((relay.counts.nacks, relay.counts.plis, relay.counts.dropped), before, strict=True)
        )
        report = {
            "fps": (round(a_sees_b.fps(), 1), round(b_sees_a.fps(), 1)),
            "freezes": (a_sees_b.freezes(), b_sees_a.freezes()),
            "audio_per_s": (round(a_sees_b.audio_per_s(), 1), round(b_sees_a.audio_per_s(), 1)),
            "audio_gap_s": (round(a_sees_b.longest_audio_gap(), 3), round(b_sees_a.longest_audio_gap(), 3)),
            "loop_stall_s": (round(a_sees_b.stall_s, 3), round(b_sees_a.stall_s, 3)),
            "nacks": nacks,
            "plis": plis,
            "dropped": dropped,
            "counts": relay.counts,
        }
        print(report)
        # The media went through the relay (the peers know no other address of each other). Datagrams from strangers
        # are not asserted on: a previous test's peer, still closing, may send to a port this relay reuses.
        assert dropped > 0 and relay.counts.forwarded > 1000, report
        for direction in (a_sees_b, b_sees_a):
            assert direction.fps() >= MIN_FPS, report
            assert len(direction.freezes()) <= MAX_FREEZES, report
            assert max(direction.freezes(), default=0.0) <= MAX_FREEZE_S, report
            assert direction.audio_per_s() >= MIN_AUDIO_PER_S, report
            assert direction.longest_audio_gap() <= MAX_AUDIO_GAP_S + direction.stall_s, report
        assert nacks > 0, report
        assert a.errors == [] and b.errors == []
    finally:
        await a.leave()
        await b.leave()
