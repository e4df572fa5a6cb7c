"""Self-check and measurement of the Chromium web client (``_chromium.py``), run by hand, not by the test suite.

A two-person call on the real server: one ``nimeet-bot --video synthetic`` (640x360 at 30 fps, synthetic audio) and
Debian's Chromium as a web client (fake camera at the same size). It checks that frames flow both ways, in both
join orders (the browser offering to the bot, then the bot offering to the browser):

- the browser's ``stats()`` show the bot's video decoded and painted at 640x360, and its own video sent at the size
  and rate asked for;
- the bot's ``--json`` report shows the browser user's video received.

Then, in the first order, it measures Chromium's CPU (all its processes, from /proc, in % of one core) over
``--measure`` seconds after ``--warmup`` seconds, and the frame rates it received, painted and sent meanwhile.

    .venv/bin/python benchmarks/web_client_check.py [--warmup 10] [--measure 20] [--order both|browser-last|bot-last]

Exit status 0 when every check passed. Not in the CI test run: it needs Chromium and the npm registry (for ``npm ci``
the first time), and takes about a minute of both cores.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from _call_common import BotProcess, cleanup, descendants, machine_line, server_running
from _chromium import ChromiumParticipant, chromium_participant, unavailable_reason

WIDTH, HEIGHT, FPS = 640, 360, 30
CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_ticks(pids: list[int]) -> dict[int, int]:
    """utime + stime of each process still there (fields 14 and 15 of /proc/PID/stat)."""
    out: dict[int, int] = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[pid] = int(fields[11]) + int(fields[12])
    return out


def stays_on_this_machine(route: str | None) -> bool:
    """The browser's selected pair goes to the bot's 127.0.0.1 from an address of this machine. Chromium gathers on
    every interface and ranks loopback last, so its end is often the LAN address: a packet between two addresses of
    one machine still never leaves it (the kernel delivers it through the loopback device)."""
    match = re.fullmatch(r"(.+):\d+ -> 127\.0\.0\.1:\d+", route or "")
    if not match:
        return False
    local = match.group(1).strip("[]")
    family = socket.AF_INET6 if ":" in local else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as probe:
        try:
            probe.bind((local, 0))  # binds only to an address this machine has
        except OSError:
            return False
    return True


def register(server_url: str, username: str) -> str:
    body = {"username": username, "email": f"{username}@example.test", "password": "correct horse battery"}
    response = httpx.post(f"{server_url}/api/auth/register", json=body, timeout=20)
    response.raise_for_status()
    token: str = response.json()["token"]
    return token


def create_room(server_url: str, token: str) -> str:
    response = httpx.post(
        f"{server_url}/api/rooms/create", json={}, headers={"Authorization": f"Bearer {token}"}, timeout=20
    )
    response.raise_for_status()
    room_id: str = response.json()["room"]["roomId"]
    return room_id


def bot_args(room: str | None) -> list[str]:
    args = ["--username", f"bot{os.getpid()}_{time.monotonic_ns() % 100000}", "--video", "synthetic"]
    args += ["--resolution", f"{WIDTH}x{HEIGHT}", "--fps", str(FPS), "--duration", "0", "--log-level", "WARNING"]
    return args + (["--create"] if room is None else [f"--room={room}"])


def wait_for_video(browser: ChromiumParticipant, timeout: float) -> dict[str, Any]:
    """Stats once the remote video is decoded and painted and our video is sent."""
    deadline = time.monotonic() + timeout
    while True:
        stats = browser.stats()
        remotes = stats["remotes"]
        if (
            remotes
            and all(r["framesDecoded"] > 0 and r["paintedFrames"] > 0 for r in remotes)
            and stats["sent"]["frames"]
        ):
            return stats
        if time.monotonic() > deadline:
            log = "\n".join(browser.page_log()[-20:])
            raise TimeoutError(f"no video both ways in {timeout:.0f} s: {stats}\n{log}")
        time.sleep(0.5)


def sent_bytes(stats: dict[str, Any]) -> int:
    return sum(int(peer["bytesSent"]) for peer in stats["sent"]["peers"])


def measure(browser: ChromiumParticipant, warmup: float, seconds: float) -> dict[str, Any]:
    time.sleep(warmup)
    before_stats = browser.stats()
    pids = browser.pids()
    t0 = time.monotonic()
    ticks0 = cpu_ticks(pids)
    samples: list[dict[str, Any]] = []
    while time.monotonic() - t0 < seconds:
        time.sleep(1.0)
        samples.append(browser.stats())
    t1 = time.monotonic()
    # Processes started meanwhile count from zero; one that ended meanwhile is lost (none did in our runs).
    pids_after = browser.pids()
    ticks1 = cpu_ticks(pids_after)
    used = sum(ticks1[pid] - ticks0.get(pid, 0) for pid in ticks1)
    after_stats = samples[-1]
    elapsed = t1 - t0
    remote0, remote1 = before_stats["remotes"][0], after_stats["remotes"][0]
    return {
        "cpu_percent": 100.0 * used / CLK_TCK / elapsed,
        "processes": len(pids_after),
        "vanished": len(set(ticks0) - set(ticks1)),
        "received_fps": (remote1["framesDecoded"] - remote0["framesDecoded"]) / elapsed,
        "painted_fps": (remote1["paintedFrames"] - remote0["paintedFrames"]) / elapsed,
        "sent_fps": (after_stats["sent"]["frames"] - before_stats["sent"]["frames"]) / elapsed,
        "chromium_fps_min": min((s["remotes"][0]["fps"] or 0) for s in samples),
        "received_kbps": (remote1["bytesReceived"] - remote0["bytesReceived"]) * 8 / 1000 / elapsed,
        "sent_kbps": (sent_bytes(after_stats) - sent_bytes(before_stats)) * 8 / 1000 / elapsed,
        "received_size": f"{remote1['width']}x{remote1['height']}",
        "sent_size": f"{after_stats['sent']['width']}x{after_stats['sent']['height']}",
        "quality_limitation": sorted({p["qualityLimitationReason"] for s in samples for p in s["sent"]["peers"]}),
        "seconds": elapsed,
    }


def run_call(
    workdir: Path, server_url: str, order: str, warmup: float, seconds: float, self_view: bool
) -> tuple[list[str], dict[str, Any] | None]:
    """One call; returns the failed checks and, when measuring, the figures."""
    failures: list[str] = []
    figures: dict[str, Any] | None = None
    token = register(server_url, f"web{os.getpid()}_{order.replace('-', '')}")
    if order == "browser-last":  # the bot is there first: the browser, the newcomer, offers
        bots = [BotProcess(f"bot-{order}", workdir, server_url, bot_args(None))]
        room = bots[0].room_id()
    else:  # the browser is there first: the bot offers
        room = create_room(server_url, token)
        bots = []
    with (
        cleanup(bots),
        chromium_participant(
            server_url, token, room, width=WIDTH, height=HEIGHT, fps=FPS, self_view=self_view
        ) as browser,
    ):
        if order == "bot-last":
            bots.append(BotProcess(f"bot-{order}", workdir, server_url, bot_args(room)))
        stats = wait_for_video(browser, 30)
        if warmup or seconds:
            figures = measure(browser, warmup, seconds)
        else:
            time.sleep(3)
        stats = browser.stats()
        pids = browser.pids()
        remote = stats["remotes"][0]
        sent = stats["sent"]
        print(
            f"[{order}] browser camera {stats['camera']}, sent {sent['width']}x{sent['height']} "
            f"at {sent['fps']} fps ({sent['frames']} frames); received {remote['width']}x{remote['height']} "
            f"at {remote['fps']} fps ({remote['framesDecoded']} decoded, {remote['paintedFrames']} painted, "
            f"codec {remote['codec']}, playing {remote['playing']}, audio samples {remote['audioSamplesReceived']} "
            f"received, {remote['audioSamplesPlayed']} played, "
            f"route {remote['route']}); {len(pids)} Chromium processes"
        )
        if (sent["width"], sent["height"]) != (WIDTH, HEIGHT):
            failures.append(f"{order}: the browser sends {sent['width']}x{sent['height']}, not {WIDTH}x{HEIGHT}")
        if (stats["camera"]["width"], stats["camera"]["height"], stats["camera"]["fps"]) != (WIDTH, HEIGHT, FPS):
            failures.append(f"{order}: the fake camera gives {stats['camera']}")
        if (remote["width"], remote["height"]) != (WIDTH, HEIGHT) or not remote["playing"]:
            failures.append(
                f"{order}: the bot's video is {remote['width']}x{remote['height']}, playing {remote['playing']}"
            )
        if not stays_on_this_machine(remote["route"]):
            failures.append(f"{order}: media leaves this machine: {remote['route']}")
        if not remote["audioSamplesReceived"] or not remote["audioSamplesPlayed"]:
            failures.append(f"{order}: the browser did not receive and play the bot's audio")
        for bot in bots:
            bot.stop()
        report = bots[-1].report()
    leftover = [pid for pid in pids if Path(f"/proc/{pid}").exists()]  # zombies too, as pgrep
    if leftover:
        failures.append(f"{order}: Chromium processes left after close: {leftover}")
    peers = [p for p in report["peers"] if p.get("video")]
    video = peers[0]["video"] if peers else None
    print(f"[{order}] bot received from the browser: {video}; the bot sent {report['sent'].get('video')}")
    if not video or not video.get("frames") or (video.get("width"), video.get("height")) != (WIDTH, HEIGHT):
        failures.append(f"{order}: the bot received no 640x360 video from the browser: {report['peers']}")
    return failures, figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--warmup", type=float, default=10.0, help="seconds before measuring (default %(default)s)")
    parser.add_argument("--measure", type=float, default=20.0, help="seconds measured (default %(default)s)")
    parser.add_argument("--order", choices=["both", "browser-last", "bot-last"], default="both")
    parser.add_argument("--no-self-view", action="store_true", help="the page shows no self view")
    args = parser.parse_args()
    reason = unavailable_reason()
    if reason:
        print(f"web_client_check: cannot run: {reason}", file=sys.stderr)
        return 2
    print(machine_line())
    orders = ["browser-last", "bot-last"] if args.order == "both" else [args.order]
    failures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="nimeet-webclient-") as tmp, server_running(Path(tmp)) as server:
        for index, order in enumerate(orders):
            measuring = index == 0
            failed, figures = run_call(
                Path(tmp),
                server.url,
                order,
                args.warmup if measuring else 0,
                args.measure if measuring else 0,
                not args.no_self_view,
            )
            failures += failed
            if figures:
                print(
                    f"Chromium, two-person call with one nimeet-bot (640x360@30 both ways), {figures['seconds']:.0f} s "
                    f"after {args.warmup:.0f} s: CPU {figures['cpu_percent']:.1f} % of one core "
                    f"({figures['processes']} processes, {figures['vanished']} ended meanwhile), "
                    f"received {figures['received_fps']:.1f} fps decoded, "
                    f"{figures['painted_fps']:.1f} fps painted at {figures['received_size']} "
                    f"({figures['received_kbps']:.0f} kbit/s), sent {figures['sent_fps']:.1f} fps at "
                    f"{figures['sent_size']} ({figures['sent_kbps']:.0f} kbit/s); "
                    f"Chromium's lowest framesPerSecond {figures['chromium_fps_min']}, "
                    f"quality limitation {figures['quality_limitation']}"
                )
    stray = descendants(os.getpid())
    if stray:
        failures.append(f"processes left: {stray}")
    for failure in failures:
        print(f"FAIL {failure}")
    print("web_client_check: " + ("PASS" if not failures else "FAIL"))
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
