"""The attacker's side of the transport attacks: a raw WebSocket client that sends exactly the frames it is told
(masked, as RFC 6455 requires of clients, but with no Engine.IO or Socket.IO logic) and reads only when asked, on
a socket whose receive buffer can be made tiny, as a peer that does not read would have it."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import struct
from urllib.parse import urlsplit

TEXT, BINARY, CLOSE, PING, PONG = 0x1, 0x2, 0x8, 0x9, 0xA
WEBSOCKET_QUERY = "EIO=4&transport=websocket"


def frame(opcode: int, payload: bytes) -> bytes:
    """One final, masked client frame."""
    mask = os.urandom(4)
    length = len(payload)
    if length < 126:
        header = struct.pack("!BB", 0x80 | opcode, 0x80 | length)
    elif length < 1 << 16:
        header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, length)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, length)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload)) if length < 4096 else _mask_fast(payload, mask)
    return header + mask + masked


def _mask_fast(payload: bytes, mask: bytes) -> bytes:
    repeated = (mask * (len(payload) // 4 + 1))[: len(payload)]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(repeated, "big")).to_bytes(len(payload), "big")


def text_frame(text: str) -> bytes:
    return frame(TEXT, text.encode())


class Closed(Exception):
    """The server closed the connection: ``code`` from its close frame, ``None`` for a bare TCP close or reset."""

    def __init__(self, code: int | None) -> None:
        super().__init__(f"closed ({code})")
        self.code = code


class RawSocket:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(
        cls, base_url: str, query: str = WEBSOCKET_QUERY, rcvbuf: int | None = None, timeout: float = 10.0
    ) -> RawSocket:
        """Connect and complete the WebSocket handshake (``Closed`` with the HTTP status if it is refused).
        With ``rcvbuf`` the kernel buffers at most that much for us, and so does asyncio's reader."""
        url = urlsplit(base_url)
        host, port = url.hostname or "127.0.0.1", url.port or 80
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        sock.setblocking(False)
        try:
            await asyncio.wait_for(asyncio.get_running_loop().sock_connect(sock, (host, port)), timeout)
            reader, writer = await asyncio.open_connection(sock=sock, limit=rcvbuf or 1 << 16)
        except BaseException:
            sock.close()
            raise
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write(
            (
                f"GET /socket.io/?{query} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        raw = cls(reader, writer)
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
        except (asyncio.IncompleteReadError, ConnectionError):
            raw.abort()
            raise Closed(None) from None
        status = int(head.split(b" ", 2)[1])
        if status != 101:
            raw.abort()
            raise Closed(status)
        return raw

    # ---- sending ----
    def write(self, data: bytes) -> None:
        """Queue bytes without waiting for them to go (an attacker does not wait)."""
        self.writer.write(data)

    async def send_text(self, text: str) -> None:
        self.writer.write(text_frame(text))
        await self.writer.drain()

    async def send_binary(self, data: bytes) -> None:
        self.writer.write(frame(BINARY, data))
        await self.writer.drain()

    # ---- reading ----
    async def recv(self, timeout: float = 5.0) -> str | bytes:
        """The next text or binary message (pings are answered, as any client's WebSocket layer does)."""
        return await asyncio.wait_for(self._recv(), timeout)

    async def _recv(self) -> str | bytes:
        while True:
            try:
                first, second = await self.reader.readexactly(2)
                length = second & 0x7F
                if length == 126:
                    (length,) = struct.unpack("!H", await self.reader.readexactly(2))
                elif length == 127:
                    (length,) = struct.unpack("!Q", await self.reader.readexactly(8))
                payload = await self.reader.readexactly(length)
            except (asyncio.IncompleteReadError, ConnectionError):
                raise Closed(None) from None
            opcode = first & 0x0F
            if opcode == CLOSE:
                raise Closed(struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None)
            if opcode == PING:
                self.writer.write(frame(PONG, payload))
                continue
            if opcode == TEXT:
                return payload.decode()
            if opcode == BINARY:
                return payload

    async def recv_text(self, timeout: float = 5.0) -> str:
        """The next Engine.IO packet that is not a ping (pings are answered with a pong)."""
        while True:
            message = await self.recv(timeout)
            assert isinstance(message, str), message
            if message == "2":
                await self.send_text("3")
                continue
            return message

    async def closed_by_server(self, timeout: float) -> int | None:
        """Read (and drop) everything until the server closes the connection; its close code (``None`` for a bare
        close or reset). ``TimeoutError`` when it is still open after ``timeout``."""
        try:
            async with asyncio.timeout(timeout):
                while True:
                    await self._recv()
        except Closed as closed:
            return closed.code

    def abort(self) -> None:
        self.writer.transport.abort()

    # ---- Engine.IO / Socket.IO, by hand ----
    async def engineio_open(self) -> dict[str, object]:
        opened = await self.recv_text()
        assert opened.startswith("0{"), opened
        details: dict[str, object] = json.loads(opened[1:])
        return details

    async def socketio_connect(self, token: str) -> str:
        """Open the default namespace with ``token``; the socket's sid."""
        await self.engineio_open()
        await self.send_text("40" + json.dumps({"token": token}))
        reply = await self.recv_text()
        assert reply.startswith("40{"), reply
        sid: str = json.loads(reply[2:])["sid"]
        return sid

    async def call(self, event: str, payload: object, ack_id: int, timeout: float = 10.0) -> object:
        """Emit an event asking for an ack and wait for that ack (other packets in between are dropped)."""
        await self.send_text(f"42{ack_id}" + json.dumps([event, payload]))
        prefix = f"43{ack_id}"
        while True:
            reply = await self.recv_text(timeout)
            if reply.startswith(prefix + "["):
                return json.loads(reply[len(prefix) :])[0]


MEDIA_OFF = {"camera": False, "microphone": False, "screen": False}


async def raw_member(base_url: str, token: str, room_id: str, rcvbuf: int | None = None) -> tuple[RawSocket, str]:
    """A raw socket connected with ``token`` and joined to ``room_id``; with its sid."""
    raw = await RawSocket.open(base_url, rcvbuf=rcvbuf)
    sid = await raw.socketio_connect(token)
    ack = await raw.call("join-room", {"roomId": room_id, "mediaState": MEDIA_OFF}, ack_id=1)
    assert isinstance(ack, dict) and ack.get("ok") is True, ack
    return raw, sid


def new_stderr(lines: list[str], since: int) -> tuple[int, int, list[str]]:
    """Lines and bytes a server wrote to stderr after index ``since``; and those lines."""
    added = lines[since:]
    return len(added), sum(len(line.encode()) for line in added), added
