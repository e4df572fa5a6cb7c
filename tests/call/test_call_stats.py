"""The statistics' arithmetic (rates from cumulative counters) and the ``--stats`` file, without a call; the real
call is in tests/ui/test_unattended_start.py and tests/ui/test_statistics_view.py."""

from __future__ import annotations

import dataclasses
import json
import logging
import os
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from nimeet_desktop.call.aiortc_compat import RoundTrip
from nimeet_desktop.call.call_stats import (
    CallCounters,
    CallStats,
    RemoteCounters,
    RtcpFigures,
    SentCounters,
    StatsMeter,
    json_line,
    read_counters,
)
from nimeet_desktop.call.session import CallSession
from nimeet_desktop.call.stats_file import StatsFile
from tests.call.conftest import frames_from, wait_until


def remote(frames: int, *, key: int = 1, received: int = 0, socket_id: str = "s1") -> RemoteCounters:
    return RemoteCounters(
        socket_id=socket_id,
        username="Ada",
        key=key,
        video_on=True,
        frames_decoded=frames,
        width=640,
        height=360,
        bytes_received=received,
        packets_received=0,
        video_in=RtcpFigures(packets_lost=3, fraction_lost=0.01, jitter_s=0.004),
        video_out=RtcpFigures(round_trip_s=0.012),
    )


def counters(at: float, sent: int, *remotes: RemoteCounters, feed: int = 7) -> CallCounters:
    return CallCounters(
        at=at, wall=1_700_000_000 + at, sent=SentCounters(feed, sent, 640, 360, 900_000), remotes=remotes
    )


def test_rates_over_the_time_between_two_readings() -> None:
    meter = StatsMeter()
    first = meter.update(counters(10.0, 100, remote(50, received=1000)), {"s1": 40})
    assert first.sent.fps == 0 and first.tiles[0].decoded_fps == 0 and first.tiles[0].painted_fps == 0
    assert first.tiles[0].bitrate_bps is None, "no rate from one reading"
    second = meter.update(counters(12.0, 160, remote(110, received=251_000)), {"s1": 98}, {"s1": [30.0, 10.0, 20.0]})
    assert second.sent.fps == pytest.approx(30.0)
    tile = second.tiles[0]
    assert tile.decoded_fps == pytest.approx(30.0) and tile.painted_fps == pytest.approx(29.0)
    assert tile.bitrate_bps == pytest.approx(1_000_000)
    assert tile.latency_ms == 20.0, "the median of the interval's samples"
    assert (tile.packets_lost, tile.loss_fraction, tile.round_trip_s, tile.jitter_s) == (3, 0.01, 0.012, 0.004)
    third = meter.update(counters(13.0, 190, remote(140, received=251_000)), {"s1": 128})
    assert third.tiles[0].latency_ms is None, "no stamped picture painted: unknown, not zero"


def test_a_replaced_feed_or_participant_starts_over() -> None:
    meter = StatsMeter()
    meter.update(counters(0.0, 500, remote(900, key=1)))
    # The screen share replaced the camera's feed, the participant rejoined: smaller counters are not negative rates.
    later = meter.update(counters(1.0, 10, remote(20, key=2), feed=8))
    assert later.sent.fps == 0 and later.tiles[0].decoded_fps == 0
    again = meter.update(counters(2.0, 40, remote(50, key=2), feed=8))
    assert again.sent.fps == 30 and again.tiles[0].decoded_fps == 30


def test_a_snapshot_is_immutable() -> None:
    stats = StatsMeter().update(counters(0.0, 1, remote(1)))
    with pytest.raises(dataclasses.FrozenInstanceError):
        stats.sent.fps = 99  # type: ignore[misc]
    assert isinstance(stats.tiles, tuple)


def test_the_json_line_has_the_issue_names() -> None:
    meter = StatsMeter()
    meter.update(counters(0.0, 0, remote(0)), {"s1": 0})
    stats = meter.update(counters(1.0, 30, remote(29)), {"s1": 28}, {"s1": [41.0]})
    line = json.loads(json_line(stats))
    assert line == {
        "t": 1_700_000_001.0,
        "sent": {"fps": 30.0, "width": 640, "height": 360},
        "tiles": [
            {"username": "Ada", "decodedFps": 29.0, "paintedFps": 28.0, "width": 640, "height": 360, "latencyMs": 41.0}
        ],
    }
    nothing_sent = CallStats(t=1.0, sent=dataclasses.replace(stats.sent, fps=0.0, width=None, height=None), tiles=())
    assert json.loads(json_line(nothing_sent))["sent"] == {"fps": 0.0, "width": None, "height": None}


def _stats() -> CallStats:
    return StatsMeter().update(counters(0.0, 0, remote(0)))


def test_lines_are_appended(tmp_path: Path) -> None:
    path = tmp_path / "stats.jsonl"
    path.write_text('{"earlier": true}\n')
    out = StatsFile(path)
    assert out.append(_stats()) and out.append(_stats())
    out.close()
    assert len(path.read_text().splitlines()) == 3


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (a device that is always full)")
def test_a_full_disk_is_logged_once_and_breaks_nothing(caplog: pytest.LogCaptureFixture) -> None:
    out = StatsFile(Path("/dev/full"))
    with caplog.at_level(logging.INFO, logger="nimeet_desktop.call.stats_file"):
        assert [out.append(_stats()) for _ in range(3)] == [False, False, False]
    assert len(caplog.records) == 1 and "/dev/full" in caplog.records[0].getMessage()
    out.close()


def test_a_path_that_cannot_be_written_is_logged_once(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    out = StatsFile(tmp_path)  # a directory
    with caplog.at_level(logging.INFO, logger="nimeet_desktop.call.stats_file"):
        assert not out.append(_stats()) and not out.append(_stats())
        assert len(caplog.records) == 1
        out.path = tmp_path / "stats.jsonl"  # writable again (a full disk freed): lines resume, and the log says so
        assert out.append(_stats())
    assert len(caplog.records) == 2 and "again" in caplog.records[1].getMessage()
    out.close()


def test_a_round_trip_counts_the_echo_of_any_recent_sender_report() -> None:
    round_trip = RoundTrip()
    round_trip.sent(0x0000_1234_5678_0000, at=100.0)
    round_trip.sent(0x0000_1234_9999_0000, at=101.0)  # a newer report went out before the first one's echo came
    round_trip.echoed(0x1234_5678, dlsr=0, now=101.2)
    assert round_trip.seconds is None, "DLSR 0: the receiver had no report of ours yet"
    round_trip.echoed(0x1234_5678, dlsr=65536 // 2, now=101.3)  # held 0.5 s by the receiver
    assert round_trip.seconds == pytest.approx(0.8)
    round_trip.echoed(0x1234_9999, dlsr=65536 // 2, now=102.0)
    assert round_trip.seconds == pytest.approx(0.85 * 0.8 + 0.15 * 0.5)
    round_trip.echoed(0x0BAD_0BAD, dlsr=100, now=103.0)  # not one of ours
    assert round_trip.seconds == pytest.approx(0.755)

    # No RTP between two reports (camera off): the same LSR twice; the echo is of the newest.
    again = RoundTrip()
    again.sent(0x0000_1234_5678_0000, at=100.0)
    again.sent(0x0000_1234_5678_0000, at=105.0)
    again.echoed(0x1234_5678, dlsr=65536 // 10, now=105.3)
    assert again.seconds == pytest.approx(0.2, abs=1e-3)


async def test_rtcp_figures_of_a_real_call_only_while_wanted(
    room_of: Callable[..., Awaitable[tuple[str, list[str]]]], sessions: Callable[..., CallSession]
) -> None:
    room, tokens = await room_of(2)
    a, b = sessions(tokens[0]), sessions(tokens[1])
    await a.join(room)
    await b.join(room)
    await wait_until(lambda: frames_from(a, b) > 30 and frames_from(b, a) > 30, timeout=20, what="video both ways")
    assert b.self_participant is not None
    peer_id = b.self_participant.socket_id
    assert read_counters(a).remotes[0].video_out.round_trip_s is None, "not gathered unless wanted"

    def figures() -> tuple[RtcpFigures, RtcpFigures]:
        [remote] = read_counters(a, rtcp=True).remotes
        return remote.video_in, remote.video_out

    await wait_until(
        lambda: figures()[1].round_trip_s is not None and figures()[0].fraction_lost is not None,
        timeout=15,
        what="a round trip and a loss figure",
    )
    video_in, video_out = figures()
    assert 0 <= (video_out.round_trip_s or 0) < 2, "loopback"
    assert video_in.fraction_lost == 0 and video_in.packets_lost == 0 and (video_in.packets_received or 0) > 30
    assert video_in.jitter_s is not None and video_out.fraction_lost == 0
    assert a.rtcp_figures(peer_id) == (video_in, video_out)
