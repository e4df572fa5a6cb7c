"""Issue 10, item 9 (server side): ``sdpMid`` and ``usernameFragment`` of a relayed ICE candidate are at most
256 bytes; larger ones are refused with ``too-large`` (size limits come first in the check order) and never reach
the target. Before the fix 5,600 candidates with huge fields grew the target's memory by 535 MB."""

from __future__ import annotations

import json
from collections.abc import Callable

from signaling_server.protocol import MAX_CANDIDATE_FIELD_BYTES
from tests.security.probes import STALL_S, Watch
from tests.security.sockets_attacks import MEDIA, RawSocket, event_frame, limits
from tests.support.clients import Api, Peer
from tests.support.server import ServerProcess

CANDIDATES = 5_600
WINDOW = 200
LINE = "candidate:1 1 UDP 2122260223 127.0.0.1 50000 typ host"


async def test_huge_candidate_fields_are_refused_and_never_relayed(make_server: Callable[..., ServerProcess]) -> None:
    # The attacker's event budget is lifted: this test is about sizes (the budget alone would cut it off).
    server = make_server(env=limits(event_rate_per_s=1_000_000, event_burst=1_000_000))
    url = server.start()
    api = Api(url)
    owner = await api.register()
    room_id = (await api.create_room(owner["token"]))["roomId"]
    target = await Peer(url, owner["token"]).connect()
    await target.join(room_id)
    huge = "m" * (16 * 1024)
    async with RawSocket.opened(url, (await api.register())["token"]) as attacker, Watch(server.pid, url) as watch:
        assert (await attacker.call("join-room", {"roomId": room_id, "mediaState": MEDIA}))["ok"] is True
        acks = []
        # In windows of 200 (ack-paced, as a real sender is): what is measured is the server's handling of the
        # fields, not how many megabytes of unread frames a loaded machine lets queue up in front of it.
        for start in range(0, CANDIDATES, WINDOW):
            ids = range(start + 2, min(start + WINDOW, CANDIDATES) + 2)
            for i in ids:
                field = "sdpMid" if i % 2 else "usernameFragment"
                candidate = {"candidate": LINE, "sdpMLineIndex": 0, field: huge}
                await attacker.ws.send(event_frame("ice-candidate", {"target": target.sid, "candidate": candidate}, i))
            for i in ids:
                acks.append(await attacker.ack(i))
        # At the limit is relayed (also in multi-byte characters), one byte over is not.
        at_limit = {"candidate": LINE, "sdpMid": "é" * (MAX_CANDIDATE_FIELD_BYTES // 2), "usernameFragment": "u" * 256}
        assert await attacker.call("ice-candidate", {"target": target.sid, "candidate": at_limit}, 1) == {"ok": True}
        over = {**at_limit, "sdpMid": "é" * (MAX_CANDIDATE_FIELD_BYTES // 2) + "x"}
        refused = await attacker.call("ice-candidate", {"target": target.sid, "candidate": over}, 1)
    assert {json.dumps(ack["error"]) for ack in acks} == {
        json.dumps({"code": "too-large", "message": "sdpMid is larger than 256 bytes"}),
        json.dumps({"code": "too-large", "message": "usernameFragment is larger than 256 bytes"}),
    }
    assert refused["error"]["code"] == "too-large"
    got = await target.log.next("receive-ice-candidate")
    assert got["candidate"] == at_limit
    assert await target.log.quiet("receive-ice-candidate", 0.3)
    assert len(target.log.events["receive-ice-candidate"]) == 1
    assert watch.growth_mib < 50
    assert watch.worst_health_s < STALL_S, f"/healthz took {watch.worst_health_s:.2f} s"
    await target.close()
    await api.aclose()
    server.stop_gracefully()
