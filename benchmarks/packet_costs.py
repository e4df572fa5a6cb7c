#!/usr/bin/env python3
"""What each step of the receive and send paths costs per packet, aiortc's stock way and ours, in one process.

Each step runs on its own many times over (CPU time of this process, ``time.process_time``), so the figures do not
depend on a call's timing and repeat well on a busy machine; ``benchmarks/receive_path.py`` measures whole calls.
The packets are real: a 640x360 picture encoded by aiortc's VP8 encoder, packetized, protected with a real SRTP
session, parsed with aiortc's header extension map (abs-send-time, mid).

    .venv/bin/python benchmarks/packet_costs.py [--loop uvloop]
"""

from __future__ import annotations

import argparse
import asyncio
import fractions
import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import av
import numpy as np
from aioice import stun
from aiortc.codecs import depayload
from aiortc.codecs.vpx import Vp8Encoder
from aiortc.rtcrtpparameters import RTCRtpCodecParameters, RTCRtpHeaderExtensionParameters, RTCRtpParameters
from aiortc.rtp import HeaderExtensionsMap, RtpPacket
from pylibsrtp import Policy, Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import contextlib

from nimeet_desktop.call import aiortc_compat
from nimeet_desktop.call.jitter import MarkerJitterBuffer

PACKETS_PER_FRAME = 4  # a 640x360 camera picture at ~1 Mbit/s and 30 fps: about 4 RTP packets a frame


def per_call_us(step: Callable[[], Any], n: int = 20_000) -> float:
    started = time.process_time()
    for _ in range(n):
        step()
    return (time.process_time() - started) / n * 1e6


def row(name: str, stock: float | None, ours: float | None, note: str = "") -> None:
    s = "" if stock is None else f"{stock:8.2f}"
    o = "" if ours is None else f"{ours:8.2f}"
    print(f"{name:52s} {s:>8} {o:>8}  {note}")


def vp8_packets() -> tuple[list[bytes], HeaderExtensionsMap]:
    encoder = Vp8Encoder()
    rng = np.random.default_rng(1)
    picture = rng.integers(0, 255, (360, 640, 3), dtype=np.uint8)
    frame = av.VideoFrame.from_ndarray(picture, format="rgb24").reformat(format="yuv420p")
    frame.pts, frame.time_base = 0, fractions.Fraction(1, 90000)
    payloads, timestamp = encoder.encode(frame)
    extensions = HeaderExtensionsMap()
    extensions.configure(
        RTCRtpParameters(
            headerExtensions=[
                RTCRtpHeaderExtensionParameters(id=1, uri="urn:ietf:params:rtp-hdrext:sdes:mid"),
                RTCRtpHeaderExtensionParameters(id=3, uri="http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"),
            ]
        )
    )
    out = []
    for seq, payload in enumerate(payloads):
        packet = RtpPacket(payload_type=96, sequence_number=seq, timestamp=timestamp)
        packet.ssrc, packet.payload, packet.marker = 1234, payload, 0
        packet.extensions.abs_send_time, packet.extensions.mid = 123, "1"
        out.append(packet.serialize(extensions))
    return out, extensions


def estimator_us(estimator_class: type[Any], delay_growth_ms: float) -> tuple[float, float]:
    """µs per packet of ``add`` at 30 fps, 4 packets a frame, and REMBs asked per second."""
    estimator = estimator_class()
    calls = 0
    rembs = 0
    started = time.process_time()
    for frame in range(3000):  # 100 s of video
        sent_ms = frame * 33.3
        arrival_ms = int(1000 + sent_ms + (frame % 30) * delay_growth_ms)  # overuse builds up for a second
        abs_send_time = int(sent_ms * (1 << 18) / 1000) & 0xFFFFFF
        for i in range(PACKETS_PER_FRAME):
            rembs += estimator.add(arrival_ms + i, abs_send_time, 1200, 1234) is not None
            calls += 1
    return (time.process_time() - started) / calls * 1e6, rembs / 100


async def hop_us(inline: bool) -> float:
    """A datagram from aioice's callback to the handler: through an ``asyncio.Queue`` and a waiting task (aiortc's
    DTLS transport), or called there (``handle_srtp_inline``); one loop pass per datagram either way, as when
    datagrams arrive one by one."""
    handled = 0

    async def handle(data: bytes) -> None:
        nonlocal handled
        handled += 1

    queue: asyncio.Queue[bytes] = asyncio.Queue()

    async def task() -> None:
        while True:
            await handle(await queue.get())

    runner = asyncio.create_task(task())
    await asyncio.sleep(0)
    n = 20_000
    started = time.process_time()
    for _ in range(n):
        if inline:
            aiortc_compat.run_inline(handle(b"x"))
        else:
            queue.put_nowait(b"x")
        await asyncio.sleep(0)  # the loop pass in which the socket was read
    elapsed = time.process_time() - started
    runner.cancel()
    assert handled == n
    return elapsed / n * 1e6


async def handoff_us(stock: bool) -> float:
    """A decoded frame from the decoder thread to the track's queue: ``run_coroutine_threadsafe(q.put(frame))``
    (aiortc) or ``call_soon_threadsafe(q.put_nowait, frame)`` (ours); CPU of the whole process per frame."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[int | None] = asyncio.Queue()
    n = 5_000

    def worker() -> None:
        for i in range(n):
            if stock:
                asyncio.run_coroutine_threadsafe(queue.put(i), loop)
            else:
                loop.call_soon_threadsafe(queue.put_nowait, i)
            if i % 8 == 7:
                time.sleep(0.0005)  # frames come spaced, not in one burst: each wakes the loop

    started = time.process_time()
    thread = threading.Thread(target=worker)
    thread.start()
    for _ in range(n):
        await queue.get()
    thread.join()
    return (time.process_time() - started) / n * 1e6


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--loop", choices=["asyncio", "uvloop"], default="asyncio")
    args = p.parse_args()
    run: Callable[[Any], Any] = asyncio.run
    if args.loop == "uvloop":
        import uvloop

        run = uvloop.run

    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}; loop: {args.loop}")
    packets, extensions = vp8_packets()
    key = os.urandom(30)
    tx = Session(policy=Policy(key=key, ssrc_type=Policy.SSRC_ANY_OUTBOUND))
    rx = Session(policy=Policy(key=key, ssrc_type=Policy.SSRC_ANY_INBOUND))
    data = packets[0]
    parsed = RtpPacket.parse(data, extensions)
    codec = RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000, payloadType=96)
    protected: list[bytes] = []
    sequence = [0]

    def protect() -> None:
        parsed.sequence_number = sequence[0] = (sequence[0] + 1) & 0xFFFF
        protected.append(tx.protect(parsed.serialize(extensions)))

    def stun_attempt() -> None:
        with contextlib.suppress(ValueError):
            stun.parse_message(data)

    print(f"{'per received RTP packet (µs of CPU)':52s} {'aiortc':>8} {'ours':>8}")
    row("loop pass + aioice queue + DTLS task switch", run(hop_us(False)), run(hop_us(True)), "ours: called inline")
    row("aioice: STUN parse attempt", per_call_us(stun_attempt), None, "unchanged")
    row(
        "clock read (arrival time)", per_call_us(aiortc_compat.STOCK_CURRENT_MS), per_call_us(aiortc_compat._current_ms)
    )
    row("SRTP protect (sender) — libsrtp via cffi", per_call_us(protect), None, "unchanged")
    received = iter(protected)
    row("SRTP unprotect", per_call_us(lambda: rx.unprotect(next(received))), None, "unchanged")
    row("RTP header parse", per_call_us(lambda: RtpPacket.parse(data, extensions)), None, "unchanged")
    row("VP8 payload descriptor", per_call_us(lambda: depayload(codec, parsed.payload)), None, "unchanged")
    steady = (
        estimator_us(aiortc_compat.STOCK_BITRATE_ESTIMATOR, 0),
        estimator_us(aiortc_compat._RemoteBitrateEstimator, 0),
    )
    row("bitrate estimator, steady link", steady[0][0], steady[1][0], f"REMB/s {steady[0][1]:.0f} / {steady[1][1]:.0f}")
    busy = (
        estimator_us(aiortc_compat.STOCK_BITRATE_ESTIMATOR, 3),
        estimator_us(aiortc_compat._RemoteBitrateEstimator, 3),
    )
    row("bitrate estimator, overused link", busy[0][0], busy[1][0], f"REMB/s {busy[0][1]:.0f} / {busy[1][1]:.0f}")
    remb = per_call_us(lambda: tx.protect_rtcp(b"\x8f\xce\x00\x05" + bytes(20)))
    row("  each REMB sent: RTCP protect (+ build, sendto)", remb, remb)

    def jitter_us(make_buffer: Callable[[], Any]) -> float:
        buffer = make_buffer()
        frames = []
        for f in range(5000):
            for i in range(PACKETS_PER_FRAME):
                packet = RtpPacket(
                    sequence_number=(f * PACKETS_PER_FRAME + i) & 0xFFFF,
                    timestamp=f * 3000,
                    marker=int(i == PACKETS_PER_FRAME - 1),
                )
                packet._data = b"x" * 1000  # type: ignore[attr-defined]
                frames.append(packet)
        started = time.process_time()
        for packet in frames:
            buffer.add(packet)
        return (time.process_time() - started) / len(frames) * 1e6

    from aiortc.jitterbuffer import JitterBuffer

    row(
        "jitter buffer add",
        jitter_us(lambda: JitterBuffer(capacity=512, is_video=True)),
        jitter_us(MarkerJitterBuffer),
        "aiortc's releases a frame one frame later",
    )
    print()
    print(f"{'per decoded frame (µs of CPU)':52s} {'aiortc':>8} {'ours':>8}")
    row("decoder thread -> loop hand-off", run(handoff_us(True)), run(handoff_us(False)))
    print()
    print(f"{'per sent RTP packet (µs of CPU)':52s} {'aiortc':>8} {'ours':>8}")
    row(
        "clock reads (abs-send-time, SR timestamp: 2 a packet)",
        2 * per_call_us(aiortc_compat.STOCK_CURRENT_NTP_TIME),
        2 * per_call_us(aiortc_compat._current_ntp_time),
    )
    row("RTP header serialize", per_call_us(lambda: parsed.serialize(extensions)), None, "unchanged")
    return 0


if __name__ == "__main__":
    sys.exit(main())
