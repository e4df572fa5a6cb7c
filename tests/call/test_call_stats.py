"""The statistics' arithmetic (rates from cumulative counters) and the ``--stats`` file, without a call; the real
call is in tests/ui/test_unattended_start.py and tests/ui/test_statistics_view.py."""

from __future__ import annotations

import dataclasses
import json
import logging
import os
from pathlib import Path

import pytest

from nimeet_desktop.call.call_stats import (
    CallCounters,
    CallStats,
    RemoteCounters,
    RtcpFigures,
    SentCounters,
    StatsMeter,
    json_line,
)
from nimeet_desktop.call.stats_file import StatsFile


def remote(frames: int, *, key: int = 1, received: int = 0, socket_id: str = "s1") -> RemoteCounters:
    return RemoteCounters(
        socket_id=socket_id,
        username="Ada",
        key=key,
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
