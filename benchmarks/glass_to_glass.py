#!/usr/bin/env python3
"""Glass-to-glass video latency, sender and receiver in separate processes, through the real server on loopback.

The sender is a ``nimeet-bot`` sending synthetic video (default 1280x720 at 30 fps, with synthetic audio); each
frame carries a stamp with its capture wall-clock time in ms (``nimeet_desktop/media/stamp.py``). The receiver is a
receive-only bot (``--video none --audio none``) that decodes the stamp of every frame it gets: latency = its wall
clock at decode - the stamp (one machine, one clock). So a sample spans capture -> VP8 encode -> RTP over loopback
-> jitter buffer -> decode -> the session's receive loop. The receiver runs with the bot's ``--latency-samples`` to
keep every sample (the report alone only has p50/p95); samples from the first ``--warmup`` seconds of frames
(keyframe, bitrate ramp) are left out.

``--stock-jitter-buffer`` adds a second receiver, after the first, into the same call: the same engine but with
aiortc's own jitter buffer (the bot's ``--stock-jitter-buffer``: ``EngineOptions.marker_jitter_buffer=False``),
which releases a frame only when the next frame's first packet arrives, about one frame interval later.

Example:
    .venv/bin/python benchmarks/glass_to_glass.py --duration 20 --stock-jitter-buffer
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

from _call_common import BotProcess, cleanup, machine_line, percentile_or_nan, server_running, verdict

TARGET_P50_MS = 45.0
TARGET_P95_MS = 70.0


def measure(name: str, workdir: Path, url: str, room: str, args: argparse.Namespace, stock: bool) -> dict[str, Any]:
    options = ["--latency-samples"] + (["--stock-jitter-buffer"] if stock else [])
    hold = args.warmup + args.duration + 1.0  # ~1 s for sign-in, join and connection before the first frame
    receiver = BotProcess(
        name,
        workdir,
        url,
        [f"--room={room}", "--video", "none", "--audio", "none", "--duration", str(hold), *options],
    )
    with cleanup([receiver]):
        receiver.wait(hold + 60)
    report = receiver.report()
    if not report["peers"]:
        raise RuntimeError(f"{name}: the sender never joined its call\n{receiver.tail()}")
    peer = report["peers"][0]
    video = peer["video"]
    fps = video["fps"] or args.fps
    all_samples: list[int] = peer.get("latencySamplesMs") or []
    samples = all_samples[int(args.warmup * fps) :]
    return {
        "name": name,
        "jitter_buffer": "aiortc stock" if stock else "marker (ours)",
        "frames": video["frames"],
        "fps": video["fps"],
        "size": f"{video['width']}x{video['height']}",
        "first_frame_ms": peer["firstFrameMs"],
        "bot_latency": video["latencyMs"],
        "n": len(samples),
        "p50": percentile_or_nan(samples, 50),
        "p95": percentile_or_nan(samples, 95),
        "p99": percentile_or_nan(samples, 99),
        "max": max(samples) if samples else float("nan"),
        "mean": sum(samples) / len(samples) if samples else float("nan"),
    }


def print_result(r: dict[str, Any]) -> None:
    bot = r["bot_latency"] or {}
    print(
        f"{r['jitter_buffer']:>14}: {r['frames']} frames at {r['fps']} fps, {r['size']}, first frame "
        f"{r['first_frame_ms']} ms; latency over {r['n']} samples after warm-up: p50 {r['p50']:.0f} ms, "
        f"p95 {r['p95']:.0f} ms, p99 {r['p99']:.0f} ms, max {r['max']:.0f} ms, mean {r['mean']:.1f} ms "
        f"(bot report, whole call: p50 {bot.get('p50')} ms, p95 {bot.get('p95')} ms)",
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--resolution", default="1280x720", help="WxH (default %(default)s)")
    p.add_argument("--fps", type=float, default=30.0)
    p.add_argument("--audio", choices=["synthetic", "none"], default="synthetic", help="the sender's audio")
    p.add_argument("--duration", type=float, default=20.0, help="measured seconds per receiver (default %(default)s)")
    p.add_argument("--warmup", type=float, default=2.0, help="seconds of frames left out first (default %(default)s)")
    p.add_argument("--stock-jitter-buffer", action="store_true", help="compare with aiortc's own jitter buffer")
    args = p.parse_args(argv)

    print(machine_line())
    print(
        f"sender: nimeet-bot, synthetic {args.resolution}@{args.fps:g}, audio {args.audio}; receiver: "
        f"receive-only bot in another process; {args.duration:g} s measured after {args.warmup:g} s warm-up"
    )
    results = []
    with tempfile.TemporaryDirectory(prefix="nimeet-g2g-") as tmp, server_running(Path(tmp)) as server:
        workdir = Path(tmp)
        media = ["--video", "synthetic", "--resolution", args.resolution, "--fps", str(args.fps), "--audio", args.audio]
        sender = BotProcess("sender", workdir, server.url, ["--create", "--duration", "0", *media])
        with cleanup([sender]):
            room = sender.room_id()
            results.append(measure("receiver-marker", workdir, server.url, room, args, stock=False))
            print_result(results[-1])
            if args.stock_jitter_buffer:
                results.append(measure("receiver-stock", workdir, server.url, room, args, stock=True))
                print_result(results[-1])
            sender.stop()
            sent = sender.report()["sent"]["video"]
    print(
        f"sender: {sent['frames']} frames encoded at {sent['fps']} fps, {sent['width']}x{sent['height']} "
        "(over the whole call, receivers included one after the other)"
    )
    print(machine_line())

    ours = results[0]
    if len(results) > 1:
        stock = results[1]
        print(
            f"marker jitter buffer saves {stock['p50'] - ours['p50']:.0f} ms at p50, "
            f"{stock['p95'] - ours['p95']:.0f} ms at p95 over aiortc's stock buffer"
        )
    ok_p50 = ours["n"] > 0 and ours["p50"] <= TARGET_P50_MS
    ok_p95 = ours["n"] > 0 and ours["p95"] <= TARGET_P95_MS
    print(f"target p50 <= {TARGET_P50_MS:.0f} ms: {verdict(ok_p50)} ({ours['p50']:.0f} ms)")
    print(f"target p95 <= {TARGET_P95_MS:.0f} ms: {verdict(ok_p95)} ({ours['p95']:.0f} ms)")
    return 0 if ok_p50 and ok_p95 else 1


if __name__ == "__main__":
    sys.exit(main())
