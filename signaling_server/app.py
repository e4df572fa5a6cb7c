"""The ASGI app: FastAPI for REST with python-socketio mounted beside it on ``/socket.io``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import socketio
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from signaling_server import wirejson
from signaling_server.api import auth, errors, files, history, invitations, meetings, misc, preferences, rooms
from signaling_server.api import metrics as metrics_route
from signaling_server.api.body_limit import UPLOADS, BodyLimit
from signaling_server.api.host_guard import HostGuard, allowed_hosts_for
from signaling_server.config import Settings
from signaling_server.db.engine import migrate
from signaling_server.gc_policy import GcPolicy
from signaling_server.metrics import Latency
from signaling_server.protocol import PROTOCOL_VERSION
from signaling_server.services import Services, build_services
from signaling_server.signaling import socketio_compat, transport
from signaling_server.signaling.handlers import Signaling
from signaling_server.signaling.strict_server import StrictAsyncServer
from signaling_server.signaling.websocket_only import websocket_only

logger = logging.getLogger(__name__)


@dataclass
class ServerApp:
    asgi: Any  # the ASGI callable uvicorn serves
    sio: socketio.AsyncServer
    signaling: Signaling

    async def drain(self, timeout_s: float = 2.0) -> None:
        """Close every Engine.IO transport (a CLOSE packet; pending long-polls return) before the web server
        stops, so clients learn at once instead of waiting out a ping timeout. socket.io-client (JS) then
        reconnects by itself; python-socketio's AsyncClient sees "server disconnect" and does not, so our own
        client must reconnect in its own loop (docs/protocol.md, section 8)."""
        self.signaling.draining = True
        if self.sio.eio.sockets:  # engineio's disconnect-all raises on an empty set...
            # ... and the last socket may close between that check and its wait (ValueError from asyncio.wait([])).
            with contextlib.suppress(TimeoutError, ValueError):
                await asyncio.wait_for(self.sio.eio.disconnect(), timeout_s)
        # Stay rows still being written finish before shutdown closes every open stay and disposes of the engine.
        await self.signaling.drain_background(timeout_s)


def _client_manager(settings: Settings) -> socketio.AsyncManager | None:
    """Several nodes: events for sockets on other nodes go through Redis' pub/sub (one channel per deployment).
    redis-py is imported only then: one process (and the desktop app that bundles it) never needs it."""
    if settings.redis_url is None:
        return None
    from signaling_server import redis_client

    url = settings.redis_url.get_secret_value()
    return socketio.AsyncRedisManager(url, channel="nimeet", redis_options=redis_client.pubsub_options())


async def _tidy_previous_run(svc: Services) -> None:
    """What the previous run left: its meetings' files, and the stays and sessions still open in the database (the
    live state they belonged to ended with it)."""
    svc.files.clear_all()
    closed = await svc.store.end_open_participations()
    if closed:
        logger.info("closed participations left open by the previous run", extra={"count": closed})
    ended = await svc.history.end_open_sessions()  # their meetings ended with them
    if ended:
        logger.info("closed sessions left open by the previous run", extra={"count": ended})


def create_app(settings: Settings, on_ready: Callable[[], None] | None = None) -> ServerApp:
    """Build the whole server."""
    svc = build_services(settings)
    gc_policy = GcPolicy(settings.gc_full_interval_s)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await migrate(svc.engine)
        # Several nodes: only the first one up may tidy what the last run left; the others' meetings are live.
        first = True if svc.nodes is None else await svc.nodes.register()
        if first:
            await _tidy_previous_run(svc)
        await svc.revocations.start()  # revoked tokens loaded before the first request
        if svc.nodes is not None:
            svc.nodes.start(signaling.sockets_gone, signaling.disconnect_all)
        gc_policy.start()
        if svc.mail_loop is not None:
            svc.mail_loop.start()
        if on_ready is not None:
            on_ready()
        try:
            yield
        finally:
            await gc_policy.stop()
            if svc.mail_loop is not None:
                await svc.mail_loop.stop()
            await svc.revocations.stop()
            # Several nodes: this node's own stays were closed as its sockets left (drain); every open stay is
            # closed only by the last node to go, since the others' are still going on.
            last = True if svc.nodes is None else await svc.nodes.alone()
            if svc.nodes is not None:
                await svc.nodes.stop()
            if last:
                try:
                    await svc.store.end_open_participations()
                    await svc.history.end_open_sessions()
                except Exception as exc:  # the database is gone or read-only: the next start closes them
                    logger.warning(
                        "could not close open participations on shutdown", extra={"error": type(exc).__name__}
                    )
            await svc.engine.dispose()
            if svc.redis is not None:
                await svc.redis.aclose()

    api = FastAPI(
        title="NIMeet signaling server",
        version=f"{PROTOCOL_VERSION}.0",
        description="REST half of the NIMeet wire contract (see docs/protocol.md for the socket.io half).",
        lifespan=lifespan,
    )
    api.state.services = svc
    errors.install(api)
    api.include_router(auth.router)
    api.include_router(rooms.router)
    api.include_router(files.router)
    api.include_router(preferences.router)
    api.include_router(meetings.router)
    api.include_router(misc.router)
    api.include_router(invitations.router)
    api.include_router(history.router)
    api.include_router(metrics_route.router)
    if settings.cors_origins:
        api.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type"],
        )

    sio = StrictAsyncServer(
        client_manager=_client_manager(settings),
        async_mode="asgi",
        # None = same origin only; browsers elsewhere need NIMEET_CORS_ORIGINS.
        cors_allowed_origins=settings.cors_origins or None,
        # Our clients only use WebSocket: long-polling would only add a second way in (see websocket_only.py).
        transports=["websocket"],
        async_handlers=False,
        max_http_buffer_size=settings.max_message_bytes,
        ping_interval=settings.ping_interval_s,
        ping_timeout=settings.ping_timeout_s,
        json=wirejson,
        logger=False,
        engineio_logger=False,
    )
    transport.install(
        sio.eio,
        transport.TransportLimits(
            max_unsent_bytes=settings.max_unsent_bytes,
            connect_timeout_s=settings.connect_timeout_s,
            namespace_connected=lambda eio_sid: socketio_compat.connected_sid(sio, eio_sid) is not None,
        ),
    )
    signaling = Signaling(sio, svc)
    rest = BodyLimit(Latency(api, svc.metrics), settings.max_body_bytes, exempt=UPLOADS)
    routed = websocket_only(socketio.ASGIApp(sio, other_asgi_app=rest, socketio_path="socket.io"))
    asgi = HostGuard(routed, allowed_hosts_for(settings.host, settings.allowed_hosts), settings.cors_origins)
    return ServerApp(asgi=asgi, sio=sio, signaling=signaling)
