"""Switching camera and microphone during a call: real aiortc peers through the real server on loopback.

The sender is a ``DesktopCall`` (what the app runs) whose devices are synthetic sources told apart by what they
send (a picture size, a tone's pitch); the receiver is a plain ``CallSession`` that timestamps every decoded frame.
Measured on the receiving side: the longest pause between frames around a switch (at most 200 ms), and that nothing
was renegotiated (no new offer or answer, the same connection and transceivers).
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Literal

import av
import numpy as np
import pytest
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from nimeet_desktop.call.desktop_call import DesktopCall
from nimeet_desktop.call.errors import CallErrorKind
from nimeet_desktop.call.remote import RemoteParticipant
from nimeet_desktop.call.session import CallSession
from nimeet_desktop.call.shared_encoder import SharedVideoEncoder
from nimeet_desktop.media.base import AudioSource, VideoSource
from nimeet_desktop.media.device_watch import DeviceKind
from nimeet_desktop.media.devices import DeviceUnavailable, sounddevice_module
from nimeet_desktop.media.provider import SyntheticMediaProvider
from nimeet_desktop.media.synthetic import SyntheticAudio, SyntheticVideo
from tests.call.conftest import Recorder, wait_until
from tests.support.server import ServerProcess
from tests.support.system_packages import PORTAUDIO, require

MAX_GAP_S = 0.200
# Small pictures (and two sizes, so the receiver can tell which camera it sees) keep a 2-core machine comfortable.
CAMERAS = {"cam-a": (320, 180), "cam-b": (256, 144)}
TONES = {"mic-a": 440.0, "mic-b": 880.0, "mic-new": 660.0, "mic-newer": 550.0}


class TwoOfEach(SyntheticMediaProvider):
    """Two cameras and two microphones; the system default is the first of each. ``broken`` devices will not open."""

    def __init__(self) -> None:
        super().__init__(320, 180, 30.0)
        self.broken: set[str | None] = set()
        self.opened: list[str | None] = []

    def open_camera(self, device: str | None) -> VideoSource:
        self._check(device)
        # The default camera is the first one, at the size the quality setting gives (cam-a's at first).
        width, height = (self.width, self.height) if device is None else CAMERAS[device]
        return SyntheticVideo(width, height, 30.0, label=f"camera {device}")

    def open_microphone(self, device: str | None) -> AudioSource:
        self._check(device)
        return SyntheticAudio(TONES[device or "mic-a"], label=f"microphone {device}")

    def needs_audio_reset(self, kind: Literal["microphone", "speaker"], device: str | None) -> bool:
        """``mic-new`` and ``mic-newer`` were plugged in after this process's PortAudio listed the devices."""
        return device in ("mic-new", "mic-newer")

    def _check(self, device: str | None) -> None:
        self.opened.append(device)
        if device in self.broken:
            raise DeviceUnavailable(f"{device} is unplugged")


class Timed(Recorder):
    """The receiver: when each video frame arrived, and each audio frame with its pitch."""

    def __init__(self) -> None:
        super().__init__()
        self.video_at: list[tuple[float, int]] = []  # (arrival, width)
        self.audio_at: list[tuple[float, float]] = []  # (arrival, dominant frequency in Hz; 0 for silence)

    def on_video_frame(self, participant: RemoteParticipant) -> None:
        self.video_at.append((time.monotonic(), participant.stats.width or 0))

    async def consume_audio(self, track: MediaStreamTrack) -> None:
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            assert isinstance(frame, av.AudioFrame)
            samples = frame.to_ndarray().reshape(-1).astype(np.float64)
            self.audio_at.append((time.monotonic(), pitch(samples, frame.sample_rate, frame.layout.nb_channels)))


def pitch(samples: np.ndarray, rate: int, channels: int) -> float:
    """The dominant frequency of a (possibly interleaved stereo) block, 0 for silence."""
    mono = samples[::channels]
    if np.abs(mono).max() < 100:
        return 0.0
    spectrum = np.abs(np.fft.rfft(mono * np.hanning(mono.size)))
    return float(np.argmax(spectrum) * rate / mono.size)


def largest_gap(times: list[float], start: float, end: float) -> float:
    inside = [t for t in times if start <= t <= end]
    assert len(inside) > 5, "hardly any frames around the switch"
    return max(b - a for a, b in itertools.pairwise(inside))


def negotiation_state(call: DesktopCall, receiver: CallSession) -> tuple[object, ...]:
    """What a renegotiation (or a rebuilt connection) would change on either side."""
    (peer,) = call.session.peers.values()
    (back,) = receiver.peers.values()
    return (
        peer.negotiations,
        back.negotiations,
        peer.generation,
        back.generation,
        tuple(id(t) for t in peer.pc.getTransceivers()),
        tuple(id(t) for t in back.pc.getTransceivers()),
        id(peer.video_out),
        id(peer.audio_out),
    )


Pair = tuple[DesktopCall, CallSession, Timed, TwoOfEach]


@pytest.fixture
async def pair(
    call_server: ServerProcess, room_of: Callable[..., Awaitable[tuple[str, list[str]]]]
) -> AsyncIterator[Callable[[], Awaitable[Pair]]]:
    made: list[DesktopCall | CallSession] = []

    async def make() -> Pair:
        room, (t1, t2) = await room_of(2)
        provider = TwoOfEach()
        call = DesktopCall(
            call_server.url,
            t1,
            room,
            [],
            provider,
            observer=Recorder(),
            camera_device="cam-a",
            microphone_device="mic-a",
            microphone=provider.open_microphone("mic-a"),
        )
        made.append(call)
        timed = Timed()
        receiver = CallSession(
            call_server.url,
            t2,
            [],
            observer=timed,
            audio_sink=lambda _sid, track: receiver.spawn(timed.consume_audio(track), "test-audio"),
        )
        made.append(receiver)
        await call.join(camera=True, microphone=True)
        await receiver.join(room, camera=False, microphone=False)
        await wait_until(lambda: len(timed.video_at) > 20 and len(timed.audio_at) > 20, what="media at the receiver")
        return call, receiver, timed, provider

    yield make
    for side in made:
        await side.leave()


async def test_switching_the_camera_keeps_video_flowing_without_renegotiating(pair: Callable[[], Awaitable[Pair]]):
    call, receiver, timed, _ = await pair()
    before = negotiation_state(call, receiver)
    await asyncio.sleep(0.5)

    switched_at = time.monotonic()
    assert await call.switch_camera("cam-b")
    await wait_until(lambda: timed.video_at[-1][1] == 256, what="the second camera's picture at the receiver")
    await asyncio.sleep(0.7)

    gap = largest_gap([t for t, _ in timed.video_at], switched_at - 0.5, time.monotonic())
    print(f"camera switch: largest gap between received frames {gap * 1000:.0f} ms")
    assert gap <= MAX_GAP_S
    assert negotiation_state(call, receiver) == before, "switching the camera renegotiated"
    assert call.camera_device == "cam-b"
    assert call.session.errors == [] and receiver.errors == []


async def test_switching_the_microphone_keeps_audio_flowing_and_the_mute_state(pair: Callable[[], Awaitable[Pair]]):
    call, receiver, timed, _ = await pair()
    before = negotiation_state(call, receiver)
    await asyncio.sleep(0.5)

    switched_at = time.monotonic()
    assert await call.switch_microphone("mic-b")
    await wait_until(lambda: abs(timed.audio_at[-1][1] - 880) < 30, what="the second microphone's tone")
    await asyncio.sleep(0.7)

    gap = largest_gap([t for t, _ in timed.audio_at], switched_at - 0.5, time.monotonic())
    print(f"microphone switch: largest gap between received audio frames {gap * 1000:.0f} ms")
    assert gap <= MAX_GAP_S
    assert negotiation_state(call, receiver) == before, "switching the microphone renegotiated"

    # Muted stays muted through a switch: silence is sent from the new device too.
    await call.set_microphone(False)
    assert await call.switch_microphone("mic-a")
    assert call.session.microphone_on is False
    muted_from = len(timed.audio_at)
    await asyncio.sleep(0.8)
    assert [hz for _, hz in timed.audio_at[muted_from + 10 :]] and all(
        hz == 0 for _, hz in timed.audio_at[muted_from + 10 :]
    ), "a switch unmuted the microphone"
    assert call.session.errors == [] and receiver.errors == []


async def test_a_microphone_plugged_in_since_portaudio_started_is_opened_after_a_reset(
    pair: Callable[[], Awaitable[Pair]],
):
    """The real re-initialization of this process's PortAudio, between closing our streams and opening again."""
    require(sounddevice_module() is not None, PORTAUDIO)
    call, receiver, timed, provider = await pair()
    before = negotiation_state(call, receiver)
    switched_at = time.monotonic()
    assert await call.switch_microphone("mic-new")
    await wait_until(lambda: abs(timed.audio_at[-1][1] - 660) < 30, what="the new microphone's tone")
    await asyncio.sleep(0.5)
    gap = largest_gap([t for t, _ in timed.audio_at], switched_at - 0.5, time.monotonic())
    print(f"microphone switch with a PortAudio reset: largest gap {gap * 1000:.0f} ms")
    assert gap <= MAX_GAP_S
    assert negotiation_state(call, receiver) == before
    assert call.session.errors == []

    # Lost with no default to fall back to, then another new one chosen: opened after a reset too.
    provider.broken = {None}
    audio = call.session.audio
    assert audio is not None
    audio.source.end("unplugged")
    await wait_until(lambda: call.microphone_lost, what="the microphone given up")
    assert await call.switch_microphone("mic-newer")
    await wait_until(lambda: abs(timed.audio_at[-1][1] - 550) < 30, what="the newer microphone's tone")
    assert negotiation_state(call, receiver) == before


async def test_a_device_that_will_not_open_leaves_the_current_one_in_use(pair: Callable[[], Awaitable[Pair]]):
    call, _receiver, timed, provider = await pair()
    provider.broken = {"cam-b", "mic-b"}
    assert not await call.switch_camera("cam-b")
    assert not await call.switch_microphone("mic-b")
    assert [e.kind for e in call.session.errors] == [CallErrorKind.DEVICE_UNAVAILABLE] * 2
    seen = len(timed.video_at)
    await wait_until(lambda: len(timed.video_at) > seen + 10, what="the first camera still sent")
    assert abs(timed.audio_at[-1][1] - 440) < 30


async def test_a_lost_microphone_falls_back_to_the_default_and_says_so(pair: Callable[[], Awaitable[Pair]]):
    call, _receiver, timed, _ = await pair()
    assert await call.switch_microphone("mic-b")
    await wait_until(lambda: abs(timed.audio_at[-1][1] - 880) < 30, what="the second microphone's tone")
    fallbacks: list[tuple[DeviceKind, str | None]] = []
    call.fallback_listener = lambda kind, lost: fallbacks.append((kind, lost))

    audio = call.session.audio
    assert audio is not None
    audio.source.end("unplugged")
    await wait_until(lambda: fallbacks == [("microphone", "mic-b")], what="the fallback told")
    await wait_until(lambda: abs(timed.audio_at[-1][1] - 440) < 30, what="the default microphone's tone")
    assert call.microphone_device is None and call.session.microphone_on
    assert call.session.errors == [], "a loss that was recovered from is not an error"

    # The default failing at once as well: not reopened in a loop, but reported (the mic button tries again).
    audio = call.session.audio
    assert audio is not None
    audio.source.end("driver broken")
    await wait_until(lambda: call.microphone_lost and bool(call.session.errors), what="the second loss reported")
    assert fallbacks == [("microphone", "mic-b")]
    assert [(e.kind, e.media) for e in call.session.errors] == [(CallErrorKind.DEVICE_STOPPED, "microphone")]


async def test_a_lost_microphone_with_no_default_is_reported_and_can_be_reopened(
    pair: Callable[[], Awaitable[Pair]],
):
    call, receiver, timed, provider = await pair()
    before = negotiation_state(call, receiver)
    provider.broken = {None}
    audio = call.session.audio
    assert audio is not None
    audio.source.end("unplugged")
    await wait_until(lambda: call.microphone_lost, what="the microphone given up")
    await wait_until(lambda: bool(call.session.errors), what="the loss reported")
    assert [(e.kind, e.media) for e in call.session.errors] == [(CallErrorKind.DEVICE_STOPPED, "microphone")]
    assert not call.session.media_state.microphone

    provider.broken = set()
    assert await call.reopen_microphone()  # the chosen device (mic-a) is back
    assert call.session.microphone_on and not call.microphone_lost
    heard = len(timed.audio_at)
    await wait_until(
        lambda: any(abs(hz - 440) < 30 for _, hz in timed.audio_at[heard:]), what="the reopened microphone heard"
    )
    assert negotiation_state(call, receiver) == before, "reopening the microphone renegotiated"


async def test_a_lost_camera_falls_back_to_the_default(pair: Callable[[], Awaitable[Pair]]):
    call, _receiver, timed, _ = await pair()
    assert await call.switch_camera("cam-b")
    await wait_until(lambda: timed.video_at[-1][1] == 256, what="the second camera")
    fallbacks: list[tuple[DeviceKind, str | None]] = []
    call.fallback_listener = lambda kind, lost: fallbacks.append((kind, lost))
    camera = call.session.camera
    assert camera is not None
    camera.source.end("unplugged")
    await wait_until(lambda: fallbacks == [("camera", "cam-b")], what="the fallback told")
    await wait_until(lambda: timed.video_at[-1][1] == 320, what="the default camera's picture")
    assert call.session.media_state.camera and call.session.errors == []


async def test_video_quality_reopens_the_camera_at_that_size(pair: Callable[[], Awaitable[Pair]]):
    call, receiver, timed, provider = await pair()
    assert await call.switch_camera(None)
    before = negotiation_state(call, receiver)
    assert await call.set_video_quality(360)
    # The receiver sees the new camera (wider than cam-a's 320): 640 at 360p, or 480 if a loaded machine made the
    # quality policy step down to its 270p CPU floor (a CI run did); the policy's steps are tested on their own.
    await wait_until(lambda: timed.video_at[-1][1] in (480, 640), what="the 360-line camera at the receiver")
    assert provider.video_height == 360
    camera = call.session.camera
    assert isinstance(camera, SharedVideoEncoder) and camera.latest_frame is not None
    assert (camera.latest_frame.width, camera.latest_frame.height) == (640, 360)  # reopened at that size
    assert negotiation_state(call, receiver) == before
    assert call.session.errors == []


async def test_a_replaced_source_continues_the_timeline_and_keeps_the_subscribers() -> None:
    """Every source counts its pts from 0: the receivers' jitter buffers must see time go on, not jump back."""
    from nimeet_desktop.call.audio_broadcast import AudioBroadcast

    broadcast = AudioBroadcast(SyntheticAudio(440.0))
    broadcast.start()
    subscription = broadcast.subscribe()
    try:
        pts: list[int] = []
        for _ in range(10):
            item = await subscription.get()
            assert item is not None and item.packet.pts is not None
            pts.append(item.packet.pts)
        await broadcast.replace_source(SyntheticAudio(880.0))
        for _ in range(10):
            item = await subscription.get()
            assert item is not None and item.packet.pts is not None
            pts.append(item.packet.pts)
        steps = [b - a for a, b in itertools.pairwise(pts)]
        assert all(step > 0 for step in steps), f"the timeline went back: {pts}"
        assert max(steps) < 48_000 * MAX_GAP_S  # the pause is the real one, not the old source's whole age
        assert broadcast.sources_replaced == 1 and broadcast.subscriber_count == 1
    finally:
        await broadcast.close()
