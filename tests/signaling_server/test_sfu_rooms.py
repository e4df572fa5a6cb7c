"""Large rooms through the server's SFU (issue 17; docs/protocol.md, "SFU rooms"): the real server process with a
real Janus (in a network namespace, tests/support/janus.py) and real aiortc participants that speak only to the
server's socket (``sfu-publish``, ``sfu-offer``/``sfu-answer``, ``sfu-candidate``, ``sfu-view``).

The media test carries the proof: three publish, each decodes video and audio from the two others and knows whose
they are from the offers' ``streams``; a fourth arrives and everyone gets it; one leaves and the others' offers
drop it; ``sfu-view`` pauses one video and nothing else. The rest: what a mesh room and a server without an SFU
refuse, and a Janus that does not answer.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from signaling_server.sfu.janus_session import JanusSession
from signaling_server.sfu.videoroom import PLUGIN, RoomAdmin
from tests.support.clients import Api, Peer, bearer
from tests.support.janus import JanusInstance
from tests.support.nodes import running_nodes
from tests.support.postgres import free_port
from tests.support.redis_server import RedisServer
from tests.support.server import ServerProcess
from tests.support.sfu_fixtures import janus_media, sfu_server
from tests.support.sfu_peer import SocketSfuParticipant

__all__ = ["janus_media", "sfu_server"]  # fixtures (tests/support/sfu_fixtures.py), used here

# Small and slow enough that four participants (4 sent, 12 received streams) keep up in this one process.
WIDTH, HEIGHT, FPS = 160, 96, 10
KINDS = ("audio", "video")


@pytest.fixture
async def sfu_api(sfu_server: ServerProcess) -> AsyncIterator[Api]:
    client = Api(sfu_server.url)
    yield client
    await client.aclose()


@asynccontextmanager
async def janus_admin(janus: JanusInstance) -> AsyncIterator[RoomAdmin]:
    """The test's own look into Janus: which rooms exist and who is in them."""
    session = await JanusSession.create(janus.url)
    try:
        yield RoomAdmin(await session.attach(PLUGIN), janus.admin_key)
    finally:
        await session.destroy()


def refused_field(r: httpx.Response) -> str:
    """The field a 422 ``invalid-input`` refusal names (anything else fails here)."""
    assert (r.status_code, r.json()["error"]["code"]) == (422, "invalid-input"), r.text
    field: str = r.json()["error"]["field"]
    return field


async def until(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout_s} s: {what}")
        await asyncio.sleep(0.05)


async def until_gone(admin: RoomAdmin, room_id: str) -> None:
    deadline = time.monotonic() + 5
    while await admin.exists(room_id):
        assert time.monotonic() < deadline, "the Janus room outlived its meeting"
        await asyncio.sleep(0.05)


async def joined(url: str, token: str, room_id: str, opened: list[Peer]) -> Peer:
    peer = await Peer(url, token).connect()
    opened.append(peer)
    ack = await peer.join(room_id)
    assert ack["ok"], ack
    return peer


def hears_everyone(people: list[SocketSfuParticipant], frames: int) -> Callable[[], bool]:
    return lambda: all(p.frames[o.sid, kind] >= frames for p in people for o in people if o is not p for kind in KINDS)


async def test_an_sfu_room_carries_everyone_to_everyone_as_people_come_and_go(
    sfu_server: ServerProcess, sfu_api: Api, janus_media: JanusInstance
) -> None:
    owner = await sfu_api.register()
    room = await sfu_api.create_room(owner["token"], maxParticipants=100)
    assert (room["maxParticipants"], room["mode"]) == (100, "sfu")
    tokens = [owner["token"], *[(await sfu_api.register())["token"] for _ in range(3)]]
    opened: list[Peer] = []
    people: list[SocketSfuParticipant] = []
    try:
        for token in tokens[:3]:
            peer = await joined(sfu_server.url, token, room["roomId"], opened)
            people.append(SocketSfuParticipant(peer, width=WIDTH, height=HEIGHT, fps=FPS))
        # One trickles its candidates (sfu-candidate), the others put them in the offer.
        acks = await asyncio.gather(*(p.publish(trickle=i == 0) for i, p in enumerate(people)))
        assert all(ack["ok"] and ack["description"]["type"] == "answer" for ack in acks), acks
        await until(hears_everyone(people, 5), 15, "three people decode video and audio from the two others")
        for p in people:
            streams = {(s["socketId"], s["kind"]) for s in p.offers[-1]["streams"] if s["active"]}
            assert streams == {(o.sid, kind) for o in people if o is not p for kind in KINDS}

        # A fourth arrives later: everyone gets the new feed, and the newcomer everyone's.
        peer = await joined(sfu_server.url, tokens[3], room["roomId"], opened)
        people.append(SocketSfuParticipant(peer, width=WIDTH, height=HEIGHT, fps=FPS))
        assert (await people[3].publish())["ok"]
        await until(hears_everyone(people, 5), 15, "four people decode video and audio from the three others")
        assert all(ack == {"ok": True} for p in people for ack in p.answer_acks)

        # sfu-view: the first shows only the third's video; the fourth's video pauses, its audio goes on.
        first, leaving, shown, hidden = people
        assert await first.peer.call("sfu-view", {"socketIds": [shown.sid]}) == {"ok": True}
        await asyncio.sleep(0.5)  # what was on the way
        before = first.frames.copy()
        await asyncio.sleep(1.5)
        gained = {key: first.frames[key] - before[key] for key in first.frames}
        assert gained[hidden.sid, "video"] <= 1, gained
        assert gained[hidden.sid, "audio"] >= 20, gained
        assert gained[shown.sid, "video"] >= 5, gained
        assert gained[leaving.sid, "video"] <= 1, gained  # not listed either
        assert await first.peer.call("sfu-view", {"socketIds": [shown.sid, hidden.sid]}) == {"ok": True}
        mark = first.frames[hidden.sid, "video"]
        await until(lambda: first.frames[hidden.sid, "video"] >= mark + 3, 5, "a shown video comes back")

        # One leaves: the others' next offers say its streams no longer flow.
        assert await leaving.peer.call("leave-room", {"roomId": room["roomId"]}) == {"ok": True}
        await leaving.close()
        stayed = [first, shown, hidden]
        await until(
            lambda: all(p.offers and leaving.sid not in p.active_from() for p in stayed),
            10,
            "the others' subscriber offers drop the one who left",
        )
        for p in stayed:
            assert p.active_from() == {o.sid for o in stayed if o is not p}
        marks = {(p.sid, o.sid): p.frames[o.sid, "video"] for p in stayed for o in stayed if o is not p}
        await until(
            lambda: all(
                p.frames[o.sid, "video"] >= marks[p.sid, o.sid] + 3 for p in stayed for o in stayed if o is not p
            ),
            10,
            "the others still see each other after the renegotiation",
        )
        async with janus_admin(janus_media) as admin:
            in_janus = {p["id"] for p in await admin.participants(room["roomId"])}
            assert in_janus == {p.sid for p in stayed}  # the leaver's session is gone from the Janus room
            # A host ends the meeting: the Janus room goes with it.
            assert await first.peer.call("end-meeting", {}) == {"ok": True}
            await until_gone(admin, room["roomId"])
    finally:
        for p in people:
            await p.close()
        for peer in opened:
            await peer.close()


async def test_what_an_sfu_server_refuses_and_decides(
    sfu_server: ServerProcess, sfu_api: Api, janus_media: JanusInstance
) -> None:
    owner = (await sfu_api.register())["token"]
    guest = (await sfu_api.register())["token"]
    r = await sfu_api.http.post("/api/rooms/create", json={"maxParticipants": 101}, headers=bearer(owner))
    assert refused_field(r) == "maxParticipants"
    mesh = await sfu_api.create_room(owner, maxParticipants=8)
    sfu = await sfu_api.create_room(owner, maxParticipants=9)
    assert (mesh["mode"], sfu["mode"]) == ("mesh", "sfu")
    listed = (await sfu_api.http.get("/api/rooms", headers=bearer(owner))).json()["rooms"]
    assert {room["roomId"]: room["mode"] for room in listed} == {mesh["roomId"]: "mesh", sfu["roomId"]: "sfu"}
    opened: list[Peer] = []
    try:
        outside = await Peer(sfu_server.url, guest).connect()
        opened.append(outside)
        offer: dict[str, Any] = {"description": {"type": "offer", "sdp": "v=0\r\n"}}
        assert (await outside.call("sfu-publish", offer))["error"]["code"] == "not-in-room"

        a = await joined(sfu_server.url, owner, mesh["roomId"], opened)
        ack = await a.call("sfu-publish", offer)
        assert ack["error"]["code"] == "invalid-input" and "mesh" in ack["error"]["message"], ack
        r = await sfu_api.http.patch(
            f"/api/rooms/{mesh['roomId']}", json={"maxParticipants": 20}, headers=bearer(owner)
        )
        assert (r.status_code, r.json()["error"]["field"]) == (422, "maxParticipants"), r.text  # meeting under way
        r = await sfu_api.http.patch(f"/api/rooms/{mesh['roomId']}", json={"maxParticipants": 3}, headers=bearer(owner))
        assert r.status_code == 200 and r.json()["room"]["mode"] == "mesh"
        assert (await a.call("leave-room", {"roomId": mesh["roomId"]})) == {"ok": True}
        r = await sfu_api.http.patch(
            f"/api/rooms/{mesh['roomId']}", json={"maxParticipants": 20}, headers=bearer(owner)
        )
        assert r.status_code == 200 and r.json()["room"]["mode"] == "sfu", r.text  # nobody in it

        # In an SFU room the relays between participants are refused, whatever the target.
        b = await joined(sfu_server.url, guest, sfu["roomId"], opened)
        assert (await a.join(sfu["roomId"]))["ok"]
        relay = {"target": b.sid, "description": {"type": "offer", "sdp": "v=0\r\n"}}
        ack = await a.call("offer", relay)
        assert ack["error"]["code"] == "invalid-input" and "sfu" in ack["error"]["message"], ack
        ack = await a.call("ice-candidate", {"target": b.sid, "candidate": None})
        assert ack["error"]["code"] == "invalid-input", ack
        assert await b.log.quiet("receive-offer", 0.2)
        # An answer with no offer waiting, and a candidate for a subscription that does not exist yet.
        answer = {"description": {"type": "answer", "sdp": "v=0\r\n"}}
        assert (await a.call("sfu-answer", answer))["error"]["code"] == "invalid-input"
        candidate = {"target": "subscriber", "candidate": None}
        assert (await a.call("sfu-candidate", candidate))["error"]["code"] == "invalid-input"
        assert (await a.call("sfu-view", {"socketIds": "everyone"}))["error"]["code"] == "invalid-input"
        # The last one out of an SFU room ends its meeting, and the Janus room its joining created goes.
        async with janus_admin(janus_media) as admin:
            assert await admin.exists(sfu["roomId"])
            assert not await admin.exists(mesh["roomId"])  # a mesh room never has one
            for peer in (a, b):
                assert await peer.call("leave-room", {"roomId": sfu["roomId"]}) == {"ok": True}
            await until_gone(admin, sfu["roomId"])
    finally:
        for peer in opened:
            await peer.close()


async def test_janus_out_of_reach_is_a_clear_error_logged_once(make_server: Callable[..., ServerProcess]) -> None:
    proc = make_server({"NIMEET_JANUS_URL": f"http://127.0.0.1:{free_port()}/janus", "NIMEET_JANUS_ADMIN_KEY": "k"})
    proc.start()
    api = Api(proc.url)
    opened: list[Peer] = []
    try:
        owner = (await api.register())["token"]
        room = await api.create_room(owner, maxParticipants=50)
        assert room["mode"] == "sfu"
        peer = await joined(proc.url, owner, room["roomId"], opened)  # the join itself stands
        offer = {"description": {"type": "offer", "sdp": "v=0\r\n"}}
        for _ in range(2):
            ack = await peer.call("sfu-publish", offer)
            assert ack["error"]["code"] == "internal-error" and "SFU" in ack["error"]["message"], ack
        assert (await peer.call("chat-message", {"text": "still here"}))["ok"]
        assert len([line for line in proc.errors_logged() if "Janus" in line]) == 1, proc.stderr_lines[-20:]
        assert not [line for line in proc.stderr_lines if "Traceback" in line]
    finally:
        for peer in opened:
            await peer.close()
        await api.aclose()


async def test_without_an_sfu_rooms_stay_meshes_of_at_most_16(api: Api, peers: Callable[..., Any]) -> None:
    token = (await api.register())["token"]
    r = await api.http.post("/api/rooms/create", json={"maxParticipants": 100}, headers=bearer(token))
    assert refused_field(r) == "maxParticipants"
    room = await api.create_room(token, maxParticipants=16)
    assert room["mode"] == "mesh"
    r = await api.http.patch(f"/api/rooms/{room['roomId']}", json={"maxParticipants": 17}, headers=bearer(token))
    assert r.status_code == 422
    peer = await peers(token)
    assert (await peer.join(room["roomId"]))["ok"]
    ack = await peer.call("sfu-publish", {"description": {"type": "offer", "sdp": "v=0\r\n"}})
    assert ack["error"]["code"] == "invalid-input", ack


async def test_two_nodes_share_one_janus_room_without_sharing_its_keys(
    tmp_path: Path,
    janus_media: JanusInstance,
    redis_server: RedisServer,
    database_url_for: Callable[[str], str],
) -> None:
    """People on two server nodes: each node keeps its own sockets' Janus sessions and both compute the same room
    secret and pin from the signing key. The host on the first node admits a guest waiting on the second from the
    lobby (the guest's node sets up its session at its first sfu-* event), later removes them (their session, on the
    second node, is kicked out and closed: no more media to them)."""
    env = {"NIMEET_JANUS_URL": janus_media.url, "NIMEET_JANUS_ADMIN_KEY": janus_media.admin_key}
    with running_nodes(tmp_path / "nodes", database_url_for("postgresql"), redis_server.url, env=env) as group:
        first_node, second_node = group.urls
        api = Api(first_node)
        opened: list[Peer] = []
        people: list[SocketSfuParticipant] = []
        try:
            owner, guest, other = [(await api.register())["token"] for _ in range(3)]
            room = await api.create_room(owner, maxParticipants=12, isPrivate=True)
            host_peer = await joined(first_node, owner, room["roomId"], opened)
            for url, token in ((second_node, guest), (first_node, other)):
                peer = await joined(url, token, room["roomId"], opened)  # waits in the lobby
                knock = await host_peer.log.next("lobby-knock")
                assert await host_peer.call("admit", {"target": knock["socketId"]}) == {"ok": True}
                await peer.log.next("admitted")
                people.append(SocketSfuParticipant(peer, width=WIDTH, height=HEIGHT, fps=FPS))
            people.insert(1, SocketSfuParticipant(host_peer, width=WIDTH, height=HEIGHT, fps=FPS))
            acks = await asyncio.gather(*(p.publish() for p in people))
            assert all(ack["ok"] for ack in acks), acks
            await until(hears_everyone(people, 5), 15, "each decodes the others, through two nodes")
            removed, host, stays = people
            ack = await host.peer.call("remove-participant", {"target": removed.sid})
            assert ack == {"ok": True}, ack
            await until(
                lambda: all(removed.sid not in p.active_from() for p in (host, stays)),
                10,
                "the others' offers drop the one removed on another node",
            )
            async with janus_admin(janus_media) as admin:
                assert {p["id"] for p in await admin.participants(room["roomId"])} == {host.sid, stays.sid}
                await asyncio.sleep(0.5)  # what was on the way
                before = removed.frames.copy()
                await asyncio.sleep(1.0)
                assert removed.frames == before, "media still reaches someone a host removed"
                for p in (host, stays):
                    assert await p.peer.call("leave-room", {"roomId": room["roomId"]}) == {"ok": True}
                await until_gone(admin, room["roomId"])
        finally:
            for p in people:
                await p.close()
            for peer in opened:
                await peer.close()
            await api.aclose()
