"""WebRTC's audio processing on the microphone: echo cancellation (AEC3), noise suppression, gain control and a
high-pass filter, through the ``livekit`` wheel's ``AudioProcessingModule`` (docs/architecture.md, "Audio
processing", says why that one).

One ``AudioProcessor`` per call. Two threads use it at once: the one that plays the speaker hands it what is played
(``analyze_render``, the far end), the microphone's worker hands it what was captured (``process``, the near end).
The module works on 10 ms frames only; our blocks are 20 ms, so each is two frames.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from nimeet_desktop.media.base import AUDIO_SAMPLE_RATE

if TYPE_CHECKING:
    from livekit import rtc

logger = logging.getLogger(__name__)

Samples = NDArray[np.int16]

FRAME_SAMPLES = AUDIO_SAMPLE_RATE // 100
"""What the module takes: 10 ms of 48 kHz mono."""
MAX_STREAM_DELAY_MS = 500
"""The module's own bound on the delay hint: beyond it the device's figure is not believed."""


@dataclass(frozen=True, slots=True)
class AudioProcessingConfig:
    echo_cancellation: bool = True
    noise_suppression: bool = True
    auto_gain_control: bool = True
    high_pass_filter: bool = True

    @classmethod
    def off(cls) -> AudioProcessingConfig:
        return cls(echo_cancellation=False, noise_suppression=False, auto_gain_control=False, high_pass_filter=False)

    @property
    def any_on(self) -> bool:
        return self.echo_cancellation or self.noise_suppression or self.auto_gain_control or self.high_pass_filter


@dataclass(frozen=True, slots=True)
class ProcessingStats:
    """CPU time per 10 ms frame (the calling thread's CPU, not wall time) on each side, for the benchmark."""

    near_frames: int
    near_cpu_s: float
    far_frames: int
    far_cpu_s: float
    stream_delay_ms: int

    @property
    def near_cpu_ms_per_frame(self) -> float | None:
        return None if not self.near_frames else 1000 * self.near_cpu_s / self.near_frames

    @property
    def far_cpu_ms_per_frame(self) -> float | None:
        return None if not self.far_frames else 1000 * self.far_cpu_s / self.far_frames


def _new_module(config: AudioProcessingConfig) -> rtc.AudioProcessingModule | None:
    """The high-pass filter, the echo canceller and the noise suppressor: one module, in WebRTC's order."""
    if not (config.echo_cancellation or config.noise_suppression or config.high_pass_filter):
        return None
    # Imported here: the native library (28 MB) loads only once a call processes audio, not at app start.
    from livekit import rtc

    return rtc.AudioProcessingModule(
        echo_cancellation=config.echo_cancellation,
        noise_suppression=config.noise_suppression,
        high_pass_filter=config.high_pass_filter,
    )


def _new_gain(config: AudioProcessingConfig) -> rtc.AudioProcessingModule | None:
    """Gain control in a module of its own, after the other: the order WebRTC's module has inside (gain control
    comes last there too), and a point between the two where the canceller's own figures can be measured. The
    gain is what the user's voice needs, and it lifts what is left of the echo and the noise with it."""
    if not config.auto_gain_control:
        return None
    from livekit import rtc

    return rtc.AudioProcessingModule(auto_gain_control=True)


def _frame(samples: Samples) -> rtc.AudioFrame:
    from livekit import rtc

    return rtc.AudioFrame(bytearray(samples.tobytes()), AUDIO_SAMPLE_RATE, 1, FRAME_SAMPLES)


class AudioProcessor:
    """Thread-safe: ``analyze_render`` (one playing thread at a time), ``process`` (one capture thread at a time),
    ``set_config`` and ``stats`` (any thread).

    The module is called outside our lock: WebRTC's APM takes render and capture calls from their own threads by
    design, and a speaker's callback must never wait for a microphone block's processing (and the GIL it keeps
    retaking) to finish. The lock covers only which module is current and the counters.
    """

    def __init__(self, config: AudioProcessingConfig | None = None) -> None:
        self._lock = threading.Lock()
        self._config = config or AudioProcessingConfig()
        self._module = _new_module(self._config)
        self._gain = _new_gain(self._config)
        self.before_gain: Samples | None = None
        """The last processed block as it was before gain control (the capture thread's; None when gain control is
        off): where the echo canceller's and the noise suppressor's figures are measured."""
        # Far-end samples not yet a whole 10 ms frame (a speaker may ask for any number of samples per callback),
        # and the module they were meant for; touched by the playing thread only.
        self._render_rest = np.zeros(0, dtype=np.int16)
        self._render_module: rtc.AudioProcessingModule | None = None
        self._render_delay_s = 0.0
        self._stream_delay_ms = 0
        self._told: rtc.AudioProcessingModule | None = None  # the module that has been told the delay (capture side)
        self._near_frames = 0
        self._near_cpu_s = 0.0
        self._far_frames = 0
        self._far_cpu_s = 0.0

    @property
    def config(self) -> AudioProcessingConfig:
        return self._config

    def set_config(self, config: AudioProcessingConfig) -> None:
        """Applies from the next frame. The module takes its stages when it is made, so a change makes a new one
        (the echo canceller then adapts again: about a second)."""
        if config == self._config:
            return
        module, gain = _new_module(config), _new_gain(config)  # outside the lock: each takes a few milliseconds
        with self._lock:
            self._config = config
            self._module = module
            self._gain = gain
        logger.info("audio processing: %s", config)

    def stats(self) -> ProcessingStats:
        with self._lock:
            return ProcessingStats(
                self._near_frames, self._near_cpu_s, self._far_frames, self._far_cpu_s, self._stream_delay_ms
            )

    def analyze_render(self, samples: Samples, render_delay_s: float = 0.0) -> None:
        """The far end: exactly what is about to be played, on the thread that plays it. ``render_delay_s``: how
        long until its first sample leaves the speaker (PortAudio's output latency; 0 without a device)."""
        with self._lock:
            module, config = self._module, self._config
            self._render_delay_s = max(0.0, render_delay_s)
        if module is None or not config.echo_cancellation:
            return
        if module is not self._render_module:  # a new module: what was left over belongs to the old one
            self._render_module = module
            self._render_rest = np.zeros(0, dtype=np.int16)
        pending = np.concatenate([self._render_rest, samples.astype(np.int16, copy=False)])
        whole = pending.size - pending.size % FRAME_SAMPLES
        self._render_rest = pending[whole:].copy()
        started = time.thread_time()
        for start in range(0, whole, FRAME_SAMPLES):
            module.process_reverse_stream(_frame(pending[start : start + FRAME_SAMPLES]))
        spent = time.thread_time() - started
        with self._lock:
            self._far_cpu_s += spent
            self._far_frames += whole // FRAME_SAMPLES

    def process(self, samples: Samples, capture_delay_s: float = 0.0) -> Samples:
        """The near end: a block of whole 10 ms frames from the microphone, processed (a new array).
        ``capture_delay_s``: how long ago its first sample reached the microphone (device latency plus the
        block we waited to fill). With everything off, the samples come back unchanged."""
        if samples.size % FRAME_SAMPLES:
            raise ValueError(f"the module takes whole 10 ms frames ({FRAME_SAMPLES} samples), got {samples.size}")
        out = samples.astype(np.int16, copy=True)
        with self._lock:
            module, gain, config, render_delay_s = self._module, self._gain, self._config, self._render_delay_s
        if module is None and gain is None:
            self.before_gain = None
            return out
        # WebRTC's definition: (t_render - t_analyze) + (t_process - t_capture). AEC3 finds the true delay itself;
        # the hint only narrows its search, so a device that misreports costs a little convergence time.
        delay_ms = min(MAX_STREAM_DELAY_MS, round(1000 * (render_delay_s + max(0.0, capture_delay_s))))
        started = time.thread_time()
        # The module keeps the delay until told another: each call into it is a round trip through its FFI (and a
        # wait for the GIL), so it is told only when the delay changes.
        if (
            module is not None
            and config.echo_cancellation
            and (delay_ms != self._stream_delay_ms or module is not self._told)
        ):
            module.set_stream_delay_ms(delay_ms)
            self._told = module
        for stage in (module, gain):
            if stage is gain:
                self.before_gain = None if gain is None else out.copy()
            if stage is None:
                continue
            for start in range(0, out.size, FRAME_SAMPLES):
                frame = _frame(out[start : start + FRAME_SAMPLES])
                stage.process_stream(frame)
                out[start : start + FRAME_SAMPLES] = np.frombuffer(frame.data, dtype=np.int16)
        spent = time.thread_time() - started
        with self._lock:
            self._stream_delay_ms = delay_ms
            self._near_cpu_s += spent
            self._near_frames += out.size // FRAME_SAMPLES
        return out
