"""Background blur and replacement on a drawn person-like figure, with the real segmentation model (both runtimes)."""

from __future__ import annotations

import asyncio
import time

import av
import cv2
import numpy as np
import pytest

from nimeet_desktop.media.background import (
    MODEL_HEIGHT,
    MODEL_WIDTH,
    BackgroundEffect,
    MaskWorker,
    Segmenter,
    litert_segmenter,
    opencv_segmenter,
)
from nimeet_desktop.media.background_source import BackgroundSource
from nimeet_desktop.media.base import VIDEO_TIME_BASE, VideoSource
from tests.support.person_picture import i420, person_picture

WIDTH, HEIGHT = 1280, 720
PICTURE, FIGURE = person_picture(WIDTH, HEIGHT)
# Well inside the figure and well away from it: the mask's soft edge (a few pixels) is neither.
INSIDE = cv2.erode(FIGURE, np.ones((41, 41), np.uint8)) > 0
OUTSIDE = cv2.dilate(FIGURE, np.ones((81, 81), np.uint8)) == 0

RUNTIMES = {"litert": litert_segmenter, "opencv": opencv_segmenter}


def frame_of(picture: np.ndarray, pts: int = 0) -> av.VideoFrame:
    frame = av.VideoFrame.from_ndarray(i420(picture), format="yuv420p")
    frame.pts = pts
    frame.time_base = VIDEO_TIME_BASE
    return frame


def bgr(frame: av.VideoFrame) -> np.ndarray:
    return np.asarray(cv2.cvtColor(frame.to_ndarray(), cv2.COLOR_YUV2BGR_I420), dtype=np.uint8)


def detail(picture: np.ndarray, region: np.ndarray) -> float:
    """High-frequency energy: the variance of the Laplacian of the grey picture over ``region``."""
    laplacian = cv2.Laplacian(cv2.cvtColor(picture, cv2.COLOR_BGR2GRAY), cv2.CV_32F)
    return float(laplacian[region].var())


def settled(effect: BackgroundEffect, frame: av.VideoFrame) -> av.VideoFrame:
    """The effect's output once the model has seen the frame (the first frames go out fully blurred)."""
    effect.apply(frame)
    assert effect.worker.wait_for_mask(0, 10), "no mask within 10 s"
    return effect.apply(frame)


@pytest.mark.parametrize("runtime", sorted(RUNTIMES))
def test_the_model_finds_the_drawn_figure(runtime: str) -> None:
    segment: Segmenter = RUNTIMES[runtime]()
    small = cv2.cvtColor(
        cv2.resize(PICTURE, (MODEL_WIDTH, MODEL_HEIGHT), interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2RGB
    )
    mask = cv2.resize(segment(np.ascontiguousarray(small)), (WIDTH, HEIGHT))
    assert mask[INSIDE].mean() > 0.9
    assert mask[OUTSIDE].mean() < 0.1


@pytest.mark.parametrize("runtime", sorted(RUNTIMES))
def test_blur_smooths_the_background_and_keeps_the_person(runtime: str) -> None:
    effect = BackgroundEffect("blur", worker=MaskWorker(RUNTIMES[runtime]))
    try:
        out = bgr(settled(effect, frame_of(PICTURE)))
    finally:
        effect.close()
    original = bgr(frame_of(PICTURE))  # through I420 and back, as the camera's picture is
    assert detail(out, OUTSIDE) < detail(original, OUTSIDE) / 10
    difference = np.abs(out.astype(np.int16) - original.astype(np.int16))
    assert difference[INSIDE].mean() < 2.0


def test_replacement_puts_the_picture_behind_the_person() -> None:
    rng = np.random.default_rng(7)
    beach = np.zeros((360, 640, 3), np.uint8)  # another size: it is scaled to cover the frame
    beach[:180] = (230, 190, 120)
    beach[180:] = (120, 200, 230)
    beach = np.asarray(cv2.add(beach, rng.integers(0, 20, beach.shape, dtype=np.uint8)), np.uint8)
    effect = BackgroundEffect("replace", replacement=beach, worker=MaskWorker(litert_segmenter))
    try:
        out = bgr(settled(effect, frame_of(PICTURE)))
    finally:
        effect.close()
    expected = bgr(frame_of(cv2.resize(beach, (WIDTH, HEIGHT), interpolation=cv2.INTER_AREA)))
    original = bgr(frame_of(PICTURE))
    assert np.abs(out.astype(np.int16) - expected.astype(np.int16))[OUTSIDE].mean() < 4.0
    assert np.abs(out.astype(np.int16) - original.astype(np.int16))[INSIDE].mean() < 2.0


def test_before_the_first_mask_nothing_of_the_room_shows() -> None:
    def never() -> Segmenter:
        def run(rgb: np.ndarray) -> np.ndarray:
            time.sleep(5)  # longer than the test
            return np.zeros((MODEL_HEIGHT, MODEL_WIDTH), np.float32)

        return run

    effect = BackgroundEffect("blur", worker=MaskWorker(never))
    out = bgr(effect.apply(frame_of(PICTURE)))
    effect.worker.stop(timeout=0)
    assert detail(out, OUTSIDE) < detail(bgr(frame_of(PICTURE)), OUTSIDE) / 10
    assert effect.worker.stats.updates == 0


def test_a_slow_model_lowers_the_mask_rate_not_the_frame_rate() -> None:
    """CPU pressure stand-in: each model run takes 150 ms. Every frame still comes out, at once, with the last mask."""

    def slow() -> Segmenter:
        segment = litert_segmenter()

        def run(rgb: np.ndarray) -> np.ndarray:
            time.sleep(0.15)
            return segment(rgb)

        return run

    effect = BackgroundEffect("blur", worker=MaskWorker(slow))
    frame = frame_of(PICTURE)
    try:
        started = time.monotonic()
        outputs = []
        for index in range(30):  # one second of 30 fps
            due = started + index / 30
            time.sleep(max(0.0, due - time.monotonic()))
            outputs.append(effect.apply(frame))
        elapsed = time.monotonic() - started
        updates = effect.worker.stats.updates
    finally:
        effect.close()
    assert len(outputs) == 30 and elapsed < 1.5
    assert 2 <= updates <= 8  # ~1 s / 150 ms, not one per frame
    assert detail(bgr(outputs[-1]), INSIDE) > detail(bgr(outputs[0]), INSIDE) * 2  # the person shows once masked


def test_off_passes_frames_untouched() -> None:
    effect = BackgroundEffect("off")
    frame = frame_of(PICTURE)
    assert effect.apply(frame) is frame
    assert effect.worker.stats.updates == 0


class PersonCamera(VideoSource):
    """The drawn person as a camera: a frame whenever asked, for ``frames`` frames, then it is unplugged."""

    def __init__(self, frames: int) -> None:
        super().__init__("person camera")
        self._left = frames
        self._pts = 0

    async def _next(self) -> av.VideoFrame:
        from nimeet_desktop.media.base import DeviceLost

        if self._left == 0:
            raise DeviceLost("unplugged")
        self._left -= 1
        self._pts += 3000
        await asyncio.sleep(0)
        return frame_of(PICTURE, self._pts)


async def test_the_source_switches_live_and_ends_with_its_camera() -> None:
    camera = PersonCamera(frames=6)
    effect = BackgroundEffect("off")
    source = BackgroundSource(camera, effect)
    try:
        plain = await source.recv()
        assert detail(bgr(plain), OUTSIDE) == pytest.approx(detail(bgr(frame_of(PICTURE)), OUTSIDE))
        effect.mode = "blur"  # while the track runs: the next frame follows
        blurred = await source.recv()
        assert detail(bgr(blurred), OUTSIDE) < detail(bgr(plain), OUTSIDE) / 10
        assert plain.pts is not None
        assert blurred.pts == plain.pts + 3000
        effect.mode = "off"
        assert detail(bgr(await source.recv()), OUTSIDE) == pytest.approx(detail(bgr(plain), OUTSIDE))
        for _ in range(3):
            await source.recv()
        from aiortc.mediastreams import MediaStreamError

        with pytest.raises(MediaStreamError):
            await source.recv()
        assert source.readyState == "ended"
        assert source.ended_reason == "unplugged"
    finally:
        source.stop()
        effect.close()
    assert camera.readyState == "ended"


def test_under_pressure_the_blurred_background_is_reused_for_a_frame_or_two() -> None:
    """With every frame over budget (a budget of 0 ms), the blur is computed once in three frames; a frame whose room
    changed still shows the person as it is now."""
    effect = BackgroundEffect("blur", worker=MaskWorker(litert_segmenter), pressure_ms=0.0)
    other, _ = person_picture(WIDTH, HEIGHT, seed=2)  # the same person before another room
    try:
        first = bgr(settled(effect, frame_of(PICTURE)))
        reused = effect.blurs_reused
        second = bgr(effect.apply(frame_of(other)))
        assert effect.blurs_reused == reused + 1
        assert np.abs(second.astype(np.int16) - first.astype(np.int16))[OUTSIDE].mean() < 1.0  # the old blur
        for _ in range(2):
            effect.apply(frame_of(other))
        fresh = bgr(effect.apply(frame_of(other)))
    finally:
        effect.close()
    assert np.abs(fresh.astype(np.int16) - first.astype(np.int16))[OUTSIDE].mean() > 5.0  # blurred anew
    original = bgr(frame_of(other))
    assert np.abs(second.astype(np.int16) - original.astype(np.int16))[INSIDE].mean() < 2.0


def test_without_pressure_every_frame_is_blurred_anew() -> None:
    effect = BackgroundEffect("blur", worker=MaskWorker(litert_segmenter), pressure_ms=1e9)
    try:
        settled(effect, frame_of(PICTURE))
        for _ in range(3):
            effect.apply(frame_of(PICTURE))
    finally:
        effect.close()
    assert effect.blurs_reused == 0
