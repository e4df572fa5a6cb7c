"""The microphone as an aiortc audio track: sounddevice at 48 kHz, mono s16, 20 ms frames.

PortAudio calls us on its own thread once per 20 ms block; the block goes into a short bounded queue (oldest
dropped when the consumer falls behind, so latency stays bounded) and out as one ``av.AudioFrame``. Muting
(``enabled = False``) keeps the device open and the timing intact but sends silence.
"""

from __future__ import annotations

import logging
from typing import Any

import av
import numpy as np
from numpy.typing import NDArray

from nimeet_desktop.media import portaudio_reset
from nimeet_desktop.media.audio_output import SILENCE_DBFS, audio_frame, rms_dbfs
from nimeet_desktop.media.base import AUDIO_SAMPLE_RATE, AUDIO_SAMPLES_PER_FRAME, AudioSource, DeviceLost
from nimeet_desktop.media.devices import (
    AudioDeviceId,
    DeviceUnavailable,
    ThreadFeed,
    audio_problem,
    close_stream,
    sounddevice_module,
)

logger = logging.getLogger(__name__)


class MicrophoneSource(AudioSource):
    """Captured audio; ``device`` is an id from ``list_microphones()`` (None: the system default)."""

    QUEUE_BLOCKS = 10
    """At most 200 ms waits for the consumer; older blocks are dropped."""
    STALL_TIMEOUT_S = 1.0
    """No block for this long means the device is gone (PortAudio does not always tell)."""

    def __init__(self, device: AudioDeviceId | None = None, *, label: str | None = None) -> None:
        super().__init__(label or f"microphone {device if device is not None else 'default'}")
        self.device = device
        self._feed: ThreadFeed[tuple[int, NDArray[np.int16]]] = ThreadFeed(maxlen=self.QUEUE_BLOCKS)
        self._captured_samples = 0  # written by PortAudio's thread only
        self._level = SILENCE_DBFS
        self._lost_reason: str | None = None
        self._released = False
        sd = sounddevice_module()
        if sd is None:
            raise DeviceUnavailable("no microphone: PortAudio is not available")
        try:
            self._stream = sd.InputStream(
                device=device,
                samplerate=AUDIO_SAMPLE_RATE,
                channels=1,
                dtype="int16",
                blocksize=AUDIO_SAMPLES_PER_FRAME,
                callback=self._on_block,
                finished_callback=self._on_finished,
            )
            portaudio_reset.track(self._stream)
            self._stream.start()
        except Exception as exc:  # sd.PortAudioError, or ValueError for a name that matches no device
            raise DeviceUnavailable(f"microphone {device!r} cannot be opened: {exc}", audio_problem(exc)) from exc
        self.capture_latency_s = float(self._stream.latency)
        logger.info("microphone %r open (%s)", device, self._stream.device)

    @property
    def audio_level(self) -> float:
        """RMS level of the last captured frame in dBFS (``SILENCE_DBFS`` for silence), for a level meter.

        Measured before muting, so the UI can tell a muted user that they are talking.
        """
        return self._level

    @property
    def dropped_blocks(self) -> int:
        return self._feed.dropped

    def _on_block(self, indata: NDArray[np.int16], frames: int, _time: Any, status: Any) -> None:
        """PortAudio's thread. Copy out: ``indata`` is reused for the next block."""
        if status:
            logger.debug("microphone %r: %s", self.device, status)
        self._feed.push((self._captured_samples, indata[:, 0].copy()))
        self._captured_samples += frames

    def _on_finished(self) -> None:
        if not self._released:
            self._lost_reason = f"microphone {self.device!r} stream stopped"
        self._feed.close()

    async def _next(self) -> av.AudioFrame:
        item = await self._feed.get(self.STALL_TIMEOUT_S)
        if item is None:
            raise DeviceLost(self._lost_reason or f"microphone {self.device!r} delivered no audio for a while")
        pts, samples = item
        self._level = rms_dbfs(samples)
        if not self.enabled:
            samples = np.zeros_like(samples)
        return audio_frame(samples, pts)

    def _release(self) -> None:
        if self._released:
            return
        self._released = True
        self._feed.close()
        close_stream(getattr(self, "_stream", None), f"microphone {self.device!r}")
