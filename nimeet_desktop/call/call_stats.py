"""A call's figures once a second: what we send, and per remote participant what we receive and show.

Two steps, both Qt-free:

* ``read_counters(session)`` copies the engine's cumulative counters into a frozen ``CallCounters``: cheap (a few
  attribute reads per participant, no I/O), and the only place the UI learns engine figures for the statistics (the
  call view calls it once a second through ``DesktopCall.counters``). When the engine runs on a thread of its own,
  this is the call that moves there; its answer is immutable, so it may cross threads as it is.
* ``StatsMeter.update`` turns two successive readings into rates over the time between them (about a second), adds
  what the UI counted itself (frames painted per tile, capture-to-paint latencies), and gives a frozen
  ``CallStats``: the statistics view shows it, ``--stats FILE`` writes it as one JSON line (``json_line``).

Counters are cumulative and never reset by the engine, except that a feed or a participant may be replaced (a
screen share starts, someone rejoins after a reconnect): the meter then starts that figure over from the new object.
"""

from __future__ import annotations

import json
import math
import statistics
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nimeet_desktop.call.session import CallSession


@dataclass(frozen=True, slots=True)
class RtcpFigures:
    """What RTCP says about one direction of one connection (aiortc's ``getStats()``); None where unknown."""

    packets_lost: int | None = None  # cumulative, as the receiver reports it
    fraction_lost: float | None = None  # 0..1 over the receiver's last report interval
    round_trip_s: float | None = None  # from the remote side's receiver report (remote-inbound-rtp)
    jitter_s: float | None = None


@dataclass(frozen=True, slots=True)
class RemoteCounters:
    """One remote participant's cumulative counters at one moment."""

    socket_id: str
    username: str  # untrusted: the UI clips and isolates it before showing it
    key: int  # changes when the participant object is replaced (a rejoin): counters start over then
    frames_decoded: int
    width: int | None
    height: int | None
    bytes_received: int
    packets_received: int
    video_in: RtcpFigures = RtcpFigures()  # their video as we receive it: loss we see, jitter
    video_out: RtcpFigures = RtcpFigures()  # our video as they receive it: loss they report, round trip


@dataclass(frozen=True, slots=True)
class SentCounters:
    """Our outgoing video (the camera, or the screen while sharing) at one moment."""

    key: int  # changes with the feed (camera ↔ screen, camera off and on): counters start over then
    frames: int  # frames handed to the encoder (or to the senders, when each encodes)
    width: int | None
    height: int | None
    bitrate_bps: int | None  # the encoder's target, when one encoder serves every peer


@dataclass(frozen=True, slots=True)
class CallCounters:
    at: float  # time.monotonic()
    wall: float  # time.time(): the line's "t"
    sent: SentCounters | None  # None: we send no video
    remotes: tuple[RemoteCounters, ...]


def read_counters(session: CallSession) -> CallCounters:
    """The engine's counters now. Runs on the engine's loop (reads objects only the loop writes)."""
    feed = session.video_feed()
    sent = None
    if feed is not None:
        size = feed.encoded_size
        sent = SentCounters(
            key=id(feed),
            frames=feed.frames_encoded,
            width=size[0] if size else None,
            height=size[1] if size else None,
            bitrate_bps=feed.bitrate,
        )
    remotes = []
    for socket_id, remote in session.participants.items():
        stats = remote.stats
        rtcp = session.rtcp_figures(socket_id)
        remotes.append(
            RemoteCounters(
                socket_id=socket_id,
                username=remote.username,
                key=id(stats),
                frames_decoded=stats.video_frames,
                width=stats.width,
                height=stats.height,
                bytes_received=stats.bytes_received,
                packets_received=stats.packets_received,
                video_in=rtcp[0],
                video_out=rtcp[1],
            )
        )
    return CallCounters(at=time.monotonic(), wall=time.time(), sent=sent, remotes=tuple(remotes))


@dataclass(frozen=True, slots=True)
class SentStats:
    fps: float
    width: int | None
    height: int | None
    bitrate_bps: int | None


@dataclass(frozen=True, slots=True)
class TileStats:
    socket_id: str
    username: str  # untrusted
    decoded_fps: float
    painted_fps: float | None  # None: the UI did not say (no tile for them)
    width: int | None
    height: int | None
    latency_ms: float | None  # p50 capture → paint over the interval, for stamped (synthetic) pictures
    bitrate_bps: float | None  # everything received from them (media and RTCP), over the interval
    packets_lost: int | None  # cumulative, of their video, as we count it
    loss_fraction: float | None  # of their video, our last receiver report
    round_trip_s: float | None  # to them, from their receiver reports of our video
    jitter_s: float | None


@dataclass(frozen=True, slots=True)
class CallStats:
    t: float  # epoch seconds
    sent: SentStats
    tiles: tuple[TileStats, ...]


class StatsMeter:
    """Rates from successive ``CallCounters``; keeps only the previous reading. Not thread-safe (one caller)."""

    def __init__(self) -> None:
        self._previous: CallCounters | None = None
        self._painted: dict[str, int] = {}

    def update(
        self,
        counters: CallCounters,
        painted: Mapping[str, int] | None = None,
        latencies_ms: Mapping[str, Sequence[float]] | None = None,
    ) -> CallStats:
        """``painted``: cumulative frames painted per socket id (``VideoTile.painted_frames``); ``latencies_ms``:
        capture-to-paint samples per socket id since the last call. The first call gives zero rates."""
        previous, self._previous = self._previous, counters
        painted = painted or {}
        latencies_ms = latencies_ms or {}
        elapsed = counters.at - previous.at if previous is not None else 0.0
        before = {r.socket_id: r for r in previous.remotes} if previous is not None else {}
        painted_before = self._painted
        self._painted = dict(painted)

        def rate(now: int, then: int | None) -> float:
            if then is None or elapsed <= 0 or now < then:
                return 0.0
            return (now - then) / elapsed

        sent = counters.sent
        old_sent = previous.sent if previous is not None else None
        sent_then = old_sent.frames if old_sent is not None and sent is not None and old_sent.key == sent.key else None
        sent_stats = SentStats(
            fps=rate(sent.frames, sent_then) if sent is not None else 0.0,
            width=sent.width if sent is not None else None,
            height=sent.height if sent is not None else None,
            bitrate_bps=sent.bitrate_bps if sent is not None else None,
        )
        tiles = []
        for remote in counters.remotes:
            old = before.get(remote.socket_id)
            if old is not None and old.key != remote.key:
                old = None  # another participant object (a rejoin): its counters started over
            count = painted.get(remote.socket_id)
            samples = latencies_ms.get(remote.socket_id)
            tiles.append(
                TileStats(
                    socket_id=remote.socket_id,
                    username=remote.username,
                    decoded_fps=rate(remote.frames_decoded, old.frames_decoded if old else None),
                    painted_fps=None if count is None else rate(count, painted_before.get(remote.socket_id)),
                    width=remote.width,
                    height=remote.height,
                    latency_ms=float(statistics.median(samples)) if samples else None,
                    bitrate_bps=8 * rate(remote.bytes_received, old.bytes_received) if old and elapsed > 0 else None,
                    packets_lost=remote.video_in.packets_lost,
                    loss_fraction=remote.video_in.fraction_lost,
                    round_trip_s=remote.video_out.round_trip_s,
                    jitter_s=remote.video_in.jitter_s,
                )
            )
        return CallStats(t=counters.wall, sent=sent_stats, tiles=tuple(tiles))


def _number(value: float) -> float:
    return round(value, 2) if math.isfinite(value) else 0.0


def json_line(stats: CallStats) -> str:
    """One line of ``nimeet --stats FILE`` (names fixed by issue 13; a tile's ``latencyMs`` only when measured)."""
    tiles: list[dict[str, Any]] = []
    for tile in stats.tiles:
        entry: dict[str, Any] = {
            "username": tile.username,
            "decodedFps": _number(tile.decoded_fps),
            "paintedFps": None if tile.painted_fps is None else _number(tile.painted_fps),
            "width": tile.width,
            "height": tile.height,
        }
        if tile.latency_ms is not None:
            entry["latencyMs"] = _number(tile.latency_ms)
        tiles.append(entry)
    line = {
        "t": round(stats.t, 3),
        "sent": {"fps": _number(stats.sent.fps), "width": stats.sent.width, "height": stats.sent.height},
        "tiles": tiles,
    }
    return json.dumps(line, ensure_ascii=False, separators=(",", ":"))
