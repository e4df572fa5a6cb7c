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
import logging
import queue
import threading
import time
import types
from collections import deque
from collections.abc import Callable, Coroutine, Generator
from typing import Any, Protocol

import aioice.ice
import aiortc.clock
import aiortc.rate
import aiortc.rtcdtlstransport
import aiortc.rtcrtpreceiver
import aiortc.sdp
import av
import pylibsrtp
from aiortc import RTCDtlsTransport, RTCPeerConnection, RTCRtpReceiver, RTCRtpSender
from aiortc.codecs import get_decoder
from aiortc.codecs.base import Decoder
from aiortc.codecs.opus import OpusDecoder
from aiortc.jitterbuffer import JitterBuffer, JitterFrame
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtp import (
    RTCP_PSFB_APP,
    RTCP_PSFB_FIR,
    RTCP_PSFB_PLI,
    RtcpPsfbPacket,
    RtcpRrPacket,
    RtcpSrPacket,
    RtpPacket,
    is_rtcp,
    unpack_remb_fci,
)

from nimeet_desktop.thread_names import name_this_thread

AIORTC_VERSION = importlib.metadata.version("aiortc")
AIOICE_VERSION = importlib.metadata.version("aioice")

logger = logging.getLogger(__name__)


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

    aiortc 1.16: ``JitterBuffer.add`` stores each packet in ``_packets`` (a ring of ``capacity`` slots, a power of
    two, the packet of sequence number ``n`` at ``n % capacity``) and then asks ``_remove_frame`` for a whole frame;
    ``_origin`` is the sequence number of the oldest slot still held. We override only ``_remove_frame``, so
    aiortc's ordering, reset and loss (PLI) logic stay as they are; taking a frame out empties its slots and moves
    the origin past it, as aiortc's ``remove(count)`` does.
    """

    def __init__(self, capacity: int) -> None:
        super().__init__(capacity=capacity, is_video=True)
        _require(self, "_packets")
        _require(self, "_origin")

    def frame_length(self, packets: list[RtpPacket | None], origin: int) -> int | None:
        """How many packets from sequence number ``origin`` on make the first whole frame (``None``: not yet).
        ``packets`` is the ring: the packet of sequence number ``n`` is at ``n % len(packets)``, ``None`` for a
        packet not received (yet)."""
        raise NotImplementedError

    def _remove_frame(self, sequence_number: int) -> JitterFrame | None:
        origin = self._origin
        if origin is None:
            return None
        packets = self._packets
        count = self.frame_length(packets, origin)
        if count is None:
            return None
        capacity = self.capacity
        start = origin % capacity
        end = start + count
        if end <= capacity:
            frame = packets[start:end]
            packets[start:end] = [None] * count
        else:  # the frame wraps around the ring's end
            frame = packets[start:] + packets[: end - capacity]
            packets[start:] = [None] * (capacity - start)
            packets[: end - capacity] = [None] * (end - capacity)
        self._origin = (origin + count) & 0xFFFF
        first = frame[0]
        assert first is not None
        return JitterFrame(data=b"".join([rtp_payload(p) for p in frame if p is not None]), timestamp=first.timestamp)


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


class LevelledTrack(Protocol):
    level_dbov: int | None
    """The level of the packet ``recv()`` returned last, in dBov."""


def send_audio_levels(sender: RTCRtpSender, track: LevelledTrack) -> None:
    """Put ``track.level_dbov`` (the level of the packet the sender's track just handed over) in each pre-encoded audio
    packet's audio-level header extension (RFC 6464): aiortc 1.16 measures levels only of frames it encodes itself,
    and browsers read this one for ``getSynchronizationSources()``. Its ``_run_rtp`` calls
    ``self._next_encoded_frame``, which reads the track and packs the packet without awaiting anything else, so the
    level read right after is that packet's."""
    next_encoded_frame = _require(sender, "_next_encoded_frame")

    async def with_level(codec: Any) -> Any:
        encoded = await next_encoded_frame(codec)
        if encoded is not None and encoded.audio_level is None:
            encoded.audio_level = track.level_dbov
        return encoded

    sender._next_encoded_frame = with_level  # type: ignore[method-assign]


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


def selected_candidate_types(pc: RTCPeerConnection) -> tuple[str, str] | None:
    """(local, remote) candidate types (``host``, ``srflx``, ``prflx``, ``relay``) of the pair ICE selected for
    ``pc``'s media, ``None`` before one is selected. aiortc 1.16 has no ``getSelectedCandidatePair``; aioice 0.13
    keeps the selected pair of each component in ``Connection._nominated`` (component 1 carries the bundled media)."""
    for transceiver in pc.getTransceivers():
        if transceiver.sender.transport is None:
            continue
        nominated: dict[int, Any] = _require(ice_connection(transceiver.sender), "_nominated", "aioice", AIOICE_VERSION)
        pair = nominated.get(1)
        if pair is None:
            return None
        return pair.local_candidate.type, pair.remote_candidate.type
    return None


# ---- the packet path -------------------------------------------------------------------------------------------
#
# aiortc spends a received datagram's CPU in Python: aioice queues it (an ``asyncio.Queue`` put), the DTLS transport's
# task wakes for it (a task switch and a loop pass per packet), and the receiver's bitrate estimator keeps a 1 ms
# rate window that it walks millisecond by millisecond and, while the link looks overused, sends a REMB per packet.
# A decoded frame reaches its track through ``run_coroutine_threadsafe`` (a coroutine, a task and a concurrent future
# per frame), and every packet reads the wall clock through two datetimes. The hooks below do the same work with less
# of that; each keeps aiortc's results, except that REMBs under overuse follow libwebrtc's pace
# (tests/compat/test_packet_path.py checks each on the real libraries). ``EngineOptions.lean_packet_path=False``
# leaves all of them out (benchmarks/receive_path.py).

_STATE_CONNECTED = _require(aiortc.rtcdtlstransport.State, "CONNECTED")
_RX_BYTES = "_RTCDtlsTransport__rx_bytes"  # aiortc 1.16: name-mangled counters the transport's stats report
_RX_PACKETS = "_RTCDtlsTransport__rx_packets"


def handle_srtp_inline(transport: RTCDtlsTransport) -> None:
    """Hand each SRTP/SRTCP datagram of ``transport`` to aiortc's handlers from aioice's datagram callback itself.

    aiortc 1.16 / aioice 0.13: ``StunProtocol.datagram_received`` calls ``Connection.data_received`` (looked up on
    the instance), which puts the datagram on ``Connection._queue``; the transport's ``__run`` task gets it in
    ``_recv_next``, counts it (``__rx_bytes``, ``__rx_packets``), unprotects it with ``_rx_srtp`` and awaits
    ``_handle_rtp_data`` / ``_handle_rtcp_data``. Here that happens at once in the callback, on the same loop and in
    the same order, without the queue and the task switch. DTLS records, datagrams before the keys are set, and any
    datagram while the queue still holds earlier ones take aiortc's own way. Idempotent.
    """
    ice_transport = _require(transport, "transport")
    connection: aioice.Connection = _require(ice_transport, "_connection")
    if getattr(connection, "_nimeet_inline_srtp", False):
        return
    queued = _require(connection, "_queue", "aioice", AIOICE_VERSION)
    stock_data_received = _require(connection, "data_received", "aioice", AIOICE_VERSION)
    for attribute in ("_rx_srtp", "_state", "_task", _RX_BYTES, _RX_PACKETS, "_handle_rtp_data", "_handle_rtcp_data"):
        _require(transport, attribute)
    handle_rtp = transport._handle_rtp_data
    handle_rtcp = transport._handle_rtcp_data
    current_ms = aiortc.clock.current_ms

    def data_received(data: bytes, component: int) -> None:
        srtp = transport._rx_srtp
        first_byte = data[0] if data else 0  # an empty datagram takes aiortc's way, whatever that does with it
        if (
            srtp is None
            or not 127 < first_byte < 192  # aiortc's own test: DTLS is 20..63, SRTP and SRTCP 128..191
            or transport._state is not _STATE_CONNECTED
            or transport._task is None  # stopped: aiortc reads no more
            or queued.qsize()  # earlier datagrams still wait for the task: keep the order
        ):
            stock_data_received(data, component)
            return
        counters = transport.__dict__
        counters[_RX_BYTES] += len(data)
        counters[_RX_PACKETS] += 1
        try:
            if is_rtcp(data):
                run_inline(handle_rtcp(srtp.unprotect_rtcp(data)))
            else:
                arrival_time_ms = current_ms()
                run_inline(handle_rtp(srtp.unprotect(data), arrival_time_ms=arrival_time_ms))
        except pylibsrtp.Error:
            pass  # aiortc drops what fails to unprotect (a replay, a forged packet) just so
        except Exception:
            # aiortc would end the transport's task with a warning; a datagram callback must not raise: one bad
            # packet costs that packet only.
            logger.warning("handling a received packet failed", exc_info=True)

    connection.data_received = data_received  # type: ignore[method-assign]
    connection._nimeet_inline_srtp = True  # type: ignore[attr-defined]


def run_inline(coroutine: Coroutine[Any, Any, None]) -> None:
    """Run ``coroutine`` now, to its end if it never waits (aiortc's packet handlers do not: their awaits are
    sends that complete at once); if it does wait after all, a task finishes it."""
    try:
        waiting_for = coroutine.send(None)
    except StopIteration:
        return
    task = asyncio.ensure_future(_finish(coroutine, waiting_for))
    _finishing.add(task)  # the loop keeps only a weak reference to a task
    task.add_done_callback(_finishing.discard)


_finishing: set[asyncio.Future[None]] = set()


async def _finish(coroutine: Coroutine[Any, Any, None], waiting_for: Any) -> None:
    await _resume(coroutine, waiting_for)


@types.coroutine
def _resume(coroutine: Coroutine[Any, Any, None], waiting_for: Any) -> Generator[Any, Any, None]:
    """Hand the task what ``coroutine`` waits for, then go on as ``await coroutine`` would have (a ``yield from``
    that starts mid-way)."""
    while True:
        try:
            value = yield waiting_for
        except BaseException as exc:  # a cancellation of the task goes to the coroutine, as with ``await``
            try:
                waiting_for = coroutine.throw(exc)
            except StopIteration:
                return
        else:
            try:
                waiting_for = coroutine.send(value)
            except StopIteration:
                return


class MonoOpusDecoder(OpusDecoder):
    """aiortc's Opus decoder, but decoding to mono: the mixer plays mono, and aiortc's stereo output cost a resampler
    pass per 20 ms frame and participant on the loop (``audio_output._ToMono48k``); libopus downmixes as it decodes."""

    def __init__(self) -> None:
        super().__init__()
        self.codec.layout = "mono"


def _decoder(codec: RTCRtpCodecParameters) -> Decoder:
    mime = codec.mimeType.lower()
    if mime == "audio/opus":
        return MonoOpusDecoder()
    decoder = get_decoder(codec)
    if mime == "video/vp8":
        # FFmpeg's libvpx wrapper defaults to a thread per core: helper threads woken for every frame, in every
        # receiver (at seven remote cameras, 2,500 context switches a second on a 2-core machine). A VP8 frame
        # with one token partition, as browsers and our encoder send, decodes on one thread anyway.
        codec_context: Any = getattr(decoder, "codec", None)
        if codec_context is not None:
            codec_context.thread_count = 1
    return decoder


class _InlineDecoding:
    """Stands in for an audio receiver's decoder queue (aiortc 1.16: ``RTCRtpReceiver.__decoder_queue``), so that
    each Opus frame is decoded where it is completed, on the loop, and handed straight to the track's queue.

    An Opus frame decodes in tens of microseconds; aiortc's decoder thread per receiver cost more than that in
    hand-offs: a queue put, a thread woken, a ``call_soon_threadsafe`` waking the loop, 50 times a second per
    participant. aiortc still starts its thread: it waits here only for the end (``put(None)`` when the receiver
    stops), and then ends the track as before.
    """

    def __init__(self, output_q: asyncio.Queue[Any]) -> None:
        self._output = output_q
        self._decoder: Decoder | None = None
        self._codec_name: str | None = None
        self._end: queue.Queue[None] = queue.Queue()
        self.frames_decoded = 0

    def put(self, item: tuple[RTCRtpCodecParameters, JitterFrame] | None) -> None:
        """On the loop: decode and deliver; None (the receiver stops) releases aiortc's thread."""
        if item is None:
            self._end.put(None)
            return
        codec, encoded_frame = item
        if codec.name != self._codec_name or self._decoder is None:
            self._decoder = _decoder(codec)
            self._codec_name = codec.name
        try:
            frames = self._decoder.decode(encoded_frame)
        except av.FFmpegError as exc:  # as aiortc's worker: a bad frame is skipped, the decoder kept
            logger.warning("failed to decode %s frame: %s", codec.name, exc)
            return
        for frame in frames:
            self._output.put_nowait(frame)
            self.frames_decoded += 1

    def get(self) -> None:
        """aiortc's decoder thread: blocks until the receiver stops."""
        return self._end.get()


def decode_audio_inline(receiver: RTCRtpReceiver) -> bool:
    """Decode ``receiver``'s audio on the loop (``_InlineDecoding``); call once its remote track exists (after the
    remote description) and before it starts receiving (aiortc connects on a task of its own, later). Idempotent;
    False, and nothing changed, for video, before the remote description, or once the receiver has started."""
    queue_attribute = "_RTCRtpReceiver__decoder_queue"
    current = _require(receiver, queue_attribute)
    if isinstance(current, _InlineDecoding):
        return True
    track = receiver.track  # made by setRemoteDescription: the offerer's arrives with the answer
    if track is None or track.kind != "audio" or _require(receiver, "_RTCRtpReceiver__decoder_thread") is not None:
        return False
    output_q: asyncio.Queue[Any] = _require(_require(receiver, "_track"), "_queue")
    setattr(receiver, queue_attribute, _InlineDecoding(output_q))
    return True


def _decoder_worker(
    loop: asyncio.AbstractEventLoop,
    input_q: queue.Queue[Any],
    output_q: asyncio.Queue[Any],
    decode_error: threading.Event,
) -> None:
    """aiortc 1.16's ``rtcrtpreceiver.decoder_worker``, the same but for the hand-off of each decoded frame.

    aiortc hands a frame to the loop with ``run_coroutine_threadsafe(output_q.put(frame))``: a coroutine, a
    concurrent future and a task per frame. The queue is unbounded, so ``put_nowait`` through ``call_soon_threadsafe``
    does the same (in the same order) with one callback.
    """
    # aiortc names the thread "video-decoder" / "audio-decoder" for Python only; the OS would show the engine's
    # name (the creator's), and the benchmarks would count decoding as the loop's work.
    name_this_thread(threading.current_thread().name)
    codec_name = None
    decoder = None
    hand_over = output_q.put_nowait
    while True:
        task = input_q.get()
        if task is None:
            loop.call_soon_threadsafe(hand_over, None)  # the track ends
            break
        codec, encoded_frame = task
        if codec.name != codec_name:
            decoder = _decoder(codec)
            codec_name = codec.name
        assert decoder is not None
        try:
            frames = decoder.decode(encoded_frame)
        except av.FFmpegError as exc:
            # As aiortc: keep the decoder (a reset would fail every frame until a keyframe), ask for a keyframe.
            logger.warning("failed to decode %s frame: %s", codec.name, exc)
            decode_error.set()
            continue
        for frame in frames:
            loop.call_soon_threadsafe(hand_over, frame)
    del decoder


class _RateCounter:
    """aiortc 1.16's ``rate.RateCounter`` (the bitrate estimator's incoming rate over a 1 s window of 1 ms
    buckets; it is read twice and fed once per received packet), the same figures with the buckets in two lists of
    ints instead of a list of bucket objects, and a gap of a whole window cleared at once (aiortc walks it)."""

    def __init__(self, window_size: int, scale: int = 8000) -> None:
        self._window_size = window_size
        self._scale = scale
        self.reset()

    def reset(self) -> None:
        self._counts = [0] * self._window_size
        self._values = [0] * self._window_size
        self._origin_index = 0
        self._origin_ms: int | None = None
        self._total_count = 0
        self._total_value = 0

    def add(self, value: int, now_ms: int) -> None:
        if self._origin_ms is None:
            self._origin_ms = now_ms
        else:
            self._erase_old(now_ms)
        index = (self._origin_index + now_ms - self._origin_ms) % self._window_size
        self._counts[index] += 1
        self._values[index] += value
        self._total_count += 1
        self._total_value += value

    def rate(self, now_ms: int) -> int | None:
        if self._origin_ms is not None:
            self._erase_old(now_ms)
            active_window_size = now_ms - self._origin_ms + 1
            if self._total_count > 0 and active_window_size > 1:
                return round(self._scale * self._total_value / active_window_size)
        return None

    def _erase_old(self, now_ms: int) -> None:
        assert self._origin_ms is not None
        steps = now_ms - self._window_size + 1 - self._origin_ms
        if steps <= 0:
            return
        size = self._window_size
        if steps >= size:  # the whole window has passed: every bucket is empty again
            self._counts = [0] * size
            self._values = [0] * size
            self._total_count = self._total_value = 0
            self._origin_index = (self._origin_index + steps) % size
            self._origin_ms += steps
            return
        counts, values = self._counts, self._values
        index = self._origin_index
        total_count, total_value = self._total_count, self._total_value
        for _ in range(steps):
            total_count -= counts[index]
            total_value -= values[index]
            counts[index] = values[index] = 0
            index += 1
            if index == size:
                index = 0
        self._total_count, self._total_value = total_count, total_value
        self._origin_index = index
        self._origin_ms += steps


class _RemoteBitrateEstimator(aiortc.rate.RemoteBitrateEstimator):
    """aiortc 1.16's receive-side bitrate estimator (``rate.RemoteBitrateEstimator``, a port of libwebrtc's
    ``RemoteBitrateEstimatorSingleStream``) with libwebrtc's limit on estimates while the link is overused.

    aiortc updates the estimate, and so sends a REMB, for *every* packet that arrives while the detector says
    "overusing" (a busy machine's jittery arrivals say so often): an RTCP packet built, protected and sent per
    received packet, and handled per packet by the sender. libwebrtc asks ``AimdRateControl::TimeToReduceFurther``
    first: again only after a reduction interval (the RTT, 10..200 ms) or when the incoming rate has fallen under
    half the estimate. Everything else is aiortc's ``add`` as it is.
    """

    def add(
        self, arrival_time_ms: int, abs_send_time: int, payload_size: int, ssrc: int
    ) -> tuple[int, list[int]] | None:
        timestamp = abs_send_time << 8
        self.ssrcs[ssrc] = arrival_time_ms

        # update incoming bitrate
        if self.incoming_bitrate.rate(arrival_time_ms) is not None:
            self.incoming_bitrate_initialized = True
        elif self.incoming_bitrate_initialized:
            self.incoming_bitrate.reset()
            self.incoming_bitrate_initialized = False
        self.incoming_bitrate.add(payload_size, arrival_time_ms)

        # calculate inter-arrival deltas
        deltas = self.inter_arrival.compute_deltas(timestamp, arrival_time_ms, payload_size)
        if deltas is not None:
            timestamp_delta_ms = deltas.timestamp * aiortc.rate.TIMESTAMP_TO_MS
            self.estimator.update(
                deltas.arrival_time, timestamp_delta_ms, deltas.size, self.detector.state(), arrival_time_ms
            )
            self.detector.detect(
                self.estimator.offset(), timestamp_delta_ms, self.estimator.num_of_deltas(), arrival_time_ms
            )

        update_estimate = False
        if (
            self.last_update_ms is None
            or (arrival_time_ms - self.last_update_ms) > self.rate_control.feedback_interval()
        ):
            update_estimate = True
        elif self.detector.state() == aiortc.rate.BandwidthUsage.OVERUSING:
            incoming = self.incoming_bitrate.rate(arrival_time_ms)
            update_estimate = incoming is not None and _time_to_reduce_further(
                self.rate_control, arrival_time_ms, incoming
            )

        if update_estimate:
            target_bitrate = self.rate_control.update(
                self.detector.state(), self.incoming_bitrate.rate(arrival_time_ms), arrival_time_ms
            )
            if target_bitrate is not None:
                self.last_update_ms = arrival_time_ms
                return target_bitrate, list(self.ssrcs.keys())
        return None


def _time_to_reduce_further(control: aiortc.rate.AimdRateControl, now_ms: int, incoming_bps: int) -> bool:
    """libwebrtc's ``AimdRateControl::TimeToReduceFurther`` on aiortc's ``AimdRateControl`` (``rtt`` in ms,
    ``last_change_ms``, ``current_bitrate``)."""
    interval_ms = min(max(control.rtt, 10), 200)
    if control.last_change_ms is None or now_ms - control.last_change_ms >= interval_ms:
        return True
    if control.current_bitrate_initialized:
        return incoming_bps < 0.5 * control.current_bitrate
    return False


_NTP_UNIX_OFFSET_US = 2_208_988_800 * 1_000_000  # 1900-01-01 (NTP's epoch) to 1970-01-01, in µs


def _current_ms() -> int:
    """aiortc 1.16's ``clock.current_ms`` (ms since the NTP epoch) without building two datetimes."""
    return (time.time_ns() // 1000 + _NTP_UNIX_OFFSET_US) // 1000


def _current_ntp_time() -> int:
    """aiortc 1.16's ``clock.current_ntp_time`` (64-bit NTP time, µs resolution as theirs)."""
    us = time.time_ns() // 1000 + _NTP_UNIX_OFFSET_US
    return ((us // 1_000_000) << 32) | ((us % 1_000_000) * (1 << 32)) // 1_000_000


# aiortc's own, as imported: what the process hooks replace (the tests compare ours with them).
STOCK_RATE_COUNTER: type[aiortc.rate.RateCounter] = _require(aiortc.rate, "RateCounter")
STOCK_BITRATE_ESTIMATOR: type[aiortc.rate.RemoteBitrateEstimator] = _require(aiortc.rate, "RemoteBitrateEstimator")
STOCK_CURRENT_MS: Callable[[], int] = _require(aiortc.clock, "current_ms")
STOCK_CURRENT_NTP_TIME: Callable[[], int] = _require(aiortc.clock, "current_ntp_time")

_process_hooks_installed = False


def install_lean_packet_hooks() -> None:
    """The process-wide parts of the lean packet path (module attributes of aiortc, read at each use): the decoded
    frames' hand-off, the bitrate estimator (its rate window, its REMBs under overuse), and the clock read for every
    packet. Idempotent.

    aiortc 1.16: ``RTCRtpReceiver.receive`` starts its decoder thread on the module global ``decoder_worker``, and
    ``RTCRtpReceiver.__init__`` makes a video receiver's estimator by the module global ``RemoteBitrateEstimator``;
    ``RemoteBitrateEstimator.__init__`` makes its ``RateCounter`` by the module global; the transports, senders and
    receivers call ``clock.current_ms()`` / ``clock.current_ntp_time()`` through the module.
    """
    global _process_hooks_installed
    if _process_hooks_installed:
        return
    receiver_module = aiortc.rtcrtpreceiver
    _require(receiver_module, "decoder_worker")
    _require(receiver_module, "RemoteBitrateEstimator")
    _require(aiortc.rate, "RateCounter")
    _require(aiortc.rate, "TIMESTAMP_TO_MS")
    control = aiortc.rate.AimdRateControl()
    for attribute in ("rtt", "last_change_ms", "current_bitrate", "current_bitrate_initialized"):
        _require(control, attribute)
    for name in ("current_ms", "current_ntp_time"):
        _require(aiortc.clock, name)
    receiver_module.decoder_worker = _decoder_worker
    receiver_module.RemoteBitrateEstimator = _RemoteBitrateEstimator  # type: ignore[attr-defined]
    aiortc.rate.RateCounter = _RateCounter  # type: ignore[misc, assignment]
    aiortc.clock.current_ms = _current_ms
    aiortc.clock.current_ntp_time = _current_ntp_time
    _process_hooks_installed = True


# ---- an SFU's offers: m-lines that change streams ------------------------------------------------------------

# aiortc 1.16 routes received RTP to a receiver by SSRC (``RtpRouter.ssrc_table``, filled from the remote
# description when the receiver starts, once) or else by a payload type only one receiver has; it never reads the
# MID header extension. An SFU's offer has several video m-lines with one payload type, and reuses an m-line that
# went inactive for a newcomer's stream under a new SSRC: aiortc would drop every packet of it. Retransmissions
# (RTX) are unwrapped through the receiver's ``__rtx_ssrc``, also filled once.
_RECEIVER_RTX_SSRC = "_RTCRtpReceiver__rtx_ssrc"


def route_offered_ssrcs(pc: RTCPeerConnection) -> dict[int, str]:
    """Route each receiving transceiver's SSRCs as ``pc``'s remote description now names them (its ``a=ssrc`` and
    ``a=ssrc-group:FID`` lines, by ``mid``), replacing what an earlier description named. Call after every
    ``setRemoteDescription`` of a connection whose m-lines change hands. Idempotent. Returns the ``mid`` of every
    SSRC routed (retransmissions' too)."""
    mids: dict[int, str] = {}
    description = pc.remoteDescription
    if description is None:
        return mids
    parsed = aiortc.sdp.SessionDescription.parse(description.sdp)
    by_mid = {media.rtp.muxId: media for media in parsed.media if media.rtp.muxId}
    for transceiver in pc.getTransceivers():
        media = by_mid.get(transceiver.mid or "")
        if media is None:
            continue
        receiver = transceiver.receiver
        router = _require(receiver.transport, "_rtp_router")
        rtx_of: dict[int, int] = {}
        for group in media.ssrc_group:
            if group.semantic == "FID" and len(group.items) == 2:
                rtx_of[int(group.items[1])] = int(group.items[0])
        ssrcs = {int(s.ssrc) for s in media.ssrc}
        mids.update((ssrc, str(transceiver.mid)) for ssrc in ssrcs)
        table: dict[int, Any] = _require(router, "ssrc_table")
        for ssrc, routed in list(table.items()):
            if routed is receiver and ssrc not in ssrcs:
                del table[ssrc]
        for ssrc in ssrcs:
            table[ssrc] = receiver
        rtx: dict[int, int] = _require(receiver, _RECEIVER_RTX_SSRC)
        rtx.clear()
        rtx.update(rtx_of)
    return mids


def watch_received_rtp(transport: RTCDtlsTransport, seen: Callable[[int, int], None]) -> None:
    """Tell ``seen(ssrc, size)`` of every RTP packet ``transport`` receives (its size unprotected), before aiortc
    handles it. Idempotent. aiortc 1.16 counts received bytes per transport only (``transport_received``); an SFU's
    one connection carries everyone, so what came from whom is told by SSRC here.

    aiortc calls ``RTCDtlsTransport._handle_rtp_data`` on the instance for each unprotected RTP packet; so does
    ``handle_srtp_inline``, which takes it when installed: call this first (``SfuLink.handle_offer`` does)."""
    if getattr(transport, "_nimeet_rtp_watched", False):
        return
    handle_rtp = _require(transport, "_handle_rtp_data")

    async def handle_rtp_data(data: bytes, arrival_time_ms: int) -> None:
        if len(data) >= 12:  # RTP's fixed header; aiortc drops anything shorter
            seen(int.from_bytes(data[8:12], "big"), len(data))
        await handle_rtp(data, arrival_time_ms=arrival_time_ms)

    transport._handle_rtp_data = handle_rtp_data  # type: ignore[method-assign]
    transport._nimeet_rtp_watched = True  # type: ignore[attr-defined]
