"""The self preview before a call (pre-join, settings) with the background effect as the call will send it.

Before a call nothing sends, so nothing composites: this takes the newest raw camera frame the preview holds and
runs the same ``BackgroundEffect`` on it, on a worker thread of its own, never on the caller's (the GUI's) thread.
The caller asks for a frame to show at its own pace (``frame``) and never waits: a composite still in progress is
picked up on a later call, and while the model loads (on the effect's own thread) the effect shows the background
only (``BackgroundEffect._masks``), so the preview keeps moving from the first frame on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future

import av

from nimeet_desktop.media.background import BackgroundEffect, MaskWorker, Mode, Plane, Segmenter, default_segmenter
from nimeet_desktop.thread_names import named_executor

logger = logging.getLogger(__name__)


def segmenter_problem(factory: Callable[[], Segmenter] = default_segmenter) -> str | None:
    """Whether the segmentation model loads here (blocking, ~10 ms: a worker thread): None if it does, else why not
    (for the log; people read a sentence of the UI's own)."""
    try:
        factory()
    except Exception as exc:  # a missing runtime, a missing or unreadable model: all mean no effect here
        logger.warning("background effects unavailable: the segmentation model does not load", exc_info=True)
        return f"{type(exc).__name__}: {exc}"
    return None


class BackgroundPreview:
    """``frame(raw)`` → what to show for the newest raw camera frame: ``raw`` itself while the mode is off, else the
    newest composite (None until the first is done). ``close`` when the preview goes away."""

    def __init__(self, segmenter_factory: Callable[[], Segmenter] = default_segmenter) -> None:
        self.effect = BackgroundEffect(worker=MaskWorker(segmenter_factory))
        # One thread: the effect is not re-entrant (per-size caches); one frame at a time is all a preview needs.
        self._executor = named_executor("background-preview", "bg-preview", max_workers=1)
        self._job: Future[av.VideoFrame] | None = None
        self._submitted: av.VideoFrame | None = None  # the raw frame of the newest job
        self._shown: av.VideoFrame | None = None
        self.composited = 0
        """Composites done since the start (tests: the effect runs)."""
        self._closed = False

    @property
    def mode(self) -> Mode:
        return self.effect.mode

    def set_effect(self, mode: Mode, replacement: Plane | None) -> None:
        """From the next frame on; ``replacement``: the picture's BGR pixels for ``"replace"`` (None: blur)."""
        self.effect.set_replacement(replacement)
        if mode != self.effect.mode:
            self._shown = None  # no frame of the previous effect shows under the new one's name
        self.effect.mode = mode

    def frame(self, raw: av.VideoFrame | None) -> av.VideoFrame | None:
        """Never blocks: hands the newest raw frame to the worker when it is free, returns what it last finished."""
        if self.effect.mode == "off" or raw is None or self._closed:
            self._shown = None
            return raw
        job = self._job
        if job is not None and job.done():
            self._job = None
            try:
                self._shown = job.result()
                self.composited += 1
            except Exception:
                logger.warning("background preview: a frame failed", exc_info=True)
        if self._job is None and raw is not self._submitted:
            self._submitted = raw
            self._job = self._executor.submit(self.effect.apply, raw)
        return self._shown

    @property
    def failed(self) -> bool:
        """The model would not load (the preview then shows the background only): the UI says so."""
        return self.effect.worker.failed

    def close(self) -> None:
        """Blocking for one model run at most (a worker thread, or at the end)."""
        self._closed = True
        self._executor.shutdown(wait=True, cancel_futures=True)
        self.effect.close()
