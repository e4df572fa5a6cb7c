"""The presenter's camera in the corner of a shared screen: the composition itself, and in a real call."""

from __future__ import annotations

import fractions

import av
import numpy as np

from nimeet_desktop.call.presenter import PIP_MARGIN_SHARE, PIP_WIDTH_SHARE, composite


def solid(width: int, height: int, rgb: tuple[int, int, int], pts: int = 0) -> av.VideoFrame:
    image = np.empty((height, width, 3), dtype=np.uint8)
    image[:] = rgb
    frame = av.VideoFrame.from_ndarray(image, format="rgb24").reformat(format="yuv420p")
    frame.pts, frame.time_base = pts, fractions.Fraction(1, 90_000)
    return frame


def colour_at(frame: av.VideoFrame, x: int, y: int) -> np.ndarray:
    picture: np.ndarray = frame.to_ndarray(format="rgb24")
    pixel: np.ndarray = picture[y, x].astype(int)
    return pixel


def test_the_camera_sits_in_the_bottom_right_corner_and_the_rest_is_the_screen() -> None:
    screen = solid(1280, 720, (20, 40, 200), pts=123_000)  # a blue slide
    face = solid(640, 360, (230, 120, 40))  # an orange camera picture
    out = composite(screen, face)
    assert (out.width, out.height, out.format.name) == (1280, 720, "yuv420p")
    assert out.pts == 123_000 and out.time_base == screen.time_base, "the shared frame's own timing"
    pip_w = int(1280 * PIP_WIDTH_SHARE)
    margin = int(1280 * PIP_MARGIN_SHARE)
    pip_h = pip_w * 360 // 640
    inside = (1280 - margin - pip_w // 2, 720 - margin - pip_h // 2)
    assert np.abs(colour_at(out, *inside) - [230, 120, 40]).max() < 16, "the camera, in the corner"
    for x, y in ((10, 10), (640, 360), (1270, 710), (1280 - margin - pip_w - 20, 700)):
        assert np.abs(colour_at(out, x, y) - [20, 40, 200]).max() < 16, f"the slide at {(x, y)}"
    assert np.abs(colour_at(screen, *inside) - [20, 40, 200]).max() < 16, "the shared frame itself is untouched"


def test_an_odd_sized_window_and_a_portrait_camera() -> None:
    out = composite(solid(802, 602, (0, 0, 0)), solid(360, 640, (255, 255, 255)))
    assert (out.width, out.height) == (802, 602)
    picture = out.to_ndarray(format="rgb24")
    lit = np.argwhere(picture.sum(axis=2) > 600)
    (top, left), (bottom, right) = lit.min(axis=0), lit.max(axis=0)
    assert right == 802 - 1 - int(802 * PIP_MARGIN_SHARE) + 2 and bottom > 500, "bottom right, with its frame"
    assert bottom - top > right - left, "taller than wide, as the camera is"


def test_a_window_too_small_for_a_face_is_sent_as_it_is() -> None:
    screen = solid(64, 40, (0, 0, 0))
    assert composite(screen, solid(640, 360, (255, 255, 255))) is screen
