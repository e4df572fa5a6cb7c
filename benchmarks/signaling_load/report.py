"""Figures from the clients' raw samples, and the printed report."""

from __future__ import annotations

import argparse
import math
import os
from collections import Counter
from typing import Any

from nimeet_desktop.call.report import percentile

from .probes import SERVER_ENV


def percentile_ms(values: list[int], p: float) -> float:
    """Nearest-rank percentile of nanosecond samples, in ms (nan when there are none, for the JSON and the table)."""
    value = percentile(values, p)
    return math.nan if value is None else value / MS


MS = 1e6  # ns per ms


def latency_summary(lat_ns: list[int]) -> dict[str, float]:
    values = sorted(lat_ns)
    out = {f"p{str(p).replace('.', '_')}": percentile_ms(values, p) for p in (50, 90, 99, 99.9)}
    out["max"] = (values[-1] / MS) if values else math.nan
    out["mean"] = (sum(values) / len(values) / MS) if values else math.nan
    out["count"] = len(values)
    return out


def fmt(v: float, digits: int = 2) -> str:
    return "n/a" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.{digits}f}"


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
        seconds.append({"s": s, "n": len(vals), "p99_ms": percentile_ms(vals, 99), "max_ms": vals[-1] / MS})
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
            "p50": percentile_ms(lag_sorted, 50),
            "p99": percentile_ms(lag_sorted, 99),
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
    multi = r["nodes"] > 1
    print(
        f"deployment        {r['nodes']} node{'s' if multi else ''} on {r['database']}"
        + (f" + Redis (pub/sub between nodes); peers {r['peer_placement']}" if multi else ", no Redis")
        + (f"; connections per node {r['node_connections']}" if multi else "")
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
        + (f" (all {r['nodes']} nodes together)" if multi else "")
    )
    if multi:
        print(
            "node RSS          "
            + ", ".join(
                f"node{i} {a / kib / kib:.1f} -> {b / kib / kib:.1f} MiB"
                for i, (a, b) in enumerate(zip(r["node_rss_base"], r["node_rss_connected"], strict=True))
            )
            + (
                "; at the end " + ", ".join(f"{x / kib / kib:.1f}" for x in r["node_rss_end"])
                if "node_rss_end" in r
                else ""
            )
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
            + (f" (all {r['nodes']} nodes together)" if multi else "")
        )
        if multi:
            print(
                "node CPU          "
                + ", ".join(
                    f"node{i} {c / r['window_s'] * 100:.1f} % ({us:.0f} µs/msg)"
                    for i, (c, us) in enumerate(zip(r["node_cpu_s"], r["node_cpu_us_per_msg"], strict=True))
                )
            )
            print(
                f"redis-server CPU  {r['redis_cpu_pct']:.1f} % of a core; {r['redis_cpu_us_per_msg']:.0f} µs per "
                f"relayed message; nodes + Redis {r['server_cpu_us_per_msg'] + r['redis_cpu_us_per_msg']:.0f} µs "
                "per message"
            )
        print(
            "waiting for a CPU "
            + ", ".join(
                f"{'node' + str(i) if multi else 'server'} {w:.0f} %"
                for i, w in enumerate(r["node_run_queue_wait_pct"])
            )
            + (f", redis-server {r['redis_run_queue_wait_pct']:.0f} %" if multi else "")
            + " of the window (ready to run, no core free: /proc/<pid>/schedstat)"
        )
        if r["database"] == "postgresql":
            print(f"PostgreSQL CPU    {r['postgres_cpu_pct']:.1f} % of a core (postmaster and backends)")
        print(
            "clients           CPU "
            + ", ".join(f"{c:.0f} %" for c in r["client_cpu_pct_each"])
            + f"; send lag p50 {fmt(r['send_lag_ms']['p50'])} ms p99 {fmt(r['send_lag_ms']['p99'])} ms "
            f"max {fmt(r['send_lag_ms']['max'])} ms"
        )
        print(
            f"machine           other processes {r['other_load_pct']:.0f} % of a core "
            f"(of {(os.cpu_count() or 1) * 100} %); "
            f"steal {r.get('steal_pct', math.nan):.1f} %; idle {r.get('idle_pct', math.nan):.0f} % of the machine; "
            f"loadavg at start {r['loadavg_start'][0]:.2f}, "
            f"at window end {r['loadavg_end'][0]:.2f} (includes this run)"
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
