"""A picture of a person-like figure for background blur tests and benchmarks: a head (hair, face, eyes, mouth), a
neck and shoulders in a shirt, in front of a busy "bookshelf" of coloured blocks with sensor-like noise. MediaPipe's
selfie segmentation finds this figure (mean person probability ≈ 0.99 inside it, ≈ 0.01 outside)."""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

Image = NDArray[np.uint8]


def person_picture(width: int = 1280, height: int = 720, seed: int = 1) -> tuple[Image, Image]:
    """(BGR picture, figure mask: 255 on the figure, 0 elsewhere)."""
    rng = np.random.default_rng(seed)
    background = np.zeros((height, width, 3), np.uint8)
    for _ in range(300 * width * height // (1280 * 720)):
        x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
        colour = tuple(int(c) for c in rng.integers(40, 220, 3))
        cv2.rectangle(background, (x, y), (x + int(rng.integers(10, 80)), y + int(rng.integers(30, 150))), colour, -1)
    picture = np.asarray(cv2.add(background, rng.integers(0, 40, (height, width, 3), dtype=np.uint8)), np.uint8)
    sx, sy = width / 1280, height / 720
    cx = width // 2
    figure = np.zeros((height, width), np.uint8)
    cv2.ellipse(figure, (cx, round(330 * sy)), (round(110 * sx), round(140 * sy)), 0, 0, 360, 255, -1)  # head
    cv2.rectangle(figure, (cx - round(50 * sx), round(440 * sy)), (cx + round(50 * sx), round(520 * sy)), 255, -1)
    cv2.ellipse(figure, (cx, round(760 * sy)), (round(330 * sx), round(260 * sy)), 0, 180, 360, 255, -1)  # shoulders
    person = np.empty_like(picture)
    person[:] = (120, 60, 30)  # shirt (BGR)
    person[: round(500 * sy)] = (140, 170, 215)  # skin
    on_figure = figure > 0
    picture[on_figure] = person[on_figure]
    hair = np.zeros_like(figure)
    cv2.ellipse(hair, (cx, round(290 * sy)), (round(118 * sx), round(110 * sy)), 0, 180, 360, 255, -1)
    picture[(hair > 0) & on_figure] = (30, 30, 40)
    for dx in (-40, 40):
        cv2.circle(picture, (cx + round(dx * sx), round(330 * sy)), max(2, round(10 * sx)), (40, 30, 30), -1)
    cv2.ellipse(picture, (cx, round(400 * sy)), (round(35 * sx), round(12 * sy)), 0, 0, 180, (60, 60, 160), -1)
    return picture, figure


def i420(picture: Image) -> Image:
    return np.asarray(cv2.cvtColor(picture, cv2.COLOR_BGR2YUV_I420), dtype=np.uint8)
