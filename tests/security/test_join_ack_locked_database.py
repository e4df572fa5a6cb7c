"""Issue 10, item 14 (socket part): the ``join-room`` ack does not wait on bookkeeping writes. The stay's database
row is written after the ack; with the database locked by another writer the ack still comes at once (before
the fix it waited out the 30 s busy timeout while clients give up at 10), and the row is right once the lock goes:
closed for a socket that left while it was being written, open for one still there."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

from tests.security.sockets_attacks import limits
from tests.support.clients import Api, Peer
from tests.support.server import ServerProcess

HOLD_S = 1.5


async def test_join_ack_comes_at_once_while_the_database_is_locked(
    make_server: Callable[..., ServerProcess], tmp_path: Path
) -> None:
    data = tmp_path / "locked"
    server = make_server(env=limits(), data_dir=data)
    url = server.start()
    api = Api(url)
    owner = await api.register()
    room_id = (await api.create_room(owner["token"]))["roomId"]
    leaver = await Peer(url, owner["token"]).connect()
    stayer = await Peer(url, (await api.register())["token"]).connect()

    locker = sqlite3.connect(data / "nimeet.sqlite3", isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")  # every other writer now waits for the busy timeout
    try:
        started = time.monotonic()
        leaver_id = (await leaver.join(room_id))["self"]["userId"]
        first = time.monotonic()
        stayer_id = (await stayer.join(room_id))["self"]["userId"]
        acked = max(first - started, time.monotonic() - first)
        assert await leaver.call("leave-room", {"roomId": room_id}) == {"ok": True}
        await asyncio.sleep(max(0.0, started + HOLD_S - time.monotonic()))
    finally:
        locker.execute("COMMIT")
        locker.close()
    assert acked < 1.0, f"a join ack took {acked:.1f} s with the database locked"

    deadline = time.monotonic() + 10
    with sqlite3.connect(data / "nimeet.sqlite3") as conn:
        while True:
            rows = dict(conn.execute("select user_id, left_at is null from participations").fetchall())
            if rows == {leaver_id: False, stayer_id: True} or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.1)
    written = time.monotonic() - started
    assert rows == {leaver_id: False, stayer_id: True}, rows
    print(f"slower ack {acked:.2f} s with the database locked; rows right {written:.1f} s after the joins")
    await leaver.close()
    await stayer.close()
    await api.aclose()
    server.stop_gracefully()
