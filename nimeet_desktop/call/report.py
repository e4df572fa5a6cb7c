"""The headless client's report (``docs/bot-report.md``): figures measured over a call, ``None`` where we have
no data (never a made-up value), camelCase keys like the wire contract."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

from nimeet_desktop.call.remote import RemoteParticipant


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100) of ``values``, ``None`` for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return float(ordered[rank - 1])


def rate(count: int, first: float | None, last: float | None) -> float | None:
    """Events per second between the first and the last event (``count - 1`` intervals)."""
    if first is None or last is None or count < 2 or last <= first:
        return None
    return (count - 1) / (last - first)


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def peer_report(remote: RemoteParticipant) -> dict[str, Any]:
    stats = remote.stats
    video_fps = rate(stats.video_frames, stats.first_video_at, stats.last_video_at)
    audio_fps = rate(stats.audio_frames, stats.first_audio_at, stats.last_audio_at)
    latency = None
    if stats.latencies_ms:
        latency = {"p50": percentile(stats.latencies_ms, 50), "p95": percentile(stats.latencies_ms, 95)}
    return {
        "socketId": remote.socket_id,
        "username": remote.username,
        "firstFrameMs": _ms(None if stats.first_video_at is None else stats.first_video_at - stats.since),
        "video": {
            "frames": stats.video_frames,
            "fps": _round(video_fps),
            "width": stats.width,
            "height": stats.height,
            "latencyMs": latency,
        },
        "audio": {"frames": stats.audio_frames, "framesPerS": _round(audio_fps)},
        "bytesReceived": stats.bytes_received,
        "connectionStates": [
            {"state": state, "atMs": round((at - stats.since) * 1000, 1)} for state, at in stats.connection_states
        ],
        "candidatePair": None
        if stats.candidate_types is None
        else {"local": stats.candidate_types[0], "remote": stats.candidate_types[1]},
    }


def summary_line(peers: Iterable[dict[str, Any]]) -> str:
    """``bot: 2 peers, min video fps 29.8, min audio fps 50.0, first frame p50 143 ms, g2g p50 41 ms``."""
    peers = list(peers)

    def smallest(values: list[float | None]) -> str:
        # Over the peers that sent this kind of media at all: a receive-only peer is not a slow one.
        known = [v for v in values if v is not None]
        return f"{min(known):.1f}" if known else "n/a"

    def median_ms(values: list[float | None]) -> str:
        known = [v for v in values if v is not None]
        p50 = percentile(known, 50)
        return "n/a" if p50 is None else f"{p50:.0f} ms"

    video_fps = [p["video"]["fps"] for p in peers]
    audio_fps = [p["audio"]["framesPerS"] for p in peers]
    first = [p["firstFrameMs"] for p in peers]
    g2g = [p["video"]["latencyMs"]["p50"] if p["video"]["latencyMs"] else None for p in peers]
    return (
        f"bot: {len(peers)} peers, min video fps {smallest(video_fps)}, min audio fps {smallest(audio_fps)}, "
        f"first frame p50 {median_ms(first)}, g2g p50 {median_ms(g2g)}"
    )
