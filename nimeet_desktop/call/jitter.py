"""A video jitter buffer that hands a frame to the decoder as soon as its last packet arrives.

aiortc's buffer only knows a frame is complete when the first packet of the *next* frame arrives, which holds every
frame back one frame interval (33 ms at 30 fps) — most of a call's glass-to-glass budget. Senders mark the last
packet of each frame with the RTP marker bit (RFC 7741 for VP8, RFC 6184 for H.264; aiortc and browsers do), so a
contiguous run from the buffer's origin that ends in a marker is a whole frame. When a marker is lost the stock
rule (a new timestamp starts) still completes the frame, one interval late, as before.

How it is plugged into aiortc (private attributes) lives in ``aiortc_compat.py``; the canary is
``tests/compat/test_aiortc_hooks.py``.
"""

from __future__ import annotations

from aiortc import RTCPeerConnection
from aiortc.rtp import RtpPacket

from nimeet_desktop.call import aiortc_compat

# aiortc's own size for its video buffer.
VIDEO_CAPACITY = 512


class MarkerJitterBuffer(aiortc_compat.FrameRuleJitterBuffer):
    def __init__(self) -> None:
        super().__init__(capacity=VIDEO_CAPACITY)
        self.released_on_marker = 0
        """Frames completed by their marker packet (the fast path)."""
        self.released_on_next_frame = 0
        """Frames completed only when the next frame began (a lost or missing marker: aiortc's stock rule)."""

    def frame_length(self, packets: list[RtpPacket | None], origin: int) -> int | None:
        # Called for every packet added: a plain loop over the ring, no iterator or allocation per step.
        capacity = len(packets)
        first = packets[origin % capacity]
        if first is None:
            return None
        timestamp = first.timestamp
        for count in range(capacity):
            packet = packets[(origin + count) % capacity]
            if packet is None:
                return None
            if packet.timestamp != timestamp:
                # The next frame began before we saw a marker: what we have is the whole previous frame.
                self.released_on_next_frame += 1
                return count
            if packet.marker:
                self.released_on_marker += 1
                return count + 1
        return None


def use_marker_jitter_buffers(pc: RTCPeerConnection) -> None:
    """Give every video receiver of ``pc`` a ``MarkerJitterBuffer``. Call after each change of transceivers and
    before media flows (right after ``addTransceiver`` / ``setRemoteDescription``). Idempotent."""
    for transceiver in pc.getTransceivers():
        if transceiver.kind != "video":
            continue
        receiver = transceiver.receiver
        if not isinstance(aiortc_compat.jitter_buffer(receiver), MarkerJitterBuffer):
            aiortc_compat.set_jitter_buffer(receiver, MarkerJitterBuffer())
