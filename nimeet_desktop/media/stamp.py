"""A frame index and capture time drawn into the picture, so a receiver can measure glass-to-glass latency.

The stamp is a grid of black/white cells in the top-left corner of the luma plane: 32 bits of frame index, 32 bits
of capture time (wall-clock milliseconds modulo 2**32, so two processes on one machine agree), and a 16-bit check.
Cells are large and saturated so that they survive lossy VP8 at the lowest bitrates; the check rejects a stamp the
codec smeared rather than reporting a wrong latency.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import av
import numpy as np
import numpy.typing as npt

STAMP_BITS = 80
COLUMNS = 20
ROWS = STAMP_BITS // COLUMNS
BLACK = 16
WHITE = 235
_MS_WRAP = 1 << 32


@dataclass(frozen=True, slots=True)
class Stamp:
    index: int
    capture_ms: int  # wall clock, modulo 2**32

    def age_ms(self, now_ms: int) -> int:
        """Milliseconds from capture to ``now_ms`` (wall clock), robust to the 2**32 wrap."""
        return (now_ms - self.capture_ms) % _MS_WRAP


def cell_size(width: int) -> int:
    return max(8, width // 80)


def _check(index: int, capture_ms: int) -> int:
    return zlib.crc32(index.to_bytes(4, "big") + capture_ms.to_bytes(4, "big")) & 0xFFFF


def _bits(stamp: Stamp) -> npt.NDArray[np.bool_]:
    value = (stamp.index << 48) | (stamp.capture_ms << 16) | _check(stamp.index, stamp.capture_ms)
    return np.array([(value >> (STAMP_BITS - 1 - i)) & 1 for i in range(STAMP_BITS)], dtype=np.bool_)


def draw(luma: npt.NDArray[np.uint8], stamp: Stamp) -> None:
    """Draw ``stamp`` into the top-left corner of a luma plane (height x width, uint8), in place."""
    cell = cell_size(luma.shape[1])
    grid = np.where(_bits(stamp).reshape(ROWS, COLUMNS), WHITE, BLACK).astype(np.uint8)
    luma[: ROWS * cell, : COLUMNS * cell] = np.kron(grid, np.ones((cell, cell), dtype=np.uint8))


def read(luma: npt.NDArray[np.uint8]) -> Stamp | None:
    """Decode a stamp from a luma plane, or ``None`` when there is none or it did not survive the codec."""
    height, width = luma.shape
    cell = cell_size(width)
    if height < ROWS * cell or width < COLUMNS * cell:
        return None
    # Average the middle half of each cell: edges blur first under compression.
    area = luma[: ROWS * cell, : COLUMNS * cell].reshape(ROWS, cell, COLUMNS, cell)
    lo, hi = cell // 4, cell - cell // 4
    means = area[:, lo:hi, :, lo:hi].mean(axis=(1, 3))
    bits = (means > (BLACK + WHITE) / 2).reshape(-1)
    value = 0
    for bit in bits:
        value = (value << 1) | int(bit)
    index, capture_ms, check = value >> 48, (value >> 16) & 0xFFFFFFFF, value & 0xFFFF
    if check != _check(index, capture_ms):
        return None
    return Stamp(index=index, capture_ms=capture_ms)


def luma_plane(frame: av.VideoFrame) -> npt.NDArray[np.uint8]:
    """The Y plane as a (height, width) view; no copy beyond PyAV's buffer (where ``read`` looks for the stamp)."""
    plane = frame.planes[0]
    rows = np.frombuffer(memoryview(plane), dtype=np.uint8).reshape(frame.height, plane.line_size)
    return rows[:, : frame.width]
