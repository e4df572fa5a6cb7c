"""A UDP relay that loses and delays datagrams, put between two real ICE agents (issue 17, impairment).

This kernel has no ``sch_netem`` (``tc qdisc add ... netem`` answers "Specified qdisc kind is unknown"), so the
impairment is done in user space: each ICE host candidate in an offer or answer is replaced by a front socket of the
relay (``rewrite``), and a datagram reaching the front of ``x`` from ``s`` leaves through the front of ``s`` towards
``x`` -- each side sees the other only at the relay's address, as through a NAT that loses and delays. Everything
stays on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import random
import re
import threading
from dataclasses import dataclass
from typing import cast

Address = tuple[str, int]

# "a=candidate:<foundation> <component> udp <priority> <ip> <port> typ host ..."
_CANDIDATE = re.compile(r"^(a=candidate:\S+ \d+ (?:udp|UDP) \d+ )(\S+) (\d+)( typ .*)$", re.MULTILINE)

# RTCP packet types (RFC 3550, 4585): the first header of an SRTCP packet is sent in clear (RFC 3711 3.4).
_RTPFB, _PSFB = 205, 206
_NACK_FMT, _PLI_FMT = 1, 1


@dataclass
class RelayCounts:
    forwarded: int = 0
    dropped: int = 0
    nacks: int = 0  # RTCP generic NACKs seen (a receiver asking for lost packets again)
    plis: int = 0  # RTCP picture loss indications seen (a receiver asking for a key frame)
    unknown_source: int = 0


class _Front(asyncio.DatagramProtocol):
    def __init__(self, relay: LossyRelay, behind: Address) -> None:
        self.relay = relay
        self.behind = behind  # the real agent this front stands for
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's UDP transport is not a subclass of asyncio's, though it has the same methods.
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: Address) -> None:
        self.relay.forward(data, source=addr, to=self.behind)


class LossyRelay:
    """Drops ``loss`` of the datagrams at random and delays each other one uniformly in ``delay_s``."""

    def __init__(self, loss: float = 0.05, delay_s: tuple[float, float] = (0.025, 0.075), seed: int = 17) -> None:
        self.loss = loss
        self.delay_s = delay_s
        self.random = random.Random(seed)  # a fixed seed: a failure can be replayed with the same losses
        self.counts = RelayCounts()  # written on the relay's thread only
        self._fronts: dict[Address, _Front] = {}
        # A loop of its own on a thread of its own: the delays it adds stay what they claim while the peers' loop is
        # busy decoding (on the peers' loop, every late callback would add delay and jitter beyond the settings).
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="lossy-relay", daemon=True)
        self._thread.start()

    async def front_for(self, real: Address) -> Address:
        """The relay's address standing for the agent at ``real`` (opened on first use); from any loop."""
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(self._front_for(real), self._loop))

    async def _front_for(self, real: Address) -> Address:
        front = self._fronts.get(real)
        if front is None:
            _, protocol = await self._loop.create_datagram_endpoint(
                lambda: _Front(self, real), local_addr=("127.0.0.1", 0)
            )
            front = self._fronts[real] = protocol
        assert front.transport is not None
        address: Address = front.transport.get_extra_info("sockname")[:2]
        return address

    async def rewrite(self, sdp: str) -> str:
        """``sdp`` with every UDP host candidate replaced by its front here."""
        out, last = [], 0
        for match in _CANDIDATE.finditer(sdp):
            host, port = await self.front_for((match.group(2), int(match.group(3))))
            out += [sdp[last : match.start()], f"{match.group(1)}{host} {port}{match.group(4)}"]
            last = match.end()
        return "".join([*out, sdp[last:]])

    def forward(self, data: bytes, source: Address, to: Address) -> None:
        exit_front = self._fronts.get(source)
        if exit_front is None or exit_front.transport is None:
            self.counts.unknown_source += 1  # not an agent we stand for: never relay for strangers
            return
        self._count_rtcp(data)
        if self.random.random() < self.loss:
            self.counts.dropped += 1
            return
        self.counts.forwarded += 1
        delay = self.random.uniform(*self.delay_s)
        self._loop.call_later(delay, self._send, exit_front, data, to)

    @staticmethod
    def _send(front: _Front, data: bytes, to: Address) -> None:
        if front.transport is not None and not front.transport.is_closing():
            front.transport.sendto(data, to)

    def _count_rtcp(self, data: bytes) -> None:
        # RTP/RTCP share the port (rtcp-mux): RTCP's second byte is its packet type 200-206 (RFC 5761 4).
        if len(data) < 8 or data[0] >> 6 != 2:
            return
        kind, fmt = data[1], data[0] & 0x1F
        if kind == _RTPFB and fmt == _NACK_FMT:
            self.counts.nacks += 1
        elif kind == _PSFB and fmt == _PLI_FMT:
            self.counts.plis += 1

    def close(self) -> None:
        def shut() -> None:
            for front in self._fronts.values():
                if front.transport is not None:
                    front.transport.close()
            self._fronts.clear()
            self._loop.stop()

        self._loop.call_soon_threadsafe(shut)
        self._thread.join(timeout=5)
        self._loop.close()
