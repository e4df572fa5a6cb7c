"""The load clients: raw Engine.IO v4 / Socket.IO v5 over ``websockets``, run in worker processes, and the REST
set-up of accounts and rooms they use."""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import multiprocessing as mp
import signal
import time
import uuid
from array import array
from collections import Counter
from typing import Any

PASSWORD = "benchmark-password-1"  # noqa: S105 (throwaway accounts in a throwaway database)
MEDIA_STATE = {"camera": True, "microphone": True, "screen": False}
RECEIVE_OFFER_PREFIX = '42["receive-offer",'


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
    __slots__ = ("acks", "closed", "node", "peer_i", "peers", "reader", "room", "seq", "sid", "token", "w", "ws")

    def __init__(self, w: Worker, token: str, room: str, node: int = 0) -> None:
        self.w = w
        self.token = token
        self.room = room
        self.node = node  # which server node it connects to (--nodes)
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
        self.conns = [Conn(self, token, room, node) for token, room, node in cfg["assignments"]]

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
                    await c.open(cfg["ws_urls"][c.node], cfg["connect_timeout"])
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
                cross = self.cfg.get("cross_node_only", False)
                for c in in_room:
                    c.peers = [o.sid for o in in_room if o is not c and not (cross and o.node == c.node)]  # type: ignore[misc]
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
