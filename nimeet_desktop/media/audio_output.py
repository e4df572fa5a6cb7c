"""Remote audio: every participant's track resampled to 48 kHz mono, mixed, and played by one output stream.

Each added track is read by its own task as fast as it delivers (so aiortc's receive queues never grow, with or
without a speaker); its samples wait in a short per-participant buffer. The mix is pulled 20 ms at a time by the
clock that plays it: PortAudio's callback when a speaker is open, otherwise a paced task on the loop (the mix then
goes only to ``sink``). Levels and frame counts are measured as frames arrive, for the "speaking" indicator.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import av
import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from numpy.typing import NDArray

from nimeet_desktop.media import portaudio_reset
from nimeet_desktop.media.base import AUDIO_SAMPLE_RATE, AUDIO_SAMPLES_PER_FRAME, AUDIO_TIME_BASE, FramePacer
from nimeet_desktop.media.devices import AudioDeviceId, close_stream, sounddevice_module

logger = logging.getLogger(__name__)

Samples = NDArray[np.int16]

SILENCE_DBFS = -100.0
"""The level reported for digital silence (and for a participant who has sent nothing lately)."""
INT16_MIN = -32768
INT16_MAX = 32767


def rms_dbfs(samples: NDArray[Any]) -> float:
    """RMS level of int16 samples in dB relative to full scale (a full-scale square wave is 0 dBFS, a full-scale
    sine about -3), floored at ``SILENCE_DBFS``."""
    if samples.size == 0:
        return SILENCE_DBFS
    as_float = samples.astype(np.float64)
    rms = math.sqrt(float(np.mean(as_float * as_float)))
    if rms <= 0.0:
        return SILENCE_DBFS
    return max(SILENCE_DBFS, 20.0 * math.log10(rms / 32768.0))


def audio_frame(samples: Samples, pts: int) -> av.AudioFrame:
    """One mono s16 frame at 48 kHz; ``pts`` counts samples (time base 1/48000)."""
    frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
    frame.sample_rate = AUDIO_SAMPLE_RATE
    frame.pts = pts
    frame.time_base = AUDIO_TIME_BASE
    return frame


def scaled(samples: Samples, gain: float) -> Samples:
    """``samples`` times ``gain``, rounded and clipped to int16 (a voice turned up past full scale saturates, as
    an amplifier would, instead of wrapping round into noise). Gain 1 returns ``samples`` itself."""
    if gain == 1.0:
        return samples
    louder: Samples = np.clip(np.rint(samples * gain), INT16_MIN, INT16_MAX).astype(np.int16)
    return louder


def mix_blocks(blocks: Sequence[Samples], length: int = AUDIO_SAMPLES_PER_FRAME) -> Samples:
    """Sum int16 blocks sample by sample, clipped to the int16 range; shorter blocks count as zero-padded.

    Pure: the same inputs always give the same ``length`` samples; no input gives silence.
    """
    total = np.zeros(length, dtype=np.int32)
    for block in blocks:
        if block.ndim != 1 or block.shape[0] > length:
            raise ValueError(f"a block must be 1-D and at most {length} samples, got shape {block.shape}")
        total[: block.shape[0]] += block
    mixed: Samples = np.clip(total, INT16_MIN, INT16_MAX).astype(np.int16)
    return mixed


class _ToMono48k:
    """Any ``av.AudioFrame`` → 48 kHz mono int16 samples; rebuilds its resampler when the input format changes."""

    def __init__(self) -> None:
        self._resampler: av.AudioResampler | None = None
        self._input: tuple[str, str, int] | None = None

    def __call__(self, frame: av.AudioFrame) -> Samples:
        signature = (frame.format.name, frame.layout.name, frame.sample_rate)
        if signature == ("s16", "mono", AUDIO_SAMPLE_RATE):
            samples: Samples = frame.to_ndarray().reshape(-1).astype(np.int16, copy=True)
            return samples
        if self._resampler is None or signature != self._input:
            self._resampler = av.AudioResampler(format="s16", layout="mono", rate=AUDIO_SAMPLE_RATE)
            self._input = signature
        parts = [out.to_ndarray().reshape(-1) for out in self._resampler.resample(frame)]
        if not parts:
            return np.zeros(0, dtype=np.int16)
        joined: Samples = np.concatenate(parts).astype(np.int16, copy=False)
        return joined


class _JitterBuffer:
    """One participant's samples waiting to be mixed. Plays only once ``prime`` samples are in (and again after
    running dry), and drops the oldest beyond ``capacity`` so latency stays bounded. Guarded by the mixer's lock."""

    def __init__(self, capacity: int, prime: int) -> None:
        self._capacity = capacity
        self._prime = prime
        self._chunks: deque[Samples] = deque()
        self._size = 0
        self._primed = False
        self.underruns = 0
        self.dropped_samples = 0

    def push(self, samples: Samples) -> None:
        if samples.size == 0:
            return
        self._chunks.append(samples)
        self._size += samples.size
        excess = self._size - self._capacity
        while excess > 0:
            head = self._chunks[0]
            if head.size <= excess:
                self._chunks.popleft()
                cut = head.size
            else:
                self._chunks[0] = head[excess:]
                cut = excess
            self._size -= cut
            self.dropped_samples += cut
            excess -= cut

    def pull(self, n: int) -> Samples | None:
        """``n`` samples (zero-padded if it runs dry), or None while it is filling up."""
        if not self._primed:
            if self._size < self._prime:
                return None
            self._primed = True
        out = np.zeros(n, dtype=np.int16)
        filled = 0
        while filled < n and self._chunks:
            head = self._chunks[0]
            take = min(n - filled, head.size)
            out[filled : filled + take] = head[:take]
            filled += take
            if take == head.size:
                self._chunks.popleft()
            else:
                self._chunks[0] = head[take:]
        self._size -= filled
        if filled < n:
            self._primed = False
            self.underruns += 1
        return out


# Shared with the recording's mix (media/recording/audio_mix.py), which queues and converts remote audio the same way.
JitterBuffer = _JitterBuffer
ToMono48k = _ToMono48k


@dataclass(frozen=True, slots=True)
class ParticipantAudioStats:
    frames_received: int
    level_dbfs: float
    underruns: int
    dropped_samples: int
    ended: bool


class _Participant:
    def __init__(self, track: MediaStreamTrack, buffer: _JitterBuffer) -> None:
        self.track = track
        self.buffer = buffer
        self.convert = _ToMono48k()
        self.frames_received = 0
        self.level_dbfs = SILENCE_DBFS
        self.last_frame_at = 0.0
        self.ended = False
        self.task: asyncio.Task[None] | None = None


class AudioMixer:
    """Mixes remote participants' audio into one output stream (or none: then it only consumes and measures).

    ``device`` is a speaker id from ``list_speakers()`` (None: the system default); ``output=False`` never opens
    one. ``sink``, if given, also receives every mixed 20 ms block, on the thread that mixed it (PortAudio's, or
    the loop's when there is no speaker).
    """

    LEVEL_HOLD_S = 0.3
    """A participant who sent nothing for this long reads as silent, whatever their last frame was."""

    def __init__(
        self,
        device: AudioDeviceId | None = None,
        *,
        output: bool = True,
        sink: Callable[[Samples], None] | None = None,
        max_latency_ms: int = 200,
        prime_ms: int = 40,
    ) -> None:
        self.device = device
        self._want_output = output
        self._sink = sink
        self._capacity = AUDIO_SAMPLE_RATE * max_latency_ms // 1000
        self._prime = AUDIO_SAMPLE_RATE * prime_ms // 1000
        self._lock = threading.Lock()
        self._participants: dict[str, _Participant] = {}
        # Per participant, as the tile's menu sets it; kept when their track is replaced (a reconnect) and
        # forgotten only with ``forget_volume``, so a volume holds for the whole call.
        self._gains: dict[str, float] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stream: Any = None
        self._clock_task: asyncio.Task[None] | None = None
        self._tasks_to_await: list[asyncio.Task[None]] = []
        self._started = False
        self._closed = False
        self.on_speaker_lost: Callable[[], None] | None = None
        """Told (on the loop) when the speaker stops by itself; the mix goes on without it meanwhile."""
        self.sample_taps: list[Callable[[str, Samples], None]] = []
        """Called on the loop with each participant's decoded block (48 kHz mono, before their volume), as it
        arrives: a recording hears everyone as they sent it. The block is shared: a tap must not change it."""
        self.output_delay_s = 0.0
        """From pulling a block to its first sample leaving the speaker (the echo canceller's render delay): PortAudio's
        timing of each callback, else the stream's latency; 0 without a speaker."""

    @property
    def output_active(self) -> bool:
        """True while a speaker is playing the mix."""
        return self._stream is not None

    async def start(self) -> None:
        """Open the speaker (in a worker thread: PortAudio may take a moment) or, failing that, start the clock that
        keeps mixing without one. Idempotent."""
        if self._started or self._closed:
            return
        self._started = True
        self._loop = asyncio.get_running_loop()
        if self._want_output:
            stream = await asyncio.to_thread(self._open_output, self.device)
            if self._closed:
                self._close_stream(stream)
                return
            self._stream = stream
        if self._stream is None:
            self._start_clock()

    def _open_output(self, device: AudioDeviceId | None) -> Any:
        sd = sounddevice_module()
        if sd is None:
            return None
        # Each stream's end is told with the stream, so the end of one replaced by ``set_device`` is not taken for
        # the loss of its successor.
        opened: list[Any] = []
        try:
            stream = sd.OutputStream(
                device=device,
                samplerate=AUDIO_SAMPLE_RATE,
                channels=1,
                dtype="int16",
                blocksize=AUDIO_SAMPLES_PER_FRAME,
                latency="low",
                callback=self._on_output,
                finished_callback=lambda: self._on_output_finished(opened[0] if opened else None),
            )
            opened.append(stream)
            portaudio_reset.track(stream)
            stream.start()
        except Exception as exc:  # sd.PortAudioError, or ValueError for an unknown device name
            logger.warning("no speaker %r (%s): remote audio is received but not played", device, exc)
            return None
        logger.info("speaker %r open (%s, latency %.0f ms)", device, stream.device, 1000 * stream.latency)
        self.output_delay_s = float(stream.latency)
        return stream

    def _on_output(self, outdata: NDArray[np.int16], frames: int, time_info: Any, status: Any) -> None:
        """PortAudio's thread: play the next block of the mix."""
        if status:
            logger.debug("speaker %r: %s", self.device, status)
        # Some hosts (ALSA's null device) give no timing: the stream's latency, set at opening, stands then.
        delay = float(time_info.outputBufferDacTime - time_info.currentTime)
        if 0.0 < delay < 1.0:
            self.output_delay_s = delay
        outdata[:, 0] = self.pull(frames)

    def _on_output_finished(self, stream: Any) -> None:
        """PortAudio's thread: the stream stopped; if we did not stop it, the speaker is gone."""
        loop = self._loop
        if self._closed or loop is None:
            return
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(self._speaker_lost, stream)

    def _speaker_lost(self, stream: Any) -> None:
        if self._closed or self._stream is None or self._stream is not stream:
            return
        logger.warning("speaker %r stopped: remote audio keeps being received, not played", self.device)
        stream, self._stream = self._stream, None
        self._close_stream(stream)
        self.output_delay_s = 0.0
        self._start_clock()
        if self.on_speaker_lost is not None:
            self.on_speaker_lost()

    def _start_clock(self) -> None:
        if self._clock_task is None or self._clock_task.done():
            self._clock_task = asyncio.get_running_loop().create_task(self._clock(), name="audio-mixer-clock")

    async def _clock(self) -> None:
        pacer = FramePacer(AUDIO_SAMPLE_RATE / AUDIO_SAMPLES_PER_FRAME, AUDIO_SAMPLE_RATE)
        while not self._closed:
            await pacer.wait()
            self.pull(AUDIO_SAMPLES_PER_FRAME)

    def pull(self, n: int = AUDIO_SAMPLES_PER_FRAME) -> Samples:
        """Mix the next ``n`` samples from every participant (taking them from their buffers); any thread."""
        with self._lock:
            pulled = [(pid, b) for pid, p in self._participants.items() if (b := p.buffer.pull(n)) is not None]
            gains = dict(self._gains)
        # Each participant's volume inside the mix: what the speaker plays (and what echo cancellation takes as
        # its far-end reference) is the mix as heard, volumes included.
        mixed = mix_blocks([scaled(b, gains.get(pid, 1.0)) for pid, b in pulled], n)
        if self._sink is not None:
            try:
                self._sink(mixed)
            except Exception:
                logger.exception("audio mixer sink failed")
        return mixed

    # --- participants ---------------------------------------------------------------------------------------------

    def add(self, participant_id: str, track: MediaStreamTrack) -> None:
        """Start consuming ``track`` for ``participant_id`` (replacing that participant's previous track)."""
        if self._closed:
            raise RuntimeError("the audio mixer is closed")
        self.remove(participant_id)
        participant = _Participant(track, _JitterBuffer(self._capacity, self._prime))
        with self._lock:
            self._participants[participant_id] = participant
        participant.task = asyncio.get_running_loop().create_task(
            self._consume(participant_id, participant), name=f"audio-mixer-{participant_id}"
        )

    def remove(self, participant_id: str) -> None:
        """Stop consuming that participant's track (the track itself is left alone); unknown ids are ignored."""
        with self._lock:
            participant = self._participants.pop(participant_id, None)
        if participant is not None and participant.task is not None:
            participant.task.cancel()

    MAX_GAIN = 2.0
    """200 %: louder than that only clips a voice that was already loud."""

    def set_volume(self, participant_id: str, gain: float) -> None:
        """Play ``participant_id`` at ``gain`` (0 silent, 1 as received, up to ``MAX_GAIN``), from the next block
        mixed on. Clamped to that range; set before their audio arrives, it applies once it does."""
        if not math.isfinite(gain):
            raise ValueError(f"a volume must be a finite number, got {gain!r}")
        gain = min(self.MAX_GAIN, max(0.0, gain))
        with self._lock:
            if gain == 1.0:
                self._gains.pop(participant_id, None)
            else:
                self._gains[participant_id] = gain

    def volume(self, participant_id: str) -> float:
        with self._lock:
            return self._gains.get(participant_id, 1.0)

    def forget_volume(self, participant_id: str) -> None:
        """The participant left the call: their volume goes with them."""
        with self._lock:
            self._gains.pop(participant_id, None)

    async def _consume(self, participant_id: str, participant: _Participant) -> None:
        try:
            while True:
                frame = await participant.track.recv()
                if not isinstance(frame, av.AudioFrame):
                    raise TypeError(f"expected an av.AudioFrame, got {type(frame).__name__}")
                samples = participant.convert(frame)
                participant.frames_received += 1
                participant.level_dbfs = rms_dbfs(samples)
                participant.last_frame_at = time.monotonic()
                with self._lock:
                    participant.buffer.push(samples)
                for tap in self.sample_taps:
                    tap(participant_id, samples)
        except MediaStreamError:
            logger.debug("audio of %s ended", participant_id)
        except Exception:
            logger.exception("audio of %s failed; no longer mixed", participant_id)
        finally:
            participant.ended = True

    def levels(self) -> dict[str, float]:
        """Each participant's level in dBFS (``SILENCE_DBFS`` when silent or quiet lately)."""
        now = time.monotonic()
        return {
            pid: p.level_dbfs if now - p.last_frame_at <= self.LEVEL_HOLD_S else SILENCE_DBFS
            for pid, p in self._participants.items()
        }

    def frames_received(self) -> dict[str, int]:
        return {pid: p.frames_received for pid, p in self._participants.items()}

    def stats(self) -> dict[str, ParticipantAudioStats]:
        levels = self.levels()
        return {
            pid: ParticipantAudioStats(
                frames_received=p.frames_received,
                level_dbfs=levels[pid],
                underruns=p.buffer.underruns,
                dropped_samples=p.buffer.dropped_samples,
                ended=p.ended,
            )
            for pid, p in self._participants.items()
        }

    # --- switching the speaker during a call ----------------------------------------------------------------------

    async def set_device(self, device: AudioDeviceId | None) -> bool:
        """Play to ``device`` (None: the system default) from now on; participants and their buffers stay. The new
        stream opens (in a worker thread) before the old one closes, so the mix never stops; if it will not open,
        the current one plays on and False is returned."""
        if self._closed:
            return False
        if not self._started or not self._want_output:
            self.device = device  # opened (or not) by start()
            return True
        stream = await asyncio.to_thread(self._open_output, device)
        if stream is None or self._closed:
            self._close_stream(stream)
            return False
        old, self._stream = self._stream, stream
        self.device = device
        if self._clock_task is not None:
            self._clock_task.cancel()  # the new speaker's callback is the clock now
            self._clock_task = None
        if old is not None:
            await asyncio.to_thread(self._close_stream, old)
        return True

    async def suspend_output(self) -> None:
        """Close the speaker stream (the mix goes on, paced by the loop) until ``set_device`` opens one again: for
        re-initializing PortAudio, which must not free a stream still in use."""
        stream, self._stream = self._stream, None
        if stream is not None:
            await asyncio.to_thread(self._close_stream, stream)
            if not self._closed:
                self._start_clock()

    # --- shutdown -------------------------------------------------------------------------------------------------

    def close(self) -> None:
        """Stop playing and consuming; cancels every task of ours. Idempotent."""
        if self._closed:
            return
        self._closed = True
        with self._lock:
            participants = list(self._participants.values())
            self._participants.clear()
        for participant in participants:
            if participant.task is not None:
                participant.task.cancel()
        if self._clock_task is not None:
            self._clock_task.cancel()
        stream, self._stream = self._stream, None
        self._close_stream(stream)
        self._tasks_to_await = [p.task for p in participants if p.task is not None]
        if self._clock_task is not None:
            self._tasks_to_await.append(self._clock_task)

    async def aclose(self) -> None:
        """``close()``, then wait for the cancelled tasks to finish."""
        self.close()
        tasks, self._tasks_to_await = self._tasks_to_await, []
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    @staticmethod
    def _close_stream(stream: Any) -> None:
        close_stream(stream, "the speaker stream")
