"""``python -m benchmarks.signaling_load``: see the package's docstring."""

from __future__ import annotations

import argparse
import json
import sys
import time
from array import array

from . import __doc__ as PACKAGE_DOC
from .probes import REPO
from .report import report
from .scenarios import run


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=(PACKAGE_DOC or "").split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
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
    p.add_argument(
        "--nodes",
        type=int,
        default=1,
        help="server nodes (default 1: one process, no Redis); 2 or more share a throwaway PostgreSQL and Redis",
    )
    p.add_argument(
        "--database",
        choices=["sqlite", "postgresql"],
        default=None,
        help="the server's database: sqlite (default with one node) or a throwaway PostgreSQL cluster (always "
        "with --nodes 2+; with one node, the same baseline as the nodes)",
    )
    p.add_argument(
        "--peers",
        choices=["cross", "same"],
        default="cross",
        help="--nodes 2+: 'cross' (default) puts a room's seats on different nodes and sends offers only to peers "
        "on another node, so every relay crosses Redis; 'same' puts whole rooms on one node (no relay crosses)",
    )
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
    if args.nodes < 1:
        p.error("--nodes must be >= 1")
    if args.database is None:
        args.database = "sqlite" if args.nodes == 1 else "postgresql"
    if args.nodes > 1 and args.database == "sqlite":
        p.error("--nodes 2+ share one PostgreSQL (docs/deploy.md section 10): --database sqlite is one process only")
    if args.nodes > 1 and (args.gc_trace or args.tracemalloc):
        p.error("--gc-trace and --tracemalloc are for one node (run --nodes 1 --database postgresql instead)")
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


if __name__ == "__main__":
    sys.exit(main())
