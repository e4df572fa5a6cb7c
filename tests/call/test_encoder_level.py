"""The shared encoder at a level: frames scaled to its height and thinned to its frame rate before encoding (a real
libvpx encoder and decoder, no network)."""

from __future__ import annotations

import asyncio
import time

import av

from nimeet_desktop.call.quality_policy import Level
from nimeet_desktop.call.shared_encoder import SharedVideoEncoder, scaled_size
from nimeet_desktop.media.synthetic import SyntheticVideo


def test_scaled_size_keeps_the_aspect_ratio_and_never_scales_up() -> None:
    assert scaled_size(1280, 720, Level(540, 30)) == (960, 540)
    assert scaled_size(1280, 720, Level(360, 30)) == (640, 360)
    assert scaled_size(640, 480, Level(360, 30)) == (480, 360)  # 4:3 stays 4:3
    assert scaled_size(640, 360, Level(720, 30)) == (640, 360)
    assert scaled_size(1280, 720, None) == (1280, 720)


async def test_a_level_scales_thins_and_changes_size_mid_stream_with_a_keyframe() -> None:
    encoder = SharedVideoEncoder(SyntheticVideo(1280, 720, 30), level=Level(360, 15))
    subscription = encoder.subscribe()
    encoder.start()
    decoder = av.CodecContext.create("libvpx", "r")
    sizes: list[tuple[int, int]] = []

    async def take(seconds: float) -> list[bool]:
        keyframes = []
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            packet = await asyncio.wait_for(subscription.get(), 2)
            assert packet is not None
            keyframes.append(packet.is_keyframe)
            for frame in decoder.decode(packet):
                sizes.append((frame.width, frame.height))
        return keyframes

    try:
        low = await take(1.0)
        assert 12 <= len(low) <= 17, len(low)  # 15 fps of a 30 fps camera
        assert set(sizes) == {(640, 360)}
        encoder.level = Level(540, 30)
        high = await take(1.0)
        assert 26 <= len(high) <= 33, len(high)
        assert sizes[-1] == (960, 540)
        # The size changed on a keyframe, which the same decoder took without a reset.
        assert high[0] or high[1]
        assert encoder.encoded_size == (960, 540) and encoder.encode_seconds > 0
    finally:
        subscription.close()
        await encoder.close()
