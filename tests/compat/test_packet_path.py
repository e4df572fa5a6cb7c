"""The lean packet path's hooks into aiortc and aioice (``aiortc_compat``'s "packet path" part), each checked on the
real libraries: real peers through the real server for the receive path, aiortc's own classes as the reference for
what is computed the same way."""

from __future__ import annotations

import asyncio
import fractions
import queue
import random
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiortc.clock
import aiortc.rate
import aiortc.rtcrtpreceiver
import av
import numpy as np
import pytest
from aiortc.codecs import get_encoder
from aiortc.codecs.vpx import Vp8Decoder
from aiortc.jitterbuffer import JitterFrame
from aiortc.rtcrtpparameters import RTCRtpCodecParameters

from nimeet_desktop.call import aiortc_compat
from nimeet_desktop.call.options import EngineOptions
from nimeet_desktop.call.session import CallSession
from nimeet_desktop.media.synthetic import SyntheticVideo
from tests.call.conftest import HEIGHT, WIDTH, frames_from, wait_until
from tests.compat.test_aiortc_hooks import video_receiver
from tests.support.clients import Api
from tests.support.server import ServerProcess

AIORTC = f"aiortc {aiortc_compat.AIORTC_VERSION}"
RoomOf = Callable[..., Awaitable[tuple[str, list[str]]]]


def srtp_through_the_queue(session: CallSession, other: CallSession) -> list[int]:
    """Count, from now on, the SRTP/SRTCP datagrams that ``session``'s connection to ``other`` puts on aioice's
    queue (aiortc's own way to the DTLS transport's task); returns the live counter (a one-item list)."""
    receiver = video_receiver(session, other)
    connection = receiver.transport.transport._connection
    stock_put = connection._queue.put_nowait
    count = [0]

    def put_nowait(item: Any) -> None:
        if item is not None and 127 < item[0][0] < 192:
            count[0] += 1
        stock_put(item)

    connection._queue.put_nowait = put_nowait  # type: ignore[method-assign]
    return count


async def call_of_two(
    room_of: RoomOf, sessions: Callable[..., CallSession], options: EngineOptions | None = None
) -> tuple[CallSession, CallSession]:
    room, tokens = await room_of(2)
    sender = sessions(tokens[0], audio=False, options=options)
    receiver = sessions(tokens[1], audio=False, options=options)
    await sender.join(room)
    await receiver.join(room)
    await wait_until(lambda: frames_from(receiver, sender) >= 15, 20, "video from the sender")
    return sender, receiver


async def test_received_srtp_is_handled_in_the_datagram_callback_and_still_counted(
    room_of: RoomOf, sessions: Callable[..., CallSession]
) -> None:
    sender, receiver = await call_of_two(room_of, sessions)
    queued = srtp_through_the_queue(receiver, sender)
    assert sender.self_participant is not None
    peer = receiver.peers[sender.self_participant.socket_id]
    packets_before, _ = peer.transport_counters()
    frames = frames_from(receiver, sender)
    await wait_until(lambda: frames_from(receiver, sender) >= frames + 30, 10, "30 more frames")
    packets_after, _ = peer.transport_counters()
    assert queued[0] == 0, (
        f"{queued[0]} SRTP datagrams went through aioice's queue: aioice {aiortc_compat.AIOICE_VERSION} no longer "
        "calls Connection.data_received for them (aiortc_compat.handle_srtp_inline)"
    )
    # The liveness watcher reads these (RTCDtlsTransport's private counters): they must still count every packet.
    assert packets_after - packets_before >= 30, (packets_before, packets_after)


async def test_the_stock_packet_path_leaves_aiortcs_own_way(
    room_of: RoomOf, sessions: Callable[..., CallSession]
) -> None:
    """The benchmarks' "before": with the option off, packets go through aioice's queue as aiortc has them (this
    also shows that the test above would see them there)."""
    sender, receiver = await call_of_two(room_of, sessions, EngineOptions(lean_packet_path=False))
    queued = srtp_through_the_queue(receiver, sender)
    frames = frames_from(receiver, sender)
    await wait_until(lambda: frames_from(receiver, sender) >= frames + 15, 10, "15 more frames")
    assert queued[0] >= 15


async def test_run_inline_finishes_a_coroutine_that_waits_after_all_on_a_task() -> None:
    steps: list[str] = []
    go_on = asyncio.Event()

    async def handler() -> None:
        steps.append("start")
        await go_on.wait()
        steps.append("end")

    aiortc_compat.run_inline(handler())
    assert steps == ["start"]  # ran at once, up to its wait
    go_on.set()
    await wait_until(lambda: steps == ["start", "end"], 2, "the rest of the handler")

    async def cancelled() -> None:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            steps.append("cancelled")
            raise

    aiortc_compat.run_inline(cancelled())
    (task,) = aiortc_compat._finishing
    await asyncio.sleep(0)  # the task has taken over the wait
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert steps[-1] == "cancelled"  # a cancellation reaches the coroutine, as with a plain await


async def test_run_inline_runs_a_coroutine_that_never_waits_to_its_end_at_once() -> None:
    done: list[int] = []

    async def handler() -> None:
        await asyncio.sleep(0) if not done else None  # an await that completes without waiting: no task needed
        done.append(1)

    done.append(0)
    aiortc_compat.run_inline(handler())
    assert done == [0, 1] and not aiortc_compat._finishing


def test_the_rate_counter_gives_aiortcs_figures() -> None:
    """Random arrivals, with gaps from 0 ms to past the whole window: the same rate as aiortc's after every step."""
    rng = random.Random(7)
    theirs, ours = aiortc_compat.STOCK_RATE_COUNTER(1000, 8000), aiortc_compat._RateCounter(1000, 8000)
    now = 10_000
    for step in range(20_000):
        now += rng.choice([0, 0, 1, 2, 5, 33, 34, 200, 999, 1000, 1001, 2500])
        if step % 5000 == 4999:
            theirs.reset()
            ours.reset()
        size = rng.randrange(50, 1300)
        theirs.add(size, now)
        ours.add(size, now)
        assert ours.rate(now) == theirs.rate(now), step


def feed(estimator: aiortc.rate.RemoteBitrateEstimator, *, delay_growth_ms: float, seconds: float) -> int:
    """30 fps, 4 packets a frame, each frame's arrival later by ``delay_growth_ms`` than its send time suggests
    (a queue building up: overuse). Returns how many REMBs the estimator asked for."""
    rembs = 0
    for frame in range(int(seconds * 30)):
        sent_ms = frame * 33.3
        arrival_ms = int(1000 + sent_ms + frame * delay_growth_ms)
        abs_send_time = int(sent_ms * (1 << 18) / 1000) & 0xFFFFFF
        for i in range(4):
            rembs += estimator.add(arrival_ms + i, abs_send_time, 1200, 1234) is not None
    return rembs


def test_the_bitrate_estimator_is_aiortcs_on_a_steady_link_and_paces_rembs_under_overuse() -> None:
    theirs = aiortc_compat.STOCK_BITRATE_ESTIMATOR
    steady_theirs, steady_ours = theirs(), aiortc_compat._RemoteBitrateEstimator()
    # The same estimate and REMBs (one per feedback interval) while the link keeps up.
    assert feed(steady_ours, delay_growth_ms=0, seconds=20) == feed(steady_theirs, delay_growth_ms=0, seconds=20) > 0
    assert steady_ours.rate_control.current_bitrate == steady_theirs.rate_control.current_bitrate
    # Overuse: aiortc sends a REMB for nearly every packet; libwebrtc's pace is one per reduction interval.
    stock_rembs = feed(theirs(), delay_growth_ms=2, seconds=10)
    our_rembs = feed(aiortc_compat._RemoteBitrateEstimator(), delay_growth_ms=2, seconds=10)
    assert stock_rembs > 500, f"{AIORTC}: REMBs under overuse are no longer per packet ({stock_rembs})"
    assert 10 <= our_rembs <= 10 * 1000 / 200 + 20, our_rembs  # at least some, at most ~one per 200 ms


def test_the_clock_reads_give_aiortcs_values() -> None:
    stock_ms, stock_ntp = aiortc_compat.STOCK_CURRENT_MS, aiortc_compat.STOCK_CURRENT_NTP_TIME
    before = stock_ms()
    ours = aiortc_compat._current_ms()
    after = stock_ms()
    assert before <= ours <= after + 1
    ntp_before, ntp, ntp_after = stock_ntp(), aiortc_compat._current_ntp_time(), stock_ntp()
    assert ntp_before - (1 << 22) <= ntp <= ntp_after + (1 << 22)  # within 1 ms (2^32 units a second)


async def test_the_decoder_worker_hands_every_frame_over_in_order_and_then_the_end() -> None:
    codec = RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000, payloadType=96)
    encoder = get_encoder(codec)
    inputs: queue.Queue[Any] = queue.Queue()
    frames: asyncio.Queue[Any] = asyncio.Queue()
    for index in range(10):
        picture = np.full((240, 320, 3), index * 20, dtype=np.uint8)
        frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
        frame.pts, frame.time_base = index * 3000, fractions.Fraction(1, 90000)
        payloads, timestamp = encoder.encode(frame, index == 0)
        # One VP8 frame from its RTP payloads, as the jitter buffer joins them.
        from aiortc.codecs import depayload

        data = b"".join(depayload(codec, p) for p in payloads)
        inputs.put((codec, JitterFrame(data=data, timestamp=timestamp)))
    inputs.put(None)
    error = threading.Event()
    worker = threading.Thread(
        target=aiortc_compat._decoder_worker, args=(asyncio.get_running_loop(), inputs, frames, error)
    )
    worker.start()
    received = [await asyncio.wait_for(frames.get(), 10) for _ in range(11)]
    worker.join(5)
    assert received[-1] is None and all(isinstance(f, av.VideoFrame) for f in received[:-1])
    assert [f.pts for f in received[:-1]] == sorted(f.pts for f in received[:-1])
    assert not error.is_set()


async def test_the_process_hooks_stand_where_aiortc_reads_them(
    room_of: RoomOf, sessions: Callable[..., CallSession]
) -> None:
    """After a lean session: aiortc's receivers start our decoder worker and make our estimator, which makes our
    rate counter; and the clock it reads per packet is ours."""
    sender, receiver = await call_of_two(room_of, sessions)
    assert aiortc.rtcrtpreceiver.decoder_worker is aiortc_compat._decoder_worker
    assert aiortc.clock.current_ms is aiortc_compat._current_ms
    estimator = getattr(video_receiver(receiver, sender), "_RTCRtpReceiver__remote_bitrate_estimator", None)
    assert isinstance(estimator, aiortc_compat._RemoteBitrateEstimator), (
        f"{AIORTC}: RTCRtpReceiver no longer makes its estimator by rtcrtpreceiver.RemoteBitrateEstimator"
    )
    assert isinstance(estimator.incoming_bitrate, aiortc_compat._RateCounter)
    started = time.monotonic()
    frames = frames_from(receiver, sender)
    await wait_until(lambda: frames_from(receiver, sender) >= frames + 15, 10, "frames through our decoder worker")
    assert time.monotonic() - started < 10


def test_the_lean_path_serves_a_call_on_uvloop(call_server: ServerProcess) -> None:
    """The engine may run on uvloop (its own thread, elsewhere): the datagram callback that handles SRTP is then
    uvloop's, not asyncio's selector transport's. A whole call on a fresh uvloop loop."""
    uvloop = pytest.importorskip("uvloop")

    async def call() -> tuple[int, int]:
        api = Api(call_server.url)
        tokens = [(await api.register())["token"] for _ in range(2)]
        room = (await api.create_room(tokens[0]))["roomId"]
        await api.aclose()
        made = [
            CallSession(call_server.url, token, [], camera_factory=lambda: SyntheticVideo(WIDTH, HEIGHT, 30))
            for token in tokens
        ]
        sender, receiver = made
        try:
            await sender.join(room, microphone=False)
            await receiver.join(room, microphone=False)
            await wait_until(lambda: frames_from(receiver, sender) >= 15, 20, "video from the sender on uvloop")
            queued = srtp_through_the_queue(receiver, sender)
            frames = frames_from(receiver, sender)
            await wait_until(lambda: frames_from(receiver, sender) >= frames + 30, 10, "30 more frames on uvloop")
            return queued[0], frames_from(receiver, sender) - frames
        finally:
            for session in made:
                await session.leave()

    queued, frames = uvloop.run(call())
    assert frames >= 30
    assert queued == 0, f"{queued} SRTP datagrams went through aioice's queue on uvloop"


def audio_receiver(session: CallSession, other: CallSession) -> aiortc.RTCRtpReceiver:
    assert other.self_participant is not None
    peer = session.peers[other.self_participant.socket_id]
    return next(t.receiver for t in peer.pc.getTransceivers() if t.kind == "audio")


async def test_audio_is_decoded_on_the_loop_and_the_track_still_ends(
    room_of: RoomOf, sessions: Callable[..., CallSession]
) -> None:
    """Each Opus frame is decoded where the jitter buffer completes it and reaches the track without aiortc's
    decoder thread; when the sender leaves, the track ends as aiortc's worker ends it."""
    room, tokens = await room_of(2)
    sender, receiver = sessions(tokens[0], video=False), sessions(tokens[1], video=False)
    await sender.join(room)
    await receiver.join(room)
    assert sender.self_participant is not None
    remote = receiver.participants[sender.self_participant.socket_id]
    await wait_until(lambda: remote.stats.audio_frames > 25, 20, "audio from the sender")
    decoding = getattr(audio_receiver(receiver, sender), "_RTCRtpReceiver__decoder_queue", None)
    assert isinstance(decoding, aiortc_compat._InlineDecoding), (
        f"{AIORTC}: the audio receiver's decoder queue is no longer RTCRtpReceiver.__decoder_queue"
    )
    assert decoding.frames_decoded >= remote.stats.audio_frames > 25
    # The other way too: one side offered, the other answered, and each installs it at its own moment.
    back = getattr(audio_receiver(sender, receiver), "_RTCRtpReceiver__decoder_queue", None)
    assert isinstance(back, aiortc_compat._InlineDecoding)
    await wait_until(lambda: back.frames_decoded > 25, 20, "audio decoded on the sender's loop")
    thread = getattr(audio_receiver(receiver, sender), "_RTCRtpReceiver__decoder_thread", None)
    assert isinstance(thread, threading.Thread) and thread.is_alive()  # aiortc's, waiting only for the end
    track = audio_receiver(receiver, sender).track
    await sender.leave()
    await wait_until(lambda: not thread.is_alive(), 10, "aiortc's decoder thread released")
    # The session's reader got the end aiortc's thread handed over, and ended the track.
    await wait_until(lambda: track.readyState == "ended", 10, "the audio track ended")


def test_inline_decoding_skips_a_bad_frame_and_keeps_decoding() -> None:
    codec = RTCRtpCodecParameters(mimeType="audio/opus", clockRate=48000, channels=2, payloadType=111)
    out: asyncio.Queue[Any] = asyncio.Queue()
    decoding = aiortc_compat._InlineDecoding(out)
    encoder = get_encoder(codec)
    tone = (np.sin(np.arange(960) / 48000 * 2 * np.pi * 440) * 8000).astype(np.int16)
    frame = av.AudioFrame.from_ndarray(tone.reshape(1, -1), format="s16", layout="mono")
    frame.sample_rate, frame.pts, frame.time_base = 48000, 0, fractions.Fraction(1, 48000)
    payloads, timestamp = encoder.encode(frame)
    decoding.put((codec, JitterFrame(data=b"\xff" * 3, timestamp=0)))  # not Opus
    decoding.put((codec, JitterFrame(data=payloads[0], timestamp=timestamp)))
    decoded = out.get_nowait()
    assert isinstance(decoded, av.AudioFrame) and decoded.layout.name == "mono" and decoded.samples == 960
    assert out.empty() and decoding.frames_decoded == 1
    decoding.put(None)
    decoding.get()  # returns at once: aiortc's thread is released


def test_vp8_decoders_run_on_one_thread() -> None:
    decoder = aiortc_compat._decoder(RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000, payloadType=96))
    assert isinstance(decoder, Vp8Decoder) and decoder.codec.thread_count == 1
