"""A simulated room for the headless client (``nimeet-bot --audio room-sim``): its microphone hears its loudspeaker.

What the bot plays (the mix of the remote audio) comes back into its microphone 120 ms later, 10 dB quieter,
through a reverberant room (RT60 300 ms, the direct sound 8 dB above the tail), over steady pink noise at -45 dBFS;
with ``talker``, a near-end talker speaks too (the bot's tone, 1 s on, 1 s off). The room is an impulse response: a
direct path, then exponentially decaying noise (the usual statistical model of a diffuse reverberant tail).

The room keeps each captured block's parts (echo, noise, talker) apart, so the echo benchmark can tell how much echo
went in and how much came out of the audio processing (``RoomLog``, ``echo_figures``).
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import av
import numpy as np
from numpy.typing import NDArray

from nimeet_desktop.media.audio_output import SILENCE_DBFS, audio_frame
from nimeet_desktop.media.base import AUDIO_PTIME_S, AUDIO_SAMPLE_RATE, AUDIO_SAMPLES_PER_FRAME, AudioSource

Samples = NDArray[np.int16]
Floats = NDArray[np.float64]

ECHO_DELAY_S = 0.120
ECHO_GAIN_DB = -10.0
RT60_S = 0.300
# A laptop's loudspeaker a hand's width from its microphone, in a furnished room: the critical distance (where direct
# and reverberant sound are equal) is 0.057·sqrt(V/RT60) ≈ 0.66 m for 40 m³ at 300 ms, so at about 0.25 m the direct
# sound is 20·log10(0.66/0.25) ≈ 8 dB above the reverberant tail. (A tail holding nearly all the energy would be a
# loudspeaker across a hall from the microphone.)
DIRECT_TO_REVERBERANT_DB = 8.0
NOISE_DBFS = -45.0
TALKER_DBFS = -20.0  # SyntheticAudio's tone
TALKER_HZ = 440
TALKER_PERIOD_S = 1.0  # on for a second, off for a second
FULL_SCALE = 32768.0


def dbfs_of_power(power: float) -> float:
    """Mean square of int16-scaled samples -> dBFS (as ``rms_dbfs``)."""
    return SILENCE_DBFS if power <= 0 else max(SILENCE_DBFS, 10 * math.log10(power / FULL_SCALE**2))


def room_impulse_response(
    rt60_s: float = RT60_S,
    rate: int = AUDIO_SAMPLE_RATE,
    seed: int = 1,
    direct_to_reverberant_db: float = DIRECT_TO_REVERBERANT_DB,
) -> Floats:
    """A direct path and a diffuse tail decaying 60 dB in ``rt60_s``, ``direct_to_reverberant_db`` below the direct
    path in energy, scaled to unit energy (the room neither adds nor takes level: ``ECHO_GAIN_DB`` alone does). The
    tail starts 5 ms after the direct path, as the first wall reflection would."""
    length = int(rt60_s * rate)
    t = np.arange(length) / rate
    rng = np.random.default_rng(seed)
    # Amplitude decays 60 dB (x1000) over rt60: exp(-ln(1000) t / rt60).
    tail = rng.standard_normal(length) * np.exp(-math.log(1000.0) * t / rt60_s)
    tail[: int(0.005 * rate)] = 0.0
    tail *= math.sqrt(10 ** (-direct_to_reverberant_db / 10) / float(np.sum(tail * tail)))
    tail[0] = 1.0
    result: Floats = tail / math.sqrt(float(np.sum(tail * tail)))
    return result


def pink_noise(count: int, dbfs: float = NOISE_DBFS, seed: int = 2) -> Floats:
    """``count`` samples of pink (1/f power) noise at an RMS of ``dbfs``, int16-scaled floats; shaped in the
    frequency domain, so its spectrum is exact."""
    rng = np.random.default_rng(seed)
    spectrum = np.fft.rfft(rng.standard_normal(count))
    freqs = np.fft.rfftfreq(count, 1 / AUDIO_SAMPLE_RATE)
    spectrum[1:] /= np.sqrt(freqs[1:] / freqs[1])
    spectrum[0] = 0.0
    noise = np.fft.irfft(spectrum, count)
    noise *= FULL_SCALE * 10 ** (dbfs / 20) / math.sqrt(float(np.mean(noise * noise)))
    result: Floats = noise
    return result


def talker_samples(start: int, count: int) -> Floats:
    """The near-end talker: the bot's 440 Hz tone at -20 dBFS, on for the first second of every two."""
    index = start + np.arange(count)
    amplitude = 32767 * 10 ** (TALKER_DBFS / 20)
    on = (index // int(TALKER_PERIOD_S * AUDIO_SAMPLE_RATE)) % 2 == 0
    result: Floats = amplitude * np.sin(2 * math.pi * TALKER_HZ * index / AUDIO_SAMPLE_RATE) * on
    return result


@dataclass(frozen=True, slots=True)
class CapturedParts:
    """Mean squares (int16 scale) of one captured block's parts."""

    pts: int
    echo: float
    noise: float
    talker: float
    total: float


class RoomAcoustics:
    """The speaker-to-microphone path. ``play`` (any thread: the one playing the mix) queues what the speaker
    plays; ``capture`` (the microphone's clock) takes the samples played meanwhile and returns what the microphone
    hears. Pure arithmetic, no clock of its own: the tests drive it sample by sample."""

    NOISE_LOOP_S = 10

    def __init__(
        self,
        *,
        talker: bool = False,
        delay_s: float = ECHO_DELAY_S,
        gain_db: float = ECHO_GAIN_DB,
        rt60_s: float = RT60_S,
        noise_dbfs: float = NOISE_DBFS,
    ) -> None:
        self.talker = talker
        self._ir = room_impulse_response(rt60_s) * 10 ** (gain_db / 20)
        self._delay = round(delay_s * AUDIO_SAMPLE_RATE)
        self._noise = pink_noise(self.NOISE_LOOP_S * AUDIO_SAMPLE_RATE, noise_dbfs)
        # What the speaker played, newest last: the delay, the room's memory (its impulse response) and a block.
        self._history = np.zeros(self._delay + self._ir.size + 2 * AUDIO_SAMPLES_PER_FRAME)
        self._fft_size = 1 << math.ceil(math.log2(self._ir.size + 2 * AUDIO_SAMPLES_PER_FRAME))
        self._ir_spectrum = np.fft.rfft(self._ir, self._fft_size)
        self._lock = threading.Lock()
        self._played: deque[Samples] = deque()
        self._played_size = 0
        self._captured = 0
        self.log: list[CapturedParts] = []

    def play(self, samples: Samples) -> None:
        """The speaker plays ``samples``; more than 100 ms not yet heard is dropped (a clock running ahead)."""
        with self._lock:
            self._played.append(samples.astype(np.int16, copy=True))
            self._played_size += samples.size
            while self._played_size > AUDIO_SAMPLE_RATE // 10 and len(self._played) > 1:
                self._played_size -= self._played.popleft().size

    def _take_played(self, count: int) -> Floats:
        out = np.zeros(count)
        filled = 0
        with self._lock:
            while filled < count and self._played:
                head = self._played[0]
                take = min(count - filled, head.size)
                out[filled : filled + take] = head[:take]
                filled += take
                if take == head.size:
                    self._played.popleft()
                else:
                    self._played[0] = head[take:]
                self._played_size -= take
        return out

    def capture(self, count: int = AUDIO_SAMPLES_PER_FRAME) -> Samples:
        """The microphone's next ``count`` samples (``count`` at most two 20 ms blocks)."""
        played = self._take_played(count)
        self._history = np.concatenate([self._history[count:], played])
        # Echo now = the room's response to what was played ``delay`` samples ago and before.
        end = self._history.size - self._delay
        span = self._history[end - count - self._ir.size + 1 : end]
        echo = np.fft.irfft(np.fft.rfft(span, self._fft_size) * self._ir_spectrum, self._fft_size)
        echo = echo[self._ir.size - 1 : self._ir.size - 1 + count]
        index = (self._captured + np.arange(count)) % self._noise.size
        noise = self._noise[index]
        talker = talker_samples(self._captured, count) if self.talker else np.zeros(count)
        total = echo + noise + talker
        self.log.append(
            CapturedParts(
                self._captured,
                float(np.mean(echo * echo)),
                float(np.mean(noise * noise)),
                float(np.mean(talker * talker)),
                float(np.mean(total * total)),
            )
        )
        self._captured += count
        samples: Samples = np.clip(np.round(total), -32768, 32767).astype(np.int16)
        return samples


class RoomMicrophone(AudioSource):
    """``RoomAcoustics`` as the bot's microphone, captured every 20 ms like a real one. Like ``MicrophoneSource``
    it keeps capturing while its reader is late: up to ``MAX_BEHIND_S`` of blocks wait (delivered at once when the
    reader comes back), older ones are dropped. ``enabled = False`` (mute) sends silence, as every source does.

    ``speaker(n)``, if given, plays the next ``n`` samples into the room before each block is captured (the bot's
    ``AudioMixer.pull``): one clock for both, as a full-duplex sound card has. Two timers on a loaded loop would
    drift against each other by whole blocks, and an echo path whose delay jumps is not a room."""

    MAX_BEHIND_S = 1.0
    """Five times the microphone's 200 ms: on the loaded 2-core machine the bot's loop stalls past 200 ms a few times
    a minute, and each dropped block costs the echo canceller its alignment (it heard the speaker play a block the
    microphone then never delivered): seconds of echo. The room measures the canceller, not the stall."""

    def __init__(
        self, room: RoomAcoustics, speaker: Callable[[int], object] | None = None, label: str = "room-sim"
    ) -> None:
        super().__init__(label)
        self.room = room
        self._speaker = speaker
        self._started_at: float | None = None
        self._blocks = 0
        self.dropped_blocks = 0

    async def _next(self) -> av.AudioFrame:
        now = time.monotonic()
        if self._started_at is None:
            self._started_at = now
        due = self._started_at + self._blocks * AUDIO_PTIME_S
        if due > now:
            await asyncio.sleep(due - now)
        while now - due > self.MAX_BEHIND_S:  # a real device's queue would have dropped these: so do we
            self._capture()
            self.dropped_blocks += 1
            due += AUDIO_PTIME_S
        pts = self._blocks * AUDIO_SAMPLES_PER_FRAME  # the room's sample count: the echo figures pair blocks by it
        samples = self._capture()
        if not self.enabled:
            samples = np.zeros_like(samples)
        return audio_frame(samples, pts)

    def _capture(self) -> Samples:
        if self._speaker is not None:
            self._speaker(AUDIO_SAMPLES_PER_FRAME)
        self._blocks += 1
        return self.room.capture(AUDIO_SAMPLES_PER_FRAME)


# --- figures ------------------------------------------------------------------------------------------------------


@dataclass
class EchoFigures:
    """What the echo benchmark prints; ``None`` where the call had no such moments."""

    erle_db: float | None = None
    """Echo return loss enhancement once converged: power in / power out over blocks of echo alone."""
    converged_after_s: float | None = None
    """From the first echo until the end of the first 0.5 s window whose ERLE reaches ``CONVERGED_DB``; None:
    never. ``erle_db`` and ``worst_window_db`` are then measured from there on."""
    worst_window_db: float | None = None
    """The lowest ERLE of a 0.5 s window from the first that reached the target on: leaks the average hides."""
    noise_reduction_db: float | None = None
    """Power in / power out over blocks of background noise alone (after the first 2 s)."""
    near_alone_dbfs: float | None = None
    """Output level while only the near-end talker speaks."""
    near_double_talk_dbfs: float | None = None
    """Output level while both talk."""
    blocks: int = 0
    erle_windows: list[tuple[float, float]] = field(default_factory=list)
    """(seconds since the first echo, ERLE in dB) per 0.5 s window: the convergence curve."""

    @property
    def double_talk_change_db(self) -> float | None:
        if self.near_alone_dbfs is None or self.near_double_talk_dbfs is None:
            return None
        return self.near_double_talk_dbfs - self.near_alone_dbfs

    def as_json(self) -> dict[str, object]:
        def rounded(value: float | None) -> float | None:
            return None if value is None else round(value, 1)

        return {
            "erleDb": rounded(self.erle_db),
            "convergedAfterS": rounded(self.converged_after_s),
            "worstWindowDb": rounded(self.worst_window_db),
            "noiseReductionDb": rounded(self.noise_reduction_db),
            "nearAloneDbfs": rounded(self.near_alone_dbfs),
            "nearDoubleTalkDbfs": rounded(self.near_double_talk_dbfs),
            "doubleTalkChangeDb": rounded(self.double_talk_change_db),
            "blocks": self.blocks,
            "erleWindows": [[round(t, 2), round(e, 1)] for t, e in self.erle_windows],
        }


CONVERGED_DB = 25.0
WINDOW_S = 0.5
SETTLE_S = 2.0


def _ratio_db(power_in: float, power_out: float) -> float:
    return 10 * math.log10(max(power_in, 1e-9) / max(power_out, 1e-9))


def _mean_dbfs(powers: list[float]) -> float | None:
    return None if not powers else dbfs_of_power(sum(powers) / len(powers))


def echo_figures(parts: list[CapturedParts], output_power: dict[int, float]) -> EchoFigures:
    """Pairs each captured block with the power of its processed output (by pts) and measures the room's figures.

    A block is *echo alone* when its echo is 10 dB above the noise and no talker speaks; *noise alone* when the
    echo is 10 dB below the noise (the reverberant tail has died) and no talker speaks. "No talker" holds from
    the second block after the talker stopped: the processing delays its output by a few milliseconds, so the
    first block after the talker still carries its last ones."""
    figures = EchoFigures()
    rows = [(p, output_power[p.pts]) for p in parts if p.pts in output_power]
    figures.blocks = len(rows)
    if not rows:
        return figures
    block_s = AUDIO_SAMPLES_PER_FRAME / AUDIO_SAMPLE_RATE
    by_pts = {p.pts: p for p in parts}

    def silent_talker(p: CapturedParts) -> bool:
        before = by_pts.get(p.pts - AUDIO_SAMPLES_PER_FRAME)
        return p.talker == 0 and (before is None or before.talker == 0)

    echo_alone = [(i, p, out) for i, (p, out) in enumerate(rows) if silent_talker(p) and p.echo > 10 * p.noise]
    if echo_alone:
        first = echo_alone[0][0]
        windows: dict[int, tuple[float, float]] = {}
        for i, p, out in echo_alone:
            key = int((i - first) * block_s / WINDOW_S)
            power_in, power_out = windows.get(key, (0.0, 0.0))
            windows[key] = (power_in + p.total, power_out + out)
        figures.erle_windows = [(key * WINDOW_S, _ratio_db(*windows[key])) for key in sorted(windows)]
        reached = [t for t, erle in figures.erle_windows if erle >= CONVERGED_DB]
        if reached:
            figures.converged_after_s = reached[0] + WINDOW_S
        since = figures.converged_after_s if figures.converged_after_s is not None else SETTLE_S
        steady = [(p.total, out) for i, p, out in echo_alone if (i - first) * block_s >= since]
        if steady:
            figures.erle_db = _ratio_db(sum(a for a, _ in steady), sum(b for _, b in steady))
        later = [erle for t, erle in figures.erle_windows if t >= since - WINDOW_S]
        figures.worst_window_db = min(later) if later else None
    start = int(SETTLE_S / block_s)
    noise_alone = [(p.total, out) for p, out in rows[start:] if silent_talker(p) and p.echo * 10 < p.noise]
    if noise_alone:
        figures.noise_reduction_db = _ratio_db(sum(a for a, _ in noise_alone), sum(b for _, b in noise_alone))
    talking = [(p, out) for p, out in rows[start:] if p.talker > 0]
    figures.near_alone_dbfs = _mean_dbfs([out for p, out in talking if p.echo * 10 < p.noise])
    figures.near_double_talk_dbfs = _mean_dbfs([out for p, out in talking if p.echo > 10 * p.noise])
    return figures
