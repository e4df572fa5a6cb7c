"""Encode once, send to every peer.

aiortc gives every ``RTCRtpSender`` an encoder of its own, so a mesh of N encodes the camera N-1 times. Here one
VP8 encoder per outgoing source turns each frame into an ``av.Packet`` once; every peer's sender gets an
``OutgoingTrack`` (``outgoing_track.py``) that hands it those packets, which aiortc packetizes without
re-encoding (its sender accepts pre-encoded packets). The price of sharing: a keyframe requested by one peer
(PLI/FIR) is sent to all, and the bitrate is the lowest any peer's receiver estimates (REMB), so one poor link
lowers everyone's quality.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import av
from aiortc.codecs.vpx import number_of_threads
from av.stream import Stream
from av.video.reformatter import VideoReformatter

from nimeet_desktop.call.fanout import Subscription
from nimeet_desktop.call.quality_policy import Level
from nimeet_desktop.call.source_feed import SourceFeed
from nimeet_desktop.media.base import VIDEO_TIME_BASE, VideoSource
from nimeet_desktop.thread_names import named_executor

logger = logging.getLogger(__name__)

if TYPE_CHECKING:
    EncodedPacket = av.Packet[Stream]  # generic in PyAV's stubs only
else:
    EncodedPacket = av.Packet

MIN_BITRATE = 150_000
DEFAULT_BITRATE = 1_000_000
MAX_BITRATE = 2_500_000
# Re-creating the encoder is the only way to change libvpx's rate through FFmpeg, and it costs a keyframe:
# only do it for a real change, and not more often than this.
BITRATE_CHANGE_RATIO = 0.2
BITRATE_CHANGE_MIN_INTERVAL_S = 2.0
# Packets a slow peer may have queued before it skips to the next keyframe (about 1 s at 30 fps).
SUBSCRIBER_QUEUE = 30
# A frame is kept for a lower frame rate when at least this share of the level's interval passed since the last one
# kept: a camera's timestamps jitter by a few ms, and a 30 fps level must keep every frame of a 30 fps camera.
FRAME_INTERVAL_SLACK = 0.75


def scaled_size(width: int, height: int, level: Level | None) -> tuple[int, int]:
    """The size a ``width`` x ``height`` source is encoded at for ``level``: its height at most the level's, the
    aspect ratio kept, both even (yuv420p halves them); never larger than the source."""
    if level is None or height <= level.height:
        return width, height
    return max(2, round(width * level.height / height / 2) * 2), level.height & ~1


class Vp8PacketEncoder:
    """libvpx in real-time mode, tuned as aiortc tunes it, but yielding ``av.Packet`` instead of RTP payloads.

    Used from one thread only (the shared encoder's executor).
    """

    def __init__(self) -> None:
        self._codec: Any = None
        self.bitrate = DEFAULT_BITRATE

    def encode(self, frame: av.VideoFrame, keyframe: bool) -> list[EncodedPacket]:
        """Encode ``frame`` at its own size; a size other than the last one reopens libvpx (its first frame is then
        a keyframe, which the receivers' decoders take as the new size: no renegotiation)."""
        codec = self._codec
        if codec is not None and (
            frame.width != codec.width or frame.height != codec.height or self.bitrate != codec.bit_rate
        ):
            codec = None
        if codec is None:
            codec = self._open(frame.width, frame.height)
            self._codec = codec
        if keyframe:
            frame.pict_type = av.video.frame.PictureType.I
        packets: list[EncodedPacket] = list(codec.encode(frame))
        for packet in packets:
            # aiortc converts pts with the packet's time base: carry the source's 90 kHz clock through.
            packet.pts = frame.pts
            packet.time_base = frame.time_base or VIDEO_TIME_BASE
        return packets

    def _open(self, width: int, height: int) -> Any:
        codec: Any = av.CodecContext.create("libvpx", "w")
        codec.width, codec.height = width, height
        codec.bit_rate = self.bitrate
        codec.pix_fmt = "yuv420p"
        codec.gop_size = 3000  # keyframes on request (PLI/FIR, new subscriber), not on a timer
        codec.qmin, codec.qmax = 2, 56
        codec.options = {
            "bufsize": str(self.bitrate),
            "cpu-used": "-6",
            "deadline": "realtime",
            "lag-in-frames": "0",
            "minrate": str(self.bitrate),
            "maxrate": str(self.bitrate),
            "noise-sensitivity": "4",
            "overshoot-pct": "15",
            "partitions": "0",
            "static-thresh": "1",
            "undershoot-pct": "100",
        }
        codec.thread_count = number_of_threads(width * height, multiprocessing.cpu_count())
        return codec


class SharedVideoEncoder(SourceFeed[EncodedPacket]):
    """Reads one source, encodes each frame once when anyone subscribes, and fans the packets out.

    It also keeps the newest source frame for the local preview, encoding or not.
    """

    def __init__(
        self, source: VideoSource, on_ended: Callable[[str], None] | None = None, level: Level | None = None
    ) -> None:
        super().__init__(source, SUBSCRIBER_QUEUE, on_ended)
        # The level the quality policy chose (``quality_policy.py``): frames are scaled down to its height and thinned
        # to its frame rate before encoding. None: every frame as the source gives it (the screen share).
        self.level = level
        self._last_kept_s: float | None = None
        self.encode_seconds = 0.0  # scale + encode wall time, all frames encoded: the policy's measure of CPU load
        self._encoder = Vp8PacketEncoder()
        # One thread: libvpx's context is not thread-safe, and frames must not be shared across encoders.
        self._executor = named_executor("vp8-encoder", "vp8-encoder", max_workers=1)
        # Its own scaling context, used on that thread only: the frame is also read by the self view, the recorder
        # and the presenter's corner, and ``frame.reformat`` would share the one context PyAV keeps on the frame
        # (tests/media/test_shared_frames.py: wrong pictures, hangs, segfaults).
        self._scaler = VideoReformatter()
        self._keyframe_requested = True
        self._estimates: dict[int, int] = {}
        self._last_rate_change = 0.0
        self.latest_frame: av.VideoFrame | None = None
        self.frames_encoded = 0
        self.keyframes_forced = 0  # frames encoded as keyframes on request (new subscriber, PLI/FIR, a gap)
        self.first_encoded_at: float | None = None
        self.last_encoded_at: float | None = None
        self.encoded_size: tuple[int, int] | None = None  # (width, height) of the newest frame encoded

    def subscribe(self) -> Subscription[EncodedPacket]:
        """A new subscriber (one peer's sender). It must start at a keyframe: one is requested now."""
        self.request_keyframe()
        return super().subscribe()

    def request_keyframe(self) -> None:
        self._keyframe_requested = True

    @property
    def bitrate(self) -> int:
        """The rate the encoder targets now, in bit/s."""
        return self._encoder.bitrate

    @property
    def estimated_bitrate(self) -> int | None:
        """The lowest receiver estimate (REMB) in bit/s; None before any came."""
        return min(self._estimates.values(), default=None)

    def report_bitrate(self, key: int, bitrate: int) -> None:
        """One peer's receiver estimate (REMB); the encoder follows the lowest."""
        self._estimates[key] = bitrate
        self._retarget()

    def forget_bitrate(self, key: int) -> None:
        self._estimates.pop(key, None)

    def _retarget(self) -> None:
        target = max(MIN_BITRATE, min(min(self._estimates.values(), default=DEFAULT_BITRATE), MAX_BITRATE))
        current = self._encoder.bitrate
        now = time.monotonic()
        if (
            abs(target - current) / current > BITRATE_CHANGE_RATIO
            and now - self._last_rate_change > BITRATE_CHANGE_MIN_INTERVAL_S
        ):
            logger.debug("%s: bitrate %d -> %d bps", self.source.label, current, target)
            self._encoder.bitrate = target  # read by the encoder thread at the next frame
            self._last_rate_change = now

    def _thinned(self, frame: av.VideoFrame) -> bool:
        """Whether the level's frame rate leaves this frame out (judged on the frame's own timestamps)."""
        level = self.level
        if level is None or frame.pts is None or frame.time_base is None:
            return False
        at = float(frame.pts * frame.time_base)
        if self._last_kept_s is not None and 0 <= at - self._last_kept_s < FRAME_INTERVAL_SLACK / level.fps:
            return True
        self._last_kept_s = at
        return False

    def _scale_and_encode(
        self, frame: av.VideoFrame, size: tuple[int, int], keyframe: bool
    ) -> tuple[list[EncodedPacket], float]:
        """On the encoder's thread: the packets and the seconds it took (swscale's AREA is the cheap, alias-free
        way down: about 0.3 ms for 720p to 360p here)."""
        started = time.perf_counter()
        if size != (frame.width, frame.height):
            frame = self._scaler.reformat(frame, width=size[0], height=size[1], format="yuv420p", interpolation="AREA")
        packets = self._encoder.encode(frame, keyframe)
        return packets, time.perf_counter() - started

    async def _handle(self, frame: object) -> None:
        assert isinstance(frame, av.VideoFrame)
        self.latest_frame = frame
        if not self.subscriber_count or self._thinned(frame):
            return
        keyframe, self._keyframe_requested = self._keyframe_requested, False
        size = scaled_size(frame.width, frame.height, self.level)
        loop = asyncio.get_running_loop()
        packets, seconds = await loop.run_in_executor(self._executor, self._scale_and_encode, frame, size, keyframe)
        self.encode_seconds += seconds
        self.frames_encoded += 1
        self.encoded_size = size
        self.keyframes_forced += keyframe
        self.last_encoded_at = time.monotonic()
        if self.first_encoded_at is None:
            self.first_encoded_at = self.last_encoded_at
        for packet in packets:
            self.publish(packet)

    async def close(self) -> None:
        await super().close()
        self._executor.shutdown(wait=False)
