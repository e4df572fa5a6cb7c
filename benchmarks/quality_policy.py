#!/usr/bin/env python3
"""The quality policy in a full mesh grown from 2 participants: the level each chose, its encode ms, every tile's fps.

N ``nimeet-bot`` processes, each sending synthetic video (default 1280x720 at 30 fps, the 720p preset: the camera's
own size is the ceiling) and decoding everyone else's, all in one room through the real server on loopback, all on
this machine: N encoders and N(N-1) decoders share its cores, as N people's laptops would not, so this is the
harder case. Participants are added one at a time; after each, the script waits until every bot decodes video from
all the others, lets the call settle (``--warmup``: the policy steps down at once and up after 8 s of headroom),
then measures over ``--window`` seconds, from each bot's ``--quality-stats`` lines (``nimeet_desktop/bot_bench.py``):

- per participant: the level its policy chose (and why: preset, mesh, cpu, loss, round-trip, headroom), the size it
  really encoded, and its mean scale + encode wall time per frame (ms);
- per tile (each bot's view of each other bot): frames decoded per second over the window.

The goal (issue 16): every tile at >= 25 fps as the mesh grows. ``--modes fixed`` runs the same mesh with the policy
off (``--fixed-video``: every frame encoded at the camera's size, the engine before the policy) for comparison.

Other engineers share this machine: the load average is printed with each size; a figure next to a load above ~2
says more about them than about the policy.

Example:
    .venv/bin/python benchmarks/quality_policy.py                            # N = 2..6, the policy
    .venv/bin/python benchmarks/quality_policy.py --max-participants 5 --modes policy fixed
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from _call_common import BotProcess, cleanup, machine_line, server_running, verdict

TARGET_FPS = 25.0
MODES = {"policy": [], "fixed": ["--fixed-video"]}
QUALITY = re.compile(r"^bench: quality t=(\S+) level=(\S+) reason=(\S+) size=(\S+) encoded=(\d+) encode_s=(\S+)")
RECV = re.compile(r"^bench: recv t=(\S+) user=(\S+) frames=(\d+) height=(\d+)")


@dataclass
class Reading:
    at: float
    level: str
    reason: str
    size: str
    encoded: int
    encode_s: float
    received: dict[str, tuple[int, int]]  # username -> (frames decoded, height)


@dataclass
class Participant:
    name: str
    level: str
    reason: str
    size: str
    encode_ms: float | None
    tiles: dict[str, float]  # the sender's username -> fps


@dataclass
class Size:
    mode: str
    participants: list[Participant]
    load1: float

    @property
    def tile_fps(self) -> list[float]:
        return [fps for p in self.participants for fps in p.tiles.values()]


def reading(bot: BotProcess) -> Reading | None:
    """The bot's newest complete second: its last quality line and the recv lines printed after it."""
    lines = list(bot.lines)
    for index in range(len(lines) - 1, -1, -1):
        match = QUALITY.search(lines[index].text)
        if match is None:
            continue
        stamp = match.group(1)
        received: dict[str, tuple[int, int]] = {}
        for line in lines[index + 1 :]:
            if (recv := RECV.search(line.text)) and recv.group(1) == stamp:
                received[recv.group(2)] = (int(recv.group(3)), int(recv.group(4)))
        return Reading(
            at=float(stamp),
            level=match.group(2),
            reason=match.group(3),
            size=match.group(4),
            encoded=int(match.group(5)),
            encode_s=float(match.group(6)),
            received=received,
        )
    return None


def wait_all_receiving(bots: list[BotProcess], timeout: float = 60.0) -> None:
    """Until every bot decodes video from all the others (frames growing between two of its readings)."""
    deadline = time.monotonic() + timeout
    first = {bot.name: reading(bot) for bot in bots}
    while True:
        time.sleep(1.0)
        ready = 0
        for bot in bots:
            before, now = first.get(bot.name), reading(bot)
            if before is None or now is None:
                first[bot.name] = now
                continue
            growing = [u for u, (frames, _) in now.received.items() if frames > before.received.get(u, (0, 0))[0]]
            if len(growing) >= len(bots) - 1:
                ready += 1
        if ready == len(bots):
            return
        if time.monotonic() > deadline:
            tails = "\n".join(bot.tail() for bot in bots)
            raise TimeoutError(f"{ready} of {len(bots)} bots receive from everyone\n{tails}")
        for bot in bots:
            if bot.proc.poll() is not None:
                raise RuntimeError(f"{bot.name} exited\n{bot.tail()}")


def measure(mode: str, bots: list[BotProcess], seconds: float) -> Size:
    before = {bot.name: reading(bot) for bot in bots}
    time.sleep(seconds)
    participants = []
    for bot in bots:
        then, now = before[bot.name], reading(bot)
        if then is None or now is None:
            raise RuntimeError(f"{bot.name} printed no quality line\n{bot.tail()}")
        wall = now.at - then.at
        frames = now.encoded - then.encoded
        encode_ms = (now.encode_s - then.encode_s) / frames * 1000 if frames > 0 else None
        tiles = {
            user: (count - then.received.get(user, (count, 0))[0]) / wall if wall > 0 else 0.0
            for user, (count, _) in now.received.items()
        }
        participants.append(Participant(bot.name, now.level, now.reason, now.size, encode_ms, tiles))
    return Size(mode, participants, load1=_load1())


def _load1() -> float:
    return os.getloadavg()[0]


def print_size(size: Size) -> None:
    fps = size.tile_fps
    n = len(size.participants)
    low = min(fps) if fps else 0.0
    print(
        f"{size.mode:>6} N={n}: tiles min {low:4.1f} fps, median {statistics.median(fps) if fps else 0:4.1f} fps "
        f"({len(fps)} tiles) {verdict(low >= TARGET_FPS)} | load {size.load1:.2f}",
        flush=True,
    )
    for p in size.participants:
        encode = f"{p.encode_ms:5.2f}" if p.encode_ms is not None else "  n/a"
        tiles = " ".join(f"{fps:4.1f}" for fps in p.tiles.values())
        print(
            f"         {p.name:>9}: level {p.level:>7} ({p.reason:>8}) sends {p.size:>9}, encode {encode} ms "
            f"| tiles {tiles}"
        )


def run_mode(mode: str, workdir: Path, url: str, args: argparse.Namespace) -> list[Size]:
    media = ["--video", "synthetic", "--resolution", args.resolution, "--fps", str(args.fps), "--audio", "none"]
    common = ["--duration", "0", *media, "--quality-stats", *MODES[mode]]
    first = BotProcess(f"{mode}-p1", workdir, url, ["--create", *common])
    bots = [first]
    sizes: list[Size] = []
    with cleanup(bots):
        room = first.room_id()
        for n in range(2, args.max_participants + 1):
            bots.append(BotProcess(f"{mode}-p{n}", workdir, url, [f"--room={room}", *common]))
            try:
                wait_all_receiving(bots)
            except TimeoutError as exc:
                print(f"{mode:>6} N={n}: the mesh did not come up: {str(exc).splitlines()[0]}", flush=True)
                break
            time.sleep(args.warmup)
            sizes.append(measure(mode, bots, args.window))
            print_size(sizes[-1])
        for bot in bots:
            bot.stop()
    return sizes


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--resolution", default="1280x720", help="each participant's camera, WxH (default %(default)s)")
    p.add_argument("--fps", type=float, default=30.0)
    p.add_argument("--max-participants", type=int, default=6)
    p.add_argument("--window", type=float, default=8.0, help="seconds measured per size (default %(default)s)")
    p.add_argument("--warmup", type=float, default=10.0, help="settling seconds before each window")
    p.add_argument("--modes", nargs="+", choices=list(MODES), default=["policy"])
    args = p.parse_args(argv)
    if args.max_participants < 2:
        p.error("--max-participants must be at least 2")

    print(machine_line())
    print(
        f"each participant: synthetic {args.resolution}@{args.fps:g}, no audio, a nimeet-bot process of its own; "
        f"{args.window:g} s window after {args.warmup:g} s settling; target: every tile >= {TARGET_FPS:g} fps"
    )
    results: dict[str, list[Size]] = {}
    with tempfile.TemporaryDirectory(prefix="nimeet-quality-") as tmp, server_running(Path(tmp)) as server:
        for mode in args.modes:
            results[mode] = run_mode(mode, Path(tmp), server.url, args)
    print(machine_line())
    print()
    print(f"{'mode':>6} |  N | {'levels':<40} | tiles min / median fps")
    ok = True
    for mode, sizes in results.items():
        for size in sizes:
            fps = size.tile_fps
            levels = " ".join(sorted({p.level for p in size.participants}))
            good = bool(fps) and min(fps) >= TARGET_FPS
            ok &= good or mode != "policy"
            print(
                f"{mode:>6} | {len(size.participants):2d} | {levels:<40} | {min(fps):4.1f} / "
                f"{statistics.median(fps):4.1f} {verdict(good)}"
            )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
