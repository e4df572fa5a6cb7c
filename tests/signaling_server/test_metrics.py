"""GET /metrics (contract v1.1): Prometheus text that moves with real joins, relays and refusals; served to loopback
clients only, and a forwarding header cannot fake loopback, whether the proxy is trusted or not."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.signaling_server.meetings import Connect, emptied
from tests.support.clients import Api, bearer
from tests.support.server import ServerProcess

# Counters are per process: with several nodes each serves its own /metrics (not a contract test).
ONE_NODE = True
OFFER = {"type": "offer", "sdp": "v=0\r\n"}


async def scrape(
    http: httpx.AsyncClient, headers: dict[str, str] | None = None
) -> dict[tuple[str, tuple[str, ...]], float]:
    r = await http.get("/metrics", headers=headers or {})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain")
    samples: dict[tuple[str, tuple[str, ...]], float] = {}
    for family in text_string_to_metric_families(r.text):
        for sample in family.samples:
            samples[(sample.name, tuple(f"{k}={v}" for k, v in sorted(sample.labels.items())))] = sample.value
    return samples


def refused(r: httpx.Response) -> None:
    assert r.status_code == 403, r.text
    assert r.json()["error"]["code"] == "forbidden"


async def test_counters_move_with_joins_relays_and_refusals(api: Api, peers: Connect) -> None:
    before = await scrape(api.http)
    owner, guest = await api.register(), await api.register()
    room_id = (await api.create_room(owner["token"]))["roomId"]
    a, b = await peers(owner["token"]), await peers(guest["token"])
    assert (await a.join(room_id))["ok"] and (await b.join(room_id))["ok"]
    assert (await b.call("offer", {"target": a.sid, "description": OFFER}))["ok"]
    assert (await b.call("ice-candidate", {"target": a.sid, "candidate": None}))["ok"]
    assert (await b.call("offer", {"target": "nobody", "description": OFFER}))["error"]["code"] == "unknown-target"
    r = await api.http.get("/api/rooms/AAAAAAAAAAAAAAAAAAAAAA", headers=bearer(owner["token"]))
    assert r.status_code == 404
    during = await scrape(api.http)
    try:

        def moved(name: str, *labels: str) -> float:
            return during.get((name, labels), 0.0) - before.get((name, labels), 0.0)

        assert moved("nimeet_joins_total") == 2
        assert moved("nimeet_relayed_messages_total", "event=offer") == 1
        assert moved("nimeet_relayed_messages_total", "event=ice-candidate") == 1
        assert moved("nimeet_errors_total", "code=unknown-target", "source=socket") == 1
        assert moved("nimeet_errors_total", "code=room-not-found", "source=rest") == 1
        # Room and participant gauges are the live state (other tests' rooms are empty by now).
        assert during[("nimeet_rooms", ())] >= 1 and during[("nimeet_participants", ())] >= 2
        # Latency by the route's template, never the raw path with an id in it.
        route = ("method=GET", "route=/api/rooms/{roomId}", "status=404")
        assert moved("nimeet_http_request_duration_seconds_count", *route) == 1
        assert not any(room_id in label for _, labels in during for label in labels)
    finally:
        await a.close()
        await b.close()
    await emptied(api, room_id)


async def test_a_request_through_a_proxy_is_not_loopback(make_server: Callable[..., ServerProcess]) -> None:
    """No trusted proxies: the connection comes from 127.0.0.1, but a proxy on this machine says for whom."""
    async with httpx.AsyncClient(base_url=make_server().start()) as http:
        await scrape(http)
        await scrape(http, {"X-Forwarded-For": "127.0.0.1"})
        refused(await http.get("/metrics", headers={"X-Forwarded-For": "203.0.113.5"}))
        refused(await http.get("/metrics", headers={"X-Forwarded-For": "127.0.0.1, 203.0.113.5"}))
        refused(await http.get("/metrics", headers={"X-Real-IP": "203.0.113.5"}))
        refused(await http.get("/metrics", headers={"Forwarded": "for=127.0.0.1"}))


async def test_behind_a_trusted_proxy_the_forwarded_client_decides(make_server: Callable[..., ServerProcess]) -> None:
    """127.0.0.1 is a trusted proxy: uvicorn takes the client from X-Forwarded-For, and a loopback address a remote
    client put in front of its real one (the proxy appends that) does not make it loopback."""
    url = make_server(env={"NIMEET_TRUSTED_PROXIES": "127.0.0.1"}).start()
    async with httpx.AsyncClient(base_url=url) as http:
        refused(await http.get("/metrics", headers={"X-Forwarded-For": "203.0.113.5"}))
        refused(await http.get("/metrics", headers={"X-Forwarded-For": "127.0.0.1, 203.0.113.5"}))
        await scrape(http, {"X-Forwarded-For": "127.0.0.1"})  # the proxy's own client is on this machine
        await scrape(http)


async def test_public_metrics_answer_anyone(make_server: Callable[..., ServerProcess]) -> None:
    env = {"NIMEET_TRUSTED_PROXIES": "127.0.0.1", "NIMEET_METRICS_PUBLIC": "true"}
    async with httpx.AsyncClient(base_url=make_server(env=env).start()) as http:
        await scrape(http, {"X-Forwarded-For": "203.0.113.5"})
