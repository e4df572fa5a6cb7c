"""The recording's file: which codecs go into which container, written progressively so it survives a killed app.

- ``.mp4``: H.264 (libx264) and AAC (FFmpeg's own encoder) when the FFmpeg inside PyAV has them. The PyAV wheel
  from PyPI installed here (18.1.0) bundles libx264 (``av.codecs_available`` lists it, and it encodes a 720p grid
  in a few ms); a PyAV built without it (a distribution's, or a wheel built LGPL-only: x264 is GPL) writes VP9 and
  Opus into the MP4 instead. The MP4 is fragmented (``frag_keyframe``,
  ``empty_moov``, ``default_base_moof``): the header is written first and every keyframe starts a fragment that is
  complete on disk, so a killed app leaves a file that plays up to its last fragment (at most one GOP, 2 s, lost).
- ``.webm``: VP8 and Opus; ``.mkv``: H.264 and AAC when present (else VP8 and Opus). Matroska writes clusters as it
  goes (one per second here), and a file without its closing index still plays.

Every packet is flushed to the file as it is written (``flush_packets``), so what a crash loses is the encoder's
few frames in flight, not a muxer buffer. Errors surface as ``OSError`` (PyAV raises subclasses of it), which the
recorder turns into a stop with a reason.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av

from nimeet_desktop.media.base import AUDIO_SAMPLE_RATE

GOP_SECONDS = 2
"""A keyframe every 2 s: what a killed MP4 loses at most, and where a player can seek to."""
VIDEO_BITRATE = 2_500_000
"""For the VP8/VP9 encoders (x264 uses a constant quality): the most a call's camera sends, so a recording of a
720p grid is as sharp as the call."""
AUDIO_BITRATE = 128_000
EXTENSIONS = (".mp4", ".webm", ".mkv")


@dataclass(frozen=True, slots=True)
class Format:
    container: str  # FFmpeg's muxer name
    video_codec: str
    audio_codec: str
    options: dict[str, str]


def _has_encoder(name: str) -> bool:
    return name in av.codecs_available and _encoder_opens(name)


def _encoder_opens(name: str) -> bool:
    try:
        av.codec.Codec(name, "w")
    except (ValueError, av.FFmpegError):
        return False
    return True


def h264_available() -> bool:
    """Whether this PyAV's FFmpeg can write H.264 and AAC (``libx264`` and ``aac``)."""
    return _has_encoder("libx264") and _has_encoder("aac")


def default_extension() -> str:
    """``.mp4`` where H.264 and AAC can be written, else ``.webm``: what a recording is saved as by default."""
    return ".mp4" if h264_available() else ".webm"


def format_for(path: Path) -> Format:
    """The container and codecs for ``path``'s extension; ValueError for one we do not write."""
    suffix = path.suffix.lower()
    h264 = h264_available()
    if suffix == ".mp4":
        fragmented = {"movflags": "frag_keyframe+empty_moov+default_base_moof", "flush_packets": "1"}
        if h264:
            return Format("mp4", "libx264", "aac", fragmented)
        return Format("mp4", "libvpx-vp9", "libopus", fragmented)
    if suffix == ".webm":
        return Format("webm", "libvpx", "libopus", {"cluster_time_limit": "1000", "flush_packets": "1"})
    if suffix == ".mkv":
        codecs = ("libx264", "aac") if h264 else ("libvpx", "libopus")
        return Format("matroska", *codecs, {"cluster_time_limit": "1000", "flush_packets": "1"})
    raise ValueError(f"a recording is saved as {', '.join(EXTENSIONS)}, not {suffix or 'a file without extension'}")


def _video_options(codec: str, fps: int) -> dict[str, str]:
    if codec == "libx264":
        # ultrafast: the recording shares the CPU with the call (decoding every remote camera, encoding ours);
        # crf 23 is x264's default quality.
        return {"preset": "ultrafast", "crf": "23"}
    # libvpx in real-time mode, as the call's own VP8 encoder runs (shared_encoder.py), without its constant rate.
    # Speed 16, the fastest: a 720p grid of four cameras took 13 ms a frame at speed 8 and 5 ms at 16 on this machine.
    return {"deadline": "realtime", "cpu-used": "16", "lag-in-frames": "0", "static-thresh": "1"}


class RecordingFile:
    """One open recording: a video and an audio stream, frames in, packets written and flushed as they come."""

    def __init__(self, path: Path, width: int, height: int, fps: int) -> None:
        self.path = path
        self.format = format_for(path)
        self._container = av.open(str(path), "w", format=self.format.container, options=self.format.options)
        try:
            video = self._container.add_stream(self.format.video_codec, rate=fps)
            assert isinstance(video, av.VideoStream)
            video.width, video.height = width, height
            video.pix_fmt = "yuv420p"
            video.time_base = Fraction(1, fps)
            video.codec_context.gop_size = GOP_SECONDS * fps
            video.codec_context.options = _video_options(self.format.video_codec, fps)
            # One thread: on a machine the call already keeps busy, libvpx's worker threads waited for the CPU and
            # stalled it (a 640x360 VP8 frame: 1 ms with one thread, 40 ms median and 130 ms peaks with two, on this
            # 2-core machine under load), and x264's frame threads hold frames back that a crash would lose.
            video.codec_context.thread_count = 1
            if self.format.video_codec != "libx264":
                video.codec_context.bit_rate = VIDEO_BITRATE
            audio = self._container.add_stream(self.format.audio_codec, rate=AUDIO_SAMPLE_RATE, layout="mono")
            assert isinstance(audio, av.AudioStream)
            audio.bit_rate = AUDIO_BITRATE
        except BaseException:
            self._container.close()
            raise
        self._video: av.VideoStream = video
        self._audio: av.AudioStream = audio
        # Frames count in frames; the stream's own time base is the muxer's to change (MP4 picks 1/15360), so it is
        # not the one to stamp frames with.
        self._frame_time_base = Fraction(1, fps)
        self._closed = False

    def write_video(self, frame: av.VideoFrame, pts: int) -> None:
        """``pts`` counts frames (the stream's time base is one frame)."""
        frame.pts = pts
        frame.time_base = self._frame_time_base
        self._mux(self._video.encode(frame))

    def write_audio(self, frame: av.AudioFrame) -> None:
        """48 kHz mono s16; its ``pts`` counts samples. The encoder re-blocks it (AAC takes 1024 samples, Opus 960)."""
        self._mux(self._audio.encode(frame))

    def _mux(self, packets: Sequence[av.Packet[Any]]) -> None:
        if packets:
            self._container.mux(packets)

    def close(self) -> None:
        """Drains the encoders and writes the trailer; the file is closed even if that fails (then it raises)."""
        if self._closed:
            return
        self._closed = True
        try:
            self._mux(self._video.encode(None))
            self._mux(self._audio.encode(None))
        finally:
            self._container.close()

    def abandon(self) -> None:
        """Closes the file without draining or a trailer (after a write error: the part on disk stays as it is)."""
        if self._closed:
            return
        self._closed = True
        # The trailer may fail too (the disk is still full): what is there is kept, and the progressive format keeps it
        # playable.
        with contextlib.suppress(OSError, av.FFmpegError):
            self._container.close()


def file_size(path: Path) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0
