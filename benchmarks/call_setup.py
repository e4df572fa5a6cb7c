#!/usr/bin/env python3
"""Call setup: join -> first remote video frame, two ``nimeet-bot`` processes through the real server on loopback.

Each run uses a new room: bot A (``--create``) is started and waits in its room; then bot B joins it. Both send
synthetic video (and audio). The figures are the bots' own ``firstFrameMs`` (``docs/bot-report.md``):

    B <- A   B's ``join-room`` ack -> first decoded video frame from A   (the newcomer's view: the target figure)
    A <- B   A's ``user-joined`` for B -> first decoded video frame from B   (the other direction)

B's own ``connected`` time (ICE + DTLS done, from its ack) is printed too, to show where the time goes. The process
start-up of the bots (Python and aiortc imports, sign-in) comes before the ack and is not counted.

Example:
    NIMEET_ICE_HOSTS=127.0.0.1 .venv/bin/python benchmarks/call_setup.py --runs 10
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

from _call_common import BotProcess, cleanup, machine_line, percentile_or_nan, server_running, verdict

TARGET_P50_MS = 200.0


def first_frame_ms(report: dict[str, Any]) -> float | None:
    peers = report["peers"]
    return peers[0]["firstFrameMs"] if peers else None


def connected_ms(report: dict[str, Any]) -> float | None:
    peers = report["peers"]
    if not peers:
        return None
    return next((s["atMs"] for s in peers[0]["connectionStates"] if s["state"] == "connected"), None)


def one_run(index: int, workdir: Path, url: str, args: argparse.Namespace) -> dict[str, float | None]:
    media = ["--video", "synthetic", "--audio", args.audio, "--resolution", args.resolution, "--fps", str(args.fps)]
    a = BotProcess(f"run{index}-a", workdir, url, ["--create", "--duration", "0", *media])
    bots = [a]
    with cleanup(bots):
        room = a.room_id()
        b = BotProcess(f"run{index}-b", workdir, url, [f"--room={room}", "--duration", str(args.hold), *media])
        bots.append(b)
        b.wait(args.hold + 60)
        a.stop()
        rb, ra = b.report(), a.report()
    return {
        "b_from_a": first_frame_ms(rb),
        "a_from_b": first_frame_ms(ra),
        "b_connected": connected_ms(rb),
        "b_join_ack": rb.get("joinAckMs"),
    }


def stats_line(label: str, values: list[float]) -> str:
    if not values:
        return f"{label}: no samples"
    return (
        f"{label}: p50 {percentile_or_nan(values, 50):.1f} ms, p95 {percentile_or_nan(values, 95):.1f} ms, "
        f"max {max(values):.1f} ms (n={len(values)})"
    )


def fmt(value: float | None) -> str:
    return "   n/a" if value is None else f"{value:6.1f}"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=10, help="calls to set up (default %(default)s)")
    p.add_argument("--resolution", default="640x360", help="synthetic video WxH (default %(default)s)")
    p.add_argument("--fps", type=float, default=30.0)
    p.add_argument("--audio", choices=["synthetic", "none"], default="synthetic")
    p.add_argument("--hold", type=float, default=2.0, help="seconds B stays in each call (default %(default)s)")
    args = p.parse_args(argv)

    print(machine_line())
    print(
        f"{args.runs} runs, two nimeet-bot processes per run, video {args.resolution}@{args.fps:g}, audio {args.audio}"
    )
    results: list[dict[str, float | None]] = []
    with tempfile.TemporaryDirectory(prefix="nimeet-call-setup-") as tmp, server_running(Path(tmp)) as server:
        print(f"server {server.url}")
        print("run  B<-A first frame  A<-B first frame  (B: join ack, connected after ack)")
        for i in range(args.runs):
            r = one_run(i, Path(tmp), server.url, args)
            results.append(r)
            print(
                f"{i + 1:3d}  {fmt(r['b_from_a'])} ms        {fmt(r['a_from_b'])} ms         "
                f"({fmt(r['b_join_ack'])} ms, {fmt(r['b_connected'])} ms)",
                flush=True,
            )
    print(machine_line())

    forward = [r["b_from_a"] for r in results if r["b_from_a"] is not None]
    backward = [r["a_from_b"] for r in results if r["a_from_b"] is not None]
    connected = [r["b_connected"] for r in results if r["b_connected"] is not None]
    print(stats_line("join -> first remote frame (B <- A, from B's join ack)", forward))
    print(stats_line("other direction (A <- B, from A's user-joined)      ", backward))
    print(stats_line("B connected (ICE + DTLS) after its join ack         ", connected))
    missing = args.runs - len(forward)
    if missing:
        print(f"{missing} run(s) never showed a frame from A")
    ok = missing == 0 and percentile_or_nan(forward, 50) <= TARGET_P50_MS
    print(f"target p50 <= {TARGET_P50_MS:.0f} ms: {verdict(ok)}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
