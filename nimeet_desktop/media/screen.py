"""A monitor, or one application window, as an aiortc video track (mss), paced at a low frame rate and converted to
yuv420p once, here, with the mouse pointer drawn in (people follow what the presenter points at).

A window is captured as the part of the screen it covers, its place looked up again twice a second as it moves or
is resized (``windows.WindowTracker``); closed or minimised, the track ends with that reason.

All grabbing happens on one worker thread that owns the mss grabber (X11 connections and GDI handles belong to the
thread that made them). Frames are cropped to even sizes, as yuv420p needs, and shrunk to fit ``max_width`` ×
``max_height`` if the screen is larger. Without a display (no ``$DISPLAY``, a bad monitor number) the constructor
raises ``DeviceUnavailable``; a grab failing later (X server gone) ends the track with ``ended_reason`` set.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging

import av
import mss
import numpy as np

from nimeet_desktop.media.base import VIDEO_CLOCK_RATE, DeviceLost, FramePacer, VideoSource
from nimeet_desktop.media.camera import Image, i420_frame, image_to_i420
from nimeet_desktop.media.devices import DeviceUnavailable, open_mss
from nimeet_desktop.media.windows import WindowTracker

WINDOW_REFRESH_S = 0.5  # how often a shared window's place is looked up again

logger = logging.getLogger(__name__)


class ScreenSource(VideoSource):
    """Frames of monitor ``monitor`` (as mss numbers them: 1 is the first; see ``list_monitors()``), or of the X
    window ``window`` when given (see ``windows.list_windows()``), at ``fps``.

    ``display`` selects an X display other than ``$DISPLAY`` (Linux only); ``cursor`` draws the mouse pointer in.
    """

    def __init__(
        self,
        monitor: int = 1,
        *,
        fps: float = 15.0,
        max_width: int | None = 1920,
        max_height: int | None = 1080,
        display: str | None = None,
        open_timeout_s: float = 10.0,
        label: str | None = None,
        window: int | None = None,
        cursor: bool = True,
    ) -> None:
        super().__init__(label or (f"window {window:#x}" if window is not None else f"screen {monitor}"))
        if fps <= 0:
            raise ValueError(f"bad frame rate {fps}")
        self.monitor = monitor
        self.fps = fps
        self.max_width = max_width
        self.max_height = max_height
        self.display = display
        self.window = window
        self.cursor = cursor
        self._tracker: WindowTracker | None = None
        self._bounds: dict[str, int] = {}  # all monitors together: a window's region is clipped to it
        self._refresh_every = max(1, round(fps * WINDOW_REFRESH_S))
        self._grabs = 0
        self.width = 0
        """Size of the frames produced (even, after shrinking)."""
        self.height = 0
        self._grabber: mss.MSS | None = None
        self._region: dict[str, int] = {}
        self._pacer = FramePacer(fps, VIDEO_CLOCK_RATE)
        self._executor = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"screen-{monitor}")
        self._shut_down = False
        try:
            self._executor.submit(self._open).result(timeout=open_timeout_s)
        except concurrent.futures.TimeoutError as exc:
            self._shut_down_executor()
            raise DeviceUnavailable(f"screen {monitor} did not open within {open_timeout_s:g} s") from exc
        except BaseException:
            self._shut_down_executor()
            raise
        logger.info("%s open: %d×%d at %g fps", self.label, self.width, self.height, fps)

    # --- the grab thread ------------------------------------------------------------------------------------------

    def _open(self) -> None:
        try:
            grabber = open_mss(self.display, with_cursor=self.cursor)
            monitors = grabber.monitors
        except Exception as exc:  # mss.ScreenShotError (no display, X error), OSError (no libX11)
            raise DeviceUnavailable(f"no screen to capture: {exc}") from exc
        self._bounds = {k: int(monitors[0][k]) for k in ("left", "top", "width", "height")}
        if self.window is not None:
            try:
                self._tracker = WindowTracker(self.window, self.display)
                region = self._window_region()
            except DeviceLost as exc:
                grabber.close()
                self._close_tracker()
                raise DeviceUnavailable(str(exc)) from exc
            except Exception as exc:  # no python-xlib, an X error
                grabber.close()
                self._close_tracker()
                raise DeviceUnavailable(f"window {self.window:#x} cannot be captured: {exc}") from exc
            self._region = region
        elif not 1 <= self.monitor < len(monitors):
            grabber.close()
            raise DeviceUnavailable(f"no monitor {self.monitor}: this display has {len(monitors) - 1}")
        else:
            mon = monitors[self.monitor]
            self._region = {k: int(mon[k]) for k in ("left", "top", "width", "height")}
        self._grabber = grabber
        try:
            first = self._grab()
        except Exception as exc:
            self._close_grabber()
            raise DeviceUnavailable(f"{self.label} cannot be captured: {exc}") from exc
        self.height, self.width = first.shape[0] * 2 // 3, first.shape[1]

    def _window_region(self) -> dict[str, int]:
        """The shared window's place now, clipped to the screens (X refuses to read outside them)."""
        assert self._tracker is not None
        where = self._tracker.where()
        if where is None:
            raise DeviceLost("the shared window was closed or minimised")
        b = self._bounds
        left, top = max(where.left, b["left"]), max(where.top, b["top"])
        right = min(where.left + where.width, b["left"] + b["width"])
        bottom = min(where.top + where.height, b["top"] + b["height"])
        if right - left < 2 or bottom - top < 2:
            raise DeviceLost("the shared window is off the screen")
        return {"left": left, "top": top, "width": right - left, "height": bottom - top}

    def _grab(self) -> Image:
        grabber = self._grabber
        if grabber is None:
            raise DeviceLost("screen capture is closed")
        self._grabs += 1
        if self._tracker is not None and self._grabs % self._refresh_every == 0:
            self._region = self._window_region()  # it moved or was resized: follow it
        shot = grabber.grab(self._region)
        bgra = np.frombuffer(shot.raw, dtype=np.uint8).reshape(shot.height, shot.width, 4)
        return image_to_i420(bgra, self.max_width, self.max_height)

    def _close_tracker(self) -> None:
        tracker, self._tracker = self._tracker, None
        if tracker is not None:
            try:
                tracker.close()
            except Exception:
                logger.exception("closing the window tracker failed")

    def _close_grabber(self) -> None:
        self._close_tracker()
        grabber, self._grabber = self._grabber, None
        if grabber is not None:
            try:
                grabber.close()
            except Exception:
                logger.exception("closing the screen grabber failed")

    # --- the track ------------------------------------------------------------------------------------------------

    async def _next(self) -> av.VideoFrame:
        pts = await self._pacer.wait()
        try:
            i420 = await asyncio.get_running_loop().run_in_executor(self._executor, self._grab)
        except DeviceLost:
            raise
        except RuntimeError as exc:  # the executor was shut down: we were stopped meanwhile
            raise DeviceLost("screen capture stopped") from exc
        except Exception as exc:  # the X server went away, the monitor was unplugged
            raise DeviceLost(f"{self.label} capture failed: {exc}") from exc
        return i420_frame(i420, pts)

    def _release(self) -> None:
        self._shut_down_executor()

    def _shut_down_executor(self) -> None:
        if self._shut_down:
            return
        self._shut_down = True
        self._executor.submit(self._close_grabber)  # on the grab thread, after any grab in progress
        self._executor.shutdown(wait=False)
