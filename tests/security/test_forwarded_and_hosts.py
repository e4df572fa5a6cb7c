"""Issue 10, item 11: ``X-Forwarded-For`` was believed from any local process, so a client picked the address its
rate limits keyed on (15 of 15 registrations through a limit of 10); and the local server answered requests for any
host name, so a web page could reach it by DNS rebinding. Forwarded headers now count only from
``NIMEET_TRUSTED_PROXIES``, and the server checks ``Host`` and ``Origin`` on REST and ``/socket.io``."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest
import websockets
from websockets.exceptions import InvalidStatus

from signaling_server.api.host_guard import allowed_hosts_for, split_host
from tests.support.server import ServerProcess


async def registrations(url: str, count: int) -> list[int]:
    async with httpx.AsyncClient(base_url=url) as client:
        statuses = []
        for i in range(count):
            r = await client.post(
                "/api/auth/register",
                json={"username": f"spoof{i}", "email": f"spoof{i}@example.test", "password": "password123"},
                headers={"X-Forwarded-For": f"203.0.113.{i + 1}"},
            )
            statuses.append(r.status_code)
        return statuses


async def test_spoofed_forwarded_for_does_not_escape_the_rate_limit(
    make_server: Callable[..., ServerProcess],
) -> None:
    url = make_server(env={"NIMEET_REGISTER_PER_MIN": "10"}).start()
    statuses = await registrations(url, 15)
    assert statuses.count(201) <= 10, statuses
    assert statuses.count(429) >= 5


async def test_forwarded_for_counts_from_a_trusted_proxy_network(make_server: Callable[..., ServerProcess]) -> None:
    # The tests' client is the "proxy" here: a network, as the setting allows (host bits set, as people write it).
    url = make_server(env={"NIMEET_REGISTER_PER_MIN": "10", "NIMEET_TRUSTED_PROXIES": "127.0.0.5/8,::1"}).start()
    statuses = await registrations(url, 15)
    assert statuses == [201] * 15  # each forwarded client has a budget of its own


def test_bad_trusted_proxies_setting_is_refused(make_server: Callable[..., ServerProcess]) -> None:
    server = make_server(env={"NIMEET_TRUSTED_PROXIES": "proxy.example"})
    with pytest.raises(RuntimeError, match="NIMEET_TRUSTED_PROXIES"):
        server.start()


async def test_a_request_for_another_host_name_is_refused(make_server: Callable[..., ServerProcess]) -> None:
    url = make_server().start()
    port = url.rsplit(":", 1)[1]
    async with httpx.AsyncClient(base_url=url) as client:
        for host in ("attacker.example", f"attacker.example:{port}", "127.0.0.1.attacker.example", ""):
            for path in ("/healthz", "/api/auth/me", "/socket.io/?EIO=4&transport=polling"):
                r = await client.get(path, headers={"Host": host})
                assert r.status_code == 421, (host, path, r.status_code)
                assert r.json()["error"]["code"] == "forbidden"
        for host in (f"127.0.0.1:{port}", f"localhost:{port}", "localhost", f"[::1]:{port}", f"LOCALHOST:{port}"):
            r = await client.get("/healthz", headers={"Host": host})
            assert r.status_code == 200, host
    with pytest.raises(InvalidStatus):
        async with websockets.connect(
            f"ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket",
            additional_headers={"Host": "attacker.example"},
            open_timeout=5,
        ):
            pass


async def test_a_browser_request_from_another_origin_is_refused(make_server: Callable[..., ServerProcess]) -> None:
    url = make_server(env={"NIMEET_CORS_ORIGINS": "https://web.example"}).start()
    port = url.rsplit(":", 1)[1]
    async with httpx.AsyncClient(base_url=url) as client:
        for origin in ("http://evil.example", "null", f"http://127.0.0.1:{int(port) + 1}", "http://localhost"):
            body = {"email": "a@b.c", "password": "x"}
            r = await client.post("/api/auth/login", json=body, headers={"Origin": origin})
            assert r.status_code == 403, origin
            assert r.json()["error"]["code"] == "forbidden"
        for origin in (url, url + "/", "https://web.example"):
            r = await client.get("/healthz", headers={"Origin": origin})
            assert r.status_code == 200, origin
    with pytest.raises(InvalidStatus):
        async with websockets.connect(
            f"ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket",
            additional_headers={"Origin": "http://evil.example"},
            open_timeout=5,
        ):
            pass
    # The desktop app's own socket (no Origin) still connects.
    async with websockets.connect(f"ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket", open_timeout=5) as ws:
        assert str(await asyncio.wait_for(ws.recv(), 5)).startswith("0{")


async def test_allowed_hosts_adds_a_reverse_proxys_name(make_server: Callable[..., ServerProcess]) -> None:
    url = make_server(env={"NIMEET_ALLOWED_HOSTS": "meet.example.org"}).start()
    async with httpx.AsyncClient(base_url=url) as client:
        assert (await client.get("/healthz", headers={"Host": "meet.example.org"})).status_code == 200
        assert (await client.get("/healthz", headers={"Host": "meet.example.org:443"})).status_code == 200
        assert (await client.get("/healthz", headers={"Host": "other.example.org"})).status_code == 421


def test_which_hosts_a_server_answers_to() -> None:
    assert allowed_hosts_for("127.0.0.1", []) == frozenset({"localhost"})  # plus every loopback address
    assert allowed_hosts_for("::1", ["meet.example"]) == frozenset({"localhost", "meet.example"})
    assert allowed_hosts_for("0.0.0.0", []) is None  # noqa: S104 - not on loopback: any, unless configured
    assert allowed_hosts_for("192.0.2.7", ["meet.example"]) == frozenset({"meet.example"})
    assert allowed_hosts_for("127.0.0.1", ["*"]) is None
    assert split_host("[::1]:8765") == ("::1", 8765)
    assert split_host("Example.ORG.") == ("example.org", None)
    assert split_host("a:b:c") == ("a:b:c", None)
    assert split_host("host:port") == ("", None)
