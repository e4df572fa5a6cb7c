"""A video jitter buffer that hands a frame to the decoder as soon as its last packet arrives.

aiortc's buffer only knows a frame is complete when the first packet of the *next* frame arrives, which holds every
frame back one frame interval (33 ms at 30 fps) — most of a call's glass-to-glass budget. Senders mark the last
packet of each frame with the RTP marker bit (RFC 7741 for VP8, RFC 6184 for H.264; aiortc and browsers do), so a
contiguous run from the buffer's origin that ends in a marker is a whole frame. When a marker is lost the stock
rule (a new timestamp starts) still completes the frame, one interval late, as before.
"""

from __future__ import annotations

from aiortc import RTCPeerConnection
from aiortc.jitterbuffer import JitterBuffer, JitterFrame
from aiortc.rtp import RtpPacket

# aiortc's own size for its video buffer.
VIDEO_CAPACITY = 512


class MarkerJitterBuffer(JitterBuffer):
    def __init__(self) -> None:
        super().__init__(capacity=VIDEO_CAPACITY, is_video=True)

    def _remove_frame(self, sequence_number: int) -> JitterFrame | None:
        assert self._origin is not None
        packets: list[RtpPacket] = []
        timestamp: int | None = None
        for count in range(self.capacity):
            packet = self._packets[(self._origin + count) % self.capacity]
            if packet is None:
                return None
            if timestamp is None:
                timestamp = packet.timestamp
            elif packet.timestamp != timestamp:
                # The next frame began before we saw a marker: what we have is the whole previous frame.
                return self._take(packets, timestamp, count)
            packets.append(packet)
            if packet.marker:
                return self._take(packets, timestamp, count + 1)
        return None

    def _take(self, packets: list[RtpPacket], timestamp: int, count: int) -> JitterFrame:
        self.remove(count)
        return JitterFrame(data=b"".join(p._data for p in packets), timestamp=timestamp)  # type: ignore[attr-defined]


def use_marker_jitter_buffers(pc: RTCPeerConnection) -> None:
    """Give every video receiver of ``pc`` a ``MarkerJitterBuffer``. Call after each change of transceivers and
    before media flows (right after ``addTransceiver`` / ``setRemoteDescription``). Idempotent."""
    for transceiver in pc.getTransceivers():
        if transceiver.kind != "video":
            continue
        receiver = transceiver.receiver
        # aiortc keeps the buffer in a private attribute; tests/call/test_jitter.py fails if that changes.
        if not isinstance(getattr(receiver, "_RTCRtpReceiver__jitter_buffer", None), MarkerJitterBuffer):
            receiver._RTCRtpReceiver__jitter_buffer = MarkerJitterBuffer()  # type: ignore[attr-defined]
