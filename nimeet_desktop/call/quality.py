"""A coarse connection-quality rating per remote participant, for the tile's signal badge.

Qt-free on purpose (the engine never imports Qt): the UI polls ``QualityMeter.update`` about twice a second and
paints the answer. The rating is deliberately simple and explainable — three levels from counters the engine
already keeps (``ReceiveStats``), no RTCP statistics parsing:

* ``None``  — still connecting and nothing received yet: there is nothing to rate, show no badge.
* ``POOR``  — the peer connection is down, or no packet at all arrived for ``SILENT_POOR_S``.
* ``FAIR``  — packets flow but the video we should be getting is choppy (frame rate over the window below the
  threshold) or frozen (newest frame older than ``STALE_FRAME_S``).
* ``GOOD``  — otherwise. Camera off with packets flowing is GOOD: audio and RTCP still arrive.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from enum import StrEnum

from nimeet_desktop.call.remote import PeerState, RemoteParticipant

# Samples older than this are dropped: long enough to average out a 2 Hz poll against a 30 fps stream, short
# enough that the badge recovers within a few seconds of the network recovering.
WINDOW_S = 3.0
# The frame rate is judged only once the window spans at least this long; with fewer samples one late poll
# would swing the estimate wildly (and right after joining or switching the camera on there is no history).
MIN_RATE_SPAN_S = 1.0
# No packet (video, audio, RTCP — the transport counter) for this long: the connection is as good as gone.
# The engine's own liveness check rebuilds the connection later than this; the badge warns first.
SILENT_POOR_S = 2.0
# Below this, camera video visibly stutters. Cameras send 30 fps by default (media/camera.py).
MIN_CAMERA_FPS = 15.0
# Screen shares are sent at 15 fps (media/screen.py), so 15 would flag a healthy share as FAIR on measurement
# jitter alone; half of it is where a share starts to feel laggy.
MIN_SCREEN_FPS = 8.0
# The newest frame is older than this while video is on: the picture is frozen, whatever the average says.
STALE_FRAME_S = 1.0

STARTING_STATES: frozenset[PeerState] = frozenset({"new", "connecting"})
DOWN_STATES: frozenset[PeerState] = frozenset({"disconnected", "failed", "closed"})


class Quality(StrEnum):
    GOOD = "good"
    FAIR = "fair"
    POOR = "poor"


@dataclass(frozen=True, slots=True)
class _Sample:
    at: float
    video_frames: int


@dataclass(slots=True)
class _History:
    """What the meter remembers about one participant between polls."""

    samples: deque[_Sample] = field(default_factory=deque)
    packets: int = 0
    last_packet_at: float = 0.0  # monotonic; when the packet counter was last seen to grow
    video_on: bool = False
    video_on_since: float = 0.0  # monotonic; when video was (last seen) switched on


class QualityMeter:
    """Rates every remote participant from periodic looks at its counters.

    One meter can serve a whole call: history is kept per ``socket_id``; call ``forget`` when a participant
    leaves. ``now`` is ``time.monotonic()`` (the clock ``ReceiveStats`` uses), passed in so tests are pure.
    """

    def __init__(self) -> None:
        self._history: dict[str, _History] = {}

    def forget(self, socket_id: str) -> None:
        self._history.pop(socket_id, None)

    def update(self, remote: RemoteParticipant, now: float) -> Quality | None:
        stats = remote.stats
        history = self._observe(remote, now)
        received_anything = stats.packets_received > 0 or stats.video_frames > 0 or stats.audio_frames > 0
        if remote.connection_state in STARTING_STATES and not received_anything:
            return None
        if remote.connection_state in DOWN_STATES:
            return Quality.POOR
        # Decoded media is proof of packets too, and its timestamps are exact (the counter is polled).
        heard_at = max(history.last_packet_at, stats.last_video_at or 0.0, stats.last_audio_at or 0.0)
        if now - heard_at > SILENT_POOR_S:
            return Quality.POOR
        if history.video_on and self._video_is_choppy(remote, history, now):
            return Quality.FAIR
        return Quality.GOOD

    def _observe(self, remote: RemoteParticipant, now: float) -> _History:
        """Record this look at the counters and return the participant's updated history."""
        stats = remote.stats
        video_on = remote.media.camera or remote.media.screen
        history = self._history.get(remote.socket_id)
        if history is None:
            # First look: if packets already arrived, assume they are fresh (we cannot know better); if none
            # did, the silence started when they joined. Likewise video has been on since they joined.
            history = _History(
                packets=stats.packets_received,
                last_packet_at=now if stats.packets_received > 0 else stats.since,
                video_on=video_on,
                video_on_since=stats.since,
            )
            self._history[remote.socket_id] = history
        if stats.packets_received != history.packets:
            history.packets = stats.packets_received
            history.last_packet_at = now
        if video_on and not history.video_on:
            # Frames from before the camera went off would drag the rate down: start the window afresh.
            history.samples.clear()
            history.video_on_since = now
        history.video_on = video_on
        samples = history.samples
        samples.append(_Sample(now, stats.video_frames))
        while samples and now - samples[0].at > WINDOW_S:
            samples.popleft()
        return history

    @staticmethod
    def _video_is_choppy(remote: RemoteParticipant, history: _History, now: float) -> bool:
        last_frame_at = max(remote.stats.last_video_at or 0.0, history.video_on_since)
        if now - last_frame_at > STALE_FRAME_S:
            return True
        oldest, newest = history.samples[0], history.samples[-1]
        span = newest.at - oldest.at
        if span < MIN_RATE_SPAN_S:
            return False
        fps = (newest.video_frames - oldest.video_frames) / span
        return fps < (MIN_SCREEN_FPS if remote.media.screen else MIN_CAMERA_FPS)
