"""Soak: a 4-party call for a long time (issue 17: 30 minutes), watching every process's memory and CPU for drift.

Four ``nimeet-bot`` processes (synthetic video and a tone, each decoding the three others) in one room on the real
server on loopback. Every ``--interval`` seconds it samples each process's resident memory (RSS) and its CPU share
over the interval (psutil), the server's too. At the end it prints, per process, the first and last sample and the
drift between the first third of the run and the last third (median of each third, so one busy sample on a shared
machine does not decide), and from the bots' reports the lowest video fps each received from each other.

    .venv/bin/python benchmarks/soak.py                        # 30 minutes at 640x360, 30 fps
    .venv/bin/python benchmarks/soak.py --minutes 3 --interval 10   # a quick look

Not part of the tests: it runs for half an hour. A leak shows as RSS climbing through the run (the warm-up is the
first --warmup seconds: caches, jitter buffers and encoders filling, excluded from the figures).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil
from _call_common import BotProcess, cleanup, machine_line, server_running

PARTICIPANTS = 4


@dataclass
class Series:
    name: str
    process: psutil.Process
    rss_mb: list[float] = field(default_factory=list)
    cpu_pct: list[float] = field(default_factory=list)

    def sample(self) -> None:
        with self.process.oneshot():
            self.rss_mb.append(self.process.memory_info().rss / 1e6)
            self.cpu_pct.append(self.process.cpu_percent(None))  # since the previous call: the interval's share


def thirds(values: list[float]) -> tuple[float, float]:
    """Median of the first and of the last third."""
    third = max(1, len(values) // 3)
    return statistics.median(values[:third]), statistics.median(values[-third:])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--minutes", type=float, default=30.0)
    p.add_argument("--interval", type=float, default=30.0, help="seconds between samples (default %(default)s)")
    p.add_argument("--warmup", type=float, default=60.0, help="seconds before the first sample (default %(default)s)")
    p.add_argument("--resolution", default="640x360")
    p.add_argument("--fps", type=float, default=30.0)
    args = p.parse_args(argv)
    print(machine_line(), flush=True)
    media = ["--video", "synthetic", "--resolution", args.resolution, "--fps", str(args.fps), "--audio", "synthetic"]
    with tempfile.TemporaryDirectory(prefix="nimeet-soak-") as tmp:
        work = Path(tmp)
        with server_running(work) as server:
            first = BotProcess("bot-1", work, server.url, ["--create", "--duration", "0", *media])
            bots = [first]
            with cleanup(bots):
                room = first.room_id()
                for k in range(2, PARTICIPANTS + 1):
                    bots.append(BotProcess(f"bot-{k}", work, server.url, [f"--room={room}", "--duration", "0", *media]))
                print(f"{PARTICIPANTS} participants in {room}; warm-up {args.warmup:.0f} s", flush=True)
                time.sleep(args.warmup)
                series = [Series(bot.name, psutil.Process(bot.pid)) for bot in bots]
                series.append(Series("server", psutil.Process(server.pid)))
                for s in series:
                    s.process.cpu_percent(None)  # starts each process's CPU clock
                end = time.monotonic() + args.minutes * 60
                started = time.monotonic()
                while time.monotonic() < end:
                    time.sleep(args.interval)
                    for s in series:
                        s.sample()
                    minute = (time.monotonic() - started) / 60
                    row = " | ".join(f"{s.name} {s.rss_mb[-1]:6.1f} MB {s.cpu_pct[-1]:5.1f} %" for s in series)
                    print(f"{minute:5.1f} min | {row}", flush=True)
                for bot in bots:
                    bot.stop()
                reports = [bot.report() for bot in bots]
    print()
    print(
        "| process | RSS first → last (MB) | RSS first third → last third (median, MB) "
        "| CPU first third → last third (median %) |"
    )
    print("|---|---|---|---|")
    for s in series:
        rss_a, rss_b = thirds(s.rss_mb)
        cpu_a, cpu_b = thirds(s.cpu_pct)
        print(
            f"| {s.name} | {s.rss_mb[0]:.1f} → {s.rss_mb[-1]:.1f} | {rss_a:.1f} → {rss_b:.1f} ({rss_b - rss_a:+.1f}) "
            f"| {cpu_a:.1f} → {cpu_b:.1f} |"
        )
    lowest = [
        min((peer.get("video") or {}).get("fps") or 0.0 for peer in report.get("peers", [])) for report in reports
    ]
    print(
        f"\nlowest video fps received by each participant over the whole run: {', '.join(f'{v:.1f}' for v in lowest)}"
    )
    print(machine_line())
    return 0


if __name__ == "__main__":
    sys.exit(main())
