"""Every place where the call engine reaches into aiortc's or aioice's private parts, and nowhere else.

aiortc is built for one browser-like peer per encoder and has no public hooks for what a mesh client needs (one
encoder for every peer, a lower-latency jitter buffer, loopback-only ICE in tests). Each function below names the
library version and the private attribute it relies on and why; ``tests/compat/`` holds one canary per hook that
fails with the library's and the attribute's name when an upgrade moves it. The versions the canaries passed on are
pinned in ``pyproject.toml``: bump a pin only after ``pytest tests/compat`` passes on the new version.

A missing attribute raises ``LibraryMoved`` at once (never a silent fallback to the stock behaviour, which would
only show up as a slower or lower-quality call).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.metadata
import time
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

import aioice.ice
from aiortc import RTCDtlsTransport, RTCRtpReceiver, RTCRtpSender
from aiortc.jitterbuffer import JitterBuffer, JitterFrame
from aiortc.rtp import (
    RTCP_PSFB_APP,
    RTCP_PSFB_FIR,
    RTCP_PSFB_PLI,
    RtcpPsfbPacket,
    RtcpRrPacket,
    RtcpSrPacket,
    RtpPacket,
    unpack_remb_fci,
)

AIORTC_VERSION = importlib.metadata.version("aiortc")
AIOICE_VERSION = importlib.metadata.version("aioice")


class LibraryMoved(RuntimeError):
    """A private attribute we rely on is gone: the library changed under us (see tests/compat)."""

    def __init__(self, library: str, version: str, attribute: str) -> None:
        super().__init__(f"{library} {version} has no {attribute}: update nimeet_desktop/call/aiortc_compat.py")
        self.library = library
        self.attribute = attribute


def _require(obj: object, attribute: str, library: str = "aiortc", version: str = AIORTC_VERSION) -> Any:
    try:
        return getattr(obj, attribute)
    except AttributeError:
        raise LibraryMoved(library, version, f"{type(obj).__name__}.{attribute}") from None


# ---- received video: the jitter buffer ------------------------------------------------------------------------

# aiortc 1.16: ``RTCRtpReceiver.__init__`` keeps its buffer in the name-mangled ``__jitter_buffer`` and
# ``_handle_rtp_packet`` reads it for every packet. There is no parameter to supply our own.
_RECEIVER_JITTER_BUFFER = "_RTCRtpReceiver__jitter_buffer"


def jitter_buffer(receiver: RTCRtpReceiver) -> JitterBuffer:
    buffer: JitterBuffer = _require(receiver, _RECEIVER_JITTER_BUFFER)
    return buffer


def set_jitter_buffer(receiver: RTCRtpReceiver, buffer: JitterBuffer) -> None:
    jitter_buffer(receiver)  # raises LibraryMoved rather than add an attribute aiortc never reads
    setattr(receiver, _RECEIVER_JITTER_BUFFER, buffer)


def rtp_payload(packet: RtpPacket) -> bytes:
    """The depacketized payload: aiortc 1.16's receiver stores it on the packet as ``_data`` before it hands
    the packet to the jitter buffer (the stock buffer joins the same attribute)."""
    data: bytes = _require(packet, "_data")
    return data


class FrameRuleJitterBuffer(JitterBuffer):
    """aiortc's video ``JitterBuffer`` with the rule for "this frame is complete" supplied by ``frame_length``.

    aiortc 1.16: ``JitterBuffer.add`` stores each packet in ``_packets`` (a ring indexed from ``_origin``) and
    then asks ``_remove_frame`` for a whole frame; ``remove(count)`` drops ``count`` packets from the origin. We
    override only ``_remove_frame``, so aiortc's ordering, reset and loss (PLI) logic stay as they are.
    """

    def __init__(self, capacity: int) -> None:
        super().__init__(capacity=capacity, is_video=True)
        _require(self, "_packets")
        _require(self, "_origin")

    def frame_length(self, slots: Iterator[RtpPacket | None]) -> int | None:
        """How many packets from the origin make the first whole frame (``None``: not yet). ``slots`` yields the
        ring from the origin on, ``None`` for a packet not received (yet)."""
        raise NotImplementedError

    def _remove_frame(self, sequence_number: int) -> JitterFrame | None:
        origin = self._origin
        if origin is None:
            return None
        count = self.frame_length(self._slots(origin))
        if count is None:
            return None
        packets = [self._packets[(origin + i) % self.capacity] for i in range(count)]
        self.remove(count)
        return JitterFrame(data=b"".join(rtp_payload(p) for p in packets if p is not None), timestamp=_first(packets))

    def _slots(self, origin: int) -> Iterator[RtpPacket | None]:
        for i in range(self.capacity):
            yield self._packets[(origin + i) % self.capacity]


def _first(packets: list[RtpPacket | None]) -> int:
    first = packets[0]
    assert first is not None
    return first.timestamp


# ---- sent video: keyframe requests and bitrate estimates -------------------------------------------------------


def route_video_feedback(
    sender: RTCRtpSender, *, on_keyframe_request: Callable[[], None], on_bitrate: Callable[[int], None]
) -> None:
    """Hand the sender's PLI/FIR (keyframe requests) and REMB (bitrate estimates for this sender) to us as well.

    aiortc 1.16 answers them in ``RTCRtpSender._handle_rtcp_packet`` by driving the encoder *it* owns; pre-
    encoded packets (our shared encoder) bypass that encoder, so without this the requests go nowhere. aiortc's
    handler still runs afterwards (RTT, NACK retransmissions). The sender's SSRC (``_ssrc``, private too) tells a
    REMB for this sender from one for another stream of the same connection.
    """
    original = _require(sender, "_handle_rtcp_packet")
    _require(sender, "_ssrc")

    async def handle_rtcp_packet(packet: Any) -> None:
        if isinstance(packet, RtcpPsfbPacket):
            if packet.fmt in (RTCP_PSFB_PLI, RTCP_PSFB_FIR):
                on_keyframe_request()
            elif packet.fmt == RTCP_PSFB_APP:
                with contextlib.suppress(ValueError):  # an APP packet that is not a REMB
                    bitrate, ssrcs = unpack_remb_fci(packet.fci)
                    if sender._ssrc in ssrcs:
                        on_bitrate(bitrate)
        await original(packet)

    sender._handle_rtcp_packet = handle_rtcp_packet  # type: ignore[method-assign]


# ---- round trip -------------------------------------------------------------------------------------------------

# Sender reports remembered for matching the receiver reports that echo them (one every 0.5–1.5 s: ~10 s of them).
SENDER_REPORTS_KEPT = 12
ROUND_TRIP_ALPHA = 0.85  # smoothing, as aiortc's own estimate


class RoundTrip:
    """The round trip to the receiver of one sender's stream (RFC 3550 6.4.1: now − LSR − DLSR), smoothed.

    aiortc 1.16 estimates it too (remote-inbound-rtp ``roundTripTime``), but only from a receiver report that
    echoes the very last sender report it sent. On a busy loop (several people on a small laptop) the echo
    arrives after the next sender report has gone out nearly every time, and the estimate stays unknown for the
    whole call. Here the last few sender reports are remembered, so every echo counts."""

    def __init__(self) -> None:
        self._sent: deque[tuple[int, float]] = deque(maxlen=SENDER_REPORTS_KEPT)  # (LSR, wall clock at sending)
        self.seconds: float | None = None

    def sent(self, ntp_timestamp: int, at: float) -> None:
        self._sent.append(((ntp_timestamp >> 16) & 0xFFFFFFFF, at))

    def echoed(self, lsr: int, dlsr: int, now: float) -> None:
        if not dlsr:
            return  # the receiver had no sender report of ours yet
        # Newest first: a sender with no new RTP packet between two reports (a camera turned off) sends the same
        # LSR again, and the receiver echoes the last one it got.
        for sent_lsr, at in reversed(self._sent):
            if sent_lsr == lsr:
                sample = now - at - dlsr / 65536
                if sample >= 0:
                    previous = self.seconds
                    self.seconds = (
                        sample if previous is None else ROUND_TRIP_ALPHA * previous + (1 - ROUND_TRIP_ALPHA) * sample
                    )
                return


def measure_round_trip(sender: RTCRtpSender) -> RoundTrip:
    """Watch ``sender``'s sender reports going out and the receiver reports coming back (both through private
    methods of aiortc 1.16's sender, checked to exist); aiortc's own handling runs unchanged."""
    send_rtcp = _require(sender, "_send_rtcp")
    handle_rtcp_packet = _require(sender, "_handle_rtcp_packet")
    _require(sender, "_ssrc")
    round_trip = RoundTrip()

    async def sending(packets: list[Any]) -> None:
        now = time.time()
        for packet in packets:
            if isinstance(packet, RtcpSrPacket) and packet.ssrc == sender._ssrc:
                round_trip.sent(packet.sender_info.ntp_timestamp, now)
        await send_rtcp(packets)

    async def receiving(packet: Any) -> None:
        if isinstance(packet, RtcpRrPacket | RtcpSrPacket):
            now = time.time()
            for report in packet.reports:
                if report.ssrc == sender._ssrc:
                    round_trip.echoed(report.lsr, report.dlsr, now)
        await handle_rtcp_packet(packet)

    sender._send_rtcp = sending  # type: ignore[method-assign]
    sender._handle_rtcp_packet = receiving  # type: ignore[method-assign]
    return round_trip


# ---- connection health -----------------------------------------------------------------------------------------


def transport_received(transport: RTCDtlsTransport) -> tuple[int, int]:
    """(packets, bytes) a DTLS transport has received, media and RTCP, read synchronously.

    aiortc 1.16 counts them in ``RTCDtlsTransport._get_stats()``; the public ``getStats()`` is a coroutine of
    the peer connection that builds every stats object, too heavy for a watcher that looks twice a second.
    """
    get_stats = _require(transport, "_get_stats")
    packets = total_bytes = 0
    for stats in get_stats().values():
        packets += stats.packetsReceived
        total_bytes += stats.bytesReceived
    return packets, total_bytes


# ---- ICE: which local addresses are gathered -------------------------------------------------------------------

# aioice 0.13: ``Connection.gather_candidates`` calls the module function ``aioice.ice.get_host_addresses``
# by its global name, and it skips loopback; aiortc exposes no option to choose the addresses. Replacing the
# module function is the only way in, so it is process-wide.
HostAddresses = Callable[[bool, bool], list[str]]
_STOCK_HOST_ADDRESSES: HostAddresses = _require(aioice.ice, "get_host_addresses", "aioice", AIOICE_VERSION)


def set_host_address_source(source: HostAddresses | None) -> None:
    """Gather host candidates from ``source(use_ipv4, use_ipv6)`` (``None``: aioice's own, loopback excluded)."""
    aioice.ice.get_host_addresses = source or _STOCK_HOST_ADDRESSES  # type: ignore[assignment]


# ---- ICE: consent checks of a connection closed while it connected -------------------------------------------

# aioice 0.13: ``Connection.connect()`` creates ``_query_consent_task`` once its check list completes, and
# ``close()`` cancels that task if it exists. A ``close()`` between the completion and ``connect()`` resuming finds
# none, and the task started afterwards runs on against a closed connection (and outlives the event loop: "Task
# was destroyed but it is pending! query_consent"). aiortc calls ``connect()`` by attribute on the instance, so a
# wrapper on the instance can end that task as soon as ``connect()`` returns.


def end_consent_checks_after_close(connection: aioice.Connection) -> None:
    """Wrap ``connection.connect`` so consent checks started after a ``close()`` are cancelled at once."""
    if getattr(connection, "_nimeet_consent_guard", False):
        return
    connect = _require(connection, "connect", "aioice", AIOICE_VERSION)
    _require(connection, "_query_consent_task", "aioice", AIOICE_VERSION)
    _require(connection, "_closing", "aioice", AIOICE_VERSION)

    async def connect_unless_closed() -> None:
        await connect()
        task = connection._query_consent_task
        if connection._closing and task is not None and not task.done():
            connection._query_consent_task = None
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    connection.connect = connect_unless_closed  # type: ignore[method-assign]
    connection._nimeet_consent_guard = True  # type: ignore[attr-defined]


def ice_connection(sender: RTCRtpSender) -> aioice.Connection:
    """The aioice connection under a sender's transport (aiortc 1.16: ``RTCIceTransport._connection``)."""
    ice_transport = sender.transport.transport
    connection: aioice.Connection = _require(ice_transport, "_connection")
    return connection
