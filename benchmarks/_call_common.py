"""Shared pieces of the call benchmarks (call_setup.py, glass_to_glass.py, mesh_scaling.py).

- ``Server``: the real server (``tests/support/server.py``'s ``ServerProcess``) on a free loopback port.
- ``BotProcess``: one headless participant in a process of its own, its stdout lines collected with their arrival
  time, its ``--json`` report read at the end. Every bot gathers ICE on 127.0.0.1 only (``NIMEET_ICE_HOSTS``): the
  server hands out no STUN/TURN by default, so all media stays on loopback.
- The bot *shim*: ``python benchmarks/_call_common.py bot [OPTIONS] -- <nimeet-bot args>`` runs the real
  ``nimeet-bot`` entry point (``runpy``, like ``signaling_load.py --gc-trace`` runs the server) with measurement hooks
  installed first. Nothing in ``nimeet_desktop`` is changed; the hooks only wrap or swap module attributes:

    --latency-samples      each peer of the report also gets ``latencySamplesMs``: every latency sample, in order
    --stock-jitter-buffer  keep aiortc's own video jitter buffer (``Peer`` skips ``use_marker_jitter_buffers``)
    --per-sender-encoding  the stock aiortc way, for comparison: every peer's ``RTCRtpSender`` gets its own
                           ``MediaRelay`` proxy of the raw source frames (already yuv420p at the source) and encodes
                           them itself, instead of sharing one ``SharedVideoEncoder``
    --sender-stats         ``bench: peer <socket> <state>`` on every peer connection state change, and once a
                           second ``bench: stats t=<monotonic> frames=<n> bytes=<n>``: video frames (and payload
                           bytes) handed to RTP by all of this process's senders together
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:  # run as a script: only benchmarks/ is on the path
    sys.path.insert(0, str(REPO))

from tests.support.server import ServerProcess  # noqa: E402

BOT = Path(sys.executable).parent / "nimeet-bot"
SHIM = Path(__file__).resolve()
LOOPBACK = "127.0.0.1"
SERVER_ENV = {"NIMEET_LOG_LEVEL": "warning"}


# ---------------------------------------------------------------------------------------------------------------
# figures
# ---------------------------------------------------------------------------------------------------------------
def percentile(values: list[float] | list[int], p: float) -> float:
    """Nearest-rank percentile (nan when empty), as the bot's report computes it."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100.0 * len(ordered)))
    return float(ordered[min(rank, len(ordered)) - 1])


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def machine_line() -> str:
    """Cores and load averages (other engineers share this machine: a high load means noisy figures)."""
    one, five, fifteen = os.getloadavg()
    return f"machine: {os.cpu_count()} cores, load average {one:.2f} {five:.2f} {fifteen:.2f} (1/5/15 min)"


# ---------------------------------------------------------------------------------------------------------------
# processes
# ---------------------------------------------------------------------------------------------------------------
class Server:
    """The real ``nimeet-server`` on 127.0.0.1 with a throwaway data directory."""

    def __init__(self, workdir: Path) -> None:
        self._proc = ServerProcess(workdir / "server-data", env=SERVER_ENV)
        self.url = ""

    def __enter__(self) -> Server:
        self.url = self._proc.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._proc.stop()


@dataclass
class Line:
    at: float  # time.monotonic() when read (CLOCK_MONOTONIC: the same clock in every process)
    text: str


class BotProcess:
    """A participant in its own process: ``nimeet-bot``, or the shim when any hook is asked for."""

    def __init__(
        self,
        name: str,
        workdir: Path,
        server_url: str,
        bot_args: list[str],
        *,
        hooks: list[str] | None = None,
    ) -> None:
        self.name = name
        self.json_path = workdir / f"{name}.json"
        self.stderr_path = workdir / f"{name}.stderr"
        args = ["--server", server_url, "--register", "--ice-host", LOOPBACK, "--json", str(self.json_path)]
        args += bot_args
        command = [sys.executable, str(SHIM), "bot", *hooks, "--", *args] if hooks else [str(BOT), *args]
        env = {**os.environ, "NIMEET_ICE_HOSTS": LOOPBACK, "PYTHONUNBUFFERED": "1"}
        self.lines: list[Line] = []
        self._new: queue.Queue[Line] = queue.Queue()
        self.started_at = time.monotonic()
        with self.stderr_path.open("wb") as stderr:
            self.proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr, text=True, env=env, bufsize=1)
        threading.Thread(target=self._pump, daemon=True).start()

    @property
    def pid(self) -> int:
        return self.proc.pid

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for text in self.proc.stdout:
            line = Line(time.monotonic(), text.rstrip("\n"))
            self.lines.append(line)
            self._new.put(line)

    def wait_line(self, pattern: str, timeout: float = 30.0) -> re.Match[str]:
        """The first stdout line (read so far or to come) matching ``pattern``."""
        regex = re.compile(pattern)
        for line in list(self.lines):
            if match := regex.search(line.text):
                return match
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"{self.name}: no line matching {pattern!r} in {timeout:.0f} s\n{self.tail()}")
            try:
                line = self._new.get(timeout=min(remaining, 0.2))
            except queue.Empty:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"{self.name} exited ({self.proc.returncode})\n{self.tail()}") from None
                continue
            if match := regex.search(line.text):
                return match

    def room_id(self, timeout: float = 30.0) -> str:
        """What ``--create`` printed."""
        return self.wait_line(r"^room: (\S+)", timeout).group(1)

    def wait(self, timeout: float) -> int:
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise TimeoutError(f"{self.name} still running after {timeout:.0f} s\n{self.tail()}") from None

    def stop(self, timeout: float = 20.0) -> int:
        """SIGTERM: the bot leaves the room, writes its report and exits."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def report(self) -> dict[str, Any]:
        if not self.json_path.exists():
            raise RuntimeError(f"{self.name} wrote no report (exit {self.proc.returncode})\n{self.tail()}")
        data: dict[str, Any] = json.loads(self.json_path.read_text(encoding="utf-8"))
        return data

    def tail(self, lines: int = 15) -> str:
        err = []
        if self.stderr_path.exists():
            err = self.stderr_path.read_text(encoding="utf-8", errors="replace").splitlines()
        out = [line.text for line in self.lines]
        return "\n".join(["  stdout: " + s for s in out[-lines:]] + ["  stderr: " + s for s in err[-lines:]])


@contextlib.contextmanager
def cleanup(bots: list[BotProcess]) -> Any:
    """Whatever happens, no bot outlives the benchmark."""
    try:
        yield bots
    finally:
        for bot in bots:
            bot.kill()


# ---------------------------------------------------------------------------------------------------------------
# the shim: nimeet-bot with measurement hooks (run in the bot's process, never imported by the benchmarks' side)
# ---------------------------------------------------------------------------------------------------------------
def _hook_latency_samples() -> None:
    import nimeet_desktop.call.report as report_module

    original = report_module.peer_report

    def peer_report(remote: Any) -> dict[str, Any]:
        out = original(remote)
        out["latencySamplesMs"] = list(remote.stats.latencies_ms)
        return out

    # bot.py has not run yet: its ``from ... import peer_report`` picks this one up.
    report_module.peer_report = peer_report


def _hook_stock_jitter_buffer() -> None:
    import nimeet_desktop.call.peer as peer_module

    if not hasattr(peer_module, "use_marker_jitter_buffers"):
        raise SystemExit(f"--stock-jitter-buffer: peer.use_marker_jitter_buffers is gone; update {SHIM.name}")

    def keep_stock(pc: Any) -> None:
        del pc  # aiortc's JitterBuffer stays: a frame is released when the next frame's first packet arrives

    # peer.py calls it by its module-global name at every negotiation.
    setattr(peer_module, "use_marker_jitter_buffers", keep_stock)  # noqa: B010


def _hook_per_sender_encoding() -> None:
    import asyncio

    import av
    from aiortc.contrib.media import MediaRelay
    from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

    import nimeet_desktop.call.peer as peer_module
    import nimeet_desktop.call.session as session_module

    for module, name in ((session_module, "SharedVideoEncoder"), (peer_module, "OutgoingTrack")):
        if not hasattr(module, name):  # the engine changed shape: fail loudly rather than measure something else
            raise SystemExit(f"--per-sender-encoding: {module.__name__}.{name} is gone; update {SHIM.name}")

    class CountingTrack(MediaStreamTrack):
        """Reads the source once for every sender (through the relay) and keeps the bot report's counters."""

        kind = "video"

        def __init__(self, owner: PerSenderVideo) -> None:
            super().__init__()
            self._owner = owner

        async def recv(self) -> av.VideoFrame:
            owner = self._owner
            frame: av.VideoFrame = await owner.source.recv()
            owner.latest_frame = frame
            owner.frames_encoded += 1  # frames read: each sender encodes every one of them
            owner.last_encoded_at = time.monotonic()
            if owner.first_encoded_at is None:
                owner.first_encoded_at = owner.last_encoded_at
            return frame

    class PerSenderVideo:
        """Stands in for ``SharedVideoEncoder`` in the session: it encodes nothing and only relays raw frames."""

        def __init__(self, source: Any, on_ended: Any = None) -> None:
            del on_ended
            self.source = source
            self.latest_frame: av.VideoFrame | None = None
            self.frames_encoded = 0
            self.first_encoded_at: float | None = None
            self.last_encoded_at: float | None = None
            self._relay = MediaRelay()
            self._counting = CountingTrack(self)
            self._preview: asyncio.Task[None] | None = None

        def start(self) -> None:
            # Like the shared encoder, read the source all the time (it keeps the newest frame for the preview).
            self._preview = asyncio.get_running_loop().create_task(self._read_preview())

        async def _read_preview(self) -> None:
            proxy = self.relay()
            with contextlib.suppress(MediaStreamError):
                while True:
                    await proxy.recv()

        def relay(self) -> MediaStreamTrack:
            # Unbuffered: a sender that falls behind skips to the newest frame (our fan-out drops too).
            return self._relay.subscribe(self._counting, buffered=False)

        def request_keyframe(self) -> None:
            pass  # each sender's own encoder answers PLI/FIR (aiortc's RTCP handler still runs)

        def report_bitrate(self, key: int, bitrate: int) -> None:
            pass  # likewise REMB

        def forget_bitrate(self, key: int) -> None:
            pass

        async def close(self) -> None:
            if self._preview is not None:
                self._preview.cancel()
            self._counting.stop()
            self.source.stop()

    class PerSenderTrack(MediaStreamTrack):
        """Stands in for the peer's video ``OutgoingTrack``: raw frames, which aiortc's sender encodes itself."""

        def __init__(self, kind: str) -> None:
            super().__init__()
            self.kind = kind
            self.feed: Any = None
            self._proxy: MediaStreamTrack | None = None
            self._switched = asyncio.Event()

        def switch(self, feed: Any) -> None:
            if feed is self.feed:
                return
            old = self._proxy
            self.feed = feed
            self._proxy = feed.relay() if isinstance(feed, PerSenderVideo) else None
            if old is not None:
                old.stop()
            self._switched.set()

        def request_keyframe(self) -> None:
            pass

        async def recv(self) -> Any:
            while True:
                if self.readyState == "ended":
                    raise MediaStreamError
                proxy = self._proxy
                if proxy is None:
                    self._switched.clear()
                    await self._switched.wait()
                    continue
                try:
                    return await proxy.recv()
                except MediaStreamError:
                    if proxy is self._proxy:
                        self.feed, self._proxy = None, None

        def stop(self) -> None:
            if self._proxy is not None:
                self._proxy.stop()
            self.feed, self._proxy = None, None
            self._switched.set()
            super().stop()

    outgoing_track = getattr(peer_module, "OutgoingTrack")  # noqa: B009

    def make_outgoing(kind: str, keyframes: bool) -> Any:
        return PerSenderTrack(kind) if kind == "video" else outgoing_track(kind, keyframes=keyframes)

    # Both are looked up by module-global name when used (session: a camera starts; peer: a connection is made).
    setattr(session_module, "SharedVideoEncoder", PerSenderVideo)  # noqa: B010
    setattr(peer_module, "OutgoingTrack", make_outgoing)  # noqa: B010


def _hook_sender_stats() -> None:
    from aiortc.rtcrtpsender import RTCRtpSender

    from nimeet_desktop.call.session import CallSession

    counters = {"frames": 0, "bytes": 0}
    original_next = RTCRtpSender._next_encoded_frame

    async def next_encoded_frame(self: Any, codec: Any) -> Any:
        encoded = await original_next(self, codec)
        if encoded is not None and self.kind == "video":
            counters["frames"] += 1
            counters["bytes"] += sum(len(p) for p in encoded.payloads)
        return encoded

    RTCRtpSender._next_encoded_frame = next_encoded_frame  # type: ignore[method-assign]

    original_state = CallSession.on_peer_state

    def on_peer_state(self: Any, peer: Any, state: Any) -> None:
        print(f"bench: peer {peer.socket_id} {state}", flush=True)
        original_state(self, peer, state)

    CallSession.on_peer_state = on_peer_state  # type: ignore[method-assign]

    def report_every_second() -> None:
        while True:
            print(f"bench: stats t={time.monotonic():.3f} frames={counters['frames']} bytes={counters['bytes']}")
            sys.stdout.flush()
            time.sleep(1.0)

    threading.Thread(target=report_every_second, daemon=True, name="bench-stats").start()


HOOKS = {
    "--latency-samples": _hook_latency_samples,
    "--stock-jitter-buffer": _hook_stock_jitter_buffer,
    "--per-sender-encoding": _hook_per_sender_encoding,
    "--sender-stats": _hook_sender_stats,
}


def run_shim(argv: list[str]) -> None:
    import runpy

    if "--" not in argv:
        raise SystemExit(f"usage: {SHIM.name} bot [{' | '.join(HOOKS)}]... -- <nimeet-bot arguments>")
    split = argv.index("--")
    for option in argv[:split]:
        if option not in HOOKS:
            raise SystemExit(f"{SHIM.name} bot: unknown hook {option!r} (known: {', '.join(HOOKS)})")
        HOOKS[option]()
    sys.argv = ["nimeet-bot", *argv[split + 1 :]]
    runpy.run_module("nimeet_desktop.bot", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    if sys.argv[1:2] != ["bot"]:
        raise SystemExit(f"usage: {SHIM.name} bot [HOOK]... -- <nimeet-bot arguments>")
    run_shim(sys.argv[2:])
