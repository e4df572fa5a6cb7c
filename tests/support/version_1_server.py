"""A server of contract version 1 as far as the 1.1 paths go: every request answers 404 ``not-found`` in the
contract's error shape, as the real server of that version does for a path it does not have."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
from aiohttp import web


@asynccontextmanager
async def version_1_server() -> AsyncIterator[str]:
    """What a server of contract version 1 answers for a path it does not have: 404 ``not-found``."""
    body = b'{"error": {"code": "not-found", "message": "Not Found"}}'
    answer = (
        b"HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: "
        + str(len(body)).encode()
        + b"\r\nConnection: close\r\n\r\n"
        + body
    )

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(answer)
            await writer.drain()
        finally:
            writer.close()

    srv = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        yield f"http://127.0.0.1:{srv.sockets[0].getsockname()[1]}"
    finally:
        srv.close()
        await srv.wait_closed()


# The paths of contract 1.1 that a version-1 server does not have, among those the app asks for by itself.
V1_1_PATHS = ("/api/users/me/preferences", "/api/meetings")


@asynccontextmanager
async def without_1_1_paths(upstream: str) -> AsyncIterator[str]:
    """The real server at ``upstream`` behind a loopback proxy that answers the 1.1 paths (preferences, scheduling)
    as a version-1 server does, 404 ``not-found``, and passes everything else through: an older server to sign in to.
    REST only (no socket.io): enough for the dashboard, not for a call."""
    session = aiohttp.ClientSession()

    async def handle(request: web.Request) -> web.StreamResponse:
        if request.path.startswith(V1_1_PATHS):
            return web.json_response({"error": {"code": "not-found", "message": "Not Found"}}, status=404)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")}
        async with session.request(
            request.method, upstream + request.path_qs, headers=headers, data=await request.read()
        ) as answer:
            body = await answer.read()
            return web.Response(
                status=answer.status, body=body, headers={"Content-Type": answer.headers.get("Content-Type", "")}
            )

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()
        await session.close()
