#!/usr/bin/env python3
"""Load benchmark for the NIMeet signaling server (socket.io relay path).

N socket.io clients (websocket transport) in rooms of 4, each sending a 3 KB offer to a room peer at a fixed
total rate; prints delivered msg/s, p50/p99 relay latency, server CPU µs per relayed message and RSS per
connection. ``--mode idle`` instead opens N connections, measures server RSS per idle connection and holds them
(past a full Engine.IO ping cycle) to check they all stay alive and answer.

The script starts the real server entry point (``python -m signaling_server --port 0``) as a subprocess, registers
accounts and creates rooms over REST, then runs the socket.io load from ``--workers`` separate client processes.
Clients are raw Engine.IO v4 / Socket.IO v5 over a plain ``websockets`` connection (python-socketio's
AsyncClient costs far more per connection than the server side does, and would become the bottleneck):

    ws://host:port/socket.io/?EIO=4&transport=websocket
    <- 0{"sid":...,"pingInterval":...}      engine.io OPEN
    -> 40{"token":"..."}                     socket.io CONNECT to "/" with auth
    <- 40{"sid":"<socketId>"}                socket.io CONNECT ok (44{...} = refused)
    <- 2  /  -> 3                            engine.io PING from the server, PONG back
    -> 42<id>["offer",{...}]                 EVENT with ack id
    <- 43<id>[{"ok":true}]                   ACK
    <- 42["receive-offer",{...}]             EVENT (no ack)

Latency: each sdp carries the sender's ``time.time_ns()`` (all processes share the machine's clock) in its
``o=`` line; the receiver subtracts it from its own ``time.time_ns()`` on reading the frame. Only messages sent
inside the measurement window count (connection ramp-up and a warm-up period are excluded). Sending is open-loop
(a fixed schedule, not waiting for acks); the senders' lag behind schedule is reported so you can tell whether the
clients kept up.

Server CPU is the server process's utime+stime (psutil) over the window divided by messages delivered in the window
(so it includes fixed costs such as pings; at low rates the per-message figure is much higher because nothing is
batched). RSS per connection is (server RSS with the connections open - RSS after REST setup, before any socket) / N.
"other processes" is the CPU every other process on the machine used during the window and "steal" the hypervisor's
share: when either is high, rerun.

File descriptors: the server holds N + ~35 (measured 10,035 with 10,000 connections), each client process one per
connection it owns. The script raises its soft RLIMIT_NOFILE to the hard limit (inherited by the server and the
client processes), so for 10,000 connections the hard limit must be at least ~10,100: ``ulimit -Hn`` >= 10100, e.g.
``ulimit -n 16384`` in the shell that starts it. Loopback has ~28,000 ephemeral ports, enough for 10,000.

Instrumentation (all optional; nothing in signaling_server is changed):
    --gc-trace          run the entry point through runpy with a gc.callbacks hook; reports every collection
                        (generation, pause) inside the window
    --tracemalloc       same wrapper with tracemalloc; per-connection Python allocations by module and site
    --py-spy FILE       py-spy record of the server over the window (raw format by default, for
                        benchmarks/profile_summary.py; --py-spy-native for C frames, --py-spy-nonblocking)
    --attach CMD        any command at window start, {pid}/{duration} substituted (perf record, strace -c)
    --server-root DIR   run another copy of the code, e.g. ``git archive <rev> | tar -x -C DIR``, so results are tied to
                        one revision while the working tree changes; the report prints a hash of signaling_server/

Examples:
    python benchmarks/signaling_load.py --connections 200 --rate 200 --duration 20
    python benchmarks/signaling_load.py --connections 2000 --rate 2000 --duration 30 --json /tmp/r.json
    python benchmarks/signaling_load.py --mode idle --idle-connections 2000 --duration 60
    python benchmarks/signaling_load.py --mode idle --idle-connections 10000 --duration 60
    python benchmarks/signaling_load.py --connections 2000 --rate 2000 --gc-trace \
        --server-env NIMEET_GC_FULL_INTERVAL_S=0
    python benchmarks/signaling_load.py --connections 2000 --rate 2000 --py-spy /tmp/prof.txt --py-spy-rate 50
    python benchmarks/profile_summary.py /tmp/prof.txt --main-thread --cpu-us 280
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import multiprocessing as mp
import os
import queue
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from array import array
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent

SERVER_ENV = {
    "NIMEET_LOG_FORMAT": "text",
    "NIMEET_LOG_LEVEL": "warning",
    "NIMEET_REGISTER_PER_MIN": "100000",
    "NIMEET_LOGIN_PER_MIN": "100000",
    "NIMEET_CREATE_ROOM_PER_MIN": "100000",
    "NIMEET_ARGON2_TIME_COST": "1",
    "NIMEET_ARGON2_MEMORY_KIB": "8192",
    "NIMEET_ARGON2_PARALLELISM": "1",
}
PASSWORD = "benchmark-password-1"  # noqa: S105 (throwaway accounts in a throwaway database)
MEDIA_STATE = {"camera": True, "microphone": True, "screen": False}
RECEIVE_OFFER_PREFIX = '42["receive-offer",'
MS = 1e6  # ns per ms

# --gc-trace / --tracemalloc: run the same entry point through runpy with instrumentation installed first; nothing in
# signaling_server is changed. --gc-trace logs every collection (end time, generation, pause µs, objects collected) to a
# line-buffered file; --tracemalloc traces Python allocations and dumps a snapshot on each SIGUSR1.
INSTRUMENTED_BOOT = r"""
import gc, os, runpy, signal, sys, time
_trace = os.environ.get("NIMEET_BENCH_GC_TRACE")
if _trace:
    _out = open(_trace, "w", buffering=1)
    _t = [0]
    def _cb(phase, info, _pc=time.perf_counter_ns, _now=time.time_ns):
        if phase == "start":
            _t[0] = _pc()
        else:
            _out.write(f"{_now()} {info['generation']} {(_pc() - _t[0]) // 1000} {info['collected']}\n")
    gc.callbacks.append(_cb)
_snap = os.environ.get("NIMEET_BENCH_TRACEMALLOC")
if _snap:
    import tracemalloc
    tracemalloc.start(int(os.environ.get("NIMEET_BENCH_TRACEMALLOC_FRAMES", "12")))
    _n = [0]
    def _dump(signum, frame):
        path = f"{_snap}.{_n[0]}"
        _n[0] += 1
        tracemalloc.take_snapshot().dump(path + ".tmp")
        os.rename(path + ".tmp", path)
    signal.signal(signal.SIGUSR1, _dump)
sys.argv[0] = "signaling_server"
runpy.run_module("signaling_server", run_name="__main__", alter_sys=True)
"""


# ---------------------------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------------------------
def percentile(sorted_values: list[float] | list[int], p: float) -> float:
    """Nearest-rank percentile of an already sorted list (nan when empty)."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(p / 100.0 * len(sorted_values)))
    return float(sorted_values[min(rank, len(sorted_values)) - 1])


def latency_summary(lat_ns: list[int]) -> dict[str, float]:
    values = sorted(lat_ns)
    out = {f"p{str(p).replace('.', '_')}": percentile(values, p) / MS for p in (50, 90, 99, 99.9)}
    out["max"] = (values[-1] / MS) if values else math.nan
    out["mean"] = (sum(values) / len(values) / MS) if values else math.nan
    out["count"] = len(values)
    return out


def make_sdp_parts(size: int) -> tuple[str, str]:
    """A realistic-looking SDP offer of exactly ``size`` bytes, split around a 19-digit timestamp slot."""
    head = "v=0\r\no=- "
    lines = [
        " 2 IN IP4 127.0.0.1",
        "s=-",
        "t=0 0",
        "a=group:BUNDLE 0 1",
        "a=extmap-allow-mixed",
        "a=msid-semantic: WMS 6d3c0f0e-9f4e-4b4a-bb0e-3d0a1f6f2c11",
        "m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126",
        "c=IN IP4 0.0.0.0",
        "a=rtcp:9 IN IP4 0.0.0.0",
        "a=ice-ufrag:Zx8q",
        "a=ice-pwd:3kVbP9mQ2nR7sT1uW4xY6zA8",
        "a=ice-options:trickle",
        "a=fingerprint:sha-256 4A:1F:9C:2B:7D:3E:8F:0A:6B:5C:4D:3E:2F:1A:0B:9C:8D:7E:6F:5A:4B:3C:2D:1E:0F:AA:BB:CC:DD",
        "a=setup:actpass",
        "a=mid:0",
        "a=sendrecv",
        "a=rtcp-mux",
        "a=rtpmap:111 opus/48000/2",
        "a=rtcp-fb:111 transport-cc",
        "a=fmtp:111 minptime=10;useinbandfec=1",
        "m=video 9 UDP/TLS/RTP/SAVPF 96 97 98 99 100 101 127 125",
        "c=IN IP4 0.0.0.0",
        "a=mid:1",
        "a=sendrecv",
        "a=rtpmap:96 VP8/90000",
        "a=rtcp-fb:96 goog-remb",
        "a=rtcp-fb:96 transport-cc",
        "a=rtcp-fb:96 ccm fir",
        "a=rtcp-fb:96 nack",
        "a=rtcp-fb:96 nack pli",
        "a=rtpmap:97 rtx/90000",
        "a=fmtp:97 apt=96",
    ]
    for i in range(200):
        lines.append(
            f"a=candidate:{1000 + i} 1 udp {2122260223 - i} 192.168.{i % 250}.{(i * 7) % 250} {50000 + i} typ host"
        )
    text = "\r\n".join(lines) + "\r\n"
    body_len = size - len(head) - 19
    if body_len < len(lines[0]) + 2:
        raise ValueError("--sdp-bytes too small")
    tail = text[:body_len]
    if len(tail) < body_len:
        tail += "a=x-pad:" + "x" * (body_len - len(tail) - 10) + "\r\n"
        tail = tail[:body_len]
    assert len((head + "0" * 19 + tail).encode()) == size
    return head, tail


def json_str_inner(text: str) -> str:
    """``text`` JSON-escaped, without the surrounding quotes."""
    return json.dumps(text)[1:-1]


def raise_nofile(needed: int) -> tuple[int, int, bool]:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else max(soft, needed, 1 << 16)
    if target > soft:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    return soft, hard, soft >= needed


# ---------------------------------------------------------------------------------------------------------------
# client processes
# ---------------------------------------------------------------------------------------------------------------
class Stats:
    """Per-worker counters; latencies are kept raw for messages sent inside the window."""

    def __init__(self) -> None:
        self.meas_start = 1 << 62
        self.meas_end = 1 << 62
        self.sent = 0
        self.sent_in_window = 0
        self.delivered = 0
        self.delivered_in_window = 0  # by receive time
        self.lat_send_ts = array("q")  # send ts of window messages that arrived
        self.lat_ns = array("q")
        self.ack_ns = array("q")
        self.acks_ok = 0
        self.ack_errors: Counter[str] = Counter()
        self.other_events = 0
        self.pings = 0
        self.closes: Counter[str] = Counter()
        self.max_lag_ns = 0
        self.lag_ns = array("q")

    def on_delivery(self, ts: int, now: int) -> None:
        self.delivered += 1
        if self.meas_start <= now < self.meas_end:
            self.delivered_in_window += 1
        if self.meas_start <= ts < self.meas_end:
            self.lat_send_ts.append(ts)
            self.lat_ns.append(now - ts)


class Conn:
    __slots__ = ("acks", "closed", "peer_i", "peers", "reader", "room", "seq", "sid", "token", "w", "ws")

    def __init__(self, w: Worker, token: str, room: str) -> None:
        self.w = w
        self.token = token
        self.room = room
        self.ws: Any = None
        self.sid: str | None = None
        self.peers: list[str] = []
        self.peer_i = 0
        self.seq = 0
        self.acks: dict[int, Any] = {}  # ack id -> send ts (offers) or Future (join, probe)
        self.reader: asyncio.Task[None] | None = None
        self.closed: str | None = None

    async def open(self, url: str, timeout: float) -> None:  # noqa: ASYNC109
        from websockets.asyncio.client import connect

        self.ws = await connect(
            url,
            compression=None,
            proxy=None,
            ping_interval=None,  # the server pings (engine.io and websocket level); we only answer
            open_timeout=timeout,
            close_timeout=2,
            max_size=1 << 20,
            user_agent_header=None,
        )
        opened = await asyncio.wait_for(self.ws.recv(), timeout)
        if not opened.startswith("0{"):
            raise RuntimeError(f"unexpected engine.io open packet {opened[:40]!r}")
        await self.ws.send("40" + json.dumps({"token": self.token}, separators=(",", ":")))
        while True:
            reply = await asyncio.wait_for(self.ws.recv(), timeout)
            if reply == "2":
                await self.ws.send("3")
                continue
            break
        if reply.startswith("40{"):
            self.sid = json.loads(reply[2:])["sid"]
        elif reply.startswith("44"):
            raise RuntimeError(f"connect refused: {reply[2:80]}")
        else:
            raise RuntimeError(f"unexpected connect reply {reply[:40]!r}")
        self.reader = asyncio.get_running_loop().create_task(self.read_loop())

    async def read_loop(self) -> None:
        w = self.w
        stats = w.stats
        ws = self.ws
        time_ns = time.time_ns
        reason = "eof"
        try:
            async for msg in ws:
                now = time_ns()
                if type(msg) is not str:
                    continue
                head = msg[:2]
                if head == "42":
                    if msg.startswith(RECEIVE_OFFER_PREFIX):
                        i = msg.find("o=- ", 0, 500)
                        if i >= 0:
                            stats.on_delivery(int(msg[i + 4 : i + 23]), now)
                    else:
                        stats.other_events += 1
                elif head == "43":
                    j = msg.find("[", 2)
                    entry = self.acks.pop(int(msg[2:j]), None)
                    if entry is None:
                        continue
                    if type(entry) is int:
                        if msg.startswith('{"ok":true', j + 1):
                            stats.acks_ok += 1
                        else:
                            try:
                                code = json.loads(msg[j:])[0]["error"]["code"]
                            except Exception:
                                code = "unparsable-ack"
                            stats.ack_errors[code] += 1
                        if stats.meas_start <= entry < stats.meas_end:
                            stats.ack_ns.append(now - entry)
                    elif not entry.done():
                        entry.set_result(json.loads(msg[j:])[0])
                elif msg == "2":
                    await ws.send("3")
                    stats.pings += 1
                elif head == "41" or msg[:1] == "1":
                    reason = "server-disconnect"
                    break
        except asyncio.CancelledError:
            reason = "cancelled"
            raise
        except Exception as exc:
            reason = type(exc).__name__
        finally:
            self.closed = reason
            stats.closes[reason] += 1
            for entry in self.acks.values():
                if not isinstance(entry, int) and not entry.done():
                    entry.set_exception(ConnectionError(reason))
            self.acks.clear()

    async def call(self, event: str, payload: Any, timeout: float) -> Any:  # noqa: ASYNC109
        fut = asyncio.get_running_loop().create_future()
        aid = self.seq
        self.seq += 1
        self.acks[aid] = fut
        await self.ws.send(f"42{aid}" + json.dumps([event, payload], separators=(",", ":")))
        return await asyncio.wait_for(fut, timeout)

    async def send_offer(self) -> None:
        w = self.w
        target = self.peers[self.peer_i]
        self.peer_i = (self.peer_i + 1) % len(self.peers)
        aid = self.seq
        self.seq += 1
        ts = time.time_ns()
        self.acks[aid] = ts
        await self.ws.send(
            f'42{aid}["offer",{{"target":"{target}","description":{{"type":"offer","sdp":"'
            f'{w.sdp_head}{ts:019d}{w.sdp_tail}"}}}}]'
        )
        w.stats.sent += 1
        if w.stats.meas_start <= ts < w.stats.meas_end:
            w.stats.sent_in_window += 1


class Worker:
    def __init__(self, index: int, pipe: Any, cfg: dict[str, Any]) -> None:
        self.index = index
        self.pipe = pipe
        self.cfg = cfg
        self.stats = Stats()
        head, tail = make_sdp_parts(cfg["sdp_bytes"])
        self.sdp_head = json_str_inner(head)
        self.sdp_tail = json_str_inner(tail)
        self.conns = [Conn(self, token, room) for token, room in cfg["assignments"]]

    async def recv_cmd(self) -> Any:
        return await asyncio.get_running_loop().run_in_executor(None, self.pipe.recv)

    def reply(self, *msg: Any) -> None:
        self.pipe.send(msg)

    async def run(self) -> None:
        while True:
            cmd = await self.recv_cmd()
            name = cmd[0]
            if name == "connect":
                self.reply("connected", await self.connect_all())
            elif name == "join":
                self.reply("joined", await self.join_all())
            elif name == "relay":
                self.reply("relay-result", await self.relay(*cmd[1:]))
            elif name == "status":
                self.reply("status", self.status())
            elif name == "probe":
                self.reply("probe", await self.probe_all())
            elif name == "close":
                await self.close_all()
                self.reply("closed", {})
                return

    async def connect_all(self) -> dict[str, Any]:
        cfg = self.cfg
        sem = asyncio.Semaphore(cfg["connect_concurrency"])
        errors: Counter[str] = Counter()

        async def one(c: Conn) -> None:
            async with sem:
                try:
                    await c.open(cfg["ws_url"], cfg["connect_timeout"])
                except Exception as exc:
                    errors[f"{type(exc).__name__}: {str(exc)[:80]}"] += 1
                    if c.ws is not None:
                        c.ws.transport.abort()
                    c.ws = None

        started = time.perf_counter()
        await asyncio.gather(*(one(c) for c in self.conns))
        ok = sum(1 for c in self.conns if c.sid)
        return {
            "ok": ok,
            "failed": len(self.conns) - ok,
            "errors": dict(errors.most_common(5)),
            "seconds": time.perf_counter() - started,
        }

    async def join_all(self) -> dict[str, Any]:
        rooms: dict[str, list[Conn]] = {}
        for c in self.conns:
            if c.sid:
                rooms.setdefault(c.room, []).append(c)
        sem = asyncio.Semaphore(self.cfg["connect_concurrency"])
        errors: Counter[str] = Counter()
        joined = 0
        timeout = self.cfg["connect_timeout"]

        async def join_room(members: list[Conn]) -> None:
            nonlocal joined
            async with sem:
                for c in members:  # one after another: the order a real call has
                    try:
                        ack = await c.call("join-room", {"roomId": c.room, "mediaState": MEDIA_STATE}, timeout)
                    except Exception as exc:
                        errors[type(exc).__name__] += 1
                        continue
                    if ack.get("ok"):
                        joined += 1
                    else:
                        errors[ack.get("error", {}).get("code", "?")] += 1
                in_room = [c for c in members if c.sid and not c.closed]
                for c in in_room:
                    c.peers = [o.sid for o in in_room if o is not c]  # type: ignore[misc]
                    c.peer_i = self.index % max(1, len(c.peers))

        started = time.perf_counter()
        await asyncio.gather(*(join_room(m) for m in rooms.values()))
        return {"ok": joined, "errors": dict(errors), "seconds": time.perf_counter() - started}

    async def relay(
        self, send_start: int, meas_start: int, meas_end: int, rate: float, drain_s: float
    ) -> dict[str, Any]:
        st = self.stats
        st.meas_start, st.meas_end = meas_start, meas_end
        senders = [c for c in self.conns if c.sid and c.peers and not c.closed]
        if not senders or rate <= 0:
            return {"error": "no connected sender with a peer"}
        cpu0 = time.process_time()
        cpu_window: list[float] = []
        interval = 1e9 / rate
        sent = 0
        k = 0
        n = len(senders)
        while time.time_ns() < send_start:  # noqa: ASYNC110 (a wall-clock start shared by processes)
            await asyncio.sleep(0.001)
        while True:
            now = time.time_ns()
            if now >= meas_end:
                break
            if not cpu_window and now >= meas_start:
                cpu_window.append(time.process_time())
            due = int((now - send_start) / interval) + 1 - sent
            if due > 0:
                lag = now - int(send_start + sent * interval)
                if now >= meas_start:
                    st.lag_ns.append(lag)
                    st.max_lag_ns = max(st.max_lag_ns, lag)
                for _ in range(min(due, 2000)):
                    c = senders[k]
                    k = (k + 1) % n
                    if c.closed:
                        continue
                    try:
                        await c.send_offer()
                    except Exception:
                        st.closes["send-failed"] += 1
                    sent += 1
            # Sleep until the next message is due (libuv timers have 1 ms resolution; shorter sleeps would spin).
            next_due = send_start + sent * interval
            await asyncio.sleep(max(0.001, (next_due - time.time_ns()) / 1e9))
        cpu_window.append(time.process_time())
        # Drain: wait for in-flight deliveries/acks of window messages, bounded.
        deadline = time.monotonic() + drain_s
        while time.monotonic() < deadline:
            pending = sum(len(c.acks) for c in senders)
            if pending == 0:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)
        win = len(cpu_window) == 2
        return {
            "sent": st.sent,
            "sent_in_window": st.sent_in_window,
            "delivered": st.delivered,
            "delivered_in_window": st.delivered_in_window,
            "lat_send_ts": st.lat_send_ts,
            "lat_ns": st.lat_ns,
            "ack_ns": st.ack_ns,
            "acks_ok": st.acks_ok,
            "ack_errors": dict(st.ack_errors),
            "pending_acks": sum(len(c.acks) for c in senders),
            "max_lag_ns": st.max_lag_ns,
            "lag_ns": st.lag_ns,
            "cpu_s_window": (cpu_window[1] - cpu_window[0]) if win else math.nan,
            "cpu_s_total": time.process_time() - cpu0,
            "closes": dict(st.closes),
            "pings": st.pings,
        }

    def status(self) -> dict[str, Any]:
        alive = sum(1 for c in self.conns if c.sid and not c.closed)
        return {
            "alive": alive,
            "closes": dict(self.stats.closes),
            "pings": self.stats.pings,
            "other_events": self.stats.other_events,
            "cpu_s": time.process_time(),
        }

    async def probe_all(self) -> dict[str, Any]:
        """Every open connection sends one event with an ack; counts how many the server answered."""
        live = [c for c in self.conns if c.sid and not c.closed]
        sem = asyncio.Semaphore(self.cfg["connect_concurrency"])
        answered = 0
        errors: Counter[str] = Counter()

        async def one(c: Conn) -> None:
            nonlocal answered
            async with sem:
                try:
                    # Not in the contract: answered by the catch-all handler with an `unknown-event` ack, and never
                    # relayed, so it touches every connection without side effects.
                    ack = await c.call("bench-probe", {}, self.cfg["connect_timeout"])
                    if isinstance(ack, dict) and "ok" in ack:
                        answered += 1
                except Exception as exc:
                    errors[type(exc).__name__] += 1

        started = time.perf_counter()
        await asyncio.gather(*(one(c) for c in live))
        return {
            "probed": len(live),
            "answered": answered,
            "errors": dict(errors),
            "seconds": time.perf_counter() - started,
        }

    async def close_all(self) -> None:
        conns = [c for c in self.conns if c.ws is not None]
        tasks = [asyncio.ensure_future(c.ws.close()) for c in conns]
        if tasks:
            await asyncio.wait(tasks, timeout=10)
        for c in conns:
            if c.reader is not None and not c.reader.done():
                c.reader.cancel()
            with_transport = getattr(c.ws, "transport", None)
            if with_transport is not None and not with_transport.is_closing():
                with_transport.abort()


def worker_main(index: int, pipe: Any, cfg: dict[str, Any]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when we stop
    try:
        import uvloop

        runner: Any = uvloop.run
    except ImportError:  # pragma: no cover
        runner = asyncio.run
    with contextlib.suppress(EOFError, BrokenPipeError, KeyboardInterrupt):
        runner(Worker(index, pipe, cfg).run())


# ---------------------------------------------------------------------------------------------------------------
# server process
# ---------------------------------------------------------------------------------------------------------------
class Server:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.data_dir = tempfile.mkdtemp(prefix="nimeet-bench-")
        self.log_path = os.path.join(self.data_dir, "server.log")
        env = dict(os.environ)
        env.update(SERVER_ENV)
        for item in args.server_env:
            key, _, value = item.partition("=")
            env[key] = value
        self.env_overrides = {
            k: env[k] for k in sorted(set(SERVER_ENV) | {i.partition("=")[0] for i in args.server_env})
        }
        self.gc_trace_path = os.path.join(self.data_dir, "gc-trace.txt") if args.gc_trace else None
        self.snapshot_prefix = os.path.join(self.data_dir, "tracemalloc") if args.tracemalloc else None
        self.snapshots = 0
        if self.gc_trace_path:
            env["NIMEET_BENCH_GC_TRACE"] = self.gc_trace_path
        if self.snapshot_prefix:
            env["NIMEET_BENCH_TRACEMALLOC"] = self.snapshot_prefix
        entry = ["-c", INSTRUMENTED_BOOT] if self.gc_trace_path or self.snapshot_prefix else ["-m", "signaling_server"]
        self.log_file = open(self.log_path, "w")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [args.python, *entry, "--port", "0", "--data-dir", self.data_dir],
            cwd=args.server_root,
            env=env,
            stdout=subprocess.PIPE,
            stderr=self.log_file,
            text=True,
            start_new_session=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()
        self.url = self._wait_ready(args.server_start_timeout)
        self.pid = self.proc.pid

    def snapshot(self, timeout: float = 300.0) -> str | None:
        """Ask the server (--tracemalloc) for a tracemalloc snapshot; returns its path."""
        if not self.snapshot_prefix:
            return None
        path = f"{self.snapshot_prefix}.{self.snapshots}"
        self.snapshots += 1
        self.proc.send_signal(signal.SIGUSR1)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not os.path.exists(path):
            time.sleep(0.2)
        return path if os.path.exists(path) else None

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)

    def _wait_ready(self, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                if self.proc.poll() is not None:
                    break
                continue
            if "listening on " in line:
                return line.strip().split("listening on ", 1)[1]
        self.stop()
        raise RuntimeError(f"server did not become ready; log:\n{self.log_tail()}")

    def log_tail(self, n: int = 30) -> str:
        try:
            with open(self.log_path) as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""

    def stop(self, timeout: float = 30.0) -> int | None:
        if self.proc.poll() is None:
            # SIGTERM: uvicorn shuts down gracefully, then re-raises the signal (so the exit code is -15).
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.log_file.close()
        return self.proc.returncode

    def cleanup(self) -> None:
        shutil.rmtree(self.data_dir, ignore_errors=True)


def code_fingerprint(root: str) -> dict[str, Any]:
    """Which server code was measured: a hash of signaling_server/**/*.py, plus git HEAD and dirtiness if any."""
    import hashlib

    h = hashlib.sha256()
    pkg = Path(root) / "signaling_server"
    for f in sorted(pkg.rglob("*.py")):
        h.update(str(f.relative_to(pkg)).encode())
        h.update(f.read_bytes())
    out: dict[str, Any] = {"root": str(root), "sha256": h.hexdigest()[:12]}
    try:
        head = subprocess.run(
            ["git", "-C", root, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=10
        )
        if head.returncode == 0:
            out["git_head"] = head.stdout.strip()
            dirty = subprocess.run(
                ["git", "-C", root, "status", "--porcelain", "--", "signaling_server"],
                capture_output=True,
                text=True,
                timeout=10,
            )
            out["git_dirty"] = [ln[3:] for ln in dirty.stdout.splitlines()]
    except (OSError, subprocess.TimeoutExpired):
        pass
    return out


class ProcSampler:
    """CPU time and RSS of one process (psutil when installed, else /proc)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        try:
            import psutil

            self._p: Any = psutil.Process(pid)
        except ImportError:  # pragma: no cover
            self._p = None
        self._tick = os.sysconf("SC_CLK_TCK")

    def cpu_s(self) -> float:
        if self._p is not None:
            t = self._p.cpu_times()
            return float(t.user + t.system)
        with open(f"/proc/{self.pid}/stat") as f:  # pragma: no cover
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / self._tick  # pragma: no cover

    def fds(self) -> int:
        try:
            return len(os.listdir(f"/proc/{self.pid}/fd"))
        except OSError:  # pragma: no cover
            return -1

    def rss(self) -> int:
        if self._p is not None:
            return int(self._p.memory_info().rss)
        with open(f"/proc/{self.pid}/status") as f:  # pragma: no cover
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        return 0  # pragma: no cover


def gc_summary(path: str | None, start_ns: int, end_ns: int) -> dict[str, Any] | None:
    """Collections the server made between start_ns and end_ns (from --gc-trace)."""
    if not path or not os.path.exists(path):
        return None
    per_gen: dict[int, list[int]] = {0: [], 1: [], 2: []}
    events = []
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) != 4:
                continue
            t, gen, us = int(parts[0]), int(parts[1]), int(parts[2])
            if start_ns <= t < end_ns:
                per_gen[gen].append(us)
                events.append((t, gen, us))
    out: dict[str, Any] = {}
    for gen, v in per_gen.items():
        out[f"gen{gen}"] = {"count": len(v), "total_ms": sum(v) / 1000, "max_ms": (max(v) / 1000) if v else 0.0}
    out["longest"] = [
        {"t_s": (t - start_ns) / 1e9, "gen": g, "ms": us / 1000} for t, g, us in sorted(events, key=lambda e: -e[2])[:5]
    ]
    return out


def tracemalloc_diff(base: str, after: str, conns: int, top: int) -> dict[str, Any]:
    """Python allocations added between two snapshots, per connection, by allocation site and by the innermost
    frame in a library of interest (so a dict made inside asyncio for engineio shows as engineio's)."""
    import tracemalloc

    a = tracemalloc.Snapshot.load(base)
    b = tracemalloc.Snapshot.load(after)
    skip = ("tracemalloc", "<frozen", "/asyncio/", "/json/", "/logging/", "/queue.py", "threading.py", "weakref")
    by_line = b.compare_to(a, "lineno")
    total = sum(s.size_diff for s in by_line)
    by_owner: Counter[str] = Counter()
    for s in b.compare_to(a, "traceback"):
        owner = None
        for fr in reversed(s.traceback):  # most recent call first after reversing tracemalloc's oldest-first order
            name = fr.filename
            if not any(k in name for k in skip):
                owner = name.split("site-packages/")[-1].split("/work/main/")[-1]
                break
        by_owner[owner or s.traceback[-1].filename] += s.size_diff
    return {
        "traced_bytes_per_conn": total / conns if conns else math.nan,
        "by_site": [
            {
                "site": f"{s.traceback[-1].filename.split('site-packages/')[-1]}:{s.traceback[-1].lineno}",
                "bytes_per_conn": s.size_diff / conns,
                "count_per_conn": s.count_diff / conns,
            }
            for s in by_line[:top]
        ],
        "by_module": [{"module": m, "bytes_per_conn": v / conns} for m, v in by_owner.most_common(top)],
    }


def others_cpu() -> dict[int, float]:
    """CPU seconds of every process but this benchmark's own (server, clients, this one), for spotting competing
    load from other users of the machine. Per-process times are precise (scheduler runtime); /proc/stat's machine
    totals are tick-sampled and undercount bursty loads, so they are not used. Processes that exit inside the window
    are missed."""
    try:
        import psutil
    except ImportError:  # pragma: no cover
        return {}
    mine = {os.getpid()}
    try:
        me = psutil.Process()
        mine.update(c.pid for c in me.children(recursive=True))
    except psutil.Error:  # pragma: no cover
        pass
    out = {}
    for p in psutil.process_iter(["pid"]):
        if p.pid in mine:
            continue
        try:
            t = p.cpu_times()
            out[p.pid] = t.user + t.system
        except psutil.Error:
            continue
    return out


def steal_ticks() -> int:
    """Machine-wide steal time in clock ticks (the hypervisor ran someone else on our vCPUs): a noise indicator."""
    with open("/proc/stat") as f:
        parts = f.readline().split()
    return int(parts[8]) if len(parts) > 8 else 0


def others_delta(before: dict[int, float], after: dict[int, float]) -> float:
    return sum(v - before.get(pid, 0.0) for pid, v in after.items())


# ---------------------------------------------------------------------------------------------------------------
# REST setup
# ---------------------------------------------------------------------------------------------------------------
async def rest_setup(
    base: str, users: int, rooms: int, room_size: int, concurrency: int
) -> tuple[list[str], list[str]]:
    import httpx

    run = uuid.uuid4().hex[:8]
    sem = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, timeout=60, trust_env=False, limits=limits) as http:

        async def register(i: int) -> str:
            async with sem:
                r = await http.post(
                    "/api/auth/register",
                    json={"username": f"b{run}_{i}", "email": f"b{run}_{i}@bench.example.com", "password": PASSWORD},
                )
                if r.status_code != 201:
                    raise RuntimeError(f"register failed: {r.status_code} {r.text[:200]}")
                return str(r.json()["token"])

        tokens = await asyncio.gather(*(register(i) for i in range(users)))

        async def create(i: int) -> str:
            async with sem:
                r = await http.post(
                    "/api/rooms/create",
                    json={"name": f"bench {i}", "maxParticipants": max(2, room_size)},
                    headers={"Authorization": f"Bearer {tokens[i % len(tokens)]}"},
                )
                if r.status_code != 201:
                    raise RuntimeError(f"create room failed: {r.status_code} {r.text[:200]}")
                return str(r.json()["room"]["roomId"])

        room_ids = await asyncio.gather(*(create(i) for i in range(rooms)))
    return list(tokens), list(room_ids)


# ---------------------------------------------------------------------------------------------------------------
# orchestration
# ---------------------------------------------------------------------------------------------------------------
class Workers:
    def __init__(self, n: int, cfgs: list[dict[str, Any]]) -> None:
        ctx = mp.get_context("spawn")
        self.pipes = []
        self.procs = []
        for i in range(n):
            parent, child = ctx.Pipe()
            p = ctx.Process(target=worker_main, args=(i, child, cfgs[i]), name=f"bench-client-{i}", daemon=True)
            p.start()
            child.close()
            self.pipes.append(parent)
            self.procs.append(p)

    def send(self, *cmd: Any) -> None:
        for pipe in self.pipes:
            pipe.send(cmd)

    def gather(self, expect: str, timeout: float) -> list[Any]:
        deadline = time.monotonic() + timeout
        out = []
        for i, pipe in enumerate(self.pipes):
            left = max(0.0, deadline - time.monotonic())
            if not pipe.poll(left):
                raise TimeoutError(f"client process {i} did not answer {expect!r} within {timeout:.0f} s")
            msg = pipe.recv()
            if msg[0] != expect:
                raise RuntimeError(f"client process {i}: expected {expect}, got {msg[0]}")
            out.append(msg[1])
        return out

    def call(self, expect: str, timeout: float, *cmd: Any) -> list[Any]:
        self.send(*cmd)
        return self.gather(expect, timeout)

    def stop(self) -> None:
        for pipe in self.pipes:
            with contextlib.suppress(BrokenPipeError, OSError):
                pipe.send(("close",))
        deadline = time.monotonic() + 20
        for i, pipe in enumerate(self.pipes):
            try:
                if pipe.poll(max(0.0, deadline - time.monotonic())):
                    pipe.recv()
            except (EOFError, OSError):
                pass
            del i
        for p in self.procs:
            p.join(max(0.0, deadline - time.monotonic()) + 1)
            if p.is_alive():
                p.kill()
                p.join(5)

    def pids(self) -> list[int]:
        return [p.pid for p in self.procs if p.pid is not None]


def sleep_until_ns(t_ns: int) -> None:
    while True:
        left = (t_ns - time.time_ns()) / 1e9
        if left <= 0:
            return
        time.sleep(min(left, 0.5))


def fmt(v: float, digits: int = 2) -> str:
    return "n/a" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.{digits}f}"


def run(args: argparse.Namespace) -> dict[str, Any]:
    n = args.idle_connections if args.mode == "idle" else args.connections
    if args.mode == "idle" and not n:
        n = args.connections
    room_size = args.room_size
    rooms = math.ceil(n / room_size)
    users = args.users or min(n, 256)
    workers_n = max(1, min(args.workers, rooms))
    needed_fd = n + 256
    soft, hard, fd_ok = raise_nofile(needed_fd)
    result: dict[str, Any] = {
        "mode": args.mode,
        "connections": n,
        "room_size": room_size,
        "rooms": rooms,
        "users": users,
        "workers": workers_n,
        "sdp_bytes": args.sdp_bytes,
        "nofile_soft": soft,
        "nofile_hard": hard,
        "nofile_needed_server": needed_fd,
        "loadavg_start": os.getloadavg(),
    }
    if not fd_ok:
        print(
            f"warning: RLIMIT_NOFILE soft={soft} hard={hard} < {needed_fd} needed by the server for {n} "
            f"connections; raise it (ulimit -n {needed_fd}) or expect connection failures",
            file=sys.stderr,
        )

    t_setup = time.perf_counter()
    result["server_code"] = code_fingerprint(args.server_root)
    server = Server(args)
    sampler = ProcSampler(server.pid)
    result["server_pid"] = server.pid
    result["server_url"] = server.url
    result["server_env"] = server.env_overrides
    print(f"server pid {server.pid} at {server.url} (log {server.log_path})", flush=True)
    workers: Workers | None = None
    profiler: subprocess.Popen[bytes] | None = None
    try:
        tokens, room_ids = asyncio.run(rest_setup(server.url, users, rooms, room_size, args.rest_concurrency))
        print(f"setup: {users} users, {rooms} rooms in {time.perf_counter() - t_setup:.1f} s", flush=True)
        time.sleep(1.0)
        rss_base = sampler.rss()
        result["server_rss_base"] = rss_base
        snap_base = server.snapshot()

        # Connection i: room i // room_size, account i % users. Whole rooms go to one client process so a process
        # knows every socket id of its rooms; rooms are dealt round-robin to processes.
        per_worker: list[list[tuple[str, str]]] = [[] for _ in range(workers_n)]
        for i in range(n):
            r = i // room_size
            per_worker[r % workers_n].append((tokens[i % users], room_ids[r]))
        ws_url = server.url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
        cfgs = [
            {
                "assignments": per_worker[i],
                "ws_url": ws_url,
                "sdp_bytes": args.sdp_bytes,
                "connect_concurrency": args.connect_concurrency,
                "connect_timeout": args.connect_timeout,
            }
            for i in range(workers_n)
        ]
        workers = Workers(workers_n, cfgs)
        phase_timeout = 120 + n / 20

        t0 = time.perf_counter()
        conn_res = workers.call("connected", phase_timeout, "connect")
        connected = sum(r["ok"] for r in conn_res)
        errors: Counter[str] = Counter()
        for r in conn_res:
            errors.update(r["errors"])
        result["connected"] = connected
        result["connect_errors"] = dict(errors)
        result["connect_seconds"] = time.perf_counter() - t0
        print(
            f"connected {connected}/{n} in {result['connect_seconds']:.1f} s"
            + (f"; errors {dict(errors)}" if errors else ""),
            flush=True,
        )
        if args.mode == "relay" or not args.no_join:
            t0 = time.perf_counter()
            join_res = workers.call("joined", phase_timeout, "join")
            jerr: Counter[str] = Counter()
            for r in join_res:
                jerr.update(r["errors"])
            result["joined"] = sum(r["ok"] for r in join_res)
            result["join_errors"] = dict(jerr)
            print(
                f"joined {result['joined']}/{connected} in {time.perf_counter() - t0:.1f} s"
                + (f"; errors {dict(jerr)}" if jerr else ""),
                flush=True,
            )
        time.sleep(args.settle)
        rss_conn = sampler.rss()
        result["server_rss_connected"] = rss_conn
        result["server_fds_connected"] = sampler.fds()
        result["rss_per_conn_bytes"] = (rss_conn - rss_base) / connected if connected else math.nan
        snap_conn = server.snapshot()
        if snap_base and snap_conn:
            result["tracemalloc"] = tracemalloc_diff(snap_base, snap_conn, connected, args.top_allocs)

        client_samplers = [ProcSampler(pid) for pid in workers.pids()]
        if args.mode == "relay":
            send_start = time.time_ns() + int(0.5e9)
            meas_start = send_start + int(args.warmup * 1e9)
            meas_end = meas_start + int(args.duration * 1e9)
            workers.send("relay", send_start, meas_start, meas_end, args.rate / workers_n, args.drain)
            sleep_until_ns(meas_start)
            oth0, st0 = others_cpu(), steal_ticks()
            cpu0, w0 = sampler.cpu_s(), time.monotonic()
            ccpu0 = [s.cpu_s() for s in client_samplers]
            if args.py_spy:
                profiler = start_profiler(args, server.pid)
            elif args.attach:
                cmd = args.attach.format(pid=server.pid, duration=int(args.duration))
                print("attaching:", cmd, flush=True)
                profiler = subprocess.Popen(cmd, shell=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S602 (the user's own --attach command)
            series = []
            last_cpu, last_t = cpu0, w0
            while time.time_ns() < meas_end:
                sleep_until_ns(min(meas_end, time.time_ns() + int(1e9)))
                c, t = sampler.cpu_s(), time.monotonic()
                series.append((c - last_cpu) / (t - last_t) * 100 if t > last_t else math.nan)
                last_cpu, last_t = c, t
            cpu1, w1 = sampler.cpu_s(), time.monotonic()
            busy = others_delta(oth0, others_cpu())
            result["steal_pct"] = (steal_ticks() - st0) / os.sysconf("SC_CLK_TCK") / (w1 - w0) * 100
            ccpu1 = [s.cpu_s() for s in client_samplers]
            rss_end = sampler.rss()
            res = workers.gather("relay-result", args.drain + 60)
            result.update(
                summarize_relay(
                    args,
                    res,
                    cpu1 - cpu0,
                    w1 - w0,
                    busy,
                    [b - a for a, b in zip(ccpu0, ccpu1, strict=False)],
                    series,
                    rss_end,
                    meas_start,
                )
            )
            result["gc"] = gc_summary(server.gc_trace_path, meas_start, meas_end)
        else:
            cpu0, w0, oth0 = sampler.cpu_s(), time.monotonic(), others_cpu()
            hold_end = time.monotonic() + args.duration
            rss_samples = []
            while time.monotonic() < hold_end:
                time.sleep(min(5.0, max(0.0, hold_end - time.monotonic())))
                rss_samples.append(sampler.rss())
            cpu1, w1 = sampler.cpu_s(), time.monotonic()
            others_s = others_delta(oth0, others_cpu())
            status = workers.call("status", 60, "status")
            probe = workers.call("probe", phase_timeout, "probe")
            alive = sum(s["alive"] for s in status)
            closes: Counter[str] = Counter()
            for s in status:
                closes.update(s["closes"])
            answered = sum(p["answered"] for p in probe)
            result.update(
                {
                    "hold_seconds": w1 - w0,
                    "alive_after_hold": alive,
                    "closes": dict(closes),
                    "engineio_pings_answered": sum(s["pings"] for s in status),
                    "probe_answered": answered,
                    "probe_seconds": max(p["seconds"] for p in probe),
                    "held": connected == n and alive == n and answered == n,
                    "server_cpu_pct_idle": (cpu1 - cpu0) / (w1 - w0) * 100,
                    "other_load_pct": others_s / (w1 - w0) * 100,
                    "server_rss_end": sampler.rss(),
                    "server_rss_max_during_hold": max(rss_samples) if rss_samples else rss_conn,
                }
            )
    finally:
        if profiler is not None:
            try:
                profiler.wait(args.duration + 60)
            except subprocess.TimeoutExpired:
                profiler.kill()
        if workers is not None:
            workers.stop()
        rc = server.stop()
        result["server_exit_code"] = rc
        if rc not in (0, None, -signal.SIGTERM):
            print(f"server exited with {rc}; log tail:\n{server.log_tail()}", file=sys.stderr)
        warnings = [ln for ln in server.log_tail(2000).splitlines() if "Traceback" in ln or "ERROR" in ln]
        result["server_log_errors"] = len(warnings)
        if args.keep_data:
            print(f"server data and log kept in {server.data_dir}")
        else:
            server.cleanup()
    return result


def start_profiler(args: argparse.Namespace, pid: int) -> subprocess.Popen[bytes]:
    exe = shutil.which("py-spy") or os.path.join(os.path.dirname(args.python), "py-spy")
    cmd = [
        exe,
        "record",
        "--pid",
        str(pid),
        "--duration",
        str(int(args.duration)),
        "-o",
        args.py_spy,
        "--format",
        args.py_spy_format,
        "--rate",
        str(args.py_spy_rate),
    ]
    if args.py_spy_nonblocking:
        cmd.append("--nonblocking")
    if args.py_spy_native:
        cmd.append("--native")  # C frames too (uvloop, orjson, pydantic-core, gc); py-spy must pause the process
    if args.py_spy_format == "raw":
        cmd.append("--full-filenames")
    print("profiling:", " ".join(cmd), flush=True)
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def summarize_relay(
    args: argparse.Namespace,
    res: list[dict[str, Any]],
    cpu_s: float,
    wall_s: float,
    others_s: float,
    client_cpu_each: list[float],
    series: list[float],
    rss_end: int,
    meas_start: int,
) -> dict[str, Any]:
    errs = [r for r in res if "error" in r]
    if errs:
        raise RuntimeError(f"client process error: {errs[0]['error']}")
    lat: list[int] = []
    send_ts: list[int] = []
    acks: list[int] = []
    lags: list[int] = []
    ack_errors: Counter[str] = Counter()
    closes: Counter[str] = Counter()
    for r in res:
        lat.extend(r["lat_ns"])
        send_ts.extend(r["lat_send_ts"])
        acks.extend(r["ack_ns"])
        lags.extend(r["lag_ns"])
        ack_errors.update(r["ack_errors"])
        closes.update(r["closes"])
    sent_w = sum(r["sent_in_window"] for r in res)
    delivered_w = sum(r["delivered_in_window"] for r in res)
    # per-second view by send time: count, p99, max
    per_sec: dict[int, list[int]] = {}
    for ts, v in zip(send_ts, lat, strict=False):
        per_sec.setdefault(int((ts - meas_start) // 1e9), []).append(v)
    seconds = []
    for s in sorted(per_sec):
        vals = sorted(per_sec[s])
        seconds.append({"s": s, "n": len(vals), "p99_ms": percentile(vals, 99) / MS, "max_ms": vals[-1] / MS})
    lag_sorted = sorted(lags)
    return {
        "rate_offered": args.rate,
        "warmup_s": args.warmup,
        "window_s": wall_s,
        "sent_in_window": sent_w,
        "delivered_in_window": delivered_w,
        "delivered_per_s": delivered_w / wall_s,
        "window_msgs_arrived": len(lat),
        "lost": sent_w - len(lat),
        "acks_ok_total": sum(r["acks_ok"] for r in res),
        "ack_errors": dict(ack_errors),
        "pending_acks_after_drain": sum(r["pending_acks"] for r in res),
        "closes": dict(closes),
        "latency_ms": latency_summary(lat),
        "ack_latency_ms": latency_summary(acks),
        "server_cpu_s": cpu_s,
        "server_cpu_pct": cpu_s / wall_s * 100,
        "server_cpu_us_per_msg": cpu_s / delivered_w * 1e6 if delivered_w else math.nan,
        "server_cpu_pct_per_s": series,
        "client_cpu_pct_each": [c / wall_s * 100 for c in client_cpu_each],
        "other_load_pct": others_s / wall_s * 100,
        "send_lag_ms": {
            "p50": percentile(lag_sorted, 50) / MS,
            "p99": percentile(lag_sorted, 99) / MS,
            "max": (lag_sorted[-1] / MS) if lag_sorted else math.nan,
        },
        "server_rss_end": rss_end,
        "per_second": seconds,
    }


def report(args: argparse.Namespace, r: dict[str, Any]) -> None:
    kib = 1024
    print()
    print(f"== NIMeet signaling load: {r['mode']} ==")
    print(
        f"server            pid {r['server_pid']} {r['server_url']}; env "
        + " ".join(f"{k}={v}" for k, v in r["server_env"].items() if k not in SERVER_ENV or args.verbose)
    )
    code = r["server_code"]
    print(
        f"server code       {code['root']} sha256 {code['sha256']}"
        + (
            f" git {code['git_head']}"
            + (f" + uncommitted {', '.join(code['git_dirty'])}" if code.get("git_dirty") else " clean")
            if code.get("git_head")
            else ""
        )
    )
    print(
        f"nofile            soft {r['nofile_soft']} / hard {r['nofile_hard']}; "
        f"server had {r['server_fds_connected']} fds "
        f"open with {r['connected']} connections"
    )
    print(
        f"connections       {r['connected']}/{r['connections']} connected in {r['connect_seconds']:.1f} s"
        f", {r.get('joined', 0)} joined; rooms of {r['room_size']} ({r['rooms']} rooms, {r['users']} accounts), "
        f"{r['workers']} client processes"
    )
    per = r["rss_per_conn_bytes"]
    print(
        f"server RSS        {r['server_rss_base'] / kib / kib:.1f} MiB before sockets, "
        f"{r['server_rss_connected'] / kib / kib:.1f} MiB with {r['connected']} connected "
        f"-> {per / kib:.1f} KiB ({per / 1000:.1f} kB) per connection"
    )
    if r["mode"] == "relay":
        lat, ack = r["latency_ms"], r["ack_latency_ms"]
        print(
            f"offered           {r['rate_offered']:.0f} msg/s of {r['sdp_bytes']}-byte sdp; "
            f"warm-up {r['warmup_s']:.0f} s, window {r['window_s']:.1f} s"
        )
        print(
            f"delivered         {r['delivered_per_s']:.1f} msg/s ({r['delivered_in_window']} in window); "
            f"window msgs sent {r['sent_in_window']}, arrived {r['window_msgs_arrived']}, lost {r['lost']}; "
            f"ack errors {r['ack_errors'] or 0}"
        )
        print(
            f"relay latency     p50 {fmt(lat['p50'])} ms  p90 {fmt(lat['p90'])}  p99 {fmt(lat['p99'])}  "
            f"p99.9 {fmt(lat['p99_9'])}  max {fmt(lat['max'])} ms"
        )
        print(f"ack latency       p50 {fmt(ack['p50'])} ms  p99 {fmt(ack['p99'])}  max {fmt(ack['max'])} ms")
        s = [x for x in r["server_cpu_pct_per_s"] if not math.isnan(x)]
        print(
            f"server CPU        {r['server_cpu_pct']:.1f} % of a core (per-second {min(s):.0f}-{max(s):.0f} %); "
            f"{r['server_cpu_us_per_msg']:.0f} µs per relayed message"
        )
        print(
            "clients           CPU "
            + ", ".join(f"{c:.0f} %" for c in r["client_cpu_pct_each"])
            + f"; send lag p50 {fmt(r['send_lag_ms']['p50'])} ms p99 {fmt(r['send_lag_ms']['p99'])} ms "
            f"max {fmt(r['send_lag_ms']['max'])} ms"
        )
        print(
            f"machine           other processes {r['other_load_pct']:.0f} % of a core "
            f"(of {(os.cpu_count() or 1) * 100} %); "
            f"steal {r.get('steal_pct', math.nan):.1f} %; loadavg at start {r['loadavg_start'][0]:.2f}"
        )
        worst = sorted(r["per_second"], key=lambda x: -x["max_ms"])[:3]
        print(
            "worst seconds     "
            + "; ".join(f"t={w['s']}s max {w['max_ms']:.1f} ms p99 {w['p99_ms']:.1f} ms" for w in worst)
        )
        if r["closes"]:
            print(f"closed sockets    {r['closes']}")
        if r.get("gc"):
            g = r["gc"]
            print(
                "server GC         "
                + "; ".join(
                    f"gen{i} {g[f'gen{i}']['count']}x total {g[f'gen{i}']['total_ms']:.0f} ms "
                    f"max {g[f'gen{i}']['max_ms']:.1f} ms"
                    for i in range(3)
                )
            )
            print(
                "longest GC        "
                + "; ".join(f"t={e['t_s']:.1f}s gen{e['gen']} {e['ms']:.1f} ms" for e in g["longest"])
            )
        print(
            "targets           "
            f"p99 <= 10 ms: {'PASS' if lat['p99'] <= 10 else 'FAIL'}; "
            f"CPU <= 100 µs/msg: {'PASS' if r['server_cpu_us_per_msg'] <= 100 else 'FAIL'}; "
            f"delivered >= 99% of offered: {'PASS' if r['delivered_per_s'] >= 0.99 * r['rate_offered'] else 'FAIL'}"
        )
    else:
        print(
            f"hold              {r['hold_seconds']:.0f} s; "
            f"alive after hold {r['alive_after_hold']}/{r['connections']}; "
            f"probe answered {r['probe_answered']} in {r['probe_seconds']:.1f} s; engine.io pings answered "
            f"{r['engineio_pings_answered']}; closes {r['closes'] or 'none'}"
        )
        print(
            f"server            idle CPU {r['server_cpu_pct_idle']:.1f} %; "
            f"RSS end {r['server_rss_end'] / kib / kib:.1f} MiB "
            f"(max during hold {r['server_rss_max_during_hold'] / kib / kib:.1f} MiB); other processes "
            f"{r['other_load_pct']:.0f} % of a core"
        )
        print(
            "targets           "
            f"RSS <= 25 KB/idle conn: {'PASS' if per <= 25 * 1000 else 'FAIL'} ({per / 1000:.1f} kB); "
            f"{r['connections']} held: {'PASS' if r['held'] else 'FAIL'}"
        )
    if r.get("tracemalloc"):
        t = r["tracemalloc"]
        print(
            f"tracemalloc       {t['traced_bytes_per_conn'] / 1000:.1f} kB/conn of Python allocations (RSS says "
            f"{per / 1000:.1f} kB); by innermost non-asyncio module:"
        )
        for m in t["by_module"]:
            print(f"    {m['bytes_per_conn']:8.0f} B  {m['module']}")
        print("  by allocation site:")
        for site in t["by_site"]:
            print(f"    {site['bytes_per_conn']:8.0f} B  {site['count_per_conn']:5.1f} blocks  {site['site']}")
    if r.get("server_log_errors"):
        print(f"server log        {r['server_log_errors']} error lines (rerun with --keep-data to inspect)")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--mode", choices=["relay", "idle"], default="relay")
    p.add_argument("--connections", type=int, default=200, help="socket.io clients in relay mode (default 200)")
    p.add_argument("--rate", type=float, default=200.0, help="total offers per second, all clients (default 200)")
    p.add_argument(
        "--duration",
        type=float,
        default=20.0,
        help="measurement window (relay) or hold time (idle), seconds (default 20)",
    )
    p.add_argument("--warmup", type=float, default=5.0, help="sending before the window opens, seconds (default 5)")
    p.add_argument("--idle-connections", type=int, default=0, help="connections in idle mode (default --connections)")
    p.add_argument("--no-join", action="store_true", help="idle mode: connect only, do not join rooms")
    p.add_argument("--room-size", type=int, default=4)
    p.add_argument("--sdp-bytes", type=int, default=3072)
    p.add_argument("--workers", type=int, default=2, help="client processes (default 2)")
    p.add_argument(
        "--users", type=int, default=0, help="accounts to register; sockets share them (default min(N, 256))"
    )
    p.add_argument("--connect-concurrency", type=int, default=100, help="per client process")
    p.add_argument("--connect-timeout", type=float, default=60.0)
    p.add_argument("--rest-concurrency", type=int, default=8)
    p.add_argument("--settle", type=float, default=3.0, help="wait after connecting before sampling RSS, seconds")
    p.add_argument("--drain", type=float, default=5.0, help="max wait for in-flight messages after the window")
    p.add_argument(
        "--server-env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra environment for the server, e.g. NIMEET_GC_FULL_INTERVAL_S=0 (repeatable)",
    )
    p.add_argument("--server-start-timeout", type=float, default=60.0)
    p.add_argument(
        "--server-root",
        default=str(REPO),
        help="directory holding the signaling_server package to run (default: this checkout; e.g. a "
        "`git archive HEAD | tar -x -C DIR` copy to pin the code under test while others edit)",
    )
    p.add_argument("--python", default=sys.executable, help="interpreter for the server (default: this one)")
    p.add_argument("--py-spy", metavar="FILE", help="record a py-spy profile of the server during the window")
    p.add_argument("--py-spy-format", default="raw", choices=["raw", "flamegraph", "speedscope"])
    p.add_argument("--py-spy-rate", type=int, default=250)
    p.add_argument("--py-spy-nonblocking", action="store_true", help="don't pause the server while sampling")
    p.add_argument(
        "--gc-trace",
        action="store_true",
        help="log the server's garbage collections (gc.callbacks via a runpy wrapper) and report pauses",
    )
    p.add_argument(
        "--attach",
        metavar="CMD",
        help="shell command run when the window opens, {pid} and {duration} substituted, e.g. "
        "'perf record -g -o /tmp/perf.data -p {pid} -- sleep {duration}'",
    )
    p.add_argument("--py-spy-native", action="store_true", help="include native (C) frames; implies blocking sampling")
    p.add_argument(
        "--tracemalloc",
        action="store_true",
        help="trace the server's Python allocations; report per-connection memory by module/site "
        "(tracing inflates RSS: use the RSS figure from a run without it)",
    )
    p.add_argument("--top-allocs", type=int, default=15)
    p.add_argument("--json", metavar="FILE", help="also write all figures (and per-second series) as JSON")
    p.add_argument("--keep-data", action="store_true", help="keep the server's data dir and log")
    p.add_argument("--verbose", action="store_true")
    args = p.parse_args(argv)
    if args.room_size < 2 or args.room_size > 16:
        p.error("--room-size must be 2-16 (the contract's maxParticipants)")
    if args.duration <= 0 or args.warmup < 0:
        p.error("--duration must be > 0 and --warmup >= 0")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    result = run(args)
    result["total_seconds"] = time.perf_counter() - started
    report(args, result)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1, default=lambda o: list(o) if isinstance(o, array) else str(o))
    if args.mode == "relay":
        return 0 if result["connected"] == result["connections"] and result["lost"] == 0 else 1
    return 0 if result["held"] else 1


if __name__ == "__main__":
    sys.exit(main())
