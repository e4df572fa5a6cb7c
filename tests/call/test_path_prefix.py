"""Issue 10, item 15: behind a reverse proxy that serves NIMeet under a path prefix (server URL
``http://host/nimeet``), the app's signaling went to the host's root ``/socket.io`` while REST kept the prefix.

The proxy here is real: an HTTP/1.1 reverse proxy on loopback that serves only ``/nimeet/...``, strips the prefix
and forwards to the real server, WebSocket upgrades included (it pipes the bytes after the upgrade), and answers 404
to anything outside its prefix, as a shared host would. REST, signaling and a call all go through it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import pytest

from nimeet_desktop.call.session import CallSession
from nimeet_desktop.net.rest import ApiClient
from nimeet_desktop.net.signaling import socketio_endpoint
from signaling_server.protocol import JoinAck
from tests.call.conftest import frames_from, wait_until
from tests.support.clients import unique_name
from tests.support.server import ServerProcess

PREFIX = b"/nimeet"


@dataclass
class PrefixProxy:
    """Forwards ``PREFIX/...`` to ``upstream`` with the prefix stripped; everything else is a 404."""

    upstream_host: str
    upstream_port: int
    forwarded: list[bytes] = field(default_factory=list)  # request targets as the server saw them
    refused: list[bytes] = field(default_factory=list)
    url: str = ""

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            writer.close()
            return
        request_line, _, header_block = head.partition(b"\r\n")
        method, target, version = request_line.split(b" ", 2)
        if not (target == PREFIX or target.startswith((PREFIX + b"/", PREFIX + b"?"))):
            self.refused.append(target)
            writer.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\nConnection: close\r\n\r\nnot here\n")
            with contextlib.suppress(ConnectionError):
                await writer.drain()
            writer.close()
            return
        stripped = target[len(PREFIX) :]
        stripped = stripped if stripped.startswith(b"/") else b"/" + stripped
        self.forwarded.append(stripped)
        headers = header_block.split(b"\r\n")
        if not any(h.lower().startswith(b"upgrade:") for h in headers):
            # One request per connection: the next request on a kept-alive connection would pass unrewritten.
            headers = [h for h in headers if h and not h.lower().startswith(b"connection:")]
            headers += [b"Connection: close", b"", b""]
        up_reader, up_writer = await asyncio.open_connection(self.upstream_host, self.upstream_port)
        up_writer.write(b" ".join((method, stripped, version)) + b"\r\n" + b"\r\n".join(headers))
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    @staticmethod
    async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        try:
            while data := await source.read(65536):
                sink.write(data)
                await sink.drain()
        except ConnectionError:
            pass
        finally:
            sink.close()


@pytest.fixture
async def proxy(call_server: ServerProcess) -> AsyncIterator[PrefixProxy]:
    host, port = call_server.url.removeprefix("http://").rsplit(":", 1)
    prefix_proxy = PrefixProxy(host, int(port))
    server = await asyncio.start_server(prefix_proxy.handle, "127.0.0.1", 0)
    prefix_proxy.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}{PREFIX.decode()}"
    yield prefix_proxy
    server.close()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(server.wait_closed(), 5)


def test_the_socketio_path_is_under_the_url_path() -> None:
    assert socketio_endpoint("https://host/nimeet") == ("https://host", "nimeet/socket.io")
    assert socketio_endpoint("https://host:8443/a/b/") == ("https://host:8443", "a/b/socket.io")
    assert socketio_endpoint("http://127.0.0.1:8765") == ("http://127.0.0.1:8765", "socket.io")


async def test_rest_signaling_and_a_call_through_a_prefix_proxy(
    proxy: PrefixProxy, sessions: Callable[..., CallSession]
) -> None:
    tokens = []
    async with ApiClient(proxy.url) as api:
        assert (await api.healthz()).status == "ok"
        for _ in range(2):
            name = unique_name("prefix")
            tokens.append((await api.register(name, f"{name}@example.test", "correct horse battery")).token)
        api.token = tokens[0]
        room_id = (await api.create_room("behind a proxy")).room.room_id

    first, second = sessions(tokens[0], server_url=proxy.url), sessions(tokens[1], server_url=proxy.url)
    await first.join(room_id)
    ack = await second.join(room_id)
    assert isinstance(ack, JoinAck)
    assert [p.socket_id for p in ack.participants] == [
        first.self_participant.socket_id if first.self_participant else ""
    ]
    # Offers, answers and candidates were relayed through the proxy: media flows both ways.
    await wait_until(lambda: frames_from(first, second) > 10 and frames_from(second, first) > 10, what="video")

    assert proxy.refused == []
    assert any(t.startswith(b"/socket.io/") for t in proxy.forwarded)
    assert any(t.startswith(b"/api/") for t in proxy.forwarded)
