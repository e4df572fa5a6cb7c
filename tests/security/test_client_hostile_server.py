"""Issue 10, item 18 (app side): the REST client against a malicious server on loopback.

A real HTTP server (asyncio streams, answering whatever the attack needs) sends JSON nested 100,000 deep, a body
that never ends, and absurd ``Retry-After`` values. The client must answer each with its normal ``RestError``
(nothing else escapes), stop reading at its cap, and never agree to wait longer than ``MAX_RETRY_AFTER_S``."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import pytest

from nimeet_desktop.net.rest import (
    MAX_RESPONSE_BYTES,
    MAX_RETRY_AFTER_S,
    ApiClient,
    ApiError,
    RestError,
    ServerUnreachable,
)
from tests.security.probes import rss_mib

Answer = Callable[[asyncio.StreamWriter], Awaitable[None]]


@asynccontextmanager
async def hostile_server(answer: Answer) -> AsyncIterator[str]:
    """Answers every request with ``answer``; yields its URL."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.readuntil(b"\r\n\r\n")
            await answer(writer)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.close()
        await server.wait_closed()


def canned(status: str, body: bytes, extra: str = "") -> Answer:
    async def answer(writer: asyncio.StreamWriter) -> None:
        head = (
            f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            f"Connection: close\r\n{extra}\r\n"
        )
        writer.write(head.encode() + body)
        await writer.drain()

    return answer


DEEP = b"[" * 100_000 + b"]" * 100_000
DEEP_OBJECT = b'{"a":' * 100_000 + b"1" + b"}" * 100_000
RATE_LIMITED = b'{"error": {"code": "rate-limited", "message": "slow down"}}'


@pytest.mark.parametrize(
    ("status", "body"),
    [("200 OK", DEEP), ("200 OK", DEEP_OBJECT), ("400 Bad Request", DEEP), ("429 Too Many Requests", DEEP)],
    ids=["deep-list-ok", "deep-object-ok", "deep-list-error", "deep-list-429"],
)
async def test_json_nested_100000_deep_is_a_clear_error(status: str, body: bytes) -> None:
    assert len(body) < MAX_RESPONSE_BYTES  # the size cap alone does not stop it
    async with hostile_server(canned(status, body)) as url, ApiClient(url) as api:
        with pytest.raises(ServerUnreachable, match=r"did not answer with JSON|not answering as a NIMeet server"):
            await api.healthz()
        api.token = "a-token"
        with pytest.raises(ServerUnreachable):
            await api.list_rooms()


async def test_a_logout_answered_with_deep_json_is_an_api_error_not_a_crash() -> None:
    """The logout has its own exchange (its 204 has no body): deep JSON there must end as the client's own error,
    which the app's Log out handles, not as a RecursionError reaching the UI."""
    async with hostile_server(canned("400 Bad Request", DEEP)) as url, ApiClient(url) as api:
        with pytest.raises(RestError):
            await api.logout("a-token")


async def test_a_body_that_never_ends_is_cut_at_the_cap() -> None:
    """No Content-Length, no end: the server streams as long as it is read. The client reads about its cap, then
    gives up with its normal error; its memory does not follow the stream."""
    streamed = 0

    async def endless(writer: asyncio.StreamWriter) -> None:
        nonlocal streamed
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n")
        writer.write(b'{"status": "')
        chunk = b"a" * 65536
        while streamed < 200 * MAX_RESPONSE_BYTES:  # 200 MiB if nobody stops reading
            writer.write(chunk)
            await writer.drain()
            streamed += len(chunk)

    before = rss_mib(os.getpid())
    started = time.monotonic()
    async with hostile_server(endless) as url, ApiClient(url) as api:
        with pytest.raises(ServerUnreachable, match="too large"):
            await api.healthz()
    elapsed = time.monotonic() - started
    assert elapsed < 5
    # What the server got rid of before the client hung up: the cap plus socket buffers, not the stream.
    assert streamed < 20 * MAX_RESPONSE_BYTES
    assert rss_mib(os.getpid()) - before < 20


@pytest.mark.parametrize(
    ("retry_after", "honoured"),
    [
        ("99999999", MAX_RETRY_AFTER_S),
        ("9" * 5000, MAX_RETRY_AFTER_S),  # more digits than int() converts
        ("Fri, 31 Dec 9999 23:59:59 GMT", MAX_RETRY_AFTER_S),
        ("Sun, 06 Nov 1994 08:49:37 GMT", 0.0),  # the past: try again at once
        ("-5", None),
        ("1e999", None),
        ("soon", None),
    ],
    ids=["huge", "5000-digits", "year-9999", "past", "negative", "float", "word"],
)
async def test_retry_after_is_capped(retry_after: str, honoured: float | None) -> None:
    response = canned("429 Too Many Requests", RATE_LIMITED, f"Retry-After: {retry_after}\r\n")
    async with hostile_server(response) as url, ApiClient(url) as api:
        with pytest.raises(ApiError) as caught:
            await api.healthz()
    error = caught.value
    assert (error.status, error.code, error.message) == (429, "rate-limited", "slow down")
    assert error.retry_after == honoured
