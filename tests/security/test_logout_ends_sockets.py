"""Issue 10, item 8, end to end on the real server process: a logout, a "log out everywhere" and a deleted account
end the sockets opened with those tokens (the contract: "every socket opened with it is disconnected"), and a
logged-out token cannot open a new one. The REST half is in test_revocation.py, the in-process socket half in
test_token_lifetime.py; this file joins them through ``POST /api/auth/logout`` and ``nimeet-server delete-user``."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from tests.security.sockets_attacks import connect_or_refusal, limits, watch_disconnect
from tests.security.test_revocation import delete_user
from tests.support.clients import Api, Peer, bearer
from tests.support.server import ServerProcess

# A logout disconnects at once; a deletion written by another process is picked up by the revocation poll
# (NIMEET_REVOCATION_POLL_S, 2 s by default) and then disconnects at once.
AT_ONCE_S = 1.0
POLL_S = 2.0


async def two_tokens(api: Api, name: str) -> tuple[str, str, str]:
    """Register ``name`` and log in once more: (first token, second token, email)."""
    registered = await api.register(username=name, password="correct horse battery")
    email = registered["user"]["email"]
    reply = await api.http.post("/api/auth/login", json={"email": email, "password": "correct horse battery"})
    assert reply.status_code == 200, reply.text
    return registered["token"], reply.json()["token"], email


async def seconds_since(started: float, event: asyncio.Event, limit_s: float) -> float:
    await asyncio.wait_for(event.wait(), limit_s)
    return time.monotonic() - started


async def test_logout_ends_that_tokens_sockets_at_once_and_no_other(
    make_server: Callable[..., ServerProcess],
) -> None:
    server = make_server(env=limits())
    url = server.start()
    api = Api(url)
    first, second, _ = await two_tokens(api, "leaving1")
    room_id = (await api.create_room(first))["roomId"]
    watcher = await Peer(url, (await api.register())["token"]).connect()
    await watcher.join(room_id)
    by_first = await Peer(url, first).connect()
    by_second = await Peer(url, second).connect()
    await by_first.join(room_id)
    await watcher.log.next("user-joined")
    first_gone, second_gone = watch_disconnect(by_first), watch_disconnect(by_second)

    started = time.monotonic()
    reply = await api.http.post("/api/auth/logout", headers=bearer(first))
    assert reply.status_code == 204, reply.text
    took = await seconds_since(started, first_gone, AT_ONCE_S)
    print(f"logout ended the token's socket {took * 1000:.0f} ms after it was asked for")
    assert (await watcher.log.next("user-left"))["socketId"] == by_first.sid
    # The account's other token, and its socket, are untouched.
    assert not second_gone.is_set() and by_second.sio.connected
    assert (await api.http.get("/api/auth/me", headers=bearer(second))).status_code == 200
    # The logged-out token opens nothing any more.
    client, refusal = await connect_or_refusal(url, first)
    assert client is None and refusal == {"message": "unauthorized"}, refusal

    for peer in (by_second, watcher):
        await peer.close()
    await api.aclose()
    server.stop_gracefully()


async def test_logout_everywhere_ends_every_socket_of_the_account(make_server: Callable[..., ServerProcess]) -> None:
    server = make_server(env=limits())
    url = server.start()
    api = Api(url)
    first, second, _ = await two_tokens(api, "leaving2")
    peers = [await Peer(url, token).connect() for token in (first, first, second)]
    gone = [watch_disconnect(peer) for peer in peers]
    bystander = await Peer(url, (await api.register())["token"]).connect()

    reply = await api.http.post("/api/auth/logout", headers=bearer(second), json={"all": True})
    assert reply.status_code == 204, reply.text
    await asyncio.wait_for(asyncio.gather(*(event.wait() for event in gone)), AT_ONCE_S)
    for token in (first, second):
        client, refusal = await connect_or_refusal(url, token)
        assert client is None and refusal == {"message": "unauthorized"}, refusal
    assert bystander.sio.connected  # another account is untouched

    await bystander.close()
    await api.aclose()
    server.stop_gracefully()


async def test_deleting_the_account_ends_its_sockets(make_server: Callable[..., ServerProcess]) -> None:
    """``nimeet-server delete-user`` runs in its own process on the same data directory, as an admin would."""
    server = make_server(env=limits())
    url = server.start()
    api = Api(url)
    token, _, email = await two_tokens(api, "deleted1")
    peer = await Peer(url, token).connect()
    gone = watch_disconnect(peer)

    done = await asyncio.to_thread(delete_user, server.data_dir, email)
    assert done.returncode == 0, done.stderr
    took = await seconds_since(time.monotonic(), gone, POLL_S + AT_ONCE_S)
    print(f"delete-user ended the account's socket {took:.2f} s after the command returned")
    assert (await api.http.get("/api/auth/me", headers=bearer(token))).status_code == 401

    await api.aclose()
    server.stop_gracefully()
