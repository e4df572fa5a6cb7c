"""Everything heard, mixed for the recording: each source (a remote participant, our processed microphone) queues
its samples as they arrive; the recorder's clock pulls the same number of samples from each and sums them.

The queues are the speaker mixer's jitter buffers (``audio_output``): a source is mixed once 60 ms are in (so network
jitter does not chop it), dropped oldest-first beyond 500 ms (a source that delivers faster than the clock cannot
make the recording lag), and one that runs dry is silence until it fills again. Pushes come from the event loop,
pulls from the recorder's thread: one lock between them, held only to move arrays.
"""

from __future__ import annotations

import threading

import av
import numpy as np

from nimeet_desktop.media.audio_output import JitterBuffer, Samples, ToMono48k, mix_blocks
from nimeet_desktop.media.base import AUDIO_SAMPLE_RATE

PRIME_SAMPLES = AUDIO_SAMPLE_RATE * 60 // 1000
CAPACITY_SAMPLES = AUDIO_SAMPLE_RATE // 2


class RecordingMix:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buffers: dict[str, JitterBuffer] = {}
        self._converters: dict[str, ToMono48k] = {}

    def push_frame(self, source: str, frame: av.AudioFrame) -> None:
        """A decoded frame of any format (the event loop): converted to 48 kHz mono here."""
        converter = self._converters.get(source)
        if converter is None:
            converter = self._converters[source] = ToMono48k()
        self.push(source, converter(frame))

    def push(self, source: str, samples: Samples) -> None:
        """48 kHz mono int16 samples; kept as they are (the caller hands over a block it no longer changes)."""
        with self._lock:
            buffer = self._buffers.get(source)
            if buffer is None:
                buffer = self._buffers[source] = JitterBuffer(CAPACITY_SAMPLES, PRIME_SAMPLES)
            buffer.push(samples)

    def forget(self, source: str) -> None:
        with self._lock:
            self._buffers.pop(source, None)
        self._converters.pop(source, None)

    def pull(self, count: int) -> Samples:
        """The next ``count`` samples of the mix (the recorder's thread): silence where nobody is heard."""
        with self._lock:
            blocks = [block for buffer in self._buffers.values() if (block := buffer.pull(count)) is not None]
        if not blocks:
            return np.zeros(count, dtype=np.int16)
        return mix_blocks(blocks, count)

    def drop_pending(self) -> None:
        """Forget what is queued (recording paused: what is heard meanwhile is not recorded later)."""
        with self._lock:
            for source in self._buffers:
                self._buffers[source] = JitterBuffer(CAPACITY_SAMPLES, PRIME_SAMPLES)
