"""The presenter's camera in the corner of what they share: one video track, composited here.

Composited into the shared frames rather than sent as a second video track: a second track would need a
renegotiation with every peer and a second decoder and tile at every receiver (and the contract's clients, the
browser among them, expect one video per participant); a corner of the screen costs one small scaled copy per frame
on the presenter's side only. The camera shows while it is on; turned off (or lost), the corner goes with it.
"""

from __future__ import annotations

from collections.abc import Callable

import av
import numpy as np
from av.video.reformatter import VideoReformatter

from nimeet_desktop.media.base import DeviceLost, VideoSource

PIP_WIDTH_SHARE = 0.2  # the corner picture's width, of the shared frame's
PIP_MARGIN_SHARE = 0.02  # its distance from the right and bottom edges, of the shared frame's width
MIN_PIP_WIDTH = 64  # smaller, a face is a smudge: a narrow window is sent as it is
BORDER = 2  # a light frame around it, in pixels: a camera picture should not melt into a dark slide
BORDER_LUMA = 235  # studio-range white


def _even(value: float) -> int:
    return max(2, int(value) & ~1)


def _planes(frame_array: np.ndarray, width: int, height: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Views of Y, U and V in PyAV's yuv420p array (the three planes one after another, H * 3 / 2 rows of W)."""
    flat = frame_array.reshape(-1)
    luma, chroma = width * height, (width // 2) * (height // 2)
    return (
        flat[:luma].reshape(height, width),
        flat[luma : luma + chroma].reshape(height // 2, width // 2),
        flat[luma + chroma : luma + 2 * chroma].reshape(height // 2, width // 2),
    )


class CameraCorner:
    """Composites the camera into the screen's frames, on one thread, with scaling contexts of its own: the screen's
    and the camera's frames are also read on other threads (the self view, the encoder, the recorder), and
    ``frame.reformat`` would use the one context PyAV keeps on the frame, racing with them
    (tests/media/test_shared_frames.py). Two contexts, as one switched between the two sizes every frame would be
    set up again every frame."""

    def __init__(self) -> None:
        self._screen = VideoReformatter()
        self._camera = VideoReformatter()

    def composite(self, screen: av.VideoFrame, camera: av.VideoFrame) -> av.VideoFrame:
        """``screen`` with ``camera`` scaled into its bottom-right corner (yuv420p out, same timing)."""
        width, height = screen.width, screen.height
        pip_w = _even(width * PIP_WIDTH_SHARE)
        pip_h = _even(pip_w * camera.height / camera.width)
        margin = _even(width * PIP_MARGIN_SHARE)
        if pip_w < MIN_PIP_WIDTH or pip_w + margin + 2 * BORDER > width or pip_h + margin + 2 * BORDER > height:
            return screen  # a sliver of a window: no room for a face
        # A copy (to_ndarray stacks the planes anew): the shared frame itself is left as it was.
        canvas = self._screen.reformat(screen, format="yuv420p").to_ndarray()
        small = self._camera.reformat(camera, width=pip_w, height=pip_h, format="yuv420p").to_ndarray()
        left, top = width - margin - pip_w, height - margin - pip_h
        for index, (into, face) in enumerate(
            zip(_planes(canvas, width, height), _planes(small, pip_w, pip_h), strict=True)
        ):
            scale = 1 if index == 0 else 2  # chroma is half the size both ways
            x, y, b = left // scale, top // scale, BORDER // scale
            into[y - b : y + face.shape[0] + b, x - b : x + face.shape[1] + b] = BORDER_LUMA if index == 0 else 128
            into[y : y + face.shape[0], x : x + face.shape[1]] = face
        out = av.VideoFrame.from_ndarray(canvas, format="yuv420p")
        out.pts, out.time_base = screen.pts, screen.time_base
        return out


def composite(screen: av.VideoFrame, camera: av.VideoFrame) -> av.VideoFrame:
    """Once, with contexts of its own (a picture for the docs, a test); a stream of frames keeps a ``CameraCorner``."""
    return CameraCorner().composite(screen, camera)


class PresenterOverlay(VideoSource):
    """``screen``'s frames, with the newest frame ``camera()`` returns (None: the camera is off) in a corner."""

    def __init__(self, screen: VideoSource, camera: Callable[[], av.VideoFrame | None]) -> None:
        super().__init__(screen.label)
        self.screen = screen
        self._camera = camera
        self._corner = CameraCorner()

    async def _next(self) -> av.VideoFrame:
        frame = await _recv_or_lost(self.screen)
        face = self._camera()
        return frame if face is None else self._corner.composite(frame, face)

    def _release(self) -> None:
        self.screen.stop()


async def _recv_or_lost(source: VideoSource) -> av.VideoFrame:
    from aiortc.mediastreams import MediaStreamError

    try:
        return await source.recv()
    except MediaStreamError as exc:
        raise DeviceLost(source.ended_reason or "the shared screen ended") from exc
