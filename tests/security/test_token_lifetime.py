"""Issue 10, item 8 (socket side): a socket does not outlive its token. It is disconnected when the token expires,
when the token is revoked (a logout), and with every socket of the account on "log out everywhere" or deletion;
a revoked token cannot open a socket. Before the fix an open socket outlived all of these."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

from tests.security.sockets_attacks import connect_or_refusal, forge_token, in_process_server, limits, watch_disconnect
from tests.support.clients import Api, Peer
from tests.support.server import ServerProcess


async def test_socket_is_disconnected_when_its_token_expires(make_server: Callable[..., ServerProcess]) -> None:
    server = make_server(env=limits())
    url = server.start()
    api = Api(url)
    owner = await api.register()
    room_id = (await api.create_room(owner["token"]))["roomId"]
    watcher = await Peer(url, owner["token"]).connect()
    await watcher.join(room_id)
    user = await api.register()
    token = forge_token(user["user"]["id"], 2.0)
    expires_at = int(time.time() + 2.0)
    short = await Peer(url, token).connect()
    gone = watch_disconnect(short)
    assert (await short.join(room_id))["ok"] is True
    await asyncio.wait_for(gone.wait(), 5)
    # Not before the token's last second, and within a second or so of it (one timer for all sockets).
    assert expires_at <= time.time() < expires_at + 2.0
    assert (await watcher.log.next("user-left"))["socketId"] == short.sid
    await watcher.close()
    await api.aclose()
    server.stop_gracefully()


async def test_revocation_disconnects_the_sockets_of_that_token_then_of_the_account(tmp_path: Path) -> None:
    """Through the server's own ``svc.revocations`` (what ``POST /api/auth/logout`` calls), in process."""
    async with in_process_server(tmp_path / "data", **limits_settings()) as (url, app):
        svc = app.signaling.services
        api = Api(url)
        registered = await api.register(username="leaver", password="correct horse battery")
        login = await api.http.post(
            "/api/auth/login", json={"email": "leaver@example.test", "password": "correct horse battery"}
        )
        first, second = registered["token"], login.json()["token"]
        room_id = (await api.create_room(first))["roomId"]
        watcher = await Peer(url, (await api.register())["token"]).connect()
        await watcher.join(room_id)
        by_first = [await Peer(url, first).connect() for _ in range(2)]
        by_second = await Peer(url, second).connect()
        await by_first[0].join(room_id)
        gone = [watch_disconnect(peer) for peer in (*by_first, by_second)]

        claims = svc.tokens.verify(first)
        await svc.revocations.revoke_token(claims)
        # At once: when the revocation (the logout's request) returns, the server holds none of those sockets.
        held = app.signaling.sessions.of_user(claims.user_id)
        assert [session.sid for session in held] == [by_second.sid]
        await asyncio.wait_for(asyncio.gather(gone[0].wait(), gone[1].wait()), 2)
        assert not gone[2].is_set()
        assert (await watcher.log.next("user-left"))["socketId"] == by_first[0].sid
        refused_client, refusal = await connect_or_refusal(url, first)
        assert refused_client is None and refusal == {"message": "unauthorized"}
        assert (await by_second.join(room_id))["ok"] is True

        await svc.revocations.revoke_user(claims.user_id, int(time.time()))
        assert app.signaling.sessions.of_user(claims.user_id) == []
        await asyncio.wait_for(gone[2].wait(), 2)
        assert (await watcher.log.next("user-left"))["socketId"] == by_second.sid
        assert len(app.signaling.sessions) == 1  # the watcher
        await watcher.close()
        await api.aclose()


def limits_settings() -> dict[str, object]:
    return {name.removeprefix("NIMEET_").lower(): value for name, value in limits().items()}
