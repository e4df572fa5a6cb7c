"""The microphone's blocks encoded to Opus once, for every peer.

aiortc gives every ``RTCRtpSender`` an Opus encoder of its own: in a mesh of N the same 20 ms block is encoded N-1
times, each in a hop to the loop's default executor and back, and each sender measures the block's level for the
RTP audio-level header extension (RFC 6464) in a pure-Python loop over its 960 samples. At seven peers that was
7.8 % of a core in the executor alone (``benchmarks/app_mesh.py --k 7``). Here the broadcast's worker thread encodes
each block once, mono (what a microphone gives; aiortc upmixes to stereo first), and measures its level once with
numpy; every sender packs the same packet (aiortc sends pre-encoded ``av.Packet`` without re-encoding) and puts the
level in its header (``aiortc_compat.send_audio_levels``).
"""

from __future__ import annotations

import fractions
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import av
import numpy as np
from numpy.typing import NDArray

from nimeet_desktop.media.base import AUDIO_SAMPLE_RATE, AUDIO_SAMPLES_PER_FRAME

if TYPE_CHECKING:
    from av.stream import Stream

    EncodedPacket = av.Packet[Stream]  # generic in PyAV's stubs only
else:
    EncodedPacket = av.Packet

OPUS_BITRATE = 64_000
"""Mono voice at 64 kbit/s is transparent for speech and leaves headroom for music; aiortc's stereo default is 96."""
OPUS_TIME_BASE = fractions.Fraction(1, AUDIO_SAMPLE_RATE)
MIN_AUDIO_LEVEL = -127
"""RFC 6465's floor (digital silence), in dBov."""


def audio_level_dbov(samples: NDArray[Any]) -> int:
    """A block's level as RFC 6465 Appendix A defines it (and aiortc's ``compute_audio_level_dbov`` computes it, one
    sample at a time): RMS relative to the int16 maximum, in dB, rounded, within [-127, 0]."""
    if samples.size == 0:
        return MIN_AUDIO_LEVEL
    as_float = samples.astype(np.float64).reshape(-1)
    mean_square = float(np.dot(as_float, as_float)) / (samples.size * 32767.0 * 32767.0)
    if mean_square <= 0.0:
        return MIN_AUDIO_LEVEL
    db = 10.0 * math.log10(mean_square)  # 20 log10 of the RMS
    return round(min(0.0, max(float(MIN_AUDIO_LEVEL), db)))


@dataclass(frozen=True, slots=True)
class EncodedAudio:
    """One Opus packet every peer sends as it is, and its level for the audio-level header extension."""

    packet: EncodedPacket
    level_dbov: int


class OpusPacketEncoder:
    """libopus in VoIP mode, 20 ms mono packets stamped on the source's clock. One thread at a time."""

    def __init__(self, bitrate: int = OPUS_BITRATE) -> None:
        self._codec: Any = av.CodecContext.create("libopus", "w")
        self._codec.bit_rate = bitrate
        self._codec.format = "s16"
        self._codec.layout = "mono"
        self._codec.sample_rate = AUDIO_SAMPLE_RATE
        self._codec.time_base = OPUS_TIME_BASE
        self._codec.options = {"application": "voip"}
        # Blocks of another size or format (a device that delivers 10 ms, or stereo) are re-cut to 20 ms mono.
        self._resampler: av.AudioResampler | None = None
        self._next_pts: int | None = None
        self.blocks_encoded = 0

    def encode(self, frame: av.AudioFrame) -> list[EncodedAudio]:
        """The packets ``frame`` completes (one per 20 ms), each with the level of the samples it carries."""
        if frame.pts is not None and self._next_pts is None:
            self._next_pts = frame.pts
        if (
            frame.format.name == "s16"
            and frame.layout.name == "mono"
            and frame.sample_rate == AUDIO_SAMPLE_RATE
            and frame.samples == AUDIO_SAMPLES_PER_FRAME
        ):
            blocks = [frame]
        else:
            if self._resampler is None:
                self._resampler = av.AudioResampler(
                    format="s16", layout="mono", rate=AUDIO_SAMPLE_RATE, frame_size=AUDIO_SAMPLES_PER_FRAME
                )
            blocks = list(self._resampler.resample(frame))
        out: list[EncodedAudio] = []
        for block in blocks:
            level = audio_level_dbov(block.to_ndarray())
            block.pts = None  # the encoder counts its own; ours are stamped below
            for packet in self._codec.encode(block):
                # libopus starts its clock at minus its look-ahead: the packets carry the source's clock instead,
                # one packet duration apart, which is what the RTP timestamp must advance by.
                pts = self._next_pts or 0
                packet.pts = pts
                packet.time_base = OPUS_TIME_BASE
                self._next_pts = pts + (packet.duration or AUDIO_SAMPLES_PER_FRAME)
                out.append(EncodedAudio(packet, level))
            self.blocks_encoded += 1
        return out
