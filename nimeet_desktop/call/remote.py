"""What we know about one remote participant: who, what they send, and what we received from them."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Literal

import av

from nimeet_desktop.call.playout import Playout
from nimeet_desktop.media import stamp
from signaling_server.protocol import MediaState, MediaType, Participant

# RTCPeerConnection.connectionState, as the W3C spec names its values.
PeerState = Literal["new", "connecting", "connected", "disconnected", "failed", "closed"]

# Latency samples kept per participant: 10 minutes at 30 fps is plenty for percentiles and bounded in memory.
MAX_LATENCY_SAMPLES = 18_000


@dataclass
class ReceiveStats:
    """Counted by the receiving loops; read by the UI (quality badge) and the headless report."""

    since: float  # monotonic: the join ack, or this participant's user-joined
    video_frames: int = 0
    first_video_at: float | None = None
    last_video_at: float | None = None
    width: int | None = None
    height: int | None = None
    audio_frames: int = 0
    first_audio_at: float | None = None
    last_audio_at: float | None = None
    latencies_ms: list[int] = field(default_factory=list)
    bytes_received: int = 0
    packets_received: int = 0
    connection_states: list[tuple[PeerState, float]] = field(default_factory=list)
    candidate_types: tuple[str, str] | None = None  # (local, remote) of the selected ICE pair, once connected


@dataclass
class RemoteParticipant:
    socket_id: str
    user_id: str
    username: str
    media: MediaState
    stats: ReceiveStats
    connection_state: PeerState = "new"
    # What a tile shows: the decoded frames paced as they were captured (playout.py).
    playout: Playout = field(default_factory=Playout, compare=False, repr=False)

    @classmethod
    def from_wire(cls, participant: Participant, since: float) -> RemoteParticipant:
        return cls(
            socket_id=participant.socket_id,
            user_id=participant.user_id,
            username=participant.username,
            media=participant.media_state,
            stats=ReceiveStats(since=since),
        )

    def set_media(self, media_type: MediaType, enabled: bool) -> None:
        self.media = self.media.model_copy(update={media_type: enabled})
        if not self.media.camera and not self.media.screen:
            # No video now: turned on again, the tile waits for the new picture instead of showing the old one.
            self.playout.clear()

    def on_video_frame(self, frame: av.VideoFrame, measure_latency: bool) -> None:
        now = time.monotonic()
        stats = self.stats
        if stats.first_video_at is None:
            stats.first_video_at = now
        stats.last_video_at = now
        stats.video_frames += 1
        stats.width, stats.height = frame.width, frame.height
        self.playout.push(frame)
        if measure_latency and frame.format.name == "yuv420p":
            found = stamp.read(stamp.luma_plane(frame))
            if found is not None and len(stats.latencies_ms) < MAX_LATENCY_SAMPLES:
                stats.latencies_ms.append(found.age_ms(int(time.time() * 1000) % (1 << 32)))

    def on_audio_frame(self) -> None:
        now = time.monotonic()
        if self.stats.first_audio_at is None:
            self.stats.first_audio_at = now
        self.stats.last_audio_at = now
        self.stats.audio_frames += 1
