"""Reading a recording back with PyAV, for the recording tests: what a player would get from the file."""

from __future__ import annotations

from dataclasses import dataclass

import av
import numpy as np
from numpy.typing import NDArray


@dataclass
class Recorded:
    container: str
    video_codec: str
    audio_codec: str
    video_frames: int
    video_span_s: float
    """From the first video frame's timestamp to the last one's end."""
    nominal_fps: float | None
    audio: NDArray[np.float64]
    """Mono, as decoded (48 kHz)."""
    audio_rate: int
    middle_frame: NDArray[np.uint8] | None
    """The luma of the frame in the middle of the recording."""

    @property
    def audio_s(self) -> float:
        return self.audio.size / self.audio_rate

    @property
    def measured_fps(self) -> float:
        return self.video_frames / self.video_span_s if self.video_span_s else 0.0


def read(path: str) -> Recorded:
    """Decodes every frame of the file (a truncated file decodes up to where it ends, as a player plays it)."""
    with av.open(path) as container:
        video = container.streams.video[0]
        audio = container.streams.audio[0]
        names = (container.format.name, video.codec_context.name, audio.codec_context.name)
        # The stream's declared rate (r_frame_rate): a fragmented MP4's average_rate is frames over duration.
        rate = video.base_rate or video.average_rate
        times: list[float] = []
        lumas: list[NDArray[np.uint8]] = []
        chunks: list[NDArray[np.float64]] = []
        audio_rate = audio.codec_context.sample_rate
        for frame in container.decode(video=0, audio=0):
            if isinstance(frame, av.VideoFrame):
                assert frame.time is not None
                times.append(frame.time)
                lumas.append(frame.to_ndarray(format="gray").astype(np.uint8, copy=False))
            elif isinstance(frame, av.AudioFrame):
                samples = frame.to_ndarray().astype(np.float64)
                # Planar (fltp) comes as channels × samples, packed as 1 × (samples·channels): mono is one row.
                chunks.append(samples.reshape(-1))
    interval = 1 / float(rate) if rate else 0.0
    span = (max(times) - min(times) + interval) if times else 0.0
    return Recorded(
        container=names[0],
        video_codec=names[1],
        audio_codec=names[2],
        video_frames=len(times),
        video_span_s=span,
        nominal_fps=float(rate) if rate else None,
        audio=np.concatenate(chunks) if chunks else np.zeros(0),
        audio_rate=audio_rate,
        middle_frame=lumas[len(lumas) // 2] if lumas else None,
    )


def tone_prominence_db(samples: NDArray[np.float64], rate: int, hz: float) -> float:
    """How far the spectrum's peak within ±5 Hz of ``hz`` stands above the median of the voice band (100 Hz–4 kHz),
    in dB. The band, not the whole spectrum: a codec leaves the top of the spectrum empty, and a median taken there
    measures nothing."""
    window = np.hanning(samples.size)
    spectrum = np.abs(np.fft.rfft(samples * window)) + 1e-12
    freqs = np.fft.rfftfreq(samples.size, 1 / rate)
    near = (freqs > hz - 5) & (freqs < hz + 5)
    band = (freqs > 100) & (freqs < 4000)
    return float(20 * np.log10(spectrum[near].max() / np.median(spectrum[band])))


def assert_two_voices_and_two_pictures(got: Recorded, remote_hz: float, own_hz: float) -> None:
    """A two-person recording holds both voices over its last 2.5 s (each tone far above the voice band's floor, at
    a frequency nobody sent: measured ~80 dB against ~20 dB) and both pictures side by side (each a synthetic
    gradient, not an empty tile)."""
    tail = got.audio[-int(2.5 * got.audio_rate) :]
    control = tone_prominence_db(tail, got.audio_rate, 700.0)
    assert control < 40
    assert tone_prominence_db(tail, got.audio_rate, remote_hz) > control + 40
    assert tone_prominence_db(tail, got.audio_rate, own_hz) > control + 40
    assert got.middle_frame is not None
    left, right = got.middle_frame[200:520, 40:600], got.middle_frame[200:520, 680:1240]
    assert float(np.std(left)) > 10 and float(np.std(right)) > 10
