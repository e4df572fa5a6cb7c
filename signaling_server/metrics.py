"""What ``GET /metrics`` shows (Prometheus text format), and the request-latency middleware that feeds it.

Each app has a registry of its own, not prometheus-client's global one: two apps in one process (tests, the
desktop app's bundled server) would otherwise share, and collide on, the same metric names.
"""

from __future__ import annotations

import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Seconds; REST calls here take milliseconds, a slow database seconds.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
RELAYED_EVENTS = ("offer", "answer", "ice-candidate")
# Methods as labels: any other token a client sends counts as OTHER, or each would make a time series of its own.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.rooms = Gauge("nimeet_rooms", "Rooms with people in them", registry=self.registry)
        self.participants = Gauge("nimeet_participants", "People in rooms (sockets)", registry=self.registry)
        self.joins = Counter("nimeet_joins", "Joins into a room (lobby admissions included)", registry=self.registry)
        relayed = Counter(
            "nimeet_relayed_messages",
            "Offers, answers and ICE candidates relayed between participants",
            ["event"],
            registry=self.registry,
        )
        # Children bound once: a relay is the hot path, and .labels() looks its child up under a lock each time.
        self.relayed = {event: relayed.labels(event) for event in RELAYED_EVENTS}
        self._errors = Counter(
            "nimeet_errors",
            "Refusals by error code: socket.io acks and REST error responses",
            ["source", "code"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "nimeet_http_request_duration_seconds",
            "REST request latency, by method, route and status",
            ["method", "route", "status"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )

    def acked(self, ack: Any) -> None:
        """Count a socket.io ack that refused (``{ok: false, error: {code}}``)."""
        if isinstance(ack, dict) and ack.get("ok") is False:
            error = ack.get("error")
            code = error.get("code") if isinstance(error, dict) else None
            self._errors.labels("socket", str(code)[:64]).inc()

    def rest_error(self, code: str) -> None:
        self._errors.labels("rest", code[:64]).inc()

    def exposition(self, rooms: int, participants: int) -> bytes:
        self.rooms.set(rooms)
        self.participants.set(participants)
        return generate_latest(self.registry)


class Latency:
    """ASGI middleware timing every REST request, labelled with the route's template (``/api/rooms/{roomId}``),
    never the raw path: ids in paths would make a new time series per room."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            method = scope["method"] if scope["method"] in METHODS else "OTHER"
            self.metrics.latency.labels(method, route, str(status)).observe(time.perf_counter() - started)
