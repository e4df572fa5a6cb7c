"""``nimeet-bot``'s hidden options for the benchmarks: engine switches and measurement output, on real processes."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

from nimeet_desktop import bot_bench
from nimeet_desktop.bot import build_parser
from nimeet_desktop.call.options import EngineOptions
from tests.call.test_bots import bot, finish
from tests.support.server import ServerProcess

HIDDEN = (
    "--per-sender-encoding",
    "--stock-jitter-buffer",
    "--latency-samples",
    "--sender-stats",
    "--fixed-video",
    "--quality-stats",
)


def test_the_switches_map_to_engine_options_and_stay_out_of_help() -> None:
    parser = build_parser()
    assert bot_bench.engine_options(parser.parse_args(["--create"])) == EngineOptions()
    args = parser.parse_args(["--create", "--per-sender-encoding", "--stock-jitter-buffer"])
    assert bot_bench.engine_options(args) == EngineOptions(encode_once=False, marker_jitter_buffer=False)
    fixed = parser.parse_args(["--create", "--fixed-video"])
    assert bot_bench.engine_options(fixed) == EngineOptions(adapt_video=False)
    assert not any(option in parser.format_help() for option in HIDDEN)


async def test_sender_stats_and_latency_samples(call_server: ServerProcess, tmp_path: Path) -> None:
    sender = bot(
        call_server, "--create", "--resolution", "320x240", "--audio", "none", "--duration", "7", "--sender-stats"
    )
    assert sender.stdout is not None
    line = await asyncio.to_thread(sender.stdout.readline)
    assert line.startswith("room: "), line
    report_path = tmp_path / "receiver.json"
    receiver = bot(
        call_server,
        f"--room={line.split()[1]}",
        *("--video", "none", "--audio", "none", "--duration", "4"),
        *("--latency-samples", "--json", str(report_path)),
    )
    await asyncio.to_thread(finish, receiver)
    out = await asyncio.to_thread(finish, sender)
    assert re.search(r"^bench: peer \S+ connected$", out, re.MULTILINE), out
    stats = [tuple(map(int, m)) for m in re.findall(r"^bench: stats t=\S+ frames=(\d+) bytes=(\d+)$", out, re.M)]
    assert len(stats) >= 5 and stats == sorted(stats), stats  # once a second, counters only grow
    frames, sent = stats[-1]
    assert frames >= 60 and sent > 0, stats  # ~3 s of 30 fps to one peer
    peer = json.loads(report_path.read_text())["peers"][0]
    samples = peer["latencySamplesMs"]
    assert len(samples) >= 60 and all(isinstance(s, (int, float)) for s in samples), samples[:10]
