"""Attacks on the desktop app's engine, run from a separate process so that the attacker's own buffers never
count in the memory of the engine under test: ``python -m tests.security.appnet_attacks candidate-flood ...``.

The attacker is a raw socket.io client, a participant of the victim's room on the real server."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
from typing import Any

import socketio

# A well-formed host candidate: what a real peer sends, only far too many of them.
NORMAL = {"candidate": "candidate:1 1 udp 2130706431 127.0.0.1 9 typ host", "sdpMid": "0", "sdpMLineIndex": 0}


def huge_candidate(field_bytes: int) -> dict[str, Any]:
    """Within the contract's candidate-line limit, with ``sdpMid`` and ``usernameFragment`` of ``field_bytes``."""
    return {**NORMAL, "sdpMid": "m" * field_bytes, "usernameFragment": "u" * field_bytes}


async def candidate_flood(url: str, token: str, room_id: str, target: str, normal: int, huge: int, size: int) -> None:
    """Join, then send ``normal`` plain and ``huge`` oversize candidates to ``target`` as fast as the socket takes
    them, before any offer. Prints, as JSON, how many of each the server accepted (acked ok = relayed)."""
    sio = socketio.AsyncClient(reconnection=False)
    await sio.connect(url, auth={"token": token}, transports=["websocket"], wait_timeout=10)
    media = {"camera": False, "microphone": False, "screen": False}
    ack = await sio.call("join-room", {"roomId": room_id, "mediaState": media}, timeout=10)
    assert ack.get("ok") is True, ack
    print(json.dumps({"joined": sio.get_sid()}), flush=True)
    await asyncio.sleep(0.2)  # the victim hears of us (user-joined) first
    accepted = {"normal": 0, "huge": 0}
    answered = 0
    done = asyncio.Event()
    sio.on("disconnect", lambda *_: done.set())
    total = normal + huge

    def counter(kind: str) -> Any:
        def on_ack(reply: Any) -> None:
            nonlocal answered
            answered += 1
            if isinstance(reply, dict) and reply.get("ok") is True:
                accepted[kind] += 1
            if answered == total:
                done.set()

        return on_ack

    big = huge_candidate(size)
    for index in range(total):
        kind = "normal" if index < normal else "huge"
        payload = {"target": target, "candidate": NORMAL if kind == "normal" else big}
        if not sio.connected:
            break
        try:
            await sio.emit("ice-candidate", payload, callback=counter(kind))
        except socketio.exceptions.BadNamespaceError:
            break  # the server cut us off (a rate limit): what got through is counted
        if index % 50 == 0:
            await asyncio.sleep(0)  # let the write loop drain
    # Every ack, or the server's disconnect, or time's up: what was accepted is what the victim was sent.
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(done.wait(), 60)
    print(json.dumps({"accepted": accepted, "answered": answered}), flush=True)
    if sio.connected:
        await sio.disconnect()


def candidate_flood_argv(url: str, token: str, room: str, target: str, normal: int, huge: int) -> list[str]:
    """The command line for ``candidate-flood``: options first, then ``--``, since socket ids (base64url) and
    tokens may start with "-" and argparse would take them for options."""
    return ["candidate-flood", f"--normal={normal}", f"--huge={huge}", "--", url, token, room, target]


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="attack", required=True)
    flood = sub.add_parser("candidate-flood")
    for name in ("url", "token", "room", "target"):
        flood.add_argument(name)
    flood.add_argument("--normal", type=int, default=200)
    flood.add_argument("--huge", type=int, default=5400)
    flood.add_argument("--size", type=int, default=24 * 1024)
    return p


def main() -> None:
    args = parser().parse_args()
    asyncio.run(candidate_flood(args.url, args.token, args.room, args.target, args.normal, args.huge, args.size))


if __name__ == "__main__":
    main()
