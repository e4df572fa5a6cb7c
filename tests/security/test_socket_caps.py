"""Issue 10, item 7 (caps): one account holds at most ``NIMEET_MAX_SOCKETS_PER_USER`` sockets (default 10) and one
peer address at most ``NIMEET_MAX_SOCKETS_PER_ADDRESS``; a further connect is refused with ``connect_error``
``too-many-connections``, and a closed socket frees its place at once. Before the fix one user opened thousands."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import socketio

from signaling_server.config import Settings
from tests.security.probes import STALL_S, Watch
from tests.security.sockets_attacks import connect_or_refusal, limits
from tests.support.clients import Api
from tests.support.server import ServerProcess

TOO_MANY = {"message": "too-many-connections"}


async def close_all(clients: list[socketio.AsyncClient | None]) -> None:
    for client in clients:
        if client is not None and client.connected:
            await client.disconnect()


async def test_one_account_holds_at_most_its_cap(make_server: Callable[..., ServerProcess]) -> None:
    server = make_server(env=limits())
    url = server.start()
    cap = Settings.model_fields["max_sockets_per_user"].default
    assert cap == 10
    api = Api(url)
    token = (await api.register())["token"]
    async with Watch(server.pid, url) as watch:
        # All at once: the cap holds against connects racing each other through the database look-up.
        results = await asyncio.gather(*(connect_or_refusal(url, token) for _ in range(3 * cap)))
    clients = [client for client, _ in results]
    refusals = [refusal for _, refusal in results if refusal is not None]
    try:
        assert sum(client is not None for client in clients) == cap
        assert refusals == [TOO_MANY] * (2 * cap)
        # Another account is not affected, and a closed socket frees its place at once.
        other, refusal = await connect_or_refusal(url, (await api.register())["token"])
        assert other is not None, refusal
        clients.append(other)
        first = next(client for client in clients if client is not None)
        await first.disconnect()
        await asyncio.sleep(0.2)
        again, refusal = await connect_or_refusal(url, token)
        assert again is not None, refusal
        clients.append(again)
        _, refusal = await connect_or_refusal(url, token)
        assert refusal == TOO_MANY
    finally:
        await close_all(clients)
        await api.aclose()
    assert watch.worst_health_s < STALL_S, f"/healthz took {watch.worst_health_s:.2f} s"
    # Logged, but not once per refused connect: once a minute per account.
    assert sum("too many connections" in line for line in server.stderr_lines) == 1
    # After every socket closed the account has its whole allowance again: no count leaked.
    recovered = [await connect_or_refusal(url, token) for _ in range(cap)]
    assert [refusal for _, refusal in recovered] == [None] * cap
    await close_all([client for client, _ in recovered])
    server.stop_gracefully()


async def test_one_address_holds_at_most_its_cap(make_server: Callable[..., ServerProcess]) -> None:
    """Many accounts from one address (every test client is 127.0.0.1): the address cap applies across them."""
    server = make_server(env=limits(max_sockets_per_address=12))
    url = server.start()
    api = Api(url)
    tokens = [(await api.register())["token"] for _ in range(4)]
    results = [await connect_or_refusal(url, token) for token in tokens for _ in range(4)]
    try:
        assert [refusal for _, refusal in results] == [None] * 12 + [TOO_MANY] * 4
    finally:
        await close_all([client for client, _ in results])
        await api.aclose()
    server.stop_gracefully()
