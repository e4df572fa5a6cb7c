#!/usr/bin/env python3
"""Sender CPU in a mesh of K = 1..5 peers: encode-once (our ``SharedVideoEncoder``) vs per-sender encoding.

One sender process sends synthetic video (default 1280x720 at 30 fps, no audio so that only video is measured) to
K receive-only bots (``--video none --audio none``), each in a process of its own, all through the real server on
loopback. Receivers are added one at a time to the same call; after each one the script waits until the sender
has K connected peers, lets the call settle (``--warmup``), then measures the sender's CPU time (psutil, user +
system, all threads) over ``--window`` seconds. CPU % is of one core. K = 0 is the sender alone (the source only:
nothing is encoded without a subscriber).

Modes (each with a fresh sender and room):
    encode-once   the engine as built: one VP8 encoder, its packets fanned out to every peer's sender
    per-sender    the stock aiortc way, for comparison: every peer's RTCRtpSender gets the raw source frames
                  (yuv420p at the source) and encodes them with its own encoder (the bot's
                  ``--per-sender-encoding``: ``EngineOptions.encode_once=False``).

The sender runs with the bot's ``--sender-stats`` to report the video frames and bytes all its senders
handed to RTP, so each window also shows frames/s and kbit/s per peer: a sender that cannot keep up shows fewer
than the source rate (and its CPU figure is then a floor). Bitrates differ by design: our encoder starts at
1 Mbit/s and may rise to 2.5 Mbit/s, aiortc's starts at 0.5 and stops at 1.5.

The machine's other load matters on a small box: each window also prints what the receivers and everything else
(server, other processes; within a few %) used, the hypervisor's steal and the 1-minute load average. On 2 cores
1280x720 fits (per-sender K = 5 is ~1.1 cores for the sender, ~0.5 for the five receivers' decoders); where it
does not, the fps column drops below the source rate: use ``--resolution 640x360``.

Example:
    .venv/bin/python benchmarks/mesh_scaling.py                       # 720p30, K = 1..5, both modes
    .venv/bin/python benchmarks/mesh_scaling.py --resolution 640x360 --window 8
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psutil
from _call_common import BotProcess, cleanup, machine_line, server_running, verdict

TARGET_RATIO = 1.5
MODES = {"encode-once": [], "per-sender": ["--per-sender-encoding"]}
STATS = re.compile(r"^bench: stats t=(\S+) frames=(\d+) bytes=(\d+)")
PEER_STATE = re.compile(r"^bench: peer (\S+) (\S+)")


@dataclass
class Window:
    mode: str
    peers: int
    sender_cpu: float  # % of one core
    fps_per_peer: float
    kbps_per_peer: float
    receivers_cpu: float
    others_cpu: float  # every other process on the machine: the server, other people's work
    steal: float
    load1: float


def cpu_seconds(proc: psutil.Process) -> float:
    times = proc.cpu_times()
    return float(times.user + times.system)


def latest_stats(sender: BotProcess) -> tuple[float, int, int]:
    for line in reversed(sender.lines):
        if match := STATS.search(line.text):
            return float(match.group(1)), int(match.group(2)), int(match.group(3))
    raise RuntimeError(f"{sender.name} reports no stats\n{sender.tail()}")


def connected_peers(sender: BotProcess) -> int:
    state: dict[str, str] = {}
    for line in list(sender.lines):
        if match := PEER_STATE.search(line.text):
            state[match.group(1)] = match.group(2)
    return sum(1 for s in state.values() if s == "connected")


def wait_connected(sender: BotProcess, peers: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while connected_peers(sender) < peers:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{sender.name}: {connected_peers(sender)} of {peers} peers connected\n{sender.tail()}")
        if sender.proc.poll() is not None:
            raise RuntimeError(f"{sender.name} exited\n{sender.tail()}")
        time.sleep(0.1)


def measure_window(mode: str, sender: BotProcess, receivers: list[BotProcess], seconds: float) -> Window:
    me = psutil.Process(sender.pid)
    others = [psutil.Process(r.pid) for r in receivers]
    time.sleep(1.1)  # a fresh stats line
    t0 = time.monotonic()
    cpu0, rcpu0, sys0 = cpu_seconds(me), sum(cpu_seconds(p) for p in others), psutil.cpu_times()
    s0 = latest_stats(sender)
    time.sleep(seconds)
    t1 = time.monotonic()
    cpu1, rcpu1, sys1 = cpu_seconds(me), sum(cpu_seconds(p) for p in others), psutil.cpu_times()
    s1 = latest_stats(sender)
    wall = t1 - t0
    busy = (sum(sys1) - sys1.idle - getattr(sys1, "iowait", 0)) - (sum(sys0) - sys0.idle - getattr(sys0, "iowait", 0))
    stealed = getattr(sys1, "steal", 0.0) - getattr(sys0, "steal", 0.0)
    sender_cpu = (cpu1 - cpu0) / wall * 100
    receivers_cpu = (rcpu1 - rcpu0) / wall * 100
    k = max(1, len(receivers))
    stats_wall = s1[0] - s0[0]
    return Window(
        mode=mode,
        peers=len(receivers),
        sender_cpu=sender_cpu,
        fps_per_peer=(s1[1] - s0[1]) / stats_wall / k if receivers else 0.0,
        kbps_per_peer=(s1[2] - s0[2]) * 8 / stats_wall / k / 1000 if receivers else 0.0,
        receivers_cpu=receivers_cpu,
        # psutil's busy time includes steal: leave it out. The machine's figures are tick-sampled, the processes'
        # are not: "others" is good to a few %, and clamped at 0.
        others_cpu=max(0.0, (busy - stealed) / wall * 100 - sender_cpu - receivers_cpu),
        steal=stealed / wall * 100,
        load1=psutil.getloadavg()[0],
    )


def print_window(w: Window) -> None:
    print(
        f"{w.mode:>11} K={w.peers}: sender {w.sender_cpu:5.1f} % CPU, {w.fps_per_peer:4.1f} fps and "
        f"{w.kbps_per_peer:5.0f} kbit/s per peer | receivers {w.receivers_cpu:5.1f} %, everything else "
        f"{w.others_cpu:5.1f} %, steal {w.steal:4.1f} %, load {w.load1:.2f}",
        flush=True,
    )


def run_mode(mode: str, workdir: Path, url: str, args: argparse.Namespace) -> list[Window]:
    media = ["--video", "synthetic", "--resolution", args.resolution, "--fps", str(args.fps), "--audio", args.audio]
    sender = BotProcess(
        f"sender-{mode}",
        workdir,
        url,
        ["--create", "--duration", "0", *media, "--sender-stats", *MODES[mode]],
    )
    bots = [sender]
    windows = []
    with cleanup(bots):
        room = sender.room_id()
        time.sleep(args.warmup)
        windows.append(measure_window(mode, sender, [], args.window))
        print_window(windows[-1])
        receivers: list[BotProcess] = []
        for k in range(1, args.max_peers + 1):
            receiver = BotProcess(
                f"receiver-{mode}-{k}",
                workdir,
                url,
                [f"--room={room}", "--video", "none", "--audio", "none", "--duration", "0"],
            )
            receivers.append(receiver)
            bots.append(receiver)
            wait_connected(sender, k)
            time.sleep(args.warmup)
            windows.append(measure_window(mode, sender, receivers, args.window))
            print_window(windows[-1])
        for bot in receivers:
            bot.stop()
        sender.stop()
    return windows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--resolution", default="1280x720", help="WxH (default %(default)s)")
    p.add_argument("--fps", type=float, default=30.0)
    p.add_argument("--audio", choices=["synthetic", "none"], default="none", help="the sender's audio")
    p.add_argument("--max-peers", type=int, default=5)
    p.add_argument("--window", type=float, default=10.0, help="seconds measured per K (default %(default)s)")
    p.add_argument("--warmup", type=float, default=3.0, help="settling seconds before each window")
    p.add_argument("--modes", nargs="+", choices=list(MODES), default=list(MODES))
    args = p.parse_args(argv)
    if args.max_peers < 1:
        p.error("--max-peers must be at least 1")

    print(machine_line())
    print(
        f"sender: synthetic {args.resolution}@{args.fps:g}, audio {args.audio}; K receive-only nimeet-bot "
        f"processes; {args.window:g} s window after {args.warmup:g} s settling; CPU % of one core"
    )
    results: dict[str, dict[int, Window]] = {}
    with tempfile.TemporaryDirectory(prefix="nimeet-mesh-") as tmp, server_running(Path(tmp)) as server:
        for mode in args.modes:
            results[mode] = {w.peers: w for w in run_mode(mode, Path(tmp), server.url, args)}
    print(machine_line())

    def cell(mode: str, k: int) -> str:
        w = results.get(mode, {}).get(k)
        return f"{w.sender_cpu:6.1f} % ({w.fps_per_peer:4.1f} fps)" if w else f"{'n/a':>20}"

    print()
    print(f"  K | {'encode-once CPU %':>20} | {'per-sender CPU %':>20}")
    print(f"----+-{'-' * 20}-+-{'-' * 20}")
    for k in range(args.max_peers + 1):
        print(f"{k:3d} | {cell('encode-once', k):>20} | {cell('per-sender', k):>20}")
    print("(fps = video frames/s each peer's sender handed to RTP in the window; K = 0: the source alone)")
    print()

    for mode, windows in results.items():
        if 1 in windows and 4 in windows:
            ratio = windows[4].sender_cpu / windows[1].sender_cpu
            print(f"{mode}: CPU(K=4) / CPU(K=1) = {ratio:.2f}")
    once = results.get("encode-once", {})
    if 1 not in once or 4 not in once:
        print(f"target CPU(K=4) <= {TARGET_RATIO} x CPU(K=1): not measured (needs encode-once and K >= 4)")
        return 1
    ok = once[4].sender_cpu <= TARGET_RATIO * once[1].sender_cpu
    print(
        f"target CPU(K=4) <= {TARGET_RATIO} x CPU(K=1) (encode-once): {verdict(ok)} "
        f"({once[4].sender_cpu:.1f} % vs {TARGET_RATIO} x {once[1].sender_cpu:.1f} % = "
        f"{TARGET_RATIO * once[1].sender_cpu:.1f} %)"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
