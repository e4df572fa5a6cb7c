#!/usr/bin/env python3
"""N bare aiortc participants in one Janus VideoRoom, everyone receiving everyone: what this machine carries.

A Janus of its own from deploy/janus (``tests/support/janus.py``, in a network namespace: needs root), a room made
through ``signaling_server/sfu``, and ``--people`` participants in this one process (``tests/support/sfu_peer.py``),
each publishing a synthetic camera (``--resolution`` at ``--fps``) and tone and subscribing to all the others on one
PeerConnection. Once every subscriber has decoded video from every publisher, the script measures over ``--window``
seconds: decoded video and audio frames per second for each (subscriber, publisher) pair (min / median / max), and
the CPU of this process (all N encoders, N·(N−1) decoders) and of Janus, in % of one core (psutil, user + system).

This is not the app: no shared encoder, no jitter buffer of ours, no playout, all in one Python process (one GIL).
It shows what Janus and aiortc's media paths cost at a room size, and where one process stops keeping up (the fps
columns fall below the source rate).

Example:
    .venv/bin/python benchmarks/janus_room.py                     # 10 people, 320x180 at 15 fps, 10 s
    .venv/bin/python benchmarks/janus_room.py --people 6 --resolution 640x360 --window 8
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx
import psutil

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run as a script: only benchmarks/ is on the path
    sys.path.insert(0, str(REPO))

from nimeet_desktop.call import ice  # noqa: E402
from nimeet_desktop.media.synthetic import parse_resolution  # noqa: E402
from signaling_server.sfu.janus_session import JanusSession  # noqa: E402
from signaling_server.sfu.videoroom import PLUGIN, RoomAdmin, RoomKeys  # noqa: E402
from tests.support.janus import JanusInstance, running_janus  # noqa: E402
from tests.support.sfu_peer import SfuParticipant  # noqa: E402


def cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


def spread(values: list[float]) -> str:
    return f"{min(values):5.1f} / {statistics.median(values):5.1f} / {max(values):5.1f}"


async def run(janus: JanusInstance, people: int, width: int, height: int, fps: float, window_s: float) -> None:
    names = [f"p{i:02d}" for i in range(people)]
    async with httpx.AsyncClient() as client:
        server = await JanusSession.create(janus.url, client=client)
        admin = RoomAdmin(await server.attach(PLUGIN), janus.admin_key)
        keys = RoomKeys.generate()
        await admin.create("bench", keys)
        room: list[SfuParticipant] = []
        try:
            for name in names:
                session = await JanusSession.create(janus.url, client=client)
                room.append(SfuParticipant(name, session, width=width, height=height, fps=fps))
            started = time.monotonic()
            for person in room:
                await person.join("bench", keys.pin)
                await person.publish(trickle=False)
            await asyncio.gather(*(person.until_published(60) for person in room))
            for person in room:
                await person.subscribe("bench", keys.pin, [n for n in names if n != person.name])
            subscribed = time.monotonic()

            def everyone_decodes() -> bool:
                return all(p.frames[o, "video"] > 0 for p in room for o in names if o != p.name)

            while not everyone_decodes():
                if time.monotonic() - subscribed > 60:
                    missing = [(p.name, o) for p in room for o in names if o != p.name and not p.frames[o, "video"]]
                    raise SystemExit(f"no video after 60 s for {len(missing)} pairs, e.g. {missing[:5]}")
                await asyncio.sleep(0.1)
            ready = time.monotonic()
            print(
                f"{people} people: joined, published and subscribed in {subscribed - started:.1f} s, "
                f"video from everyone at everyone {ready - subscribed:.1f} s after the last subscription"
            )
            await asyncio.sleep(2.0)  # settle: first keyframes, bitrate estimates

            me, sfu = psutil.Process(os.getpid()), psutil.Process(janus.pid)
            before = {p.name: Counter(p.frames) for p in room}
            cpu_me, cpu_sfu, t0 = cpu_seconds(me), cpu_seconds(sfu), time.monotonic()
            await asyncio.sleep(window_s)
            elapsed = time.monotonic() - t0
            cpu_me, cpu_sfu = cpu_seconds(me) - cpu_me, cpu_seconds(sfu) - cpu_sfu
            rates: dict[str, list[float]] = {"video": [], "audio": []}
            for p in room:
                for other in names:
                    if other != p.name:
                        for kind in rates:
                            rates[kind].append((p.frames[other, kind] - before[p.name][other, kind]) / elapsed)
            pairs = people * (people - 1)
            print(f"over {elapsed:.1f} s, {pairs} (subscriber, publisher) pairs, min / median / max:")
            print(f"  video frames/s {spread(rates['video'])}   (source {fps:g})")
            print(f"  audio frames/s {spread(rates['audio'])}   (source 50)")
            me_pct, sfu_pct = 100 * cpu_me / elapsed, 100 * cpu_sfu / elapsed
            print(f"  CPU: participants' process {me_pct:5.0f} %   Janus {sfu_pct:5.0f} %")
            print(f"  load average (1 min) {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
        finally:
            for person in room:
                await person.close()
            await server.destroy()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=10)
    parser.add_argument("--resolution", default="320x180")
    parser.add_argument("--fps", type=float, default=15.0)
    parser.add_argument("--window", type=float, default=10.0, help="seconds measured")
    args = parser.parse_args()
    width, height = parse_resolution(args.resolution)
    with (
        tempfile.TemporaryDirectory(prefix="nimeet-janus-bench-") as folder,
        running_janus(Path(folder), media=True) as janus,
    ):
        assert janus.media_address is not None
        ice.restrict_host_addresses([janus.media_address])
        asyncio.run(run(janus, args.people, width, height, args.fps, args.window))


if __name__ == "__main__":
    main()
