"""``nimeet-bot``'s options for the benchmarks (hidden from ``--help``): engine switches and measurement output.

The benchmarks compare the engine's choices with aiortc's stock ones and need figures the report does not carry;
they ask the real bot for them here instead of patching it (``benchmarks/_call_common.py``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import time
from typing import Any

from nimeet_desktop.call.options import EngineOptions
from nimeet_desktop.call.remote import RemoteParticipant
from nimeet_desktop.call.session import CallSession

STATS_INTERVAL_S = 1.0
STATE_POLL_S = 0.05


def add_arguments(parser: argparse.ArgumentParser) -> None:
    hidden = argparse.SUPPRESS
    parser.add_argument("--per-sender-encoding", action="store_true", help=hidden)  # EngineOptions.encode_once off
    parser.add_argument("--stock-jitter-buffer", action="store_true", help=hidden)  # marker_jitter_buffer off
    parser.add_argument("--latency-samples", action="store_true", help=hidden)  # every sample in the report
    parser.add_argument("--sender-stats", action="store_true", help=hidden)  # "bench:" lines on stdout
    parser.add_argument("--fixed-video", action="store_true", help=hidden)  # EngineOptions.adapt_video off
    parser.add_argument("--quality-stats", action="store_true", help=hidden)  # "bench: quality" and "bench: recv"


def engine_options(args: argparse.Namespace) -> EngineOptions:
    return EngineOptions(
        encode_once=not args.per_sender_encoding,
        marker_jitter_buffer=not args.stock_jitter_buffer,
        adapt_video=not args.fixed_video,
    )


def add_latency_samples(peers: list[dict[str, Any]], seen: list[RemoteParticipant]) -> None:
    """``latencySamplesMs`` on each peer of the report (built from ``seen``, in the same order): every sample."""
    for out, remote in zip(peers, seen, strict=True):
        out["latencySamplesMs"] = list(remote.stats.latencies_ms)


async def print_sender_stats(session: CallSession) -> None:
    """Until cancelled, on stdout: ``bench: peer <socket> <state>`` whenever a peer connection's state changes, and
    every second ``bench: stats t=<monotonic> frames=<n> bytes=<n>``: video frames (or encoded packets) this
    process's senders have handed to RTP and the RTP payload bytes they have sent, all peers together."""
    states: dict[str, str] = {}
    frames: dict[int, Any] = {}  # every outgoing video track ever used (a rebuilt connection has a new one)
    sent_bytes: dict[int, int] = {}  # per connection: its senders' bytes so far
    next_stats = time.monotonic()
    while True:
        for socket_id, peer in list(session.peers.items()):
            state = peer.pc.connectionState
            if states.get(socket_id) != state:
                states[socket_id] = state
                print(f"bench: peer {socket_id} {state}", flush=True)
            frames[id(peer.video_out)] = peer.video_out
        now = time.monotonic()
        if now >= next_stats:
            next_stats += STATS_INTERVAL_S
            for peer in list(session.peers.values()):
                with contextlib.suppress(Exception):  # a connection closing under us: keep its last figure
                    report = await peer.pc.getStats()
                    sent_bytes[id(peer.pc)] = sum(
                        s.bytesSent for s in report.values() if s.type == "outbound-rtp" and s.kind == "video"
                    )
            count = sum(track.items_sent for track in frames.values())
            print(f"bench: stats t={now:.3f} frames={count} bytes={sum(sent_bytes.values())}", flush=True)
        await asyncio.sleep(STATE_POLL_S)


async def print_quality_stats(session: CallSession) -> None:
    """Until cancelled, every second on stdout: ``bench: quality t=<monotonic> level=<name> reason=<why> size=<WxH>
    encoded=<frames> encode_s=<seconds>`` (the camera's level as the policy chose it, the size really encoded, and
    the encoder's cumulative frames and scale + encode seconds), then per remote participant ``bench: recv
    t=<monotonic> user=<username> frames=<decoded> height=<lines>`` (cumulative frames decoded, the newest one's
    height)."""
    while True:
        now = time.monotonic()
        camera = session.camera
        size = camera.encoded_size if camera is not None else None
        level = session.quality.level.name if session.options.adapt_video else "fixed"
        encode_s = getattr(camera, "encode_seconds", 0.0)
        print(
            f"bench: quality t={now:.3f} level={level} reason={session.quality.reason} "
            f"size={f'{size[0]}x{size[1]}' if size else '-'} encoded={camera.frames_encoded if camera else 0} "
            f"encode_s={encode_s:.4f}",
            flush=True,
        )
        for remote in list(session.participants.values()):
            print(
                f"bench: recv t={now:.3f} user={remote.username} frames={remote.stats.video_frames} "
                f"height={remote.stats.height or 0}",
                flush=True,
            )
        await asyncio.sleep(STATS_INTERVAL_S)
