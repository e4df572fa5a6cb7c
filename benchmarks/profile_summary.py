#!/usr/bin/env python3
"""Summarise a py-spy ``--format raw`` profile (collapsed stacks) of the signaling server.

    python benchmarks/profile_summary.py /tmp/prof.txt [--messages 60000] [--top 30]

Prints where the samples go: by category (the leaf frame's library/module; "self" time), the top leaf frames with
line numbers, and inclusive time of the functions on the relay path. With ``--messages`` (relayed messages during
the profile) and ``--cpu-us`` (measured server CPU µs per message) it also converts shares to µs per message.
Without ``--native`` py-spy attributes time spent in C (orjson, pydantic-core, uvloop, asyncio's C tasks, the
garbage collector) to the Python frame that called into it, which is why frames are shown with line numbers.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter

# Native frames (py-spy --native) that name a cost of their own; checked first, from the leaf upwards.
NATIVE = [
    ("kernel: socket send (write syscall from transport.write)", r"^write \(.*libc"),
    ("kernel: socket recv (read syscall)", r"^(read|recv) \(.*libc"),
    ("kernel: getpid (asyncio.get_running_loop in 3.11 C)", r"^getpid \("),
    ("kernel: epoll_ctl (uvicorn pause_reading/resume_reading per message)", r"epoll_ctl"),
    (
        "GC (gc_collect_main)",
        r"gc_collect|collect_with_callback|subtract_refs|move_unreachable|visit_decref|visit_reachable",
    ),
    ("pydantic-core (C)", r"pydantic_core"),
    ("orjson (C)", r"orjson"),
    ("asyncio C (_asynciomodule: task steps, futures)", r"_asynciomodule"),
    ("uvloop/libuv (C)", r"uvloop|libuv|/project/"),
]
# Native frames with no cost of their own to report (interpreter, libc internals): attribute to the caller.
GENERIC = r"libpython|object\.h|abstract\.h|Include/|Objects/|Python/|\.c:\d+\)$|^0x[0-9a-f]+ \(|libc\.so"

# (category, regex on the leaf frame's "function (file:line)") — first match wins.
CATEGORIES = [
    (
        "event loop in C (uvloop run loop: epoll, socket reads, callbacks; leaf Runner.run)",
        r"asyncio/runners\.py|asyncio/base_events\.py|uvicorn/_compat\.py",
    ),
    ("json (orjson via wirejson, socket.io packet json)", r"wirejson\.py|/json/|orjson"),
    ("pydantic validation (Offer.model_validate)", r"pydantic|signaling_server/protocol\.py"),
    ("app handlers (signaling_server/signaling)", r"signaling_server/signaling/"),
    ("socket.io packet encode/decode", r"socketio/packet\.py"),
    ("socket.io server/manager (dispatch, emit, ack)", r"socketio/"),
    ("engine.io packet encode/decode", r"engineio/packet\.py"),
    ("engine.io socket/server (reader loop, queue, writer)", r"engineio/"),
    ("asyncio (tasks, wait_for, queues, locks)", r"asyncio/"),
    ("uvicorn websocket protocol", r"uvicorn/protocols/websockets"),
    ("websockets sans-io (frames, parser)", r"site-packages/websockets/"),
    ("uvicorn other", r"uvicorn/"),
    ("starlette/fastapi", r"starlette|fastapi"),
    ("sqlalchemy/aiosqlite (db)", r"sqlalchemy|aiosqlite|sqlite3"),
    ("logging", r"logging/"),
    ("gc policy", r"gc_policy"),
]

RELAY_PATH = [
    ("uvicorn data_received (frame parse + queue)", r"WebSocketsSansIOProtocol\.data_received"),
    ("uvicorn send (websocket.send -> frame + write)", r"WebSocketsSansIOProtocol\.send \("),
    ("engineio AsyncSocket._websocket_handler", r"AsyncSocket\._websocket_handler"),
    ("engineio websocket_wait (asgi receive)", r"websocket_wait"),
    ("engineio AsyncSocket.receive", r"AsyncSocket\.receive"),
    ("engineio writer task", r"writer \("),
    ("engineio AsyncSocket.send (queue.put)", r"AsyncSocket\.send"),
    ("socketio _handle_eio_message", r"AsyncServer\._handle_eio_message"),
    ("socketio _handle_event", r"AsyncServer\._handle_event "),
    ("socketio emit", r"AsyncServer\.emit"),
    ("socketio _send_packet", r"AsyncServer\._send_packet"),
    ("handler on_event (size check + validate + handler)", r"on_event \("),
    ("pydantic model_validate", r"model_validate"),
    ("Signaling.relay_description", r"relay_description"),
    ("engineio packet decode", r"engineio/packet\.py:\d+\);?.*|Packet\.decode"),
]

FRAME_RE = re.compile(r"^(?P<func>.*) \((?P<file>.*):(?P<line>\d+)\)$")


def short(frame: str) -> str:
    m = FRAME_RE.match(frame)
    if not m:
        return frame
    file = m["file"]
    for marker in ("site-packages/", "lib/python3.11/", "/work/main/"):
        if marker in file:
            file = file.split(marker, 1)[1]
            break
    return f"{m['func']} ({file}:{m['line']})"


def categorize(frames: list[str]) -> str:
    for frame in reversed(frames):
        for name, rx in NATIVE:
            if re.search(rx, frame):
                return name
        if re.search(GENERIC, frame) and not re.search(r"\.py:\d+\)$", frame):
            continue
        for name, rx in CATEGORIES:
            if re.search(rx, frame):
                return name
        m = FRAME_RE.match(short(frame))
        return "other: " + (m["file"] if m else frame)
    return "other: unknown"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("profile")
    ap.add_argument("--top", type=int, default=30)
    ap.add_argument("--messages", type=int, default=0, help="messages relayed while profiling")
    ap.add_argument(
        "--main-thread",
        action="store_true",
        help="keep only the event-loop thread's stacks (needed with --native, which also samples idle worker threads)",
    )
    ap.add_argument("--cpu-us", type=float, default=0.0, help="measured server CPU µs per message (to scale shares)")
    args = ap.parse_args()

    stacks: list[tuple[list[str], int]] = []
    idle = 0
    with open(args.profile) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            stack, _, count_text = line.rpartition(" ")
            frames = stack.split(";")
            if args.main_thread and not any("Runner.run" in f or "asyncio_run" in f for f in frames):
                continue
            if re.match(r"epoll_(p)?wait \(", frames[-1]):
                idle += int(count_text)  # --native samples the loop blocked in epoll too: that is idle, not cost
                continue
            stacks.append((frames, int(count_text)))
    total = sum(c for _, c in stacks)
    print(f"{total} samples" + (f" (+{idle} idle in epoll_wait, excluded)" if idle else ""))

    cats: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    for frames, count in stacks:
        leaves[short(frames[-1])] += count
        cats[categorize(frames)] += count
        joined = ";".join(frames)
        for name, rx in RELAY_PATH:
            if re.search(rx, joined):
                inclusive[name] += count

    def scale(n: int) -> str:
        share = n / total
        out = f"{share * 100:5.1f} %"
        if args.cpu_us:
            out += f"  {share * args.cpu_us:6.1f} µs/msg"
        return out

    print("\n-- by category (self time of the leaf Python frame) --")
    for name, n in cats.most_common():
        print(f"{scale(n)}  {name}")
    print(f"\n-- top {args.top} leaf frames --")
    for name, n in leaves.most_common(args.top):
        print(f"{scale(n)}  {name}")
    print("\n-- inclusive, relay path --")
    for name, _ in RELAY_PATH:
        print(f"{scale(inclusive[name])}  {name}")


if __name__ == "__main__":
    main()
