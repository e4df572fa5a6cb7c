"""Issue 10, item 4: a ``join-room`` racing its socket's disconnect must never leave a member no socket backs.

Before the fix the disconnect handler ran in the middle of the join (which awaits the room lookup), found nothing
to remove, and the join then added a member for a socket that was gone: four such requests locked a room forever.
Each attack ends with the room empty (``participantCount`` 0) and a room of two still usable by two fresh users.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable

import httpx
import websockets
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from signaling_server.config import Settings
from tests.security.probes import STALL_S, Watch
from tests.security.sockets_attacks import (
    MEDIA,
    Polling,
    RawSocket,
    connect_or_refusal,
    event_frame,
    limits,
    participant_count,
)
from tests.support.clients import Api, Peer
from tests.support.server import ServerProcess

TRIES = 50


async def assert_room_clean(api: Api, url: str, room_id: str, token: str) -> None:
    """Nobody is left in the room (within a second: the undoing of a late join runs right after it), and two fresh
    users fill its two seats."""
    deadline = time.monotonic() + 2
    count = await participant_count(api, token, room_id)
    while count and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        count = await participant_count(api, token, room_id)
    assert count == 0, f"{count} ghost member(s) left in the room"
    peers = [await Peer(url, (await api.register())["token"]).connect() for _ in range(2)]
    try:
        for peer in peers:
            ack = await peer.join(room_id)
            assert ack["ok"] is True, ack
    finally:
        for peer in peers:
            await peer.close()


async def test_join_racing_a_polling_close(server: ServerProcess, api: Api) -> None:
    """Two long-polling POSTs at once, ``join-room`` and Engine.IO ``close``: the attack as reported (4 of 4 ghosts).
    A server that no longer offers long-polling passes by refusing the first request."""
    owner = await api.register()
    room_id = (await api.create_room(owner["token"], maxParticipants=2))["roomId"]
    join = event_frame("join-room", {"roomId": room_id, "mediaState": MEDIA}, ack_id=1)
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as http, Watch(server.pid, server.url) as watch:
        for _ in range(TRIES):
            session = await Polling.open(http, owner["token"])
            if session is None:
                break  # long-polling is refused: this race cannot be run at all
            await asyncio.gather(session.post(join), session.post("1"))
    await assert_room_clean(api, server.url, room_id, owner["token"])
    assert watch.worst_health_s < STALL_S, f"/healthz took {watch.worst_health_s:.2f} s"


async def test_join_then_close_at_once_on_websocket(server: ServerProcess, api: Api) -> None:
    """The socket is closed right after sending ``join-room``, before any answer."""
    owner = await api.register()
    room_id = (await api.create_room(owner["token"], maxParticipants=2))["roomId"]
    for _ in range(TRIES):
        async with RawSocket.opened(server.url, owner["token"]) as raw:
            await raw.send("join-room", {"roomId": room_id, "mediaState": MEDIA}, ack_id=1)
    await assert_room_clean(api, server.url, room_id, owner["token"])


async def test_ping_timeout_during_a_slow_room_lookup(
    make_server: Callable[..., ServerProcess], database_url_for: Callable[[str], str]
) -> None:
    """engineio's service task closes the socket (ping timeout) while the join waits on the database (the rooms
    table locked by another session): the disconnect comes in the middle of the join, not after it."""
    url = database_url_for("postgresql")
    server = make_server(env={"NIMEET_PING_INTERVAL_S": "1", "NIMEET_PING_TIMEOUT_S": "1"}, database_url=url)
    base = server.start()
    api = Api(base)
    try:
        owner = await api.register()
        room_id = (await api.create_room(owner["token"], maxParticipants=2))["roomId"]
        db = create_async_engine(url)
        try:
            async with RawSocket.opened(base, owner["token"]) as raw:
                async with db.begin() as conn:
                    await conn.execute(text("LOCK TABLE rooms IN ACCESS EXCLUSIVE MODE"))
                    await raw.send("join-room", {"roomId": room_id, "mediaState": MEDIA}, ack_id=1)
                    # Not answering pings: one interval + one timeout + the service task's pass, then some.
                    await asyncio.sleep(3.5)
                # The lock went with the transaction: the join finds its room now, after its disconnect.
                await asyncio.sleep(0.3)
        finally:
            await db.dispose()
        await assert_room_clean(api, base, room_id, owner["token"])
    finally:
        await api.aclose()
    server.stop_gracefully()


async def test_ping_timeout_during_a_slow_connect_leaks_no_place(
    make_server: Callable[..., ServerProcess], database_url_for: Callable[[str], str]
) -> None:
    """The same race one step earlier: the socket times out while its connect waits on the database (the users
    table locked). socket.io does not run the disconnect handler for a socket that never finished connecting, so
    the connect itself must notice; otherwise each such socket would hold one of its account's places forever."""
    url = database_url_for("postgresql")
    env = {"NIMEET_PING_INTERVAL_S": "1", "NIMEET_PING_TIMEOUT_S": "1", **limits()}
    server = make_server(env=env, database_url=url)
    base = server.start()
    api = Api(base)
    db = create_async_engine(url)
    try:
        token = (await api.register())["token"]
        ws_url = base.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
        async with websockets.connect(ws_url) as ws:
            assert str(await ws.recv()).startswith("0{")
            async with db.begin() as conn:
                await conn.execute(text("LOCK TABLE users IN ACCESS EXCLUSIVE MODE"))
                await ws.send("40" + json.dumps({"token": token}))
                await asyncio.sleep(3.5)
            await asyncio.sleep(0.3)
        cap = Settings.model_fields["max_sockets_per_user"].default
        results = [await connect_or_refusal(base, token) for _ in range(cap)]
        assert [refusal for _, refusal in results] == [None] * cap
        for client, _ in results:
            assert client is not None
            await client.disconnect()
    finally:
        await db.dispose()
        await api.aclose()
    server.stop_gracefully()
