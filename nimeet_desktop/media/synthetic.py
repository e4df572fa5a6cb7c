"""Synthetic sources: real aiortc tracks with no device behind them, for the headless client, tests and benchmarks.

The video is a moving pattern (a gradient and a sweeping bar, so the encoder does real work) carrying a stamp
(``stamp.py``) with the frame index and capture time. The audio is a steady tone.
"""

from __future__ import annotations

import math
import time

import av
import numpy as np
import numpy.typing as npt

from nimeet_desktop.media import stamp
from nimeet_desktop.media.base import (
    AUDIO_SAMPLE_RATE,
    AUDIO_SAMPLES_PER_FRAME,
    AUDIO_TIME_BASE,
    VIDEO_CLOCK_RATE,
    VIDEO_TIME_BASE,
    AudioSource,
    FramePacer,
    VideoSource,
)


def parse_resolution(text: str) -> tuple[int, int]:
    """``"1280x720"`` -> (1280, 720); even sizes only (yuv420p halves both), within what a call sends."""
    try:
        w_text, h_text = text.lower().split("x")
        width, height = int(w_text), int(h_text)
    except ValueError:
        raise ValueError(f"resolution must look like 1280x720, not {text!r}") from None
    if not (160 <= width <= 3840 and 120 <= height <= 2160) or width % 2 or height % 2:
        raise ValueError(f"resolution {text!r} must be even and between 160x120 and 3840x2160")
    return width, height


class SyntheticVideo(VideoSource):
    def __init__(self, width: int = 640, height: int = 360, fps: float = 30.0, label: str = "synthetic") -> None:
        super().__init__(label)
        self.width, self.height, self.fps = width, height, fps
        self._pacer = FramePacer(fps, VIDEO_CLOCK_RATE)
        self._index = 0
        y = np.arange(height, dtype=np.uint16)[:, None]
        x = np.arange(width, dtype=np.uint16)[None, :]
        self._background: npt.NDArray[np.uint8] = (48 + (x * 96 // width + y * 64 // height)).astype(np.uint8)
        # PyAV reads a yuv420p array flat: after the luma come the U plane's (h/2 × w/2) samples, then V's, whatever
        # the row breaks (h/2 may be odd, e.g. 270 lines).
        u = np.full((height // 2, width // 2), 128, dtype=np.uint8)
        u[: height // 4, : width // 4] = 110  # a tint in the top-left quadrant, so a colour bug would show
        v = np.full((height // 2, width // 2), 128, dtype=np.uint8)
        self._chroma = np.concatenate([u.ravel(), v.ravel()]).reshape(height // 2, width)
        self._bar_width = max(8, width // 16)

    async def _next(self) -> av.VideoFrame:
        pts = await self._pacer.wait()
        yuv = np.empty((self.height * 3 // 2, self.width), dtype=np.uint8)
        luma = yuv[: self.height]
        luma[:] = self._background
        x0 = (self._index * 8) % (self.width - self._bar_width)
        luma[:, x0 : x0 + self._bar_width] = 220
        yuv[self.height :] = self._chroma
        stamp.draw(luma, stamp.Stamp(self._index & 0xFFFFFFFF, int(time.time() * 1000) % (1 << 32)))
        frame = av.VideoFrame.from_ndarray(yuv, format="yuv420p")
        frame.pts = pts
        frame.time_base = VIDEO_TIME_BASE
        self._index += 1
        return frame


class SyntheticAudio(AudioSource):
    """A 440 Hz tone at -20 dBFS, 48 kHz mono, 20 ms frames. ``enabled = False`` sends silence (a muted mic)."""

    def __init__(self, frequency_hz: float = 440.0, label: str = "tone") -> None:
        super().__init__(label)
        self._pacer = FramePacer(AUDIO_SAMPLE_RATE / AUDIO_SAMPLES_PER_FRAME, AUDIO_SAMPLE_RATE)
        # An exact number of periods in one second of samples, so the tone loops without a click.
        t = np.arange(AUDIO_SAMPLE_RATE) / AUDIO_SAMPLE_RATE
        amplitude = 32767 * 10 ** (-20 / 20)
        self._wave = (amplitude * np.sin(2 * math.pi * round(frequency_hz) * t)).astype(np.int16)
        self._silence = np.zeros((1, AUDIO_SAMPLES_PER_FRAME), dtype=np.int16)

    async def _next(self) -> av.AudioFrame:
        pts = await self._pacer.wait()
        if self.enabled:
            start = pts % AUDIO_SAMPLE_RATE
            samples = np.take(self._wave, range(start, start + AUDIO_SAMPLES_PER_FRAME), mode="wrap")[None, :]
        else:
            samples = self._silence
        frame = av.AudioFrame.from_ndarray(samples, format="s16", layout="mono")
        frame.sample_rate = AUDIO_SAMPLE_RATE
        frame.pts = pts
        frame.time_base = AUDIO_TIME_BASE
        return frame


# --- a voice-like far end (issue 12): an echo canceller tested on a steady tone proves little -----------------------
VOICE_LEVEL_DBFS = -20.0
"""The RMS of a phrase (the tone's level): a talker at a normal level."""
VOICE_PHRASE_S = 2.5
VOICE_PAUSE_S = 1.5
_SYLLABLE_HZ = 4.0  # syllables per second in running speech
_VOWELS = ((730, 1090), (270, 2290), (300, 870), (530, 1840), (640, 1190), (490, 1350))  # (F1, F2) of six vowels


def voice_samples(start: int, count: int) -> npt.NDArray[np.int16]:
    """Samples ``start`` to ``start + count`` of an endless synthetic talker (``_voice``), 48 kHz mono int16."""
    scale = 32767 * 10 ** (VOICE_LEVEL_DBFS / 20) / _VOICE_RAW_RMS
    return np.clip(_voice(start, count) * scale, -32768, 32767).astype(np.int16)


def _voice(start: int, count: int) -> npt.NDArray[np.float64]:
    """An endless synthetic talker, unscaled; a pure function of the sample index, so any block follows its
    predecessor seamlessly.

    Phrases of 2.5 s and pauses of 1.5 s; within a phrase, syllables at 4 per second, each a vowel: harmonics of a
    gliding 100–160 Hz pitch shaped by two formants, over a little breath noise. Broadband and ever-changing, as an echo
    canceller must handle, where a tone would let a canceller look perfect (or a suppressor eat it)."""
    rate = AUDIO_SAMPLE_RATE
    t = (start + np.arange(count)) / rate
    # Pitch 130 ± 30 Hz over 2 s; its phase integrated in closed form, so it is exact at any start.
    phase = 2 * math.pi * (130.0 * t - 30.0 / (2 * math.pi * 0.5) * np.cos(2 * math.pi * 0.5 * t))
    f0 = 130.0 + 30.0 * np.sin(2 * math.pi * 0.5 * t)
    period = VOICE_PHRASE_S + VOICE_PAUSE_S
    in_phrase = (t % period) < VOICE_PHRASE_S
    syllable = np.floor(t * _SYLLABLE_HZ).astype(np.int64)
    within = (t * _SYLLABLE_HZ) % 1.0
    envelope = np.where(within < 0.8, np.sin(math.pi * within / 0.8) ** 2, 0.0) * in_phrase
    out = np.zeros(count)
    for vowel_index, (f1, f2) in enumerate(_VOWELS):
        mask = (syllable % len(_VOWELS)) == vowel_index
        if not mask.any():
            continue
        for k in range(1, 40):
            freq = k * f0[mask]
            gain = (1.0 / k) * (
                1.0 + 4.0 * np.exp(-(((freq - f1) / 90.0) ** 2)) + 2.5 * np.exp(-(((freq - f2) / 120.0) ** 2))
            )
            gain = np.where(freq < 7000, gain, 0.0)
            out[mask] += gain * np.sin(k * phase[mask])
    # Breath: a voice is never a pure sum of harmonics, and an echo canceller fed one adapts only at those
    # frequencies (our first synthetic voice without it leaked echo whenever the pitch moved).
    out += _BREATH[(start + np.arange(count)) % _BREATH.size]
    result: npt.NDArray[np.float64] = out * envelope
    return result


_BREATH = np.random.default_rng(3).standard_normal(AUDIO_SAMPLE_RATE) * 0.3


_VOICE_RAW_RMS = float(np.sqrt(np.mean(_voice(0, int(AUDIO_SAMPLE_RATE * VOICE_PHRASE_S)) ** 2)))
"""The RMS of an unscaled phrase, measured once at import (about 10 ms), so a phrase comes out at the level."""


class SyntheticVoice(AudioSource):
    """``voice_samples`` as a paced source (``nimeet-bot --audio voice``). ``enabled = False`` sends silence."""

    def __init__(self, label: str = "voice") -> None:
        super().__init__(label)
        self._pacer = FramePacer(AUDIO_SAMPLE_RATE / AUDIO_SAMPLES_PER_FRAME, AUDIO_SAMPLE_RATE)

    async def _next(self) -> av.AudioFrame:
        pts = await self._pacer.wait()
        samples = voice_samples(pts, AUDIO_SAMPLES_PER_FRAME)
        if not self.enabled:
            samples = np.zeros_like(samples)
        frame = av.AudioFrame.from_ndarray(samples[None, :], format="s16", layout="mono")
        frame.sample_rate = AUDIO_SAMPLE_RATE
        frame.pts = pts
        frame.time_base = AUDIO_TIME_BASE
        return frame
