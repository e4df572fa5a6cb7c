"""Pieces of the engine on their own: the stamp through a real VP8 round trip, the jitter buffer, fan-out, report."""

from __future__ import annotations

import av
import numpy as np
import pytest
from aiortc.codecs.vpx import Vp8Decoder
from aiortc.jitterbuffer import JitterFrame
from aiortc.rtp import RtpPacket

from nimeet_desktop.call.fanout import FanOut
from nimeet_desktop.call.jitter import MarkerJitterBuffer
from nimeet_desktop.call.report import percentile, rate, summary_line
from nimeet_desktop.call.shared_encoder import MIN_BITRATE, Vp8PacketEncoder
from nimeet_desktop.media import stamp
from nimeet_desktop.media.stamp import luma_plane
from nimeet_desktop.media.synthetic import SyntheticVideo, parse_resolution


@pytest.mark.parametrize(("width", "height"), [(320, 240), (640, 360), (1280, 720)])
async def test_stamp_survives_vp8_at_the_lowest_bitrate(width: int, height: int) -> None:
    source = SyntheticVideo(width, height, fps=120)
    encoder = Vp8PacketEncoder()
    encoder.bitrate = MIN_BITRATE
    decoder = Vp8Decoder()
    read = []
    for i in range(20):
        frame = await source.recv()
        for packet in encoder.encode(frame, keyframe=i == 0):
            for decoded in decoder.decode(JitterFrame(bytes(packet), 0)):
                assert isinstance(decoded, av.VideoFrame)
                read.append(stamp.read(luma_plane(decoded)))
    source.stop()
    assert [s.index if s else None for s in read] == list(range(20))
    assert all(s is not None and s.age_ms(s.capture_ms + 5) == 5 for s in read)


def test_stamp_rejects_a_smeared_picture_and_wraps_time() -> None:
    luma = np.full((240, 320), 128, dtype=np.uint8)
    assert stamp.read(luma) is None  # no stamp at all
    stamp.draw(luma, stamp.Stamp(7, 2**32 - 3))
    assert stamp.read(luma) == stamp.Stamp(7, 2**32 - 3)
    assert stamp.Stamp(7, 2**32 - 3).age_ms(4) == 7  # across the 2**32 ms wrap
    cell = stamp.cell_size(320)
    luma[:cell, :cell] = 255 - luma[:cell, :cell]  # one bit flipped by the codec
    assert stamp.read(luma) is None


def packet(seq: int, ts: int, marker: bool, data: bytes) -> RtpPacket:
    p = RtpPacket(payload_type=96, sequence_number=seq, timestamp=ts, marker=int(marker))
    p._data = data  # type: ignore[attr-defined]
    return p


def test_marker_jitter_buffer_releases_a_frame_with_its_last_packet() -> None:
    jb = MarkerJitterBuffer()
    assert jb.add(packet(100, 3000, False, b"a"))[1] is None
    frame = jb.add(packet(101, 3000, True, b"b"))[1]
    assert frame is not None and (frame.data, frame.timestamp) == (b"ab", 3000)  # no wait for the next frame
    # Out of order: the frame is complete when the gap fills, not before.
    assert jb.add(packet(103, 6000, True, b"d"))[1] is None
    frame = jb.add(packet(102, 6000, False, b"c"))[1]
    assert frame is not None and frame.data == b"cd"
    # A lost marker: the next frame's first packet completes it, as aiortc's stock rule would.
    assert jb.add(packet(104, 9000, False, b"e"))[1] is None
    frame = jb.add(packet(105, 12000, False, b"f"))[1]
    assert frame is not None and (frame.data, frame.timestamp) == (b"e", 9000)


async def test_fanout_slow_subscriber_skips_ahead_without_holding_others() -> None:
    fanout: FanOut[int] = FanOut()
    fast, slow = fanout.subscribe(maxsize=4), fanout.subscribe(maxsize=4)
    for i in range(6):
        fanout.publish(i)
        assert await fast.get() == i
    assert slow.dropped == 4 and [await slow.get(), await slow.get()] == [4, 5]
    slow.close()
    assert fanout.subscriber_count == 1
    fanout.end()
    assert await fast.get() is None
    late = fanout.subscribe(maxsize=4)
    assert await late.get() is None


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [([], 50, None), ([5.0], 95, 5.0), ([1, 2, 3, 4], 50, 2.0), (list(range(1, 101)), 95, 95.0)],
)
def test_percentile(values: list[float], q: float, expected: float | None) -> None:
    assert percentile(values, q) == expected


def test_rate_and_summary() -> None:
    assert rate(31, 10.0, 11.0) == 30.0
    assert rate(1, 10.0, 10.0) is None
    peers = [
        {"firstFrameMs": 100.0, "video": {"fps": 29.8, "latencyMs": {"p50": 41.0}}, "audio": {"framesPerS": 50.0}},
        {"firstFrameMs": 200.0, "video": {"fps": None, "latencyMs": None}, "audio": {"framesPerS": None}},
    ]
    assert summary_line(peers) == (
        "bot: 2 peers, min video fps 29.8, min audio fps 50.0, first frame p50 100 ms, g2g p50 41 ms"
    )
    assert summary_line([]) == "bot: 0 peers, min video fps n/a, min audio fps n/a, first frame p50 n/a, g2g p50 n/a"


@pytest.mark.parametrize("text", ["640x360", "1280X720"])
def test_parse_resolution_accepts(text: str) -> None:
    assert parse_resolution(text)[0] in (640, 1280)


@pytest.mark.parametrize("text", ["", "640", "641x360", "0x0", "99999x2", "axb", "640x360x1"])
def test_parse_resolution_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="resolution"):
        parse_resolution(text)
