"""One socket's outgoing Engine.IO queue, with its unsent bytes counted and capped.

python-engineio queues every packet for a socket in an unbounded ``asyncio.Queue`` that the transport's writer
drains. A peer that stops reading stops the writer (uvicorn's ``websocket.send`` waits while the TCP transport is
over its high-water mark), so everything relayed to it piles up in that queue: 60 KB offers grew a server by
600 MB in 10 s. The outbox counts what it holds and, past the cap, drops it all and tells its connection to go.

What the server holds for a socket is this queue plus what uvicorn has accepted but not yet written: uvicorn
waits for the transport to drain before each send, so that part stays under the transport's high-water mark
(64 KiB) plus the one message being written, and is not counted here.

Counting stays cheap (this is the relay's path): ``len`` of the packet's text, which is its UTF-8 size when the
text is ASCII (``str.isascii`` is O(1) in CPython; SDP and our JSON are ASCII); other text is encoded to count it.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from typing import Any

from engineio import packet

# Packets without text (PING, NOOP, the OPEN dict, CLOSE): a nominal size, so a flood of them still counts.
SMALL_PACKET = 16


def packet_bytes(pkt: Any) -> int:
    """Bytes a queued Engine.IO packet will take on the wire (about: the one-digit type is not counted)."""
    data = pkt.data
    if type(data) is str:
        return len(data) if data.isascii() else len(data.encode())
    if type(data) is bytes:
        return len(data)
    return SMALL_PACKET


class Outbox(asyncio.Queue[Any]):
    """Stands in for an ``AsyncSocket``'s ``queue``: same interface, plus ``unsent`` bytes and a cap.

    ``on_overflow`` is called once, synchronously, from whoever queued the packet that went over the cap (often
    another socket's handler relaying to this one): it must only arrange the disconnect, not await it. From then
    on the outbox is ``refusing``: it holds nothing and takes nothing but the writer's stop sentinel (``None``).
    ``on_close`` is called when engineio queues a CLOSE packet (the server is closing the socket), so the
    connection can bound how long it waits for the CLOSE to go out.
    """

    def __init__(self, cap: int, on_overflow: Callable[[], None], on_close: Callable[[], None]) -> None:
        super().__init__()
        self.cap = cap
        self.unsent = 0
        self.refusing = False
        self._sizes: deque[int] = deque()
        self._on_overflow = on_overflow
        self._on_close = on_close

    def put_nowait(self, item: Any) -> None:
        if item is None:  # the writer's stop sentinel: always taken, whatever the state
            self._sizes.append(0)
            super().put_nowait(None)
            return
        if self.refusing:
            return
        size = packet_bytes(item)
        if self.unsent + size > self.cap:
            self.refusing = True
            self.discard()
            self._on_overflow()
            return
        self.unsent += size
        self._sizes.append(size)
        super().put_nowait(item)
        if item.packet_type == packet.CLOSE:
            self._on_close()

    def get_nowait(self) -> Any:
        item = super().get_nowait()
        self.unsent -= self._sizes.popleft()
        return item

    def discard(self) -> None:
        """Drop everything queued (``join()`` waiters are released as if it had been sent)."""
        while not self.empty():
            self.get_nowait()
            self.task_done()

    @classmethod
    def replacing(
        cls, old: asyncio.Queue[Any], cap: int, on_overflow: Callable[[], None], on_close: Callable[[], None]
    ) -> Outbox:
        """An outbox holding what ``old`` holds (engineio queued the OPEN packet before the transport ran)."""
        box = cls(cap, on_overflow, on_close)
        while not old.empty():
            box.put_nowait(old.get_nowait())
            old.task_done()
        return box
