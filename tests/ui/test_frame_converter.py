"""FrameConverter on its own: real frames, its real thread, a real widget to repaint."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import cast

import av
import numpy as np
import pytest
from PySide6.QtCore import QSize
from PySide6.QtWidgets import QWidget

from nimeet_desktop.ui.frame_converter import FrameConverter, FrameSlot, Target, convert


def frame(width: int = 64, height: int = 36) -> av.VideoFrame:
    rgb = np.zeros((height, width, 3), np.uint8)
    rgb[:, : width // 2] = (255, 0, 0)
    return av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p")


@pytest.fixture
def converter() -> Iterator[FrameConverter]:
    made = FrameConverter()
    yield made
    made.stop()


def test_a_request_becomes_an_image_of_the_target_size(qtbot, converter: FrameConverter) -> None:
    owner = QWidget()
    qtbot.addWidget(owner)
    slot = FrameSlot(owner)
    source = frame()
    converter.submit(slot, source, Target(160, 90, mirrored=False, device_pixel_ratio=1.0))
    assert converter.wait_idle()
    ready = slot.ready
    assert ready is not None and ready.frame is source and ready.image.size() == QSize(160, 90)
    assert ready.image.pixelColor(10, 45).red() > 200 and ready.image.pixelColor(150, 45).red() < 60
    converter.submit(slot, source, Target(160, 90, mirrored=True, device_pixel_ratio=2.0))
    assert converter.wait_idle()
    ready = slot.ready
    assert ready is not None and ready.image.devicePixelRatio() == 2.0
    assert ready.image.pixelColor(10, 45).red() < 60 and ready.image.pixelColor(150, 45).red() > 200  # mirrored
    assert slot.conversions == 2


def test_a_cleared_slot_drops_what_was_under_way(qtbot, converter: FrameConverter) -> None:
    owner = QWidget()
    qtbot.addWidget(owner)
    slot = FrameSlot(owner)
    generation = slot.generation  # a request is made...
    converted = convert(slot, frame(), Target(32, 18, mirrored=False, device_pixel_ratio=1.0))
    slot.clear()  # ...the camera goes off while it is converted...
    assert slot.store(converted, generation) is False  # ...and the image does not land behind the avatar
    assert slot.ready is None
    assert slot.store(converted, slot.generation) is True


def test_a_frame_that_fails_does_not_end_the_thread(qtbot, converter: FrameConverter, caplog) -> None:
    owner = QWidget()
    qtbot.addWidget(owner)
    slot = FrameSlot(owner)
    target = Target(32, 18, mirrored=False, device_pixel_ratio=1.0)
    with caplog.at_level(logging.ERROR, logger="nimeet_desktop.ui.frame_converter"):
        converter.submit(slot, cast(av.VideoFrame, "not a frame"), target)
        assert converter.wait_idle()
    assert "could not convert a frame to 32x18" in caplog.text
    assert converter.running and slot.ready is None and slot.conversions == 0
    converter.submit(slot, frame(), target)  # a real frame after it: converted as usual
    assert converter.wait_idle()
    assert slot.conversions == 1


def test_stop_is_idempotent_and_a_new_request_starts_again(qtbot, converter: FrameConverter) -> None:
    owner = QWidget()
    qtbot.addWidget(owner)
    slot = FrameSlot(owner)
    converter.stop()  # never started
    converter.submit(slot, frame(), Target(32, 18, mirrored=False, device_pixel_ratio=1.0))
    assert converter.wait_idle() and converter.running
    converter.stop()
    converter.stop()
    assert not converter.running
    converter.submit(slot, frame(), Target(32, 18, mirrored=False, device_pixel_ratio=1.0))
    assert converter.wait_idle() and converter.running and slot.conversions == 2
