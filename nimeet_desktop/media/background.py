"""Background blur and replacement for camera frames: person segmentation at low resolution, a feathered mask,
a composite in the frame's own yuv420p planes.

Two costs, paid in two places. The model (MediaPipe's landscape selfie segmentation, 256×144, bundled in
``assets/models``) runs on a thread of its own at a lowered priority, on the newest frame it was handed; every camera
frame is composited with the newest mask there is. So when the CPU is short the mask is updated less often (the
last one is reused) while the video keeps its rate. Compositing works on the I420 planes as they come (no BGR
round trip at 720p) and the upsampled mask is cached until the next one arrives.

The runtime is LiteRT (``ai-edge-litert``) where it installed, else OpenCV's DNN, which reads the same .tflite
(docs/engine.md, "Background blur and replacement", says why and what each costs).
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

import av
import cv2
import numpy as np
from numpy.typing import NDArray

logger = logging.getLogger(__name__)

Mode = Literal["off", "blur", "replace"]
Plane = NDArray[np.uint8]
Mask = NDArray[np.float32]

MODEL_PATH = Path(__file__).resolve().parent.parent / "assets" / "models" / "selfie_segmentation_landscape.tflite"
MODEL_WIDTH, MODEL_HEIGHT = 256, 144

MAX_MASK_RATE_HZ = 10.0
"""Masks per second at most (every third frame at 30 fps): a person moves little in 100 ms, and each update costs a
model run (3 ms on LiteRT, 7–15 ms on OpenCV's DNN here) and the shrinking of a frame for it."""
BLUR_DOWNSCALE = 8
"""The background is blurred at 1/8 of the frame's size and scaled back: a strong blur for a fraction of the cost."""
BLUR_SIGMA = 2.5
"""Gaussian sigma at that reduced size (≈ 20 px at full size)."""
FEATHER_SIGMA = 1.2
"""Edge smoothing of the mask, in model pixels (≈ 6 px at 720p): hides the model's blocky edge without a halo."""
PRESSURE_MS = 6.0
"""When compositing a frame has lately taken longer than this (a smoothed wall time: the CPU is short), the blurred
background is reused for BLUR_REUSE_FRAMES frames before it is blurred again: the second thing given up, after mask
updates, and still not the frame rate."""
BLUR_REUSE_FRAMES = 2
MASK_LOW, MASK_HIGH = 0.3, 0.7
"""Person probabilities below MASK_LOW count as background, above MASK_HIGH as person, linear between."""
SEGMENTER_NICENESS = 10
"""The segmentation thread yields to encoding and capture under load: fewer masks, not fewer frames."""


class Segmenter(Protocol):
    def __call__(self, rgb: Plane) -> Mask:
        """``rgb``: (MODEL_HEIGHT, MODEL_WIDTH, 3) uint8 → person probability, (MODEL_HEIGHT, MODEL_WIDTH) float32."""
        ...


def litert_segmenter(model: Path = MODEL_PATH) -> Segmenter:
    """The model on LiteRT's interpreter (XNNPACK), one thread: the other core encodes."""
    from ai_edge_litert.interpreter import Interpreter  # type: ignore[import-untyped]

    interpreter = Interpreter(model_path=str(model), num_threads=1)
    interpreter.allocate_tensors()
    input_index = interpreter.get_input_details()[0]["index"]
    output_index = interpreter.get_output_details()[0]["index"]

    def segment(rgb: Plane) -> Mask:
        interpreter.set_tensor(input_index, (rgb.astype(np.float32) * (1 / 255))[None])
        interpreter.invoke()
        return np.asarray(interpreter.get_tensor(output_index)[0, :, :, 0], dtype=np.float32)

    return segment


def opencv_segmenter(model: Path = MODEL_PATH) -> Segmenter:
    """The same model on OpenCV's DNN (its TFLite importer knows MediaPipe's transposed-convolution op)."""
    net = cv2.dnn.readNetFromTFLite(str(model))

    def segment(rgb: Plane) -> Mask:
        net.setInput(cv2.dnn.blobFromImage(rgb, 1 / 255))
        return np.asarray(net.forward()[0, 0], dtype=np.float32)

    return segment


def default_segmenter() -> Segmenter:
    try:
        return litert_segmenter()
    except ImportError:
        logger.info("ai-edge-litert not installed: background segmentation on OpenCV's DNN")
        return opencv_segmenter()


def model_input(planes: tuple[Plane, Plane, Plane]) -> Plane:
    """A frame's I420 planes at the model's size, RGB: shrink the planes first, convert the small picture."""
    y, u, v = planes
    small = np.concatenate(
        [
            _resize(y, MODEL_WIDTH, MODEL_HEIGHT, cv2.INTER_AREA).reshape(-1),
            _resize(u, MODEL_WIDTH // 2, MODEL_HEIGHT // 2, cv2.INTER_AREA).reshape(-1),
            _resize(v, MODEL_WIDTH // 2, MODEL_HEIGHT // 2, cv2.INTER_AREA).reshape(-1),
        ]
    ).reshape(MODEL_HEIGHT * 3 // 2, MODEL_WIDTH)
    return np.asarray(cv2.cvtColor(small, cv2.COLOR_YUV2RGB_I420), dtype=np.uint8)


def _lower_thread_priority() -> None:
    """Linux nices threads one by one; elsewhere the thread keeps the process's priority."""
    if sys.platform.startswith("linux"):
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), SEGMENTER_NICENESS)
        except OSError:
            logger.debug("cannot lower the segmentation thread's priority", exc_info=True)


@dataclass(frozen=True, slots=True)
class MaskStats:
    updates: int
    """Masks computed since the start."""
    last_ms: float
    """How long the newest one took."""


class MaskWorker:
    """Runs the model on its own thread on the newest frame handed to it (older ones are dropped unseen)."""

    def __init__(
        self, segmenter_factory: Callable[[], Segmenter] = default_segmenter, max_rate_hz: float = MAX_MASK_RATE_HZ
    ) -> None:
        self._factory = segmenter_factory
        self._min_interval_s = 1.0 / max_rate_hz
        self._cond = threading.Condition()
        self._pending: tuple[Plane, Plane, Plane] | None = None
        self._mask: Mask | None = None
        self._version = 0
        self._last_ms = 0.0
        self._stopped = False
        self._failed = False
        self._thread: threading.Thread | None = None
        self._busy = False
        self._due = 0.0

    def wants_frame(self) -> bool:
        """Whether a frame submitted now would be segmented next (the model is idle and due): the caller skips
        preparing one otherwise."""
        with self._cond:
            return self._pending is None and not self._busy and time.monotonic() >= self._due

    def submit(self, planes: tuple[Plane, Plane, Plane]) -> None:
        """A frame's I420 planes (Y, U, V) to segment next; they must not be written afterwards."""
        with self._cond:
            if self._stopped or self._failed:
                return
            self._pending = planes
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="background-segmenter", daemon=True)
                self._thread.start()
            self._cond.notify()

    def latest(self) -> tuple[int, Mask | None]:
        """(version, mask): the version grows with every new mask, so callers cache what they derive from it."""
        with self._cond:
            return self._version, self._mask

    @property
    def stats(self) -> MaskStats:
        with self._cond:
            return MaskStats(self._version, self._last_ms)

    @property
    def failed(self) -> bool:
        """The model would not load: no mask will ever come (a preview says so instead of showing background only)."""
        with self._cond:
            return self._failed

    def wait_for_mask(self, version: int, timeout: float) -> bool:
        """Block until a mask newer than ``version`` exists (tests, benchmarks)."""
        with self._cond:
            return self._cond.wait_for(lambda: self._version > version or self._failed, timeout) and not self._failed

    def stop(self, timeout: float = 1.0) -> None:
        """Stop the thread and wait (one model run at most) until it has: a daemon thread still inside the model
        when the interpreter finalizes aborts the process."""
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _run(self) -> None:
        _lower_thread_priority()
        try:
            segment = self._factory()
        except Exception:
            logger.exception("the segmentation model would not load: background effects are off")
            with self._cond:
                self._failed = True
                self._cond.notify_all()
            return
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._pending is not None or self._stopped)
                if self._stopped:
                    return
                planes, self._pending = self._pending, None
                self._busy = True
            assert planes is not None
            started = time.monotonic()
            mask = segment(model_input(planes))
            took = time.monotonic() - started
            with self._cond:
                self._mask = mask
                self._version += 1
                self._last_ms = took * 1000
                self._busy = False
                # The rate cap: the next frame is wanted one interval after this one started.
                # (A tenth early: frames arrive on their own clock, and one a hair before the due time would
                # otherwise wait a whole frame more.)
                self._due = started + self._min_interval_s * 0.9
                self._cond.notify_all()


def _resize(plane: Plane, width: int, height: int, interpolation: int = cv2.INTER_LINEAR) -> Plane:
    return np.asarray(cv2.resize(plane, (width, height), interpolation=interpolation), dtype=np.uint8)


def _blend(person: Plane, background: Plane, weight: Plane, inverse: Plane, out: Plane) -> None:
    """out = (person·weight + background·(255 − weight)) / 255 on 8-bit weights: as fast as OpenCV's float
    ``blendLinear`` at 720p (0.6 ms for the luma against 0.5–0.9 ms), within one level of it, and no float weights
    to keep (4 December 2026, measured alone)."""
    cv2.add(cv2.multiply(person, weight, scale=1 / 255), cv2.multiply(background, inverse, scale=1 / 255), dst=out)


def cover(image: Plane, width: int, height: int) -> Plane:
    """``image`` scaled to cover width×height and centre-cropped (the way a wallpaper fills a screen)."""
    h, w = image.shape[:2]
    scale = max(width / w, height / h)
    scaled = _resize(image, max(width, round(w * scale)), max(height, round(h * scale)), cv2.INTER_AREA)
    y0 = (scaled.shape[0] - height) // 2
    x0 = (scaled.shape[1] - width) // 2
    return scaled[y0 : y0 + height, x0 : x0 + width]


def load_image(path: str | Path) -> Plane:
    """A replacement picture as BGR pixels; ValueError if it cannot be read."""
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError(f"cannot read an image from {path}")
    return np.asarray(image, dtype=np.uint8)


class BackgroundEffect:
    """What a camera frame goes through: ``mode`` and ``replacement`` may change at any time (from any thread);
    the next frame follows. ``apply`` is called on one worker thread at a time (it is not re-entrant)."""

    def __init__(
        self,
        mode: Mode = "off",
        replacement: Plane | None = None,
        worker: MaskWorker | None = None,
        pressure_ms: float = PRESSURE_MS,
    ) -> None:
        self.mode: Mode = mode
        self._pressure_ms = pressure_ms
        self._cost_ms = 0.0  # apply()'s wall time, smoothed
        self._blurred_planes: tuple[tuple[int, int], list[Plane]] | None = None
        self._blur_reused = 0
        self.blurs_reused = 0
        """Frames that reused the previous frame's blurred background (CPU pressure), since the start."""
        self._replacement = replacement
        self._replacement_planes: tuple[tuple[int, int], int, list[Plane]] | None = None
        self._replacement_generation = 0
        self.worker = worker or MaskWorker()
        self._mask_cache: tuple[int, tuple[int, int], Plane, Plane, Plane, Plane] | None = None

    def set_replacement(self, image: Plane | None) -> None:
        """BGR pixels to put behind the person in ``"replace"`` mode (None: blur instead)."""
        self._replacement = image
        self._replacement_generation += 1

    def close(self) -> None:
        self.worker.stop()

    # ---- the per-frame work ------------------------------------------------------------------------------------

    def apply(self, frame: av.VideoFrame) -> av.VideoFrame:
        """``frame`` (yuv420p) with its background blurred or replaced; the same frame when the mode is off."""
        mode = self.mode
        if mode == "off" or frame.format.name != "yuv420p":
            return frame
        started = time.perf_counter()
        result = self._composite(frame, mode)
        self._cost_ms += ((time.perf_counter() - started) * 1000 - self._cost_ms) * 0.1
        return result

    def _composite(self, frame: av.VideoFrame, mode: Mode) -> av.VideoFrame:
        width, height = frame.width, frame.height
        yuv = np.asarray(frame.to_ndarray(), dtype=np.uint8)  # yuv420p: 8-bit planes, no copy
        y = yuv[:height]
        chroma = yuv[height:].reshape(-1)
        u = chroma[: (height // 2) * (width // 2)].reshape(height // 2, width // 2)
        v = chroma[(height // 2) * (width // 2) :].reshape(height // 2, width // 2)
        if self.worker.wants_frame():
            # The planes as they are (this array is ours alone, never written): the model's thread shrinks them.
            self.worker.submit((y, u, v))
        full, full_inv, half, half_inv = self._masks(width, height)
        if mode == "replace" and self._replacement is not None:
            backgrounds = self._replacement_for(width, height)
        else:
            backgrounds = self._blurred_background(width, height, (y, u, v))
        # Composited straight into the new frame's planes: no copies at 720p beyond the blend itself.
        out: Plane = np.empty_like(yuv)
        out_chroma = out[height:].reshape(-1)
        quarter = (height // 2) * (width // 2)
        _blend(y, backgrounds[0], full, full_inv, out[:height])
        _blend(u, backgrounds[1], half, half_inv, out_chroma[:quarter].reshape(height // 2, width // 2))
        _blend(v, backgrounds[2], half, half_inv, out_chroma[quarter:].reshape(height // 2, width // 2))
        result = av.VideoFrame.from_ndarray(out, format="yuv420p")
        result.pts = frame.pts
        if frame.time_base is not None:
            result.time_base = frame.time_base
        return result

    def _masks(self, width: int, height: int) -> tuple[Plane, Plane, Plane, Plane]:
        """The newest mask feathered and upsampled to the luma and chroma sizes (and 1 − each, the background's
        weights), recomputed only when the mask or the size changed. No mask yet: all background, so nothing of
        the room shows before the model has run once."""
        version, mask = self.worker.latest()
        cache = self._mask_cache
        if cache is not None and cache[0] == version and cache[1] == (width, height):
            return cache[2], cache[3], cache[4], cache[5]
        if mask is None:
            full = np.zeros((height, width), np.uint8)
            half = np.zeros((height // 2, width // 2), np.uint8)
        else:
            # The model's probabilities are soft over several pixels: steepen them, or a faint copy of the room
            # shows around the person, then feather the edge so it is not blocky.
            steep = np.clip((mask - MASK_LOW) * (1 / (MASK_HIGH - MASK_LOW)), 0.0, 1.0)
            soft = (cv2.GaussianBlur(steep, (0, 0), FEATHER_SIGMA) * 255 + 0.5).astype(np.uint8)
            full = _resize(soft, width, height)
            half = _resize(soft, width // 2, height // 2)
        masks = (full, 255 - full, half, 255 - half)
        self._mask_cache = (version, (width, height), *masks)
        return masks

    def _blurred_background(self, width: int, height: int, planes: tuple[Plane, Plane, Plane]) -> list[Plane]:
        last = self._blurred_planes
        if (
            last is not None
            and last[0] == (width, height)
            and self._cost_ms > self._pressure_ms
            and self._blur_reused < BLUR_REUSE_FRAMES
        ):
            self._blur_reused += 1
            self.blurs_reused += 1
            return last[1]
        blurred = [self._blurred(plane) for plane in planes]
        self._blurred_planes = ((width, height), blurred)
        self._blur_reused = 0
        return blurred

    @staticmethod
    def _blurred(plane: Plane) -> Plane:
        h, w = plane.shape
        small = _resize(plane, max(1, w // BLUR_DOWNSCALE), max(1, h // BLUR_DOWNSCALE), cv2.INTER_AREA)
        small = np.asarray(cv2.GaussianBlur(small, (0, 0), BLUR_SIGMA), dtype=np.uint8)
        return _resize(small, w, h, cv2.INTER_LINEAR)

    def _replacement_for(self, width: int, height: int) -> list[Plane]:
        cached = self._replacement_planes
        if cached is not None and cached[0] == (width, height) and cached[1] == self._replacement_generation:
            return cached[2]
        assert self._replacement is not None
        i420 = np.asarray(cv2.cvtColor(cover(self._replacement, width, height), cv2.COLOR_BGR2YUV_I420), np.uint8)
        flat = i420.reshape(-1)
        quarter = (height // 2) * (width // 2)
        planes = [
            flat[: width * height].reshape(height, width),
            flat[width * height : width * height + quarter].reshape(height // 2, width // 2),
            flat[width * height + quarter :].reshape(height // 2, width // 2),
        ]
        self._replacement_planes = ((width, height), self._replacement_generation, planes)
        return planes
