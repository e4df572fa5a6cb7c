"""Issue 10, item 1: a peer that does not read. Relays to it piled up in its Engine.IO queue (60 KB offers grew the
server from 126 to 714 MB in 10 s, held as long as the attacker kept the TCP connection). Now its unsent output is
capped (``NIMEET_MAX_UNSENT_BYTES``, 4 MiB): past it the socket is dropped, what it held freed, and its room told."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from tests.security.probes import STALL_S, Watch
from tests.security.transport_attacks import raw_member
from tests.support.clients import Api, Peer
from tests.support.server import ServerProcess

SDP = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=x-pad:" + "x" * 60_000 + "\r\n"  # a 60 KB offer


async def relay_until_gone(peer: Peer, target: str, stop: asyncio.Event) -> int:
    """Offers to ``target`` as fast as their acks come back (backing off when rate-limited); how many went."""
    delivered = 0
    offer = {"target": target, "description": {"type": "offer", "sdp": SDP}}
    while not stop.is_set():
        ack: Any = await peer.sio.call("offer", offer, timeout=10)
        if ack.get("ok"):
            delivered += 1
        elif ack["error"]["code"] == "rate-limited":
            await asyncio.sleep(0.25)
        elif ack["error"]["code"] in ("unknown-target", "not-in-room"):
            break  # the non-reader is gone
        else:
            raise AssertionError(ack)
    return delivered


async def test_a_peer_that_does_not_read_is_dropped_and_its_output_freed(
    make_server: Callable[..., ServerProcess],
) -> None:
    server = make_server()
    url = server.start()
    api = Api(url)
    owner = await api.register()
    room_id = (await api.create_room(owner["token"]))["roomId"]
    # The attacker: joins, then never reads again; its kernel buffers hold a few KiB at most.
    raw, raw_sid = await raw_member(url, (await api.register())["token"], room_id, rcvbuf=4096)
    # Several senders, so the flood does not depend on one socket's event rate.
    senders = [await Peer(url, (await api.register())["token"]).connect() for _ in range(3)]
    for sender in senders:
        await sender.join(room_id)
    logged_before = len(server.stderr_lines)

    stop = asyncio.Event()
    async with Watch(server.pid, url) as watch:
        started = time.monotonic()
        floods = [asyncio.create_task(relay_until_gone(sender, raw_sid, stop)) for sender in senders]
        try:
            left = await senders[0].log.next("user-left", timeout=10)
            dropped_after = time.monotonic() - started
        finally:
            stop.set()
            delivered = sum(await asyncio.gather(*floods))
        await asyncio.sleep(1)  # memory after the drop is part of the verdict

    assert left["socketId"] == raw_sid, left
    # The cap is 4 MiB of queue; the kernel's send buffer takes a few MiB more before the queue grows at all.
    assert delivered * len(SDP) < 64 * 1024 * 1024, f"{delivered} offers relayed to a peer that reads nothing"
    assert watch.growth_mib < 64, (
        f"server grew {watch.growth_mib:.0f} MiB ({delivered} offers in {dropped_after:.1f} s)"
    )
    assert watch.worst_health_s < STALL_S, f"/healthz took {watch.worst_health_s:.2f} s"
    # Its connection is gone (aborted: a close frame could never have got through), not just its room seat.
    assert await raw.closed_by_server(timeout=5) is None
    # Logged once, without the payload.
    closing = [line for line in server.stderr_lines[logged_before:] if "signaling.transport: connection closed" in line]
    assert len(closing) == 1 and "peer not reading" in closing[0], closing
    assert not any("x-pad" in line or "Traceback" in line for line in server.stderr_lines)
    # The others carry on.
    ack = await senders[0].sio.call(
        "offer", {"target": senders[1].sid, "description": {"type": "offer", "sdp": "v=0"}}, timeout=5
    )
    assert ack == {"ok": True}
    for sender in senders:
        await sender.close()
    await api.aclose()
    server.stop_gracefully()
