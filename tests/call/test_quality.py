"""QualityMeter: scripted counter histories, polled at 2 Hz like the UI does; pure, no network, no Qt."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from nimeet_desktop.call.quality import Quality, QualityMeter
from nimeet_desktop.call.remote import PeerState, RemoteParticipant
from signaling_server.protocol import MediaState, Participant

POLL_S = 0.5
JOINED_AT = 100.0


@dataclass(frozen=True)
class Segment:
    """``seconds`` of polls during which counters grow at ``fps`` decoded frames and ``pps`` packets per second."""

    seconds: float
    fps: float = 30.0
    pps: float = 60.0
    state: PeerState = "connected"
    camera: bool = True
    screen: bool = False


def make_remote(socket_id: str = "s1") -> RemoteParticipant:
    wire = Participant(
        socket_id=socket_id,
        user_id="u1",
        username="Ann",
        media_state=MediaState(camera=True, microphone=True, screen=False),
    )
    return RemoteParticipant.from_wire(wire, since=JOINED_AT)


def play(segments: list[Segment], meter: QualityMeter | None = None) -> list[Quality | None]:
    """Every rating the meter gave, one per poll."""
    meter = meter or QualityMeter()
    remote = make_remote()
    stats = remote.stats
    now, frames, packets = JOINED_AT, 0.0, 0.0
    ratings: list[Quality | None] = []
    for segment in segments:
        remote.connection_state = segment.state
        remote.media = MediaState(camera=segment.camera, microphone=True, screen=segment.screen)
        for _ in range(round(segment.seconds / POLL_S)):
            now += POLL_S
            if segment.fps:
                frames += segment.fps * POLL_S
                stats.video_frames = int(frames)
                stats.last_video_at = now
            if segment.pps:
                packets += segment.pps * POLL_S
                stats.packets_received = int(packets)
            ratings.append(meter.update(remote, now))
    return ratings


CASES = [
    # (id, history, rating at the last poll)
    ("new, nothing yet", [Segment(1.0, fps=0, pps=0, state="new")], None),
    ("connecting, nothing yet", [Segment(5.0, fps=0, pps=0, state="connecting")], None),
    ("connecting, packets already flow", [Segment(1.0, fps=0, state="connecting", camera=False)], Quality.GOOD),
    ("smooth 30 fps camera", [Segment(5.0)], Quality.GOOD),
    ("first poll of a smooth stream", [Segment(0.5)], Quality.GOOD),
    ("camera off, audio/RTCP flowing", [Segment(5.0, fps=0, camera=False)], Quality.GOOD),
    ("camera at 10 fps", [Segment(5.0, fps=10)], Quality.FAIR),
    ("camera at 20 fps", [Segment(5.0, fps=20)], Quality.GOOD),
    ("screen share at its 15 fps", [Segment(5.0, fps=15, camera=False, screen=True)], Quality.GOOD),
    ("screen share at 4 fps", [Segment(5.0, fps=4, camera=False, screen=True)], Quality.FAIR),
    ("video frozen, packets still flowing", [Segment(3.0), Segment(1.5, fps=0)], Quality.FAIR),
    ("recovered from a choppy spell", [Segment(3.0, fps=5), Segment(4.0)], Quality.GOOD),
    ("all packets stopped 2.5 s ago", [Segment(3.0), Segment(2.5, fps=0, pps=0)], Quality.POOR),
    (
        "packets stopped 1.5 s ago",
        [Segment(3.0, camera=False, fps=0), Segment(1.5, fps=0, pps=0, camera=False)],
        Quality.GOOD,
    ),
    ("connected but nothing since joining", [Segment(3.0, fps=0, pps=0, camera=False)], Quality.POOR),
    ("disconnected", [Segment(3.0), Segment(0.5, state="disconnected")], Quality.POOR),
    ("failed", [Segment(3.0), Segment(0.5, state="failed")], Quality.POOR),
    ("closed before anything arrived", [Segment(0.5, fps=0, pps=0, state="closed")], Quality.POOR),
    ("flow resumed after silence", [Segment(2.0), Segment(3.0, fps=0, pps=0), Segment(1.5)], Quality.GOOD),
    # The window restarts when video comes on, so the camera-off seconds do not count as a low frame rate.
    ("camera just switched on, frames arriving", [Segment(3.0, fps=0, camera=False), Segment(1.0)], Quality.GOOD),
    (
        "camera just switched on, first frame pending",
        [Segment(3.0, fps=0, camera=False), Segment(0.5, fps=0)],
        Quality.GOOD,
    ),
    (
        "camera switched on 2 s ago, still no frame",
        [Segment(3.0, fps=0, camera=False), Segment(2.0, fps=0)],
        Quality.FAIR,
    ),
]


@pytest.mark.parametrize(("history", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rating(history: list[Segment], expected: Quality | None) -> None:
    assert play(history)[-1] == expected


def test_badge_follows_a_bad_spell_and_recovers() -> None:
    ratings = play([Segment(2.0), Segment(3.0, fps=0, pps=0), Segment(2.0)])
    assert ratings[:4] == [Quality.GOOD] * 4
    assert Quality.POOR in ratings[4:10]
    assert ratings[-1] == Quality.GOOD


def test_forget_drops_the_history() -> None:
    meter = QualityMeter()
    play([Segment(3.0, fps=5)], meter)
    meter.forget("s1")
    meter.forget("never-seen")  # harmless
    # A participant seen afresh starts with an empty window: one smooth poll is not judged on old samples.
    assert play([Segment(0.5)], meter) == [Quality.GOOD]


def test_one_meter_keeps_participants_apart() -> None:
    meter = QualityMeter()
    smooth, choppy = make_remote("a"), make_remote("b")
    for step in range(1, 9):
        now = JOINED_AT + step * POLL_S
        for remote, fps in ((smooth, 30), (choppy, 4)):
            remote.connection_state = "connected"
            remote.stats.video_frames = int(fps * step * POLL_S)
            remote.stats.last_video_at = now
            remote.stats.packets_received = step * 30
        assert meter.update(smooth, now) == Quality.GOOD
        last = meter.update(choppy, now)
    assert last == Quality.FAIR
