"""Enumeration on a machine with no camera, no sound card and no display, and the thread → loop feed."""

from __future__ import annotations

import asyncio
import struct
import threading
import time

import pytest

from nimeet_desktop.media.devices import (
    AudioDeviceInfo,
    CameraInfo,
    ThreadFeed,
    list_cameras,
    list_microphones,
    list_monitors,
    list_speakers,
    parse_v4l2_capability,
)


def test_enumeration_is_fast_and_never_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    started = time.monotonic()
    cameras = list_cameras()
    microphones = list_microphones()
    speakers = list_speakers()
    monitors = list_monitors()
    assert time.monotonic() - started < 3
    assert all(isinstance(c, CameraInfo) for c in cameras)
    assert all(isinstance(d, AudioDeviceInfo) and d.channels > 0 for d in microphones + speakers)
    assert monitors == []


def test_enumeration_finds_nothing_here() -> None:
    """This machine (and CI) has no camera and no sound card: [] rather than an error or a hang."""
    if list_cameras() or list_microphones() or list_speakers():
        pytest.skip("this machine has real devices")
    assert list_cameras() == []
    assert list_microphones() == []
    assert list_speakers() == []


def test_devices_are_frozen() -> None:
    camera = CameraInfo("/dev/video0", "Webcam")
    with pytest.raises(AttributeError):
        camera.name = "other"  # type: ignore[misc]
    assert camera == CameraInfo("/dev/video0", "Webcam")


def v4l2_capability(card: bytes, capabilities: int, device_caps: int) -> bytes:
    return struct.pack("=16s32s32sIII12x", b"uvcvideo", card, b"usb-0000:00:14.0-1", 0x60800, capabilities, device_caps)


@pytest.mark.parametrize(
    ("capabilities", "device_caps", "can_capture"),
    [
        (0x84A00001, 0x04200001, True),  # a webcam's capture node (driver reports device caps)
        (0x84A00001, 0x04800000, False),  # the same webcam's metadata node
        (0x00000001, 0x00000000, True),  # an old driver without device caps
        (0x00000002, 0x00000000, False),  # an output-only device
    ],
)
def test_v4l2_capture_nodes(capabilities: int, device_caps: int, can_capture: bool) -> None:
    cap = parse_v4l2_capability(v4l2_capability(b"HD Webcam: HD Webcam\0junk", capabilities, device_caps))
    assert cap.can_capture is can_capture
    assert cap.card == "HD Webcam: HD Webcam"
    assert cap.driver == "uvcvideo"


async def test_feed_keeps_the_newest_when_full() -> None:
    feed: ThreadFeed[int] = ThreadFeed(maxlen=3)
    for item in range(10):
        feed.push(item)
    assert feed.dropped == 7
    assert [await feed.get(0.1) for _ in range(3)] == [7, 8, 9]
    assert await feed.get(0.05) is None  # timed out


async def test_feed_wakes_the_loop_from_a_thread() -> None:
    feed: ThreadFeed[int] = ThreadFeed(maxlen=100)
    received: list[int] = []

    def produce() -> None:
        for item in range(50):
            feed.push(item)
            time.sleep(0.002)
        feed.close()

    getter = asyncio.ensure_future(feed.get(5))
    await asyncio.sleep(0.01)  # the consumer is waiting before the thread starts
    thread = threading.Thread(target=produce)
    started = time.monotonic()
    thread.start()
    first = await getter
    assert first is not None
    received.append(first)
    while (item := await feed.get(5)) is not None:
        received.append(item)
    thread.join()
    assert received == list(range(50))
    assert feed.closed
    assert time.monotonic() - started < 2


async def test_feed_close_wakes_a_waiting_consumer() -> None:
    feed: ThreadFeed[int] = ThreadFeed(maxlen=1)
    getter = asyncio.ensure_future(feed.get(10))
    await asyncio.sleep(0.01)
    threading.Thread(target=feed.close).start()
    assert await asyncio.wait_for(getter, 1) is None


def test_a_thread_feed_handed_to_another_loop_wakes_that_loop() -> None:
    """Pre-join's preview reads a camera on the UI's loop, then the call engine's loop (another thread) takes it
    over: the feed must wake whoever waits now, not the loop that read it first."""
    feed: ThreadFeed[int] = ThreadFeed(maxlen=1)
    feed.push(1)
    assert asyncio.run(feed.get(1.0)) == 1  # the first reader's loop, now gone

    def produce_later() -> None:
        time.sleep(0.05)
        feed.push(2)

    async def second_reader() -> int | None:
        threading.Thread(target=produce_later).start()
        return await feed.get(2.0)

    result: list[int | None] = []
    reader = threading.Thread(target=lambda: result.append(asyncio.run(second_reader())))
    reader.start()
    reader.join(5.0)
    assert result == [2]
