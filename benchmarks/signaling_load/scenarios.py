"""The two runs: ``relay`` (offers at a fixed rate through rooms of 4) and ``idle`` (connections held open)."""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from typing import Any

from .clients import Workers, rest_setup
from .deployment import Deployment
from .probes import (
    ProcGroup,
    ProcSampler,
    TreeSampler,
    code_fingerprint,
    gc_summary,
    idle_ticks,
    others_cpu,
    others_delta,
    raise_nofile,
    start_profiler,
    steal_ticks,
    tracemalloc_diff,
)
from .report import summarize_relay


def sleep_until_ns(t_ns: int) -> None:
    while True:
        left = (t_ns - time.time_ns()) / 1e9
        if left <= 0:
            return
        time.sleep(min(left, 0.5))


def node_of(i: int, room_size: int, nodes: int, placement: str) -> int:
    """The node connection ``i`` (seat ``i % room_size`` of room ``i // room_size``) connects to. ``cross``: the seats
    of a room go round the nodes, so a room's peers sit on different nodes; ``same``: whole rooms go round them."""
    if placement == "same":
        return (i // room_size) % nodes
    return (i % room_size) % nodes


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
        "nodes": args.nodes,
        "peer_placement": args.peers if args.nodes > 1 else "one node",
    }
    if not fd_ok:
        print(
            f"warning: RLIMIT_NOFILE soft={soft} hard={hard} < {needed_fd} needed by the server for {n} "
            f"connections; raise it (ulimit -n {needed_fd}) or expect connection failures",
            file=sys.stderr,
        )

    t_setup = time.perf_counter()
    result["server_code"] = code_fingerprint(args.server_root)
    deployment = Deployment(args)
    deployment.start()
    result["database"] = deployment.database
    server = deployment.nodes[0]  # REST set-up, profilers and GC traces: the first node
    sampler = ProcGroup([node.pid for node in deployment.nodes])
    redis_pid, postgres_pid = deployment.redis_pid, deployment.postgres_pid
    redis_sampler = ProcSampler(redis_pid) if redis_pid else None
    postgres_sampler = TreeSampler(postgres_pid) if postgres_pid else None
    also_mine = (postgres_pid,) if postgres_pid else ()
    result["server_pid"] = server.pid
    result["server_url"] = server.url
    result["server_env"] = server.env_overrides
    for node in deployment.nodes:
        print(f"{node.name} pid {node.pid} at {node.url} (log {node.log_path})", flush=True)
    if redis_pid:
        print(f"redis-server pid {redis_pid} at {deployment.redis.url if deployment.redis else ''}", flush=True)
    if postgres_pid:
        print(f"PostgreSQL postmaster pid {postgres_pid}: {deployment.database_url}", flush=True)
    workers: Workers | None = None
    profiler: subprocess.Popen[bytes] | None = None
    try:
        tokens, room_ids = asyncio.run(rest_setup(server.url, users, rooms, room_size, args.rest_concurrency))
        print(f"setup: {users} users, {rooms} rooms in {time.perf_counter() - t_setup:.1f} s", flush=True)
        time.sleep(1.0)
        rss_base_each = sampler.rss_each()
        rss_base = sum(rss_base_each)
        result["server_rss_base"] = rss_base
        result["node_rss_base"] = rss_base_each
        snap_base = server.snapshot()

        # Connection i: room i // room_size, account i % users, node by --peers (node_of). Whole rooms go to one
        # client process so a process knows every socket id of its rooms; rooms are dealt round-robin to processes.
        per_worker: list[list[tuple[str, str, int]]] = [[] for _ in range(workers_n)]
        for i in range(n):
            r = i // room_size
            seat_node = node_of(i, room_size, len(deployment.nodes), args.peers)
            per_worker[r % workers_n].append((tokens[i % users], room_ids[r], seat_node))
        ws_urls = [
            node.url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket" for node in deployment.nodes
        ]
        cfgs = [
            {
                "assignments": per_worker[i],
                "ws_urls": ws_urls,
                # Several nodes, --peers cross: offers only to peers on other nodes, so every relay crosses Redis.
                "cross_node_only": len(deployment.nodes) > 1 and args.peers == "cross",
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
        rss_conn_each = sampler.rss_each()
        rss_conn = sum(rss_conn_each)
        result["server_rss_connected"] = rss_conn
        result["node_rss_connected"] = rss_conn_each
        result["node_connections"] = [sum(1 for w in per_worker for a in w if a[2] == k) for k in range(len(ws_urls))]
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
            oth0, st0, idle0 = others_cpu(also_mine), steal_ticks(), idle_ticks()
            wait0 = sampler.run_queue_wait_each()
            redis_wait0 = redis_sampler.run_queue_wait_s() if redis_sampler else math.nan
            node_cpu0, w0 = sampler.cpu_each(), time.monotonic()
            cpu0 = sum(node_cpu0)
            redis_cpu0 = redis_sampler.cpu_s() if redis_sampler else math.nan
            pg_cpu0 = postgres_sampler.cpu_s() if postgres_sampler else math.nan
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
            node_cpu1, w1 = sampler.cpu_each(), time.monotonic()
            cpu1 = sum(node_cpu1)
            redis_cpu1 = redis_sampler.cpu_s() if redis_sampler else math.nan
            pg_cpu1 = postgres_sampler.cpu_s() if postgres_sampler else math.nan
            busy = others_delta(oth0, others_cpu(also_mine))
            wait1 = sampler.run_queue_wait_each()
            redis_wait1 = redis_sampler.run_queue_wait_s() if redis_sampler else math.nan
            result["idle_pct"] = (
                (idle_ticks() - idle0) / os.sysconf("SC_CLK_TCK") / (w1 - w0) * 100 / (os.cpu_count() or 1)
            )
            result["node_run_queue_wait_pct"] = [(b - a) / (w1 - w0) * 100 for a, b in zip(wait0, wait1, strict=True)]
            result["redis_run_queue_wait_pct"] = (redis_wait1 - redis_wait0) / (w1 - w0) * 100
            result["steal_pct"] = (steal_ticks() - st0) / os.sysconf("SC_CLK_TCK") / (w1 - w0) * 100
            ccpu1 = [s.cpu_s() for s in client_samplers]
            rss_end = sampler.rss()
            result["node_rss_end"] = sampler.rss_each()
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
            delivered_w = result["delivered_in_window"]
            per_msg = 1e6 / delivered_w if delivered_w else math.nan
            result["node_cpu_s"] = [b - a for a, b in zip(node_cpu0, node_cpu1, strict=True)]
            result["node_cpu_us_per_msg"] = [c * per_msg for c in result["node_cpu_s"]]
            result["redis_cpu_s"] = redis_cpu1 - redis_cpu0
            result["redis_cpu_pct"] = result["redis_cpu_s"] / (w1 - w0) * 100
            result["redis_cpu_us_per_msg"] = result["redis_cpu_s"] * per_msg
            result["postgres_cpu_s"] = pg_cpu1 - pg_cpu0
            result["postgres_cpu_pct"] = result["postgres_cpu_s"] / (w1 - w0) * 100
            result["loadavg_end"] = os.getloadavg()
            result["gc"] = gc_summary(server.gc_trace_path, meas_start, meas_end)
        else:
            cpu0, w0, oth0 = sampler.cpu_s(), time.monotonic(), others_cpu(also_mine)
            hold_end = time.monotonic() + args.duration
            rss_samples = []
            while time.monotonic() < hold_end:
                time.sleep(min(5.0, max(0.0, hold_end - time.monotonic())))
                rss_samples.append(sampler.rss())
            cpu1, w1 = sampler.cpu_s(), time.monotonic()
            others_s = others_delta(oth0, others_cpu(also_mine))
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
                    "node_rss_end": sampler.rss_each(),
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
        codes = deployment.stop()
        result["server_exit_code"] = codes[0]
        result["node_exit_codes"] = codes
        for node, rc in zip(deployment.nodes, codes, strict=True):
            if rc not in (0, None, -signal.SIGTERM):
                print(f"{node.name} exited with {rc}; log tail:\n{node.log_tail()}", file=sys.stderr)
        result["server_log_errors"] = sum(len(node.errors_logged()) for node in deployment.nodes)
        if args.keep_data:
            print(f"server data and logs kept in {deployment.data_dir}")
        else:
            deployment.cleanup()
    return result
