"""Issue 10, item 9 (app side), from a hostile *server*: relays the real server would never send — from sockets that
are not in the room, thousands of them, with oversize fields — must not make the engine build state for them.

The server is a real python-socketio server on loopback that plays the part of a malicious NIMeet server: it
accepts the app's join with one participant, announces 2,000 more (a room holds 16), then floods offers and
candidates ``from`` made-up socket ids (each would have been an RTCPeerConnection), and candidates with huge
``sdpMid`` / ``usernameFragment`` from the participant. The engine (``CallSession``, headless) keeps at most a
room's worth of participants, ignores the strangers, drops the oversize fields, keeps its per-peer queue capped,
logs once per kind, and its memory stays flat (the engine before this fix made 3,001 peers and grew 479 MiB
without the 2,000 joiners)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
from collections.abc import AsyncIterator
from typing import Any

import pytest
import socketio
from aiohttp import web

from nimeet_desktop.call.peer import MAX_PENDING_CANDIDATES
from nimeet_desktop.call.session import CallSession
from nimeet_desktop.net.signaling import SignalingClient
from signaling_server.protocol import PARTICIPANTS_MAX
from tests.call.conftest import Recorder, wait_until
from tests.security.probes import rss_mib

JOINERS = 2000  # user-joined for made-up people: far more than a room can hold
STRANGERS = 3000  # relays from sockets not in the room: half offers, half candidates
OVERSIZE = 2000  # candidates from the participant, with 32 KiB fields
EXTRA = 500  # well-formed candidates from the participant, before any offer
SDP = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\n"
CANDIDATE = {"candidate": "candidate:1 1 udp 2130706431 127.0.0.1 9 typ host", "sdpMid": "0", "sdpMLineIndex": 0}
MEDIA = {"camera": False, "microphone": False, "screen": False}
FRIEND_SID = "friend-socket"
FRIEND: dict[str, Any] = {"socketId": FRIEND_SID, "userId": "friend", "username": "friend", "mediaState": MEDIA}


class HostileServer:
    def __init__(self) -> None:
        self.sio = socketio.AsyncServer(async_mode="aiohttp", max_http_buffer_size=10_000_000)
        self.flooded = asyncio.Event()
        self.sio.on("connect", self.on_connect)
        self.sio.on("join-room", self.on_join)
        for event in ("leave-room", "offer", "answer", "ice-candidate", "toggle-media"):
            self.sio.on(event, lambda *_: {"ok": True})

    async def on_connect(self, sid: str, environ: Any, auth: Any = None) -> bool:
        return True

    async def on_join(self, sid: str, data: Any) -> dict[str, Any]:
        asyncio.get_running_loop().call_later(0.2, lambda: asyncio.ensure_future(self.flood(sid)))
        me = {"socketId": sid, "userId": "victim", "username": "victim", "mediaState": MEDIA}
        return {"ok": True, "self": me, "participants": [FRIEND]}

    async def flood(self, sid: str) -> None:
        huge = {**CANDIDATE, "sdpMid": "m" * 32768, "usernameFragment": "u" * 32768}
        for index in range(JOINERS):
            joiner = {**FRIEND, "socketId": f"joiner-{index}", "username": f"joiner{index}"}
            await self.sio.emit("user-joined", joiner, to=sid)
        for index in range(STRANGERS):
            stranger = f"stranger-{secrets.token_hex(8)}"
            if index % 2:
                await self.sio.emit(
                    "receive-offer", {"from": stranger, "description": {"type": "offer", "sdp": SDP}}, to=sid
                )
            else:
                await self.sio.emit("receive-ice-candidate", {"from": stranger, "candidate": CANDIDATE}, to=sid)
        for _ in range(OVERSIZE):
            await self.sio.emit("receive-ice-candidate", {"from": FRIEND_SID, "candidate": huge}, to=sid)
        for _ in range(EXTRA):
            await self.sio.emit("receive-ice-candidate", {"from": FRIEND_SID, "candidate": CANDIDATE}, to=sid)
        self.flooded.set()


@pytest.fixture
async def hostile() -> AsyncIterator[tuple[HostileServer, str]]:
    server = HostileServer()
    app = web.Application()
    server.sio.attach(app)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield server, f"http://127.0.0.1:{port}"
    await runner.cleanup()


async def test_relays_from_strangers_and_oversize_fields_build_nothing(
    hostile: tuple[HostileServer, str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="nimeet_desktop")
    server, url = hostile
    session = CallSession(url, "any-token", [], observer=Recorder())
    before = rss_mib(os.getpid())
    peak = before
    try:
        await session.join("room", camera=False, microphone=False)
        while not server.flooded.is_set():
            peak = max(peak, rss_mib(os.getpid()))
            await asyncio.sleep(0.05)
        await wait_until(
            lambda: (
                session.ignored_relays == STRANGERS
                and session.signaling.dropped_candidates == OVERSIZE
                and FRIEND_SID in session.peers
                and session.peers[FRIEND_SID].dropped_candidates == EXTRA - MAX_PENDING_CANDIDATES
            ),
            timeout=30,
            what="every relay handled",
        )
        peak = max(peak, rss_mib(os.getpid()))
        # No state for anyone the room does not hold, and a room holds at most PARTICIPANTS_MAX, us included.
        assert len(session.participants) == PARTICIPANTS_MAX - 1
        assert session.ignored_joins == JOINERS - (PARTICIPANTS_MAX - 2)
        assert set(session.peers) == set(session.participants)
        assert session.peers[FRIEND_SID].pending_candidates == MAX_PENDING_CANDIDATES
        assert peak - before < 20, f"the engine grew {peak - before:.0f} MiB"
        messages = [record.getMessage() for record in caplog.records]
        for what in ("not in our room", "oversize", "before its description", "most participants"):
            assert sum(what in m for m in messages) == 1, (what, messages)
    finally:
        await session.leave()


class PoisoningServer:
    """Sends every connection one packet python-socketio's client cannot take, then (``frames``) binary frames."""

    def __init__(self, packet: str, frames: int = 0) -> None:
        self.sio = socketio.AsyncServer(async_mode="aiohttp")
        self.connects = 0
        self.packet = packet
        self.frames = frames
        self.sio.on("connect", self.on_connect)

    async def on_connect(self, sid: str, environ: Any, auth: Any = None) -> bool:
        self.connects += 1
        asyncio.get_running_loop().call_later(0.1, lambda: asyncio.ensure_future(self.poison(sid)))
        return True

    async def poison(self, sid: str) -> None:
        eio_sid = self.sio.manager.eio_sid_from_sid(sid, "/")
        if eio_sid is None:
            return
        with contextlib.suppress(Exception):
            await self.sio.eio.send(eio_sid, self.packet)
            frame = b"\x00" * (1024 * 1024)
            for _ in range(self.frames):
                await self.sio.eio.send(eio_sid, frame)


class Handler:
    async def on_user_joined(self, participant: Any) -> None: ...
    async def on_user_left(self, event: Any) -> None: ...
    async def on_description(self, event: Any) -> None: ...
    async def on_candidate(self, event: Any) -> None: ...
    async def on_media_toggled(self, event: Any) -> None: ...
    async def on_connection_state(self, state: Any, detail: str | None) -> None: ...


@pytest.mark.parametrize(
    ("packet", "frames"),
    [
        ('2["receive-offer",' + "[" * 100_000 + "]" * 100_000 + "]", 0),
        ('5999999999-["receive-offer",{"_placeholder":true,"num":0}]', 200),  # a billion attachments announced
        ('9["receive-offer"]', 0),  # no such packet type
        ("2[not json", 0),
    ],
    ids=["deep-json", "binary-attachments", "unknown-type", "not-json"],
)
async def test_a_malformed_packet_drops_that_connection_once_logged(
    packet: str, frames: int, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    server = PoisoningServer(packet, frames)
    app = web.Application()
    server.sio.attach(app)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    client = SignalingClient(f"http://127.0.0.1:{runner.addresses[0][1]}", "any-token", Handler())
    before = peak = rss_mib(os.getpid())
    try:
        await client.connect()
        await wait_until(lambda: client.reconnects >= 2, timeout=10, what="two reconnects")
        for _ in range(20):
            peak = max(peak, rss_mib(os.getpid()))
            await asyncio.sleep(0.05)
    finally:
        await client.close()
        await runner.cleanup()
    messages = [r.getMessage() for r in caplog.records if r.name.startswith("nimeet_desktop")]
    malformed = sum("malformed or binary" in m for m in messages)
    assert server.connects - 1 <= malformed <= server.connects, messages  # once per connection
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR and not _foreign(r)], "an exception escaped"
    assert peak - before < 20, f"grew {peak - before:.0f} MiB"
    # A server that breaks every connection is not hammered: the pauses between reconnects grow.
    assert server.connects <= 6


def _foreign(record: logging.LogRecord) -> bool:
    """An aioice consent-check task that an earlier test in the same process left pending, reported when the
    garbage collector happens to free it during this test (seen once in CI, not reproduced alone): not this
    client's doing. Anything else at ERROR, from any logger, still fails the test."""
    message = record.getMessage()
    return message.startswith("Task was destroyed but it is pending") and "aioice" in message
