"""A server of contract version 1 as far as the 1.1 paths go: every request answers 404 ``not-found`` in the
contract's error shape, as the real server of that version does for a path it does not have."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


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
