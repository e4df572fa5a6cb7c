"""Decoded frames turned into tile-sized images on a worker thread, so the UI thread only blits them.

A tile asks for a frame at its exact fit size in device pixels (``Target``); the converter's one thread runs a
single swscale pass per request (yuv420p → BGRA and scaling together, mirrored if asked) and puts the ``QImage`` in
the tile's ``FrameSlot``, a latest-value slot: a newer request for the same tile replaces an older one that has not
started, so a busy converter drops stale frames instead of queueing them. After each batch one queued signal tells
the UI thread which tiles have something new; they ``update()`` and their ``paintEvent`` draws the ready image 1:1.

Why a thread helps: PyAV runs ``sws_scale_frame`` without the GIL (``with cython.nogil`` in
``av/video/reformatter.py``), so the scaling runs on the other core while the UI thread paints and the engine runs.
One thread: the machine this is tuned for has two cores, and decoders, the encoder and the UI want the rest.

QImage (not QPixmap) may be created off the GUI thread; the image and the buffer it points into travel together
in ``Converted``. ``stop()`` ends the thread (idempotent); the next request starts a new one.
"""

from __future__ import annotations

import logging
import threading
import weakref
from dataclasses import dataclass

import av
import numpy as np
from av.video.reformatter import VideoReformatter
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QWidget
from shiboken6 import Shiboken

from nimeet_desktop.thread_names import name_this_thread

logger = logging.getLogger(__name__)

# threads=1: PyAV's default (0, "auto") slices the job across threads, and the bundled swscale (FFmpeg 8.1) then
# races: now and then the leftmost few columns come out with the wrong chroma (seen on yuv420p → bgra upscales).
# One thread is also what a 2-core laptop wants while decoders run.
SWSCALE_THREADS = 1
THREAD_NAME = "nimeet-frame-converter"


@dataclass(frozen=True, slots=True)
class Target:
    """What a tile shows a frame as: exactly this many device pixels, mirrored or not, at this pixel ratio."""

    width: int
    height: int
    mirrored: bool
    device_pixel_ratio: float


@dataclass(frozen=True, slots=True)
class Converted:
    """A frame as an image for one target. ``buffer`` owns the pixels ``image`` points into (QImage does not copy)."""

    frame: av.VideoFrame
    target: Target
    image: QImage
    buffer: object


class FrameSlot:
    """One tile's latest-value slot: the newest image the converter made for it, read by the tile's paintEvent.

    ``clear()`` (camera off, another source) bumps the generation, so a conversion already under way for the old
    state is thrown away instead of landing after it."""

    def __init__(self, owner: QWidget) -> None:
        self._lock = threading.Lock()
        self._ready: Converted | None = None
        self._generation = 0
        self._owner = weakref.ref(owner)  # repainted on the UI thread once the slot has a new image
        self.conversions = 0  # frames converted for this slot (written by the converter thread only)
        # Kept per slot: swscale's context keeps its set-up for the same sizes and formats, frame after frame
        # (``VideoFrame.reformat`` sets up a new one for every frame: 0.9 against 0.5 ms for 416x234, see
        # docs/benchmarks.md). Used by one conversion at a time: a tile moved to another converter could otherwise
        # have two under way.
        self.reformatter = VideoReformatter()
        self.reformatter_lock = threading.Lock()

    @property
    def ready(self) -> Converted | None:
        return self._ready

    @property
    def generation(self) -> int:
        return self._generation

    def clear(self) -> None:
        with self._lock:
            self._generation += 1
            self._ready = None

    def store(self, converted: Converted, generation: int) -> bool:
        """Keep ``converted`` unless the slot was cleared after the request was made."""
        with self._lock:
            if generation != self._generation:
                return False
            self._ready = converted
            return True

    def notify(self) -> None:
        """On the UI thread: repaint the owner, unless it was deleted while the notice was queued."""
        owner = self._owner()
        if owner is not None and Shiboken.isValid(owner):
            owner.update()


def convert(slot: FrameSlot, frame: av.VideoFrame, target: Target) -> Converted:
    """One swscale pass does colour conversion and scaling together, to exactly the pixels the tile shows."""
    width, height = target.width, target.height
    with slot.reformatter_lock:
        bgra = slot.reformatter.reformat(frame, width=width, height=height, format="bgra", threads=SWSCALE_THREADS)
    plane = bgra.planes[0]
    # The plane's own buffer, padding included: rows are often padded to an alignment (a 466 px wide row is 1864
    # bytes, stored in 1872), which to_ndarray() would hand back as a non-contiguous view that QImage cannot take.
    # QImage reads it in place with the real bytes-per-line; nothing is copied.
    pixels = np.frombuffer(memoryview(plane), dtype=np.uint8)
    # BGRA bytes are 0xAARRGGBB words on little-endian machines (all we ship on); alpha is opaque.
    image = QImage(pixels.data, width, height, plane.line_size, QImage.Format.Format_RGB32)
    buffer: object = (bgra, pixels)
    if target.mirrored:
        # People expect their own camera to behave like a mirror. Flipped here (a copy of its own) rather than by
        # the painter, whose flipped drawImage is a resampling path, not a blit.
        image = image.flipped(Qt.Orientation.Horizontal)
        buffer = None
    image.setDevicePixelRatio(target.device_pixel_ratio)
    return Converted(frame, target, image, buffer)


@dataclass(frozen=True, slots=True)
class _Job:
    frame: av.VideoFrame
    target: Target
    generation: int


class FrameConverter(QObject):
    """One worker thread converting the newest frame of each tile that asked; see the module docstring.

    Not parented on purpose: the worker thread holds a reference while it runs, so the object (and the signal it
    emits from that thread) cannot be deleted under it by a parent's destruction."""

    _batch_done = Signal()

    def __init__(self) -> None:
        super().__init__()
        self._cond = threading.Condition()
        self._jobs: dict[FrameSlot, _Job] = {}  # one pending request per slot: the newest
        self._busy = False
        self._done: set[weakref.ref[FrameSlot]] = set()  # slots with a new image, for the UI thread (equal refs: once)
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._batch_done.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    @property
    def running(self) -> bool:
        thread = self._thread
        return thread is not None and thread.is_alive()

    def submit(self, slot: FrameSlot, frame: av.VideoFrame, target: Target) -> None:
        """Convert ``frame`` for ``slot`` soon, replacing a request for the slot that has not started."""
        with self._cond:
            self._jobs[slot] = _Job(frame, target, slot.generation)
            if self._thread is None:
                self._stopping = False
                self._thread = threading.Thread(target=self._run, name=THREAD_NAME, daemon=True)
                self._thread.start()
            self._cond.notify()

    def forget(self, slot: FrameSlot) -> None:
        """Drop the slot's pending request (its tile went away or stopped showing video)."""
        with self._cond:
            self._jobs.pop(slot, None)

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Block until every request made so far is converted (tests and benchmarks); False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._jobs and not self._busy, timeout)

    def stop(self) -> None:
        """End the thread after the conversion under way, dropping pending requests. Idempotent."""
        with self._cond:
            thread, self._thread = self._thread, None
            self._stopping = True
            self._jobs.clear()
            self._cond.notify_all()
        if thread is not None and thread is not threading.current_thread():
            thread.join()

    # ---- the worker thread ------------------------------------------------------------------------------

    def _run(self) -> None:
        name_this_thread("frame-convert")
        while True:
            with self._cond:
                while not self._jobs and not self._stopping:
                    self._cond.wait()
                if self._stopping:
                    self._busy = False
                    self._cond.notify_all()
                    return
                slot, job = next(iter(self._jobs.items()))
                del self._jobs[slot]
                self._busy = True
            try:
                converted = convert(slot, job.frame, job.target)
            except Exception:  # one odd frame must not end the thread every tile depends on
                logger.exception("could not convert a frame to %dx%d for a tile", job.target.width, job.target.height)
                stored = False
            else:
                slot.conversions += 1
                stored = slot.store(converted, job.generation)
            with self._cond:
                if stored:
                    self._done.add(weakref.ref(slot))
                self._busy = False
                batch_over = not self._jobs
                self._cond.notify_all()
            if batch_over:
                self._batch_done.emit()  # queued: the UI thread updates the tiles, once for the whole batch

    # ---- the UI thread ----------------------------------------------------------------------------------

    def _deliver(self) -> None:
        with self._cond:
            done, self._done = self._done, set()
        for ref in done:
            slot = ref()
            if slot is not None:
                slot.notify()
