"""The recorder: a thread of its own that composes the call's picture and mixes what is heard at the call's frame
rate, encodes both and writes them to one file (``container.py``), with start, pause, resume and stop.

Off the GUI thread and off the event loop: composing a 720p picture and encoding it takes milliseconds per frame,
which the loop (every peer's packets) and the window cannot spare. Encoding in PyAV and scaling in libswscale release
the GIL, so the thread mostly runs beside them rather than between them.

The recording's clock is the wall clock minus the time spent paused: frame ``n`` is composed at ``n / fps`` seconds of
recorded time from whatever each participant shows at that moment, so a participant's stall repeats their last frame
(as the call's tile does) and the file keeps real time. A tick the thread is too late for is skipped, not caught up:
the video stays in step with the audio, whose samples are pulled by the same clock.

A write that fails (the disk full, the drive gone) stops the recording with a ``RecordingError`` value, never an
exception into the caller's loop; the part written stays on disk and plays (the container is written progressively).
"""

from __future__ import annotations

import errno
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Literal

import av
import numpy as np

from nimeet_desktop.media.base import AUDIO_SAMPLE_RATE, AUDIO_TIME_BASE
from nimeet_desktop.media.recording.audio_mix import RecordingMix
from nimeet_desktop.media.recording.compose import Compositor, TileFrame
from nimeet_desktop.media.recording.container import Format, RecordingFile, file_size
from nimeet_desktop.thread_names import name_this_thread

logger = logging.getLogger(__name__)

DEFAULT_SIZE = (1280, 720)
DEFAULT_FPS = 30

Picture = tuple[list[TileFrame], TileFrame | None]
"""What the call shows now: the participants' tiles in order, and the screen being shared (None: the grid)."""


class RecordingState(StrEnum):
    IDLE = "idle"
    RECORDING = "recording"
    PAUSED = "paused"
    STOPPED = "stopped"


ErrorKind = Literal["disk-full", "write-failed", "cannot-open"]


@dataclass(frozen=True, slots=True)
class RecordingError:
    kind: ErrorKind
    message: str
    path: Path

    def __str__(self) -> str:
        return f"recording {self.path}: {self.message}"


@dataclass(frozen=True, slots=True)
class RecordingResult:
    path: Path
    duration_s: float
    """Recorded time: from start to stop, the pauses left out."""
    video_frames: int
    bytes_written: int
    error: RecordingError | None


def _error(exc: BaseException, path: Path, opening: bool = False) -> RecordingError:
    code = getattr(exc, "errno", None)
    if code == errno.ENOSPC or code == errno.EDQUOT:
        return RecordingError("disk-full", "the disk is full; the part recorded so far is kept", path)
    detail = getattr(exc, "strerror", None) or str(exc)
    if opening:
        return RecordingError("cannot-open", f"cannot create the file: {detail}", path)
    return RecordingError("write-failed", f"writing failed ({detail}); the part recorded so far is kept", path)


class Recorder:
    def __init__(
        self,
        path: Path,
        picture: Callable[[], Picture],
        mix: RecordingMix,
        *,
        size: tuple[int, int] = DEFAULT_SIZE,
        fps: int = DEFAULT_FPS,
        on_stopped: Callable[[RecordingResult], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``picture`` is called on the recorder's thread once per frame; ``on_stopped`` is called on it too when
        the recording stops by itself (a write error), with the result ``stop`` would have returned."""
        self.path = path
        self.fps = fps
        self.mix = mix
        self._picture = picture
        self._size = size
        self._on_stopped = on_stopped
        self._clock = clock
        self._lock = threading.Lock()
        self._wake = threading.Event()  # set by pause, resume and stop: the thread re-reads the state at once
        self._state = RecordingState.IDLE
        self._active_s = 0.0  # recorded time before the current stretch of recording
        self._stretch_from: float | None = None  # when the current stretch began (None: paused or not started)
        self._thread: threading.Thread | None = None
        self._file: RecordingFile | None = None
        self.error: RecordingError | None = None
        self.video_frames = 0
        self._audio_samples = 0
        self._result: RecordingResult | None = None

    @property
    def state(self) -> RecordingState:
        return self._state

    @property
    def file_format(self) -> Format | None:
        """The container and codecs, once the file is open."""
        return None if self._file is None else self._file.format

    def cpu_time_s(self) -> float | None:
        """CPU time the recorder's thread has used (composition, mix, encoding, writing: the encoders run on it, one
        thread each); None when it is not running or the system has no per-thread clock."""
        thread = self._thread
        if thread is None or thread.ident is None or not thread.is_alive():
            return None
        if not hasattr(time, "pthread_getcpuclockid"):  # not on Windows
            return None
        try:
            return time.clock_gettime(time.pthread_getcpuclockid(thread.ident))
        except OSError:  # the thread ended meanwhile
            return None

    def elapsed_s(self) -> float:
        """Recorded time so far (pauses left out)."""
        with self._lock:
            return self._elapsed_locked(self._clock())

    def _elapsed_locked(self, now: float) -> float:
        return self._active_s + (0.0 if self._stretch_from is None else now - self._stretch_from)

    def start(self) -> RecordingError | None:
        """Creates the file and starts recording; the error (and nothing started) when the file cannot be made."""
        if self._state is not RecordingState.IDLE:
            raise RuntimeError("a recorder records once")
        width, height = self._size
        try:
            self._file = RecordingFile(self.path, width, height, self.fps)
        except (OSError, av.FFmpegError, ValueError) as exc:
            self.error = _error(exc, self.path, opening=True)
            self._state = RecordingState.STOPPED
            self._result = RecordingResult(self.path, 0.0, 0, file_size(self.path), self.error)
            return self.error
        with self._lock:
            self._state = RecordingState.RECORDING
            self._stretch_from = self._clock()
        self._thread = threading.Thread(target=self._run, name="nimeet-recorder", daemon=True)
        self._thread.start()
        return None

    def pause(self) -> None:
        with self._lock:
            if self._state is not RecordingState.RECORDING:
                return
            self._active_s = self._elapsed_locked(self._clock())
            self._stretch_from = None
            self._state = RecordingState.PAUSED
        self._wake.set()

    def resume(self) -> None:
        with self._lock:
            if self._state is not RecordingState.PAUSED:
                return
            # What was heard while paused is not recorded now, late: the mix starts afresh.
            self.mix.drop_pending()
            self._stretch_from = self._clock()
            self._state = RecordingState.RECORDING
        self._wake.set()

    def stop(self) -> RecordingResult:
        """Stops, drains the encoders and closes the file (blocks for that: from the event loop, call it in a
        thread). Safe to call again, and after the recording stopped by itself."""
        with self._lock:
            if self._state in (RecordingState.RECORDING, RecordingState.PAUSED):
                self._active_s = self._elapsed_locked(self._clock())
                self._stretch_from = None
                self._state = RecordingState.STOPPED
        self._wake.set()
        if self._thread is not None:
            self._thread.join()
        if self._result is None:
            self._result = RecordingResult(self.path, 0.0, 0, 0, None)
        return self._result

    # ---- the recorder's thread -------------------------------------------------------------------------------

    def _run(self) -> None:
        name_this_thread("recorder")
        assert self._file is not None
        file = self._file
        compositor = Compositor(*self._size)
        last_index = -1
        error: RecordingError | None = None
        try:
            while True:
                with self._lock:
                    state = self._state
                    now = self._clock()
                    elapsed = self._elapsed_locked(now)
                if state is RecordingState.STOPPED:
                    break
                if state is RecordingState.PAUSED:
                    self._wake.wait()
                    self._wake.clear()
                    continue
                index = int(elapsed * self.fps)
                if index > last_index:
                    tiles, screen = self._picture()
                    file.write_video(compositor.compose(tiles, screen), index)
                    last_index = index
                    self.video_frames += 1
                self._write_audio(file, elapsed)
                # Until the next frame's moment, or sooner if paused, resumed or stopped.
                next_at = (last_index + 1) / self.fps
                self._wake.wait(max(0.0, next_at - elapsed))
                self._wake.clear()
            self._write_audio(file, self._active_s)
            file.close()
        except (OSError, av.FFmpegError) as exc:
            error = _error(exc, self.path)
            logger.warning("%s", error)
            file.abandon()
        except Exception as exc:  # a bug must still stop the recording with a reason, not kill the thread silently
            logger.exception("the recording failed")
            error = RecordingError("write-failed", f"the recording failed: {exc}", self.path)
            file.abandon()
        with self._lock:
            if self._state is not RecordingState.STOPPED:
                self._active_s = self._elapsed_locked(self._clock())
                self._stretch_from = None
                self._state = RecordingState.STOPPED
            duration = self._active_s
        self.error = error
        self._result = RecordingResult(self.path, duration, self.video_frames, file_size(self.path), error)
        if error is not None and self._on_stopped is not None:
            self._on_stopped(self._result)

    def _write_audio(self, file: RecordingFile, elapsed: float) -> None:
        """The mix up to ``elapsed`` seconds of recorded time."""
        due = int(elapsed * AUDIO_SAMPLE_RATE) - self._audio_samples
        if due <= 0:
            return
        samples = self.mix.pull(due)
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(samples)[None, :], format="s16", layout="mono")
        frame.sample_rate = AUDIO_SAMPLE_RATE
        frame.pts = self._audio_samples
        frame.time_base = AUDIO_TIME_BASE
        self._audio_samples += due
        file.write_audio(frame)
