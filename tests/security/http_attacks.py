"""Raw-socket attacks on the server's HTTP layer (the `http` helper's items of issue 10): requests a well-behaved
client library would refuse to send, written byte by byte."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.support.server import ServerProcess


@dataclass
class Flood:
    sent: int  # bytes the server took before it closed the connection
    seconds: float  # from the first byte until the server closed it (or the flood ended)
    reply: bytes  # what the server answered, if it could be read
    closed_by_server: bool


async def flood(
    url: str, head: bytes, piece: Callable[[int], bytes], total: int, chunk: int = 64 * 1024, timeout: float = 30.0
) -> Flood:
    """Send ``head`` then ``total`` bytes made by ``piece(n)`` in ``chunk``-sized writes, reading what the server
    says meanwhile. Never holds more than one chunk."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    reader, writer = await asyncio.open_connection(host, int(port))
    reply = bytearray()

    async def read() -> None:
        with contextlib.suppress(ConnectionError):
            while data := await reader.read(65536):
                reply.extend(data)

    reading = asyncio.create_task(read())
    started = time.monotonic()
    sent = 0
    closed = False
    try:
        writer.write(head)
        await writer.drain()
        sent = len(head)
        while sent < total and time.monotonic() - started < timeout:
            if reading.done():  # the server closed its side
                closed = True
                break
            data = piece(min(chunk, total - sent))
            writer.write(data)
            await writer.drain()
            sent += len(data)
    except ConnectionError:
        closed = True
    seconds = time.monotonic() - started
    if not closed:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(reading), 5)
        closed = reading.done()
    reading.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await reading
    writer.close()
    with contextlib.suppress(ConnectionError):
        await writer.wait_closed()
    return Flood(sent=sent, seconds=seconds, reply=bytes(reply), closed_by_server=closed)


def status_of(reply: bytes) -> int | None:
    if not reply.startswith(b"HTTP/1.1 "):
        return None
    return int(reply[9:12])


def host_header(url: str) -> bytes:
    return url.removeprefix("http://").encode()


def sqlite_files(data_dir: Path) -> list[Path]:
    return [data_dir / name for name in ("nimeet.sqlite3", "nimeet.sqlite3-wal", "nimeet.sqlite3-shm")]


def logged(server: ServerProcess) -> str:
    return "".join(server.stderr_lines)
