"""The recorded picture, composed from decoded frames (not by grabbing widgets): each participant's frame scaled into
its place (``layout.py``) on one yuv420p canvas.

The canvas is one contiguous buffer reused for every frame: the Y, U and V planes are views into it, so a tile is
written once, straight into its place, and the finished picture becomes a frame with one copy
(``VideoFrame.from_ndarray``). Scaling and the conversion to yuv420p are libswscale's (``VideoFrame.reformat``).
A tile whose frame has not changed since the last picture (a camera slower than the recording, a still screen) is not
scaled again: the scaled planes are kept with the frame they came from.
"""

from __future__ import annotations

from dataclasses import dataclass

import av
import numpy as np
from av.video.reformatter import VideoReformatter
from numpy.typing import NDArray

from nimeet_desktop.media.recording.layout import Rect, featured, fit, grid

BACKGROUND_Y = 24
"""The canvas, a near-black grey (yuv420p, limited range): the call's dark background."""
EMPTY_TILE_Y = 48
"""A participant without video: a dark tile holds their place, as in the call's grid."""
NEUTRAL_CHROMA = 128


@dataclass(frozen=True, slots=True)
class TileFrame:
    """One participant as the picture shows them: a key that stays the same for them, and their frame (None: no
    video, an empty tile)."""

    key: str
    frame: av.VideoFrame | None


Planes = tuple[NDArray[np.uint8], NDArray[np.uint8], NDArray[np.uint8]]


@dataclass(slots=True)
class _TileScaling:
    """One participant's scaling: a context of its own (their frames are also read on other threads, by the app's
    tiles and the encoder, and ``frame.reformat`` would use the one context PyAV keeps on the frame, racing with
    them; one per tile, as tiles' sizes differ and a context changed every call is set up again every call), and the
    frame scaled last with its place and planes (a frame that did not change is not scaled again)."""

    scaler: VideoReformatter
    last: tuple[av.VideoFrame, Rect, Planes] | None = None


class Compositor:
    def __init__(self, width: int, height: int) -> None:
        if width % 2 or height % 2:
            raise ValueError("the recorded picture must have an even width and height")
        self.width, self.height = width, height
        self._buffer = np.empty((height * 3 // 2, width), dtype=np.uint8)
        flat = self._buffer.reshape(-1)
        luma = width * height
        self._y = flat[:luma].reshape(height, width)
        self._u = flat[luma : luma + luma // 4].reshape(height // 2, width // 2)
        self._v = flat[luma + luma // 4 :].reshape(height // 2, width // 2)
        self._tiles: dict[str, _TileScaling] = {}

    def compose(self, tiles: list[TileFrame], screen: TileFrame | None = None) -> av.VideoFrame:
        """The picture: ``tiles`` in a grid, or ``screen`` featured with the tiles in a strip beside it."""
        self._y.fill(BACKGROUND_Y)
        self._u.fill(NEUTRAL_CHROMA)
        self._v.fill(NEUTRAL_CHROMA)
        if screen is not None:
            main, strip = featured(len(tiles), self.width, self.height)
            placed = [(screen, main), *zip(tiles, strip, strict=False)]
        else:
            placed = list(zip(tiles, grid(len(tiles), self.width, self.height), strict=True))
        for tile, box in placed:
            self._draw(tile, box)
        live = {tile.key for tile, _ in placed}
        for key in [key for key in self._tiles if key not in live]:
            del self._tiles[key]
        return av.VideoFrame.from_ndarray(self._buffer, format="yuv420p")

    def _draw(self, tile: TileFrame, box: Rect) -> None:
        frame = tile.frame
        if frame is None:
            self._fill(box, EMPTY_TILE_Y)
            return
        self._fill(box, BACKGROUND_Y)
        place = fit(frame.width, frame.height, box)
        scaling = self._tiles.get(tile.key)
        if scaling is None:
            scaling = self._tiles[tile.key] = _TileScaling(VideoReformatter())
        last = scaling.last
        if last is not None and last[0] is frame and last[1] == place:
            planes = last[2]
        else:
            scaled = scaling.scaler.reformat(frame, width=place.width, height=place.height, format="yuv420p")
            planes = _planes(scaled)
            scaling.last = (frame, place, planes)
        y, u, v = planes
        x0, y0, w, h = place.x, place.y, place.width, place.height
        self._y[y0 : y0 + h, x0 : x0 + w] = y
        self._u[y0 // 2 : (y0 + h) // 2, x0 // 2 : (x0 + w) // 2] = u
        self._v[y0 // 2 : (y0 + h) // 2, x0 // 2 : (x0 + w) // 2] = v

    def _fill(self, box: Rect, luma: int) -> None:
        self._y[box.y : box.y + box.height, box.x : box.x + box.width] = luma
        self._u[box.y // 2 : (box.y + box.height) // 2, box.x // 2 : (box.x + box.width) // 2] = NEUTRAL_CHROMA
        self._v[box.y // 2 : (box.y + box.height) // 2, box.x // 2 : (box.x + box.width) // 2] = NEUTRAL_CHROMA


def _planes(frame: av.VideoFrame) -> Planes:
    """The three planes of a yuv420p frame as arrays (its rows may be padded: read each plane at its line size)."""
    out = []
    for index, plane in enumerate(frame.planes):
        w = frame.width if index == 0 else frame.width // 2
        h = frame.height if index == 0 else frame.height // 2
        rows = np.frombuffer(memoryview(plane), dtype=np.uint8)[: h * plane.line_size].reshape(h, plane.line_size)
        out.append(rows[:, :w])
    y, u, v = out
    return y, u, v
