"""Opus encoded once for every peer: the packets, their clock, their level, and what a receiver hears and reads."""

from __future__ import annotations

import asyncio
from typing import Any

import av
import numpy as np
from aiortc.jitterbuffer import JitterFrame
from aiortc.rtp import RtpPacket, compute_audio_level_dbov

from nimeet_desktop.call.aiortc_compat import MonoOpusDecoder
from nimeet_desktop.call.audio_encoder import MIN_AUDIO_LEVEL, EncodedPacket, OpusPacketEncoder, audio_level_dbov
from nimeet_desktop.media.audio_output import audio_frame, rms_dbfs
from nimeet_desktop.media.base import AUDIO_SAMPLES_PER_FRAME

from .conftest import wait_until
from .test_call import in_call, sid

TONE = (np.sin(np.arange(AUDIO_SAMPLES_PER_FRAME * 50) / 48_000 * 2 * np.pi * 440) * 8000).astype(np.int16)


def blocks(samples: np.ndarray, first_pts: int = 0) -> list[av.AudioFrame]:
    n = AUDIO_SAMPLES_PER_FRAME
    return [audio_frame(samples[i : i + n], first_pts + i) for i in range(0, samples.size - n + 1, n)]


def heard(decoder: MonoOpusDecoder, packet: EncodedPacket) -> np.ndarray:
    """The samples a receiver plays for ``packet``."""
    frames = decoder.decode(JitterFrame(bytes(packet), packet.pts or 0))
    return np.concatenate([frame.to_ndarray().reshape(-1) for frame in frames if isinstance(frame, av.AudioFrame)])


def test_the_level_is_rfc_6465s_as_aiortc_computes_it() -> None:
    rng = np.random.default_rng(6465)
    for amplitude in (0, 1, 3, 30, 300, 3000, 30000):
        for _ in range(5):
            samples = np.clip(rng.standard_normal(AUDIO_SAMPLES_PER_FRAME) * amplitude, -32768, 32767)
            block = samples.astype(np.int16)
            assert audio_level_dbov(block) == compute_audio_level_dbov(audio_frame(block, 0)), amplitude
    assert audio_level_dbov(np.zeros(0, dtype=np.int16)) == MIN_AUDIO_LEVEL
    assert audio_level_dbov(np.full(960, -32768, dtype=np.int16)) == 0  # clipped at 0 dBov, as aiortc


def test_one_packet_per_block_on_the_sources_clock_and_the_tone_survives() -> None:
    encoder, decoder = OpusPacketEncoder(), MonoOpusDecoder()
    items = [item for frame in blocks(TONE, first_pts=123_456) for item in encoder.encode(frame)]
    assert len(items) == 50 and encoder.blocks_encoded == 50
    pts = [item.packet.pts for item in items]
    assert pts == [123_456 + i * AUDIO_SAMPLES_PER_FRAME for i in range(50)]
    assert {item.level_dbov for item in items} == {compute_audio_level_dbov(blocks(TONE)[0])}
    played = np.concatenate([heard(decoder, item.packet) for item in items])
    assert played.size == TONE.size
    assert abs(rms_dbfs(played[4800:]) - rms_dbfs(TONE)) < 1.0
    spectrum = np.abs(np.fft.rfft(played[4800:].astype(np.float64)))
    assert abs(np.argmax(spectrum) * 48_000 / (TONE.size - 4800) - 440) < 5  # the same tone, not noise


def test_other_block_sizes_and_stereo_are_cut_to_20_ms_mono() -> None:
    encoder = OpusPacketEncoder()
    stereo_10ms = av.AudioFrame.from_ndarray(np.zeros((1, 480 * 2), dtype=np.int16), format="s16", layout="stereo")
    stereo_10ms.sample_rate = 48_000
    stereo_10ms.pts = 0
    packets = [item for _ in range(10) for item in encoder.encode(stereo_10ms)]
    assert len(packets) == 5  # ten 10 ms blocks are five 20 ms packets
    assert [p.packet.pts for p in packets] == [i * AUDIO_SAMPLES_PER_FRAME for i in range(5)]
    assert all(p.level_dbov == MIN_AUDIO_LEVEL for p in packets)


async def test_every_peer_receives_the_shared_packets_with_their_level(room_of: Any, sessions: Any) -> None:
    """A real call: the receiver's RTP packets carry the sender's level (RFC 6464), loud while it speaks and at the
    floor once it mutes, and its audio plays."""
    a, b = await in_call(room_of, sessions)
    levels: list[int | None] = []
    receiver = next(t.receiver for t in b.peers[sid(a)].pc.getTransceivers() if t.kind == "audio")
    handle = receiver._handle_rtp_packet

    async def noting(packet: RtpPacket, arrival_time_ms: int) -> None:
        level = packet.extensions.audio_level
        levels.append(None if level is None else -level[1])
        await handle(packet, arrival_time_ms)

    receiver._handle_rtp_packet = noting  # type: ignore[method-assign]
    await wait_until(lambda: len(levels) > 20, what="audio packets")
    assert None not in levels, "a packet without its audio level"
    assert max(level for level in levels if level is not None) > -40, "the tone was not measured"
    await a.set_microphone(False)
    await asyncio.sleep(0.3)  # packets in flight
    del levels[:]
    await wait_until(lambda: len(levels) > 20, what="audio packets while muted")
    assert set(levels) == {MIN_AUDIO_LEVEL}
    assert a.audio is not None and a.audio.subscriber_count == 1
