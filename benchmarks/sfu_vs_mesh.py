#!/usr/bin/env python3
"""Client CPU in a room of 10: through the SFU (Janus) against a mesh, every participant a ``nimeet-bot`` process.

Two rooms of ``--people`` (default 10), one after the other, each with the same synthetic camera (``--resolution``
at ``--fps``) and tone in every bot, everyone receiving everyone:

    sfu    the real server with ``NIMEET_JANUS_URL`` and a Janus of its own from deploy/janus (in a network
           namespace, tests/support/janus.py: needs root); a room of more than 8 places there is ``mode: "sfu"``.
           Each bot sends once to Janus and receives the others through one connection.
    mesh   a second server without Janus, where a room of 10 places stays a mesh (up to 16): each bot keeps a
           connection to each of the 9 others, sends its (once encoded) video and its audio to each and receives
           from each.

The bots run exactly as an admin would run them (``--room``, ``--expect-peers``, ``--json``; in the SFU room
``--ice-host`` names the address that reaches Janus). Once the server counts everyone in the room the script waits
``--settle`` seconds (ICE, DTLS, every subscription renegotiated, first key frames), then measures over
``--window`` seconds the CPU time (psutil, user + system, all threads) of each bot process, of the server and of
Janus, in % of one core, and the machine's busy share; then it stops the bots (SIGTERM: each writes its report).
What each received is the bots' own report: per (receiver, remote) pair the decoded video frames per second and
audio frames per second (``video.fps``, ``audio.framesPerS``: over the whole call, first frame to last).

The machine matters: on 2 cores shared with other people's work, 10 bots plus a server may want more than there is.
Then the bots' CPU is a floor (they ask for more than they get) and the shortfall shows in what they receive: fps
below the source's and audio below 50 frames a second. The script prints the load average before and after each
room and the machine's busy share during each window.

Example:
    .venv/bin/python benchmarks/sfu_vs_mesh.py                          # 10 people, 160x120 at 10 fps
    .venv/bin/python benchmarks/sfu_vs_mesh.py --resolution 320x180 --fps 15 --window 15
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psutil
from _call_common import BotProcess, cleanup, machine_line

from nimeet_desktop.media.synthetic import parse_resolution
from tests.support.clients import Api, bearer
from tests.support.janus import JanusInstance, running_janus
from tests.support.server import ServerProcess, running

SERVER_ENV = {"NIMEET_LOG_LEVEL": "warning"}
LOOPBACK = "127.0.0.1"
JOIN_TIMEOUT_S = 60.0
DURATION_CAP_S = 600  # --duration: only ends a bot the script failed to stop


@dataclass
class Room:
    mode: str
    bot_cpu: list[float]  # % of one core, one per bot
    server_cpu: float
    janus_cpu: float | None
    busy: float  # the whole machine, % of one core
    load_before: float
    load_after: float
    video_fps: list[float]  # one per (receiver, remote) pair that had video
    audio_fps: list[float]
    pairs: int  # (receiver, remote) pairs in the reports
    expected_pairs: int
    failed_bots: int  # exit status other than 0 (--expect-peers not met, or worse)
    server_errors: int


def cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


def busy_seconds() -> float:
    """Seconds all cores were busy (steal and I/O wait left out: neither is work done here)."""
    t = psutil.cpu_times()
    return float(sum(t) - t.idle - getattr(t, "iowait", 0.0) - getattr(t, "steal", 0.0))


async def make_room(url: str, people: int) -> tuple[str, str, str]:
    """(room id, its mode, the owner's token): a room of ``people`` places, made by an account of its own."""
    api = Api(url)
    try:
        token = (await api.register())["token"]
        room = await api.create_room(token, maxParticipants=people)
    finally:
        await api.aclose()
    return room["roomId"], room["mode"], token


def wait_in_room(url: str, room_id: str, token: str, people: int, bots: list[BotProcess]) -> None:
    deadline = time.monotonic() + JOIN_TIMEOUT_S
    with httpx.Client(base_url=url, headers=bearer(token), timeout=10) as http:
        while True:
            count = int(http.get(f"/api/rooms/{room_id}").json()["participantCount"])
            if count >= people:
                return
            for bot in bots:
                if bot.proc.poll() is not None:
                    raise RuntimeError(f"{bot.name} exited ({bot.proc.returncode})\n{bot.tail()}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{count} of {people} in the room after {JOIN_TIMEOUT_S:.0f} s")
            time.sleep(0.5)


def measure(mode: str, workdir: Path, server: ServerProcess, janus: JanusInstance | None, args: Any) -> Room:
    room_id, room_mode, token = asyncio.run(make_room(server.url, args.people))
    if room_mode != mode:
        raise SystemExit(f"a room of {args.people} places is {room_mode!r} on the {mode} server, not {mode!r}")
    ice_host = janus.media_address if janus is not None and janus.media_address else LOOPBACK
    media = ["--video", "synthetic", "--audio", args.audio, "--resolution", args.resolution, "--fps", str(args.fps)]
    load_before = psutil.getloadavg()[0]
    bots: list[BotProcess] = []
    with cleanup(bots):
        for i in range(args.people):
            bot_args = [f"--room={room_id}", *media, "--duration", str(DURATION_CAP_S)]
            bot_args += ["--expect-peers", str(args.people - 1)]
            bots.append(BotProcess(f"{mode}-{i}", workdir, server.url, bot_args, ice_host=ice_host))
        wait_in_room(server.url, room_id, token, args.people, bots)
        time.sleep(args.settle)
        watched = [psutil.Process(bot.pid) for bot in bots]
        others = [psutil.Process(server.pid)] + ([psutil.Process(janus.pid)] if janus is not None else [])
        t0, busy0 = time.monotonic(), busy_seconds()
        cpu0 = [cpu_seconds(p) for p in watched + others]
        time.sleep(args.window)
        cpu1 = [cpu_seconds(p) for p in watched + others]
        wall, busy = time.monotonic() - t0, busy_seconds() - busy0
        shares = [100 * (b - a) / wall for a, b in zip(cpu0, cpu1, strict=True)]
        codes = [bot.stop(timeout=30) for bot in bots]
        reports = [bot.report() for bot in bots]
    peers = [peer for report in reports for peer in report["peers"]]
    return Room(
        mode=mode,
        bot_cpu=shares[: len(bots)],
        server_cpu=shares[len(bots)],
        janus_cpu=shares[len(bots) + 1] if janus is not None else None,
        busy=100 * busy / wall,
        load_before=load_before,
        load_after=psutil.getloadavg()[0],
        video_fps=[p["video"]["fps"] for p in peers if p["video"]["fps"] is not None],
        audio_fps=[p["audio"]["framesPerS"] for p in peers if p["audio"]["framesPerS"] is not None],
        pairs=len(peers),
        expected_pairs=args.people * (args.people - 1),
        failed_bots=sum(1 for code in codes if code != 0),
        server_errors=len(server.errors_logged()),
    )


@contextlib.contextmanager
def server_for(mode: str, workdir: Path) -> Iterator[tuple[ServerProcess, JanusInstance | None]]:
    if mode == "mesh":
        with running(workdir / "server-mesh", env=SERVER_ENV, check_errors=False) as server:
            yield server, None
        return
    with running_janus(workdir / "janus", media=True) as janus:
        env = {**SERVER_ENV, "NIMEET_JANUS_URL": janus.url, "NIMEET_JANUS_ADMIN_KEY": janus.admin_key}
        with running(workdir / "server-sfu", env=env, check_errors=False) as server:
            yield server, janus


def spread(values: list[float]) -> str:
    if not values:
        return "n/a"
    return f"{min(values):.1f} / {statistics.median(values):.1f}"


def print_table(rooms: list[Room], args: Any) -> None:
    print()
    print(
        f"{args.people} people, each sending {args.resolution} at {args.fps:g} fps and "
        f"{'a tone (50 audio frames/s)' if args.audio == 'synthetic' else 'no audio'}; "
        f"CPU in % of one core over {args.window:g} s after {args.settle:g} s settling"
    )
    head = (
        f"{'mode':>5} | {'bot CPU mean':>12} | {'bot CPU max':>11} | {'bots total':>10} | {'server':>6} | "
        f"{'Janus':>5} | {'machine':>7} | {'load 1 min':>11} | {'pairs':>6} | {'video fps min / med':>19} | "
        f"{'audio fps min / med':>19} | {'bots failed':>11}"
    )
    print(head)
    print("-" * len(head))
    for r in rooms:
        janus = "-" if r.janus_cpu is None else f"{r.janus_cpu:4.0f}%"
        print(
            f"{r.mode:>5} | {statistics.mean(r.bot_cpu):11.1f}% | {max(r.bot_cpu):10.1f}% | "
            f"{sum(r.bot_cpu):9.0f}% | {r.server_cpu:5.1f}% | {janus:>5} | {r.busy:6.0f}% | "
            f"{r.load_before:4.1f} -> {r.load_after:4.1f} | {r.pairs:>2} / {r.expected_pairs:<2} | "
            f"{spread(r.video_fps):>19} | {spread(r.audio_fps):>19} | {r.failed_bots:>11}"
        )
    print(
        "(machine: every core's busy time, all processes, in % of one core; pairs: (receiver, remote) entries in the "
        "bots' reports; fps: from those reports, over each whole call)"
    )
    for r in rooms:
        if r.server_errors:
            print(f"{r.mode}: the server logged {r.server_errors} error lines (on stderr above)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=10)
    parser.add_argument("--resolution", default="160x120", help="WxH of every bot's video (default %(default)s)")
    parser.add_argument("--fps", type=float, default=10.0)
    parser.add_argument(
        "--audio", choices=["synthetic", "none"], default="synthetic", help="every bot's audio: a tone, or none"
    )
    parser.add_argument("--settle", type=float, default=8.0, help="seconds after everyone joined, before measuring")
    parser.add_argument("--window", type=float, default=10.0, help="seconds measured (default %(default)s)")
    parser.add_argument("--modes", nargs="+", choices=["sfu", "mesh"], default=["sfu", "mesh"])
    args = parser.parse_args(argv)
    parse_resolution(args.resolution)
    if not 9 <= args.people <= 16:
        parser.error("--people: from 9 (an SFU room has more than 8 places) to 16 (the most a mesh room holds)")

    print(machine_line())
    rooms = []
    with tempfile.TemporaryDirectory(prefix="nimeet-sfu-mesh-") as tmp:
        for mode in args.modes:
            workdir = Path(tmp) / mode
            workdir.mkdir()
            with server_for(mode, workdir) as (server, janus):
                rooms.append(measure(mode, workdir, server, janus, args))
            # Its error lines and the exceptions they carry (a traceback's last line names it).
            told = [line for line in server.stderr_lines if " ERROR " in line or line.split(":")[0].endswith("Error")]
            for line in told[:20]:
                print(f"{mode} server: {line.rstrip()}", file=sys.stderr)
            print(f"{mode}: done; {machine_line()}", flush=True)
            time.sleep(3.0)  # let the last room's processes go before the next is measured
    print_table(rooms, args)
    return 0 if all(r.failed_bots == 0 for r in rooms) else 1


if __name__ == "__main__":
    sys.exit(main())
