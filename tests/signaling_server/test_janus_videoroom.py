"""The server's Janus client (signaling_server/sfu) against a real Janus started from deploy/janus (issue 17).

The media test is the proof that matters: three real aiortc peers publish a synthetic camera and tone to a room the
module created, each receives the other two through one subscriber PeerConnection (Janus's multistream API), and
every subscriber decodes video frames and audio from every other publisher. The others check what keeps strangers
out of a room (the admin key, the room's pin and secret), that destroying a room and kicking remove people, and
that a session nobody keeps alive dies and takes its participant out of the room.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from signaling_server.sfu.janus_session import (
    JSON,
    SESSION_NOT_FOUND,
    UNREACHABLE,
    JanusError,
    JanusEvent,
    JanusHandle,
    JanusSession,
)
from signaling_server.sfu.videoroom import PLUGIN, Publisher, RoomAdmin, RoomKeys, Subscriber, SubscriberOffer
from tests.support.janus import DEPLOY, JanusInstance, running_janus
from tests.support.sfu_fixtures import janus_media
from tests.support.sfu_peer import SfuParticipant, without_candidates

# Janus's VideoRoom error codes (plugins/janus_videoroom.c).
UNAUTHORIZED = 433
NO_SUCH_ROOM = 426
__all__ = ["janus_media"]  # a fixture (tests/support/sfu_fixtures.py), used here

SESSION_TIMEOUT_S = 3
# A long-poll counts as a request only when it starts, and waits up to 30 s: the keepalives keep a session.
KEEPALIVE_S = 1.0
WIDTH, HEIGHT, FPS = 320, 180, 15


@pytest.fixture(scope="module")
def janus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JanusInstance]:
    """Janus on a loopback port, for everything but media; sessions time out after 3 s without a request."""
    with running_janus(tmp_path_factory.mktemp("janus"), session_timeout_s=SESSION_TIMEOUT_S) as instance:
        yield instance


@asynccontextmanager
async def session_at(janus: JanusInstance) -> AsyncIterator[JanusSession]:
    session = await JanusSession.create(janus.url, keepalive_s=KEEPALIVE_S)
    try:
        yield session
    finally:
        await session.destroy()


@asynccontextmanager
async def room_at(janus: JanusInstance, room: str) -> AsyncIterator[tuple[RoomAdmin, RoomKeys]]:
    """A room created as the server will (the admin key, a secret and pin of its own), destroyed afterwards."""
    async with session_at(janus) as session:
        admin = RoomAdmin(await session.attach(PLUGIN), janus.admin_key)
        keys = RoomKeys.generate()
        await admin.create(room, keys)
        try:
            yield admin, keys
        finally:
            if await admin.exists(room):
                await admin.destroy(room, keys)


async def next_event(handle: JanusHandle, wanted: Callable[[JanusEvent], bool], timeout_s: float = 10) -> JanusEvent:
    """The first event on ``handle`` that is ``wanted`` (earlier ones are dropped)."""
    async with asyncio.timeout(timeout_s):
        while True:
            event = await handle.events.get()
            if wanted(event):
                return event


def room_name() -> str:
    return f"r{time.monotonic_ns():x}"


# ---- who may do what -----------------------------------------------------------------------------------------------


async def test_janus_answers_info_from_the_shipped_configuration_with_videoroom_only(janus: JanusInstance) -> None:
    reply = httpx.post(janus.url, json={"janus": "info", "transaction": "t"}).json()
    assert list(reply["plugins"]) == ["janus.plugin.videoroom"]
    assert list(reply["transports"]) == ["janus.transport.http"]
    assert reply["events"] == {} and reply["loggers"] == {}
    assert reply["session-timeout"] == SESSION_TIMEOUT_S


def test_the_shipped_configuration_keeps_the_api_on_loopback_and_creates_no_rooms() -> None:
    def settings(name: str) -> dict[str, str]:
        text = (DEPLOY / name).read_text()
        return dict(re.findall(r"^\s*(\w+)\s*=\s*([^#\n]*?)\s*(?:#.*)?$", text, re.MULTILINE))

    http = settings("janus.transport.http.jcfg")
    assert (http["ip"], http["port"], http["base_path"]) == ('"127.0.0.1"', "8088", '"/janus"'), http
    assert (http["http"], http["https"], http["admin_http"]) == ("true", "false", "false"), http
    core = settings("janus.jcfg")
    assert "stun_server" not in core and "api_secret" not in core and "admin_secret" not in core, core
    videoroom = (DEPLOY / "janus.plugin.videoroom.jcfg").read_text()
    assert not re.search(r"^\s*room-", videoroom, re.MULTILINE), "no sample rooms"
    assert settings("janus.plugin.videoroom.jcfg")["string_ids"] == "true"
    assert sorted(p.name for p in DEPLOY.iterdir()) == [
        "janus.jcfg",
        "janus.plugin.videoroom.jcfg",
        "janus.transport.http.jcfg",
    ]


async def test_only_the_admin_key_creates_rooms(janus: JanusInstance) -> None:
    async with session_at(janus) as session:
        handle = await session.attach(PLUGIN)
        with pytest.raises(JanusError) as refused:
            await RoomAdmin(handle, "not-the-key").create(room_name(), RoomKeys.generate())
        assert refused.value.code == UNAUTHORIZED, refused.value
        room = room_name()
        await RoomAdmin(handle, janus.admin_key).create(room, keys := RoomKeys.generate())
        assert await RoomAdmin(handle, "").exists(room)
        await RoomAdmin(handle, "").destroy(room, keys)  # the room's secret, not the admin key, destroys it


async def test_without_the_rooms_pin_or_secret_janus_refuses(janus: JanusInstance) -> None:
    room = room_name()
    async with room_at(janus, room) as (admin, keys), session_at(janus) as session:
        stranger = Publisher(await session.attach(PLUGIN))
        for pin in ("wrong", ""):
            with pytest.raises(JanusError) as refused:
                await stranger.join(room, "stranger", pin)
            assert refused.value.code == UNAUTHORIZED, refused.value
        with pytest.raises(JanusError) as refused:
            await Subscriber(await session.attach(PLUGIN)).join(room, ["anyone"], "wrong")
        assert refused.value.code == UNAUTHORIZED, refused.value
        wrong = RoomKeys("wrong", keys.pin)
        for attempt in (admin.destroy(room, wrong), admin.kick(room, wrong, "anyone")):
            with pytest.raises(JanusError) as refused:
                await attempt
            assert refused.value.code == UNAUTHORIZED, refused.value
        assert await admin.exists(room)
        joined = await stranger.join(room, "invited", keys.pin, display="Invited")
        assert (joined.id, joined.publishers) == ("invited", [])


async def test_destroying_the_room_puts_everyone_out(janus: JanusInstance) -> None:
    room = room_name()
    async with session_at(janus) as server, session_at(janus) as first, session_at(janus) as second:
        admin = RoomAdmin(await server.attach(PLUGIN), janus.admin_key)
        keys = RoomKeys.generate()
        await admin.create(room, keys)
        handles = [await first.attach(PLUGIN), await second.attach(PLUGIN)]
        for handle, name in zip(handles, ("a", "b"), strict=True):
            await Publisher(handle).join(room, name, keys.pin)
        assert sorted(p["id"] for p in await admin.participants(room)) == ["a", "b"]
        await admin.destroy(room, keys)
        for handle in handles:
            event = await next_event(handle, lambda e: e.data.get("videoroom") == "destroyed")
            assert event.data["room"] == room
        assert not await admin.exists(room)
        with pytest.raises(JanusError) as refused:
            await Publisher(await first.attach(PLUGIN)).join(room, "late", keys.pin)
        assert refused.value.code == NO_SUCH_ROOM, refused.value


async def test_a_kicked_participant_is_told_and_out(janus: JanusInstance) -> None:
    room = room_name()
    async with room_at(janus, room) as (admin, keys), session_at(janus) as first, session_at(janus) as second:
        stays = await first.attach(PLUGIN)
        kicked = await second.attach(PLUGIN)
        await Publisher(stays).join(room, "stays", keys.pin)
        await Publisher(kicked).join(room, "kicked", keys.pin)
        await admin.kick(room, keys, "kicked")
        event = await next_event(kicked, lambda e: e.data.get("leaving") == "ok")
        assert event.data.get("reason") == "kicked", event
        assert [p["id"] for p in await admin.participants(room)] == ["stays"]


async def test_an_event_callback_that_raises_leaves_the_session_serving(janus: JanusInstance) -> None:
    room = room_name()
    called = asyncio.Event()

    def broken(event: JanusEvent) -> None:
        called.set()
        raise RuntimeError("a bug in the server's handler")

    async with room_at(janus, room) as (admin, keys), session_at(janus) as session:
        await Publisher(await session.attach(PLUGIN, on_event=broken)).join(room, "first", keys.pin)
        await admin.kick(room, keys, "first")
        await asyncio.wait_for(called.wait(), 5)
        # The long-poll still delivers: an asynchronous reply (``join``) arrives after the callback raised.
        second = await Publisher(await session.attach(PLUGIN)).join(room, "second", keys.pin)
        assert second.id == "second" and session.lost is None


async def test_a_session_nobody_keeps_alive_dies_and_leaves_the_room(janus: JanusInstance) -> None:
    room = room_name()
    async with room_at(janus, room) as (admin, keys), session_at(janus) as kept:
        await Publisher(await kept.attach(PLUGIN)).join(room, "kept", keys.pin)
        dropped = await JanusSession.create(janus.url, keepalive_s=KEEPALIVE_S)
        await Publisher(await dropped.attach(PLUGIN)).join(room, "dropped", keys.pin)
        await dropped.abandon()  # no more long-polls or keepalives, as from a server that died
        started = time.monotonic()
        while len(await admin.participants(room)) > 1:
            assert time.monotonic() - started < SESSION_TIMEOUT_S + 12, "the abandoned session outlived its timeout"
            await asyncio.sleep(0.25)
        assert time.monotonic() - started >= SESSION_TIMEOUT_S - 1
        assert [p["id"] for p in await admin.participants(room)] == ["kept"]
        # Janus no longer knows the session; the one that polls lives on, well past the timeout.
        reply = httpx.post(f"{janus.url}/{dropped.id}", json={"janus": "keepalive", "transaction": "t"}).json()
        assert reply["error"]["code"] == SESSION_NOT_FOUND, reply
        await kept.keepalive()
        assert kept.lost is None


async def test_long_polls_alone_do_not_keep_a_session_and_its_handles_hear_it_is_gone(janus: JanusInstance) -> None:
    session = await JanusSession.create(janus.url, keepalive_s=None)
    try:
        handle = await session.attach(PLUGIN)
        # The long-poll waits up to 30 s, and counts as a request only when it starts: Janus times the session out
        # and answers the waiting poll with ``timeout`` (about 6 s after the last request with a 3 s timeout: its
        # watchdog looks every 2 s).
        # Generous: a CI run under load once waited more than 15 s for Janus's watchdog.
        gone = await next_event(handle, lambda e: e.kind == "gone", timeout_s=SESSION_TIMEOUT_S + 40)
        assert gone.data["code"] == SESSION_NOT_FOUND, gone
        assert session.lost is not None
        with pytest.raises(JanusError) as refused:
            await session.keepalive()
        assert refused.value.code == SESSION_NOT_FOUND
    finally:
        await session.destroy()


async def test_a_handle_janus_detached_while_timing_a_session_out_still_hears_it_is_gone(janus: JanusInstance) -> None:
    # Janus's watchdog clears a timed-out session's handles before it sends ``timeout``; under load the handles'
    # ``detached`` can reach the long-poll first (a CI run waited 43 s for a "gone" that had gone to nobody).
    async with session_at(janus) as session:
        handle = await session.attach(PLUGIN)
        session._dispatch({"janus": "detached", "session_id": session.id, "sender": handle.id})
        session._dispatch({"janus": "timeout", "session_id": session.id})
        detached = await next_event(handle, lambda e: True, timeout_s=1)
        assert detached.kind == "detached"
        gone = await next_event(handle, lambda e: True, timeout_s=1)
        assert gone.kind == "gone" and gone.data["code"] == SESSION_NOT_FOUND, gone


async def test_when_janus_goes_away_every_handle_hears_it_and_requests_fail(tmp_path: Path) -> None:
    with running_janus(tmp_path) as own:
        session = await JanusSession.create(own.url, keepalive_s=KEEPALIVE_S)
        handle = await session.attach(PLUGIN)
        os.kill(own.pid, signal.SIGKILL)
        try:
            gone = await next_event(handle, lambda e: e.kind == "gone", timeout_s=15)
            assert gone.data["code"] == UNREACHABLE, gone
            with pytest.raises(JanusError) as refused:
                await Publisher(handle).join("any", "one", "pin")
            assert refused.value.code == UNREACHABLE
        finally:
            await session.destroy()  # Janus is gone: nothing to tell it, and no error


# ---- media ---------------------------------------------------------------------------------------------------------


async def test_three_aiortc_peers_each_receive_the_other_two_through_janus(janus_media: JanusInstance) -> None:
    room = room_name()
    names = ["ann", "bob", "cat"]
    # One HTTP client for everyone's sessions, as the server will have.
    async with room_at(janus_media, room) as (_, keys), httpx.AsyncClient() as client:
        people = [
            SfuParticipant(
                name, await JanusSession.create(janus_media.url, client=client), width=WIDTH, height=HEIGHT, fps=FPS
            )
            for name in names
        ]
        try:
            for person in people:
                await person.join(room, keys.pin)
            # Ann sends her candidates by trickle, as a browser would; the others in the offer, as aiortc does.
            for person in people:
                await person.publish(trickle=person.name == "ann")
            await asyncio.gather(*(person.until_published() for person in people))

            # Ann joined first: the plugin told her of each publisher after her, with their streams (on her own
            # session's long-poll, which may bring them a moment after the others' ``webrtcup``).
            def announced() -> list[JSON]:
                return [p for e in people[0].heard if e.kind == "event" for p in e.data.get("publishers", [])]

            started = time.monotonic()
            while len(announced()) < 2:
                assert time.monotonic() - started < 10, announced()
                await asyncio.sleep(0.05)
            assert [p["id"] for p in announced()] == ["bob", "cat"], announced()
            assert [[s["type"] for s in p["streams"]] for p in announced()] == [["audio", "video"]] * 2, announced()
            # One subscriber PeerConnection each; Ann's starts with Bob and adds Cat by ``update``.
            await people[0].subscribe(room, keys.pin, ["bob"])
            await people[0].add_feeds(["cat"])
            await people[1].subscribe(room, keys.pin, ["ann", "cat"])
            await people[2].subscribe(room, keys.pin, ["ann", "bob"])

            def everyone_receives(minimum: int) -> bool:
                return all(
                    person.frames[other, kind] >= minimum
                    for person in people
                    for other in names
                    if other != person.name
                    for kind in ("audio", "video")
                )

            started = time.monotonic()
            while not everyone_receives(1):
                assert time.monotonic() - started < 15, {p.name: dict(p.frames) for p in people}
                await asyncio.sleep(0.1)
            before = {person.name: Counter(person.frames) for person in people}
            await asyncio.sleep(2.0)
            for person in people:
                counted = {key: person.frames[key] - before[person.name][key] for key in person.frames}
                for other in names:
                    if other == person.name:
                        continue
                    # 15 fps and 50 audio frames a second sent: at least half over 2 s on a loaded 2-core machine.
                    assert counted[other, "video"] >= 15, (person.name, counted)
                    assert counted[other, "audio"] >= 50, (person.name, counted)
                assert (person.name, "video") not in person.frames
                assert person.sizes == {(WIDTH, HEIGHT)}, person.sizes
            # Ann's grid stops showing Cat: her subscriber pauses Cat's video (no renegotiation); Bob's goes on.
            ann = people[0]
            cat_video = next(mid for mid, feed in ann.feed_of_mid.items() if feed == "cat" and mid in ann.video_mids)
            await ann.subscriber.configure([{"mid": cat_video, "send": False}])
            await asyncio.sleep(0.3)  # what was on the way
            paused = Counter(ann.frames)
            # Two seconds: a paused stream gives nothing at all, a flowing one at least a quarter of its rate even on a
            # loaded CI machine (one run counted 19 audio frames in one second there).
            await asyncio.sleep(2.0)
            assert ann.frames["cat", "video"] - paused["cat", "video"] == 0, "Cat's video still arrives"
            assert ann.frames["bob", "video"] - paused["bob", "video"] >= 7, "Bob's video stopped too"
            assert ann.frames["cat", "audio"] - paused["cat", "audio"] >= 25, "Cat's audio stopped too"
            # And shows her again: Janus asks Cat for a keyframe, and her video is back at once.
            await ann.subscriber.configure([{"mid": cat_video, "send": True}])
            resumed = time.monotonic()
            while ann.frames["cat", "video"] == paused["cat", "video"]:
                assert time.monotonic() - resumed < 3, "Cat's video did not come back"
                await asyncio.sleep(0.05)
            # Cat leaves as a client should (``leave`` alone keeps her PeerConnection and so her m-lines at the
            # others): she unpublishes, then leaves. The others hear both on their publisher handles, and Janus
            # offers each subscriber a renegotiation without her streams on its own (no request of theirs).
            await people[2].publisher.unpublish()
            await people[2].publisher.leave()
            updated = await next_event(ann.subscriber.handle, lambda e: e.data.get("videoroom") == "updated")
            assert updated.jsep is not None and updated.jsep.type == "offer"
            assert {s["mid"]: s["active"] for s in updated.data["streams"]} == {
                "0": True,
                "1": True,
                "2": False,
                "3": False,
            }, updated.data
            assert re.findall(r"a=(inactive|sendonly)", updated.jsep.sdp) == ["sendonly"] * 2 + ["inactive"] * 2
            await ann.answer(SubscriberOffer(updated.jsep, updated.data["streams"]))
            told = [e.data for e in ann.heard if e.kind == "event"]
            assert any(d.get("unpublished") == "cat" for d in told), told
            assert any(d.get("leaving") == "cat" for d in told), told
            still = Counter(ann.frames)
            await asyncio.sleep(0.5)
            assert ann.frames["bob", "video"] > still["bob", "video"], "Bob's video stopped after Cat left"
        finally:
            for person in people:
                await person.close()


async def test_a_kicked_publishers_streams_leave_a_subscription_by_its_mids_at_once(janus_media: JanusInstance) -> None:
    """A kick takes the publisher out of the room at once, but its PeerConnection goes later (Janus's core hangs it
    up): asking to unsubscribe by feed in between finds no such publisher and changes nothing, and the hang-up later
    sends the subscribers no offer either (its room is gone). A two-node CI run lost the removal that way. By the
    subscription's own mids, the update always takes the streams away and comes with the new offer."""
    room = room_name()
    async with room_at(janus_media, room) as (admin, keys), httpx.AsyncClient() as client:
        ann, _ = people = [
            SfuParticipant(
                name, await JanusSession.create(janus_media.url, client=client), width=160, height=96, fps=10
            )
            for name in ("ann", "bob")
        ]
        try:
            for person in people:
                await person.join(room, keys.pin)
                await person.publish(trickle=False)
            await asyncio.gather(*(person.until_published() for person in people))
            await ann.subscribe(room, keys.pin, ["bob"])
            started = time.monotonic()
            while ann.frames["bob", "video"] < 3:
                assert time.monotonic() - started < 15, dict(ann.frames)
                await asyncio.sleep(0.05)
            bobs = sorted(mid for mid, feed in ann.feed_of_mid.items() if feed == "bob")
            assert len(bobs) == 2, ann.feed_of_mid

            await admin.kick(room, keys, "bob")
            offer = await ann.subscriber.update(unsubscribe_mids=bobs)
            assert offer is not None, "no offer without the kicked publisher's streams"
            assert {str(s["mid"]): s["active"] for s in offer.streams} == dict.fromkeys(bobs, False), offer.streams
            await ann.answer(offer)
        finally:
            for person in people:
                await person.close()


def test_without_candidates_moves_every_candidate_to_trickle() -> None:
    sdp = "v=0\r\nm=audio 9 x\r\na=mid:0\r\na=candidate:1 1 udp 1 10.0.0.1 5 typ host\r\na=end-of-candidates\r\n"
    stripped, candidates = without_candidates(sdp)
    assert not re.search("candidate", stripped)
    assert candidates == [{"sdpMid": "0", "sdpMLineIndex": 0, "candidate": "candidate:1 1 udp 1 10.0.0.1 5 typ host"}]
