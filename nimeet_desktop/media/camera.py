"""A camera as an aiortc video track (OpenCV capture), converted to yuv420p once, here.

One thread per camera owns the ``cv2.VideoCapture`` (opens, reads, releases it: some backends want all three on the
same thread) and keeps only the newest frame, so a slow consumer gets fresh frames rather than a backlog. A camera
that cannot be opened raises ``DeviceUnavailable`` at construction; one that stops delivering (unplugged, taken by
another app) ends the track with ``ended_reason`` set.
"""

from __future__ import annotations

import atexit
import logging
import os
import platform
import threading
import time
import weakref

import av
import cv2
import numpy as np
from numpy.typing import NDArray

from nimeet_desktop.media.base import VIDEO_CLOCK_RATE, VIDEO_TIME_BASE, DeviceLost, FramePacer, VideoSource
from nimeet_desktop.media.devices import CameraId, DeviceProblem, DeviceUnavailable, ThreadFeed, quiet_opencv

logger = logging.getLogger(__name__)

Image = NDArray[np.uint8]

# Capture threads are daemons (a camera stuck in its driver must not keep the app from exiting), but one still inside
# OpenCV when the interpreter finalizes is ended by pthread_exit as it takes the GIL back, and that forced unwind
# through OpenCV's C++ frames aborts the whole process ("terminate called without an active exception", exit 134):
# the bot leaving a call with a camera running did, about one run in six. So at exit, before finalization (atexit
# runs first), every camera still capturing is stopped and let go.
_capturing: weakref.WeakSet[CameraSource] = weakref.WeakSet()
EXIT_RELEASE_TIMEOUT_S = 2.0


@atexit.register
def _release_cameras_at_exit() -> None:
    sources = list(_capturing)
    for source in sources:
        source._stop.set()
    for source in sources:
        source.wait_released(EXIT_RELEASE_TIMEOUT_S)


def _u8(array: object) -> Image:
    """OpenCV's results typed as what they are here: 8-bit images (no copy)."""
    return np.asarray(array, dtype=np.uint8)


def image_to_i420(image: Image, max_width: int | None = None, max_height: int | None = None) -> Image:
    """BGR, BGRA or grey pixels → planar I420 (``yuv420p``), shrunk to fit the bounds and cropped to even sizes.

    The result has shape ``(height * 3 // 2, width)``, what ``av.VideoFrame.from_ndarray(..., format="yuv420p")``
    takes.
    """
    if image.ndim == 2:
        image = _u8(cv2.cvtColor(image, cv2.COLOR_GRAY2BGR))
    height, width = image.shape[:2]
    scale = 1.0
    if max_width is not None and width > max_width:
        scale = max_width / width
    if max_height is not None and height * scale > max_height:
        scale = max_height / height
    if scale < 1.0:
        size = (max(2, round(width * scale)), max(2, round(height * scale)))
        image = _u8(cv2.resize(image, size, interpolation=cv2.INTER_AREA))
        height, width = image.shape[:2]
    even_w, even_h = width & ~1, height & ~1
    if even_w < 2 or even_h < 2:
        raise ValueError(f"image too small for yuv420p: {width}×{height}")
    if (even_w, even_h) != (width, height):
        image = image[:even_h, :even_w]
    code = cv2.COLOR_BGRA2YUV_I420 if image.shape[2] == 4 else cv2.COLOR_BGR2YUV_I420
    return _u8(cv2.cvtColor(np.ascontiguousarray(image), code))


def i420_frame(i420: Image, pts: int) -> av.VideoFrame:
    """A yuv420p frame with ``pts`` in ``VIDEO_TIME_BASE`` (90 kHz)."""
    frame = av.VideoFrame.from_ndarray(i420, format="yuv420p")
    frame.pts = pts
    frame.time_base = VIDEO_TIME_BASE
    return frame


def _api_preference(device: CameraId) -> int:
    """The capture backend: the native one for cameras, FFmpeg (via CAP_ANY) for files and URLs."""
    system = platform.system()
    if isinstance(device, str) and not device.startswith("/dev/video"):
        return int(cv2.CAP_ANY)
    if system == "Linux":
        return int(cv2.CAP_V4L2)
    if system == "Windows":
        return int(cv2.CAP_DSHOW)  # MSMF takes seconds to open many webcams
    if system == "Darwin":
        return int(cv2.CAP_AVFOUNDATION)
    return int(cv2.CAP_ANY)


class CameraSource(VideoSource):
    """Frames from a camera at up to ``fps``, at most ``width``×``height`` (the camera's nearest mode, shrunk if
    it is larger). ``device`` is an OpenCV index or a device path from ``list_cameras()``; a video file also works
    (played in real time), which tests and demos use.
    """

    STALL_TIMEOUT_S = 2.0
    """No frame for this long (or reads failing for this long) means the camera is gone."""
    MAX_FAILED_READS = 5
    """This many failed reads in a row also mean it is gone (a V4L2 device unplugged fails every read at once)."""

    def __init__(
        self,
        device: CameraId = 0,
        *,
        width: int = 1280,
        height: int = 720,
        fps: float = 30.0,
        open_timeout_s: float = 10.0,
        label: str | None = None,
    ) -> None:
        super().__init__(label or f"camera {device}")
        if width < 2 or height < 2 or fps <= 0:
            raise ValueError(f"bad camera mode {width}×{height} @ {fps}")
        self.device = device
        self.width = width
        self.height = height
        self.fps = fps
        self.actual_width = 0
        self.actual_height = 0
        self.actual_fps = 0.0
        self._is_file = isinstance(device, str) and os.path.isfile(device)
        self._feed: ThreadFeed[tuple[float, Image]] = ThreadFeed(maxlen=1)
        self._stop = threading.Event()
        self._opened = threading.Event()
        self._open_error: str | None = None
        self._lost_reason: str | None = None
        self._pacer = FramePacer(fps, VIDEO_CLOCK_RATE)
        self._t0: float | None = None
        self._last_pts = -1
        self._thread = threading.Thread(target=self._run, name=f"camera-{device}", daemon=True)
        self._thread.start()
        _capturing.add(self)
        if not self._opened.wait(open_timeout_s):
            self._stop.set()
            raise DeviceUnavailable(f"camera {device!r} did not open within {open_timeout_s:g} s")
        if self._open_error is not None:
            missing = isinstance(device, str) and not os.path.exists(device)  # a path: absent is knowable
            raise DeviceUnavailable(self._open_error, DeviceProblem.NOT_FOUND if missing else DeviceProblem.FAILED)
        logger.info(
            "camera %r open: %d×%d @ %.1f fps (asked %d×%d @ %.1f)",
            device,
            self.actual_width,
            self.actual_height,
            self.actual_fps,
            width,
            height,
            fps,
        )

    # --- the capture thread ---------------------------------------------------------------------------------------

    def _open(self) -> cv2.VideoCapture | None:
        with quiet_opencv():
            cap = cv2.VideoCapture(self.device, _api_preference(self.device))
        if not cap.isOpened():
            cap.release()
            self._open_error = f"camera {self.device!r} cannot be opened (absent, busy, or no permission)"
            return None
        if not self._is_file:
            if _api_preference(self.device) == cv2.CAP_V4L2:
                # Uncompressed YUYV tops out at a few fps at 720p over USB 2; MJPG is what webcams do 30 fps in.
                cap.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter.fourcc(*"MJPG"))
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, self.width)
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self.height)
            cap.set(cv2.CAP_PROP_FPS, self.fps)
            cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)  # ask for the newest frame, not a queue of old ones
        self.actual_width = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH))
        self.actual_height = int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        self.actual_fps = float(cap.get(cv2.CAP_PROP_FPS))
        return cap

    def _run(self) -> None:
        try:
            cap = self._open()
        except Exception as exc:  # a backend blowing up on open is still just "cannot open"
            self._open_error = f"camera {self.device!r} cannot be opened: {exc}"
            cap = None
        self._opened.set()
        if cap is None:
            self._feed.close()
            return
        try:
            self._capture(cap)
        except Exception as exc:
            logger.exception("camera %r capture failed", self.device)
            self._lost_reason = f"camera {self.device!r} failed: {exc}"
        finally:
            cap.release()
            self._feed.close()
            logger.debug("camera %r released", self.device)

    def _capture(self, cap: cv2.VideoCapture) -> None:
        period = 1.0 / self.fps
        last_ok = time.monotonic()
        failures = 0
        next_due = last_ok
        while not self._stop.is_set():
            ok, image = cap.read()
            now = time.monotonic()
            if not ok or image is None:
                failures += 1
                if failures >= self.MAX_FAILED_READS or now - last_ok >= self.STALL_TIMEOUT_S:
                    self._lost_reason = f"camera {self.device!r} stopped delivering frames"
                    return
                self._stop.wait(0.02)
                continue
            failures = 0
            last_ok = now
            self._feed.push((now, image_to_i420(_u8(image), self.width, self.height)))
            if self._is_file:  # a file reads as fast as it decodes: play it in real time instead
                next_due = max(next_due + period, now)
                self._stop.wait(max(0.0, next_due - time.monotonic()))

    # --- the track ------------------------------------------------------------------------------------------------

    async def _next(self) -> av.VideoFrame:
        await self._pacer.wait()
        item = await self._feed.get(self.STALL_TIMEOUT_S)
        if item is None:
            raise DeviceLost(self._lost_reason or f"camera {self.device!r} delivered no frame for a while")
        captured_at, i420 = item
        if self._t0 is None:
            self._t0 = captured_at
        pts = max(round((captured_at - self._t0) * VIDEO_CLOCK_RATE), self._last_pts + 1)
        self._last_pts = pts
        return i420_frame(i420, pts)

    def _release(self) -> None:
        self._stop.set()
        self._feed.close()

    def wait_released(self, timeout: float) -> bool:
        """Block until the capture thread has let go of the camera (shutdown paths and tests); True if it has."""
        self._thread.join(timeout)
        return not self._thread.is_alive()
