"""Issue 10, item 2: binary attachments. A Socket.IO packet header announcing 999,999,999 attachments, followed by
100 KB binary frames, grew the server by 1.7 GB in 8 s (python-socketio buffered every attachment). The protocol
has no binary: any binary frame or binary packet closes the connection, before an attachment is buffered."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Callable

import pytest

from tests.security.probes import STALL_S, Watch
from tests.security.transport_attacks import BINARY, RawSocket, frame, text_frame
from tests.support.clients import Api
from tests.support.server import ServerProcess

UNSUPPORTED_DATA = 1003
HEADER = '45999999999-["offer",{"_placeholder":true,"num":0}]'  # BINARY_EVENT, 999,999,999 attachments
ATTACHMENT = os.urandom(100_000)


async def test_a_header_announcing_attachments_closes_before_any_is_buffered(
    make_server: Callable[..., ServerProcess],
) -> None:
    server = make_server()
    url = server.start()
    api = Api(url)
    token = (await api.register())["token"]
    raw = await RawSocket.open(url)
    await raw.socketio_connect(token)
    attachment = frame(BINARY, ATTACHMENT)
    sent = 0
    async with Watch(server.pid, url) as watch:
        await raw.send_text(HEADER)
        closing = asyncio.create_task(raw.closed_by_server(timeout=10))
        # The attacker streams attachments for as long as the server takes them (400 of them is 40 MB).
        with contextlib.suppress(ConnectionError):
            while not closing.done() and sent < 400:
                raw.write(attachment)
                await raw.writer.drain()
                sent += 1
        code = await closing
        await asyncio.sleep(0.5)
    raw.abort()
    assert code == UNSUPPORTED_DATA, code
    assert watch.growth_mib < 16, f"server grew {watch.growth_mib:.0f} MiB while {sent} attachments were sent"
    assert watch.worst_health_s < STALL_S, f"/healthz took {watch.worst_health_s:.2f} s"
    closing_lines = [line for line in server.stderr_lines if "signaling.transport: connection closed" in line]
    assert len(closing_lines) == 1 and "binary socket.io packet" in closing_lines[0], closing_lines
    await api.aclose()
    server.stop_gracefully()


@pytest.mark.parametrize(
    ("when", "message"),
    [
        ("before connect", frame(BINARY, b"\x00" * 100_000)),
        ("after connect", frame(BINARY, b"\x04hello")),
        ("after connect", text_frame('451-["offer",{"_placeholder":true,"num":0}]')),
        ("after connect", text_frame('461-1[{"_placeholder":true,"num":0}]')),  # BINARY_ACK
        ("before connect", text_frame("451-[]")),
    ],
    ids=["binary-frame-before-connect", "binary-frame", "binary-event", "binary-ack", "binary-event-before-connect"],
)
async def test_any_binary_frame_or_packet_closes_the_connection(
    server: ServerProcess, api: Api, when: str, message: bytes
) -> None:
    raw = await RawSocket.open(server.url)
    if when == "after connect":
        await raw.socketio_connect((await api.register())["token"])
    else:
        await raw.engineio_open()
    raw.write(message)
    assert await raw.closed_by_server(timeout=5) == UNSUPPORTED_DATA
    raw.abort()
