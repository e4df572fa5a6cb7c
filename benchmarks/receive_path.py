#!/usr/bin/env python3
"""What a packet costs: the receiving (and sending) peer's CPU per RTP packet with K = 1, 3, 7 others.

Receive: one hub process (the real ``CallSession``, receive-only) in a room with K spokes that each send it
synthetic 640x360 video at 30 fps with camera-like noise (~1 Mbit/s; ``--clean``: the plain picture, a third of that)
and no audio, so that only video is measured. The spokes call the hub only, never
one another (``_receive_path_peer.py``), so the machine's two cores carry the hub's load rather than a full mesh.
Spokes are added one at a time to the same call; at each K the script waits for K connected peers, lets the call
settle (``--warmup``), then measures over ``--window`` seconds:

- the hub's CPU (psutil, user + system, all its threads: the event loop, the decoders, everything) in % of one core;
- the RTP packets it received (``inbound-rtp`` ``packetsReceived``, read from the hub at the window's two ends)
  and the frames it decoded;
- µs of the hub's CPU per received RTP packet: CPU time / packets. It includes decoding (per frame), so it is the
  whole cost of a received packet, not only the packet path's.

Send (``--send-path``): the same with the roles swapped: the hub sends synthetic video to K receive-only spokes; µs
per sent packet (``outbound-rtp`` ``packetsSent``), encoding included (once per frame whatever K), and the marginal
µs per packet from K = 1 to the largest K, which leaves the encoder out.

Before and after in the same run: ``--modes lean stock``. ``stock`` is the same engine with aiortc's own packet path
(``EngineOptions.lean_packet_path=False``: none of the packet path hooks of ``aiortc_compat``); ``--root DIR
--python PY`` runs the hub from another checkout instead (e.g. ``--root /work/main --python
/work/main/.venv/bin/python``: main as it was), in a mode named ``root``.

Each window also prints the spokes' CPU, the machine's other load and the 1-minute load average: the machine's two
cores are shared, and figures taken under a high load are noisy.

Example:
    .venv/bin/python benchmarks/receive_path.py                          # lean and stock, receive, K = 1, 3, 7
    .venv/bin/python benchmarks/receive_path.py --send-path --modes lean stock
    .venv/bin/python benchmarks/receive_path.py --modes root --root /work/main --python /work/main/.venv/bin/python
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psutil
from _call_common import REPO, SERVER_ENV, cleanup, machine_line

from tests.support.server import running

PEER = Path(__file__).resolve().parent / "_receive_path_peer.py"
STATS = re.compile(
    r"^stats t=(\S+) rtp_in=(\d+) rtp_out=(\d+) frames_in=(\d+) connected=(\d+) frames_out=(\d+) rtcp_out=(\d+)"
)


class PeerProcess:
    """``_receive_path_peer.py`` in a process of its own; stdin carries ``stats`` requests, stdout the answers."""

    def __init__(self, python: str, root: Path, workdir: Path, name: str, args: list[str]) -> None:
        self.name = name
        env = {**os.environ, "NIMEET_ROOT": str(root), "NIMEET_ICE_HOSTS": "127.0.0.1", "PYTHONUNBUFFERED": "1"}
        self.stderr_path = workdir / f"{name}.stderr"
        with self.stderr_path.open("wb") as stderr:
            self.proc = subprocess.Popen(
                [python, str(PEER), *args],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=stderr,
                text=True,
                env=env,
                bufsize=1,
            )
        self.lines: list[str] = []
        self._arrived = threading.Condition()
        threading.Thread(target=self._pump, daemon=True).start()

    @property
    def pid(self) -> int:
        return self.proc.pid

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self._arrived:
                self.lines.append(line.rstrip("\n"))
                self._arrived.notify_all()

    def wait_line(self, pattern: str, after: int = 0, timeout: float = 40.0) -> re.Match[str]:
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self._arrived:
            while True:
                for line in self.lines[after:]:
                    if match := regex.search(line):
                        return match
                if self.proc.poll() is not None:
                    raise RuntimeError(f"{self.name} exited ({self.proc.returncode})\n{self.tail()}")
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"{self.name}: no line matching {pattern!r}\n{self.tail()}")
                self._arrived.wait(min(remaining, 0.5))

    def command(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def stats(self) -> tuple[float, int, int, int, int, int, int]:
        """(monotonic time, RTP in, RTP out, frames in, connected peers, frames encoded, RTCP out), asked of the
        process now."""
        seen = len(self.lines)
        self.command("stats")
        m = self.wait_line(STATS.pattern, after=seen)
        return float(m.group(1)), *(int(m.group(i)) for i in range(2, 8))  # type: ignore[return-value]

    def stop(self) -> None:
        """Close stdin: the peer leaves the room and exits."""
        if self.proc.poll() is None and self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def tail(self, lines: int = 15) -> str:
        err = self.stderr_path.read_text(encoding="utf-8", errors="replace").splitlines()
        return "\n".join(["  stdout: " + s for s in self.lines[-lines:]] + ["  stderr: " + s for s in err[-lines:]])


@dataclass
class Window:
    mode: str
    peers: int
    hub_cpu: float  # % of one core
    loop_cpu: float  # the hub's main thread (the event loop: the packet path), % of one core
    loop_kernel_cpu: float  # of which in the kernel (system time: socket calls, epoll, wake-ups)
    packets_per_s: float  # RTP packets/s the hub received (or sent, for the send path)
    us_per_packet: float  # µs of the hub's CPU per RTP packet
    loop_us_per_packet: float  # µs of the loop thread's CPU per RTP packet
    us_per_frame: float  # µs of the hub's CPU per video frame (decoded or encoded)
    fps_per_stream: float  # frames/s the hub decoded per spoke (receive path)
    rtcp_per_s: float  # RTCP datagrams/s the hub sent (receiver reports, REMB, NACK, PLI; sender reports)
    spokes_cpu: float
    others_cpu: float
    load1: float


def cpu_seconds(proc: psutil.Process) -> float:
    times = proc.cpu_times()
    return float(times.user + times.system)


def loop_seconds(proc: psutil.Process) -> tuple[float, float]:
    """(user, system) CPU time of the process's main thread: the event loop, where the engine and aiortc's packet
    path run (decoders, encoders and executors have threads of their own)."""
    for thread in proc.threads():
        if thread.id == proc.pid:
            return float(thread.user_time), float(thread.system_time)
    raise RuntimeError(f"no main thread in {proc.pid}")


def busy_seconds() -> float:
    t = psutil.cpu_times()
    return float(sum(t) - t.idle - getattr(t, "iowait", 0.0) - getattr(t, "steal", 0.0))


def cpu_cost(procs: list[psutil.Process]) -> float:
    return sum(cpu_seconds(p) for p in procs)


def measure(
    mode: str,
    hub: PeerProcess,
    spokes: list[PeerProcess],
    seconds: float,
    send: bool,
    profile: Path | None,
    cprofile: Path | None,
) -> Window:
    hub_proc = psutil.Process(hub.pid)
    what = "send" if send else "receive"
    spy = None
    if cprofile is not None:
        hub.command("profile")
    if profile is not None:
        # py-spy's own CPU is not the hub's; its pauses of the hub to read stacks add a little to the hub's.
        out = profile / f"{mode}-{what}-K{len(spokes)}.txt"
        spy = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "py-spy"),
                "record",
                "--pid",
                str(hub.pid),
                "--duration",
                str(int(seconds)),
                "--rate",
                "250",
                "--threads",
                "--format",
                "raw",
                "--output",
                str(out),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    spoke_procs = [psutil.Process(s.pid) for s in spokes]
    s0 = hub.stats()
    c0, (lu0, ls0), sc0, b0 = cpu_seconds(hub_proc), loop_seconds(hub_proc), cpu_cost(spoke_procs), busy_seconds()
    t0 = time.monotonic()
    time.sleep(seconds)
    c1, (lu1, ls1), sc1, b1 = cpu_seconds(hub_proc), loop_seconds(hub_proc), cpu_cost(spoke_procs), busy_seconds()
    wall = time.monotonic() - t0
    s1 = hub.stats()
    if cprofile is not None:
        hub.command(f"dump {cprofile / f'{mode}-{what}-K{len(spokes)}.prof'}")
    if spy is not None:
        spy.wait()
    packets = (s1[2] - s0[2]) if send else (s1[1] - s0[1])
    if packets < 0:  # a connection was rebuilt in the window (its counters start again): no figure
        packets = 0
    frames = (s1[5] - s0[5]) if send else (s1[3] - s0[3])  # encoded, or decoded
    hub_cpu = (c1 - c0) / wall * 100
    l0, l1 = lu0 + ls0, lu1 + ls1
    spokes_cpu = (sc1 - sc0) / wall * 100
    return Window(
        mode=mode,
        peers=len(spokes),
        hub_cpu=hub_cpu,
        loop_cpu=(l1 - l0) / wall * 100,
        loop_kernel_cpu=(ls1 - ls0) / wall * 100,
        packets_per_s=packets / (s1[0] - s0[0]),
        us_per_packet=(c1 - c0) * 1e6 / packets if packets else float("nan"),
        loop_us_per_packet=(l1 - l0) * 1e6 / packets if packets else float("nan"),
        us_per_frame=(c1 - c0) * 1e6 / frames if frames else float("nan"),
        rtcp_per_s=(s1[6] - s0[6]) / (s1[0] - s0[0]),
        fps_per_stream=(s1[3] - s0[3]) / (s1[0] - s0[0]) / len(spokes) if spokes else 0.0,
        spokes_cpu=spokes_cpu,
        others_cpu=max(0.0, (b1 - b0) / wall * 100 - hub_cpu - spokes_cpu),
        load1=os.getloadavg()[0],
    )


def print_window(w: Window, send: bool) -> None:
    what = "sent" if send else "received"
    fps = "" if send else f", {w.fps_per_stream:4.1f} fps decoded per stream"
    print(
        f"{w.mode:>6} K={w.peers}: hub {w.hub_cpu:5.1f} % CPU (loop thread {w.loop_cpu:5.1f} %, "
        f"{w.loop_kernel_cpu:4.1f} % of it in the kernel), "
        f"{w.packets_per_s:5.0f} RTP packets/s {what}, {w.us_per_packet:5.0f} µs CPU per packet "
        f"(loop thread {w.loop_us_per_packet:4.0f} µs){fps}, {w.rtcp_per_s:4.0f} RTCP/s sent | "
        f"spokes {w.spokes_cpu:5.1f} %, everything else "
        f"{w.others_cpu:5.1f} %, load {w.load1:.2f}",
        flush=True,
    )


def run_mode(mode: str, workdir: Path, url: str, args: argparse.Namespace) -> list[Window]:
    root = Path(args.root) if mode == "root" else REPO
    python = args.python if mode == "root" else sys.executable
    media = ["--resolution", args.resolution, "--fps", str(args.fps)]
    if not args.clean:
        media.append("--noise")
    hub_args = ["hub", "--server", url, "--loop", args.loop, *media]
    if args.send_path:
        hub_args.append("--send")
    if mode == "stock":
        hub_args.append("--stock")
    hub = PeerProcess(python, root, workdir, f"hub-{mode}", hub_args)
    procs = [hub]
    windows: list[Window] = []
    with cleanup(procs):  # type: ignore[arg-type]  # anything with kill()
        room = hub.wait_line(r"^room: (\S+)").group(1)
        hub_name = hub.wait_line(r"^user: (\S+)").group(1)
        spokes: list[PeerProcess] = []
        spoke_args = ["spoke", "--server", url, "--room", room, "--hub", hub_name, *media]
        if not args.send_path:
            spoke_args.append("--send")
        for k in args.peers:
            # The spokes up to this K start together (each takes seconds of CPU to import and join).
            new = [
                PeerProcess(sys.executable, REPO, workdir, f"spoke-{mode}-{n}", spoke_args)
                for n in range(len(spokes) + 1, k + 1)
            ]
            spokes += new
            procs += new
            for spoke in new:
                spoke.wait_line(r"^user: ", timeout=120)
            deadline = time.monotonic() + 120
            while hub.stats()[4] < k:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"hub: fewer than {k} peers connected\n{hub.tail()}")
                time.sleep(0.5)
            time.sleep(args.warmup)
            windows.append(measure(mode, hub, spokes, args.window, args.send_path, args.profile, args.cprofile))
            print_window(windows[-1], args.send_path)
        for proc in [*spokes, hub]:
            proc.stop()
    return windows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--modes", nargs="+", choices=["lean", "stock", "root"], default=["lean", "stock"])
    p.add_argument("--peers", type=int, nargs="+", default=[1, 3, 7], help="the K measured (default 1 3 7)")
    p.add_argument("--send-path", action="store_true", help="measure the hub sending to K spokes instead")
    p.add_argument("--resolution", default="640x360")
    p.add_argument("--fps", type=float, default=30.0)
    p.add_argument(
        "--clean", action="store_true", help="the synthetic picture as it is (~1/3 of the bitrate a camera's uses)"
    )
    p.add_argument("--window", type=float, default=10.0, help="seconds measured per K (default %(default)s)")
    p.add_argument("--warmup", type=float, default=4.0, help="settling seconds before each window")
    p.add_argument("--loop", choices=["asyncio", "uvloop"], default="asyncio", help="the hub's event loop")
    p.add_argument("--root", help="mode 'root': the checkout whose engine the hub runs")
    p.add_argument("--python", help="mode 'root': that checkout's Python")
    p.add_argument("--profile", type=Path, help="also record each window with py-spy (raw stacks) into this folder")
    p.add_argument(
        "--cprofile", type=Path, help="also profile the hub's loop thread (cProfile: call counts) into this folder"
    )
    p.add_argument("--repeat", type=int, default=1, help="run the modes this many times, interleaved")
    args = p.parse_args(argv)
    if "root" in args.modes and not (args.root and args.python):
        p.error("mode 'root' needs --root and --python")
    args.peers = sorted(set(args.peers))

    path = "send" if args.send_path else "receive"
    print(machine_line())
    print(
        f"{path} path: hub on {args.loop}, {args.resolution}@{args.fps:g} synthetic video"
        f"{'' if args.clean else ' with camera-like noise'}, no audio; "
        f"{args.window:g} s window after {args.warmup:g} s settling; CPU % of one core, all the hub's threads"
    )
    results: dict[str, list[list[Window]]] = {}
    with (
        tempfile.TemporaryDirectory(prefix="nimeet-packets-") as tmp,
        # A busy shared machine can take a while to start a server.
        running(Path(tmp) / "server-data", env=SERVER_ENV, check_errors=False, start_timeout=120) as server,
    ):
        for _ in range(args.repeat):
            for mode in args.modes:
                results.setdefault(mode, []).append(run_mode(mode, Path(tmp), server.url, args))
    print(machine_line())
    print()
    print(
        f"  K | {'mode':>6} | {'hub CPU %':>9} | {'loop CPU %':>10} | {'packets/s':>9} | {'µs/packet':>9} | "
        f"{'loop µs/packet':>14} | {'µs/frame':>8} | load"
    )
    for k in args.peers:
        for mode, runs in results.items():
            for windows in runs:
                w = next(w for w in windows if w.peers == k)
                print(
                    f"{k:3d} | {mode:>6} | {w.hub_cpu:9.1f} | {w.loop_cpu:10.1f} | {w.packets_per_s:9.0f} | "
                    f"{w.us_per_packet:9.0f} | {w.loop_us_per_packet:14.0f} | {w.us_per_frame:8.0f} | {w.load1:.2f}"
                )
    print("(loop: the hub's main thread, where the event loop and the packet path run; µs/frame: all the hub's CPU")
    print(" per frame decoded, or encoded for the send path)")
    if args.send_path and len(args.peers) > 1:
        print()
        for mode, runs in results.items():
            for windows in runs:
                first, last = windows[0], windows[-1]
                extra = (last.hub_cpu - first.hub_cpu) / 100 * 1e6 / (last.packets_per_s - first.packets_per_s)
                print(f"{mode}: marginal {extra:.0f} µs CPU per sent packet (K={first.peers} -> K={last.peers})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
