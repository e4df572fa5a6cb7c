"""A call as the desktop app runs it: a ``CallSession`` plus the devices it opens and the speaker it plays to.

Qt-free, like the rest of the engine: the window drives it and learns what happens through the ``CallObserver``
it passes in. Devices open in worker threads (a webcam can take a second) so the window never freezes, and the
camera and microphone already open in the pre-join preview are taken over instead of reopened.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import TypeVar

import av

from nimeet_desktop.call.call_stats import CallCounters, read_counters
from nimeet_desktop.call.errors import CallError
from nimeet_desktop.call.options import EngineOptions
from nimeet_desktop.call.room_recording import RoomRecording
from nimeet_desktop.call.session import CallObserver, CallSession
from nimeet_desktop.media import portaudio_reset
from nimeet_desktop.media.audio_output import SILENCE_DBFS, AudioMixer, Samples
from nimeet_desktop.media.audio_processing import AudioProcessingConfig, AudioProcessor
from nimeet_desktop.media.background import BackgroundEffect, load_image
from nimeet_desktop.media.background import Mode as BackgroundMode
from nimeet_desktop.media.background_source import BackgroundSource
from nimeet_desktop.media.base import AudioSource, VideoSource
from nimeet_desktop.media.device_watch import DeviceKind
from nimeet_desktop.media.devices import DeviceProblem, DeviceUnavailable
from nimeet_desktop.media.provider import MediaProvider, VideoHeight
from signaling_server.protocol import IceServer, JoinAck, MediaType, WaitingAck

logger = logging.getLogger(__name__)

FALLBACK_INTERVAL_S = 5.0

S = TypeVar("S", VideoSource, AudioSource)
D = TypeVar("D", str, str | None)  # a device id (None: the default), or a monitor


class DesktopCall:
    def __init__(
        self,
        server_url: str,
        token: str,
        room_id: str,
        ice_servers: list[IceServer],
        provider: MediaProvider,
        *,
        observer: CallObserver,
        camera_device: str | None = None,
        speaker_device: str | None = None,
        microphone_device: str | None = None,
        camera: VideoSource | None = None,
        microphone: AudioSource | None = None,
        audio_processing: AudioProcessingConfig | None = None,
        video_quality: VideoHeight = 720,
        background: BackgroundMode = "off",
        background_image: str | None = None,
        relay_only: bool = False,
    ) -> None:
        """``video_quality``: the preset (settings ``video_quality``), the ceiling of the level the camera is
        encoded at (``call/quality_policy.py``). ``relay_only``: media only through the TURN relay (settings
        ``relay_only``, ``EngineOptions.relay_only``)."""
        self.room_id = room_id
        self.provider = provider
        self.camera_device = camera_device
        self.microphone_device = microphone_device
        self.speaker_device = speaker_device
        self._ready_camera = camera  # opened already (pre-join, or just now in a thread): the factory takes it
        self._given_microphone = microphone is not None  # opened already (pre-join): the session sends it
        # Blur or replacement behind the person, on every camera this call opens (background_source.py); changed
        # live by ``set_background``.
        self.background = BackgroundEffect(background)
        self._set_background_image(background_image)
        # One processor for both ends of the echo path: the mixer hands it what the speaker plays, the microphone's
        # broadcast what was captured.
        self.audio_processor = AudioProcessor(audio_processing or AudioProcessingConfig())
        self.mixer = AudioMixer(speaker_device, output=provider.speaker_output(), sink=self._played)
        self.session = CallSession(
            server_url,
            token,
            ice_servers,
            observer=observer,
            camera_factory=self._take_camera,
            microphone=microphone,
            audio_sink=self.mixer.add,
            audio_processor=self.audio_processor,
            options=EngineOptions(video_quality=video_quality, relay_only=relay_only),
        )
        self._left = False
        self._init_device_switching()
        # The Record button's recording (hosts; the room is told): its file is finished before the call leaves.
        self.recording = RoomRecording(self.session, self.mixer)

    def _played(self, samples: Samples) -> None:
        """The speaker's thread: what it is about to play is the echo canceller's far end."""
        self.audio_processor.analyze_render(samples, self.mixer.output_delay_s)

    def set_audio_processing(self, config: AudioProcessingConfig) -> None:
        """Applies from the next 10 ms (the settings window's toggles)."""
        self.audio_processor.set_config(config)

    def _take_camera(self) -> VideoSource:
        """The session's camera factory: hands over the camera opened (in a thread) by ``join`` or ``set_camera``.
        Opening here would block the UI thread, so a call of ``session.set_camera`` that bypassed them fails (the
        session reports "camera unavailable")."""
        camera, self._ready_camera = self._ready_camera, None
        if camera is None:
            raise DeviceUnavailable("no camera was opened for the call")
        return self._with_background(camera)

    def _with_background(self, camera: VideoSource) -> VideoSource:
        return camera if isinstance(camera, BackgroundSource) else BackgroundSource(camera, self.background)

    def _open_camera_device(self, device: str | None) -> VideoSource:
        """A camera for the call's feed (blocking: worker thread), through the background effect."""
        return self._with_background(self.provider.open_camera(device))

    async def set_background(self, mode: BackgroundMode, image: str | None = None) -> bool:
        """Blur (``"blur"``), replace with the picture at ``image`` (``"replace"``), or neither (``"off"``), from
        the next camera frame on: sent and self view alike, nothing renegotiated. False if ``image`` cannot be read
        (the background is then blurred instead). The picture is read in a worker thread."""
        readable = await asyncio.to_thread(self._set_background_image, image)
        self.background.mode = mode
        return readable

    def _set_background_image(self, image: str | None) -> bool:
        """Blocking (reads and decodes the picture): at construction, once, and from ``set_background``."""
        if image is None:
            self.background.set_replacement(None)
            return True
        try:
            self.background.set_replacement(load_image(image))
        except ValueError as exc:
            logger.warning("background picture: %s", exc)
            self.background.set_replacement(None)
            return False
        return True

    async def join(self, *, camera: bool, microphone: bool, password: str | None = None) -> JoinAck | WaitingAck:
        """``password``: the room's, when it has one. A ``WaitingAck``: we wait in the room's lobby."""
        await self.mixer.start()
        if camera and self._ready_camera is None:
            await self._open_camera()
        with_camera = camera and self._ready_camera is not None
        if microphone and not self._given_microphone:
            # Asked for but not handed one (pre-join could not open it, or had none to give): open it here, as the
            # camera above, rather than join silently without it (the session starts audio only from a source).
            # Joining muted opens nothing: the mic button opens one later (``set_microphone``).
            self._given_microphone = await self.reopen_microphone()
        return await self.session.join(self.room_id, camera=with_camera, microphone=microphone, password=password)

    async def _open_camera(self) -> bool:
        self._ready_camera = await self._open("camera", self.provider.open_camera, self.camera_device)
        return self._ready_camera is not None

    async def _open(self, media: MediaType, opener: Callable[[D], S], device: D) -> S | None:
        """``opener(device)`` in a worker thread (a device may take a second to open); a device that will not open
        (absent, busy, unplugged, refused) is told the usual way and gives None."""
        try:
            return await asyncio.to_thread(opener, device)
        except Exception as exc:
            self.session.report_error(CallError.device_unavailable(media, exc))
            return None

    async def set_camera(self, enabled: bool) -> None:
        if enabled and self.session.camera is None and self._ready_camera is None and not await self._open_camera():
            return
        await self.session.set_camera(enabled)

    async def set_microphone(self, enabled: bool) -> None:
        if enabled and self.session.audio is None:
            # Lost mid-call, or never opened: turning it on tries to open it again (``reopen_microphone``).
            await self.reopen_microphone()
            return
        await self.session.set_microphone(enabled)

    async def start_screen_share(self, monitor: str) -> None:
        # No display, permission refused (macOS screen recording), monitor gone: told, and nothing is shared.
        source = await self._open("screen", self.provider.open_screen, monitor)
        if source is not None:
            await self.session.start_screen_share(source)

    async def stop_screen_share(self) -> None:
        await self.session.stop_screen_share()

    # ---- switching devices during the call ---------------------------------------------------------------
    # The one entry point for every device change in a call: the control bar's menus, the settings window, the
    # fallback when a device is lost. Devices open in worker threads; the new one opens before the old one closes
    # (except the same camera at another mode: a V4L2 camera streams to one opener), so what the others receive
    # pauses for about one frame; peers keep their transceivers and their subscriptions: nothing is renegotiated.

    def _init_device_switching(self) -> None:
        self._camera_lock = asyncio.Lock()
        self._microphone_lock = asyncio.Lock()
        self._speaker_lock = asyncio.Lock()
        self._fell_back_at: dict[DeviceKind, float] = {}
        self.fallback_listener: Callable[[DeviceKind, str | None], None] | None = None
        """Told (kind, the lost device) after a lost device was replaced by the system default."""
        self.session.on_device_lost = self._device_lost
        self.mixer.on_speaker_lost = self._speaker_lost

    async def switch_camera(self, device: str | None) -> bool:
        """Send ``device`` (None: the system default) from now on; with the camera off, it is the one the camera
        button opens next. False (and the error told) if it would not open: the current camera stays."""
        async with self._camera_lock:
            same = device == self.camera_device
            self.camera_device = device
            if self._ready_camera is not None:  # not yet handed to the session: it is simply not sent
                self._ready_camera.stop()
                self._ready_camera = None
            feed = self.session.camera
            if feed is None:
                return True
            if same:  # the same device at another mode: it must be let go of before it opens again
                return await feed.reopen_source(lambda: self._open_camera_device(device))
            source = await self._open("camera", self._open_camera_device, device)
            if source is None:  # the current camera goes on
                return False
            await self.session.replace_camera(source)
            return True

    async def set_video_quality(self, height: VideoHeight) -> bool:
        """Send ``height`` lines (16:9) from now on: the camera is reopened at that mode. Reopening rather than
        scaling: a camera captures at 1080 only if asked to, and one asked for 360 captures (and decodes its
        MJPEG) a quarter of the pixels. The price is a short pause while the camera reopens. The height is also the
        quality policy's new ceiling: lower applies at once, higher once the call shows headroom for it."""
        self.provider.video_height = height
        self.session.set_video_quality(height)
        if self.session.camera is None:
            return True
        return await self.switch_camera(self.camera_device)

    async def switch_microphone(self, device: str | None) -> bool:
        """Send ``device`` (None: the system default) from now on, muted or not as before; a lost microphone comes
        back this way too. False (and the error told) if it would not open: the current one stays."""
        async with self._microphone_lock:
            self.microphone_device = device
            if await asyncio.to_thread(self.provider.needs_audio_reset, "microphone", device):
                return await self._reset_audio()
            microphone = await self._open("microphone", self.provider.open_microphone, device)
            if microphone is None:  # the current microphone goes on
                return False
            await self.session.replace_microphone(microphone)
            return True

    async def reopen_microphone(self) -> bool:
        """A microphone lost mid-call (or never opened): open the chosen one again, unmuted (whoever asks wants to
        be heard). Without one, the system default."""
        async with self._microphone_lock:
            try:
                source = await asyncio.to_thread(self.provider.open_microphone, self.microphone_device)
            except Exception as exc:
                if self.microphone_device is None:
                    self.session.report_error(CallError.device_unavailable("microphone", exc))
                    return False
                try:
                    source = await asyncio.to_thread(self.provider.open_microphone, None)
                except Exception as default_exc:
                    self.session.report_error(CallError.device_unavailable("microphone", default_exc))
                    return False
                self.microphone_device = None
            await self.session.replace_microphone(source, enabled=True)
            return True

    @property
    def microphone_lost(self) -> bool:
        """No microphone is being sent (lost mid-call, or none opened): the mic button reopens one."""
        return self.session.audio is None

    async def switch_speaker(self, device: str | None) -> bool:
        """Play the call on ``device`` (None: the system default); False if it would not open (the current one
        plays on)."""
        async with self._speaker_lock:
            if await asyncio.to_thread(self.provider.needs_audio_reset, "speaker", device):
                async with self._microphone_lock:
                    previous, self.speaker_device = self.speaker_device, device
                    if await self._reset_audio():
                        return True
                    self.speaker_device = previous
                    return False
            if not await self.mixer.set_device(device):
                return False
            self.speaker_device = device
            return True

    async def _reset_audio(self) -> bool:
        """A device plugged in after PortAudio listed them: close our streams (the speaker's, the microphone's),
        re-initialize PortAudio, and open ``microphone_device`` and ``speaker_device`` again. The others hear a
        pause of the re-initialization's length (measured in the tests); nothing is renegotiated. Holds the
        microphone lock (callers take it)."""
        await self.mixer.suspend_output()

        def reset() -> None:
            if not portaudio_reset.reinitialize():
                raise DeviceUnavailable("another audio stream is open (a level meter?)", DeviceProblem.BUSY)

        def reset_and_open() -> AudioSource:
            reset()
            return self.provider.open_microphone(self.microphone_device)

        try:
            if self.session.audio is not None:
                opened = await self.session.reopen_microphone_source(reset_and_open)
            else:  # lost: open it as a new one
                await self.session.replace_microphone(await asyncio.to_thread(reset_and_open))
                opened = True
        except DeviceUnavailable as exc:
            self.session.report_error(CallError.device_unavailable("microphone", exc))
            opened = False
        speaker = await self.mixer.set_device(self.speaker_device)
        return opened and speaker

    def _device_lost(self, media: MediaType, reason: str) -> bool:
        """The session's camera or microphone ended by itself: fall back to the system default (reported by the
        fallback only if the default will not open either). The screen is not ours to replace."""
        if media == "screen" or self._left or not self._may_fall_back("camera" if media == "camera" else "microphone"):
            return False
        was_on = self.session.microphone_on if media == "microphone" else True
        lost = self.camera_device if media == "camera" else self.microphone_device
        self.session.spawn(self._fall_back(media, lost, reason, was_on), f"fallback-{media}")
        return True

    async def _fall_back(self, media: MediaType, lost: str | None, reason: str, was_on: bool) -> None:
        opener = self.provider.open_camera if media == "camera" else self.provider.open_microphone
        lock = self._camera_lock if media == "camera" else self._microphone_lock
        # The choice is gone with the device (and a watcher seeing it leave the list has nothing more to do).
        if media == "camera":
            self.camera_device = None
        else:
            self.microphone_device = None
        async with lock:
            try:
                source = await asyncio.to_thread(opener, None)
            except Exception as exc:
                logger.info("%s lost and the system default will not open: %s", media, exc)
                self.session.report_error(self.session.device_lost_error(media, reason))
                return
            if self._left:
                source.stop()
                return
            if isinstance(source, VideoSource):
                await self.session.replace_camera(source)
            else:
                assert isinstance(source, AudioSource)
                await self.session.replace_microphone(source, enabled=was_on)
        if self.fallback_listener is not None:
            self.fallback_listener("camera" if media == "camera" else "microphone", lost)

    def device(self, kind: DeviceKind) -> str | None:
        """The device of ``kind`` the call uses (None: the system default)."""
        return {"camera": self.camera_device, "microphone": self.microphone_device, "speaker": self.speaker_device}[
            kind
        ]

    async def switch(self, kind: DeviceKind, device: str | None) -> bool:
        """``switch_camera``, ``switch_microphone`` or ``switch_speaker`` by kind (menus, settings)."""
        if kind == "camera":
            return await self.switch_camera(device)
        if kind == "microphone":
            return await self.switch_microphone(device)
        return await self.switch_speaker(device)

    async def device_gone(self, kind: DeviceKind, device: str) -> bool:
        """The device watch saw ``device`` leave the lists: if the call uses it, fall back to the system default
        (and tell ``fallback_listener``). A source that ended by itself has usually fallen back already."""
        if self.device(kind) != device or self._left:
            return False
        if not await self.switch(kind, None):
            return False
        if self.fallback_listener is not None:
            self.fallback_listener(kind, device)
        return True

    def _may_fall_back(self, kind: DeviceKind) -> bool:
        """Not again within ``FALLBACK_INTERVAL_S``: a default device that opens and fails at once (a broken
        driver) must not be reopened in a loop."""
        now = time.monotonic()
        if now - self._fell_back_at.get(kind, float("-inf")) < FALLBACK_INTERVAL_S:
            return False
        self._fell_back_at[kind] = now
        return True

    def _speaker_lost(self) -> None:
        if not self._left and self._may_fall_back("speaker"):
            self.session.spawn(self._speaker_fall_back(), "fallback-speaker")

    async def _speaker_fall_back(self) -> None:
        lost = self.speaker_device
        async with self._speaker_lock:
            if not await self.mixer.set_device(None):
                return  # the mixer said so in the log; remote audio is still received, shown in the tiles
            self.speaker_device = None
        if self.fallback_listener is not None:
            self.fallback_listener("speaker", lost)

    def forget(self, socket_id: str) -> None:
        """A participant left: stop mixing their audio."""
        self.mixer.remove(socket_id)
        self.mixer.forget_volume(socket_id)

    def set_volume(self, socket_id: str, gain: float) -> None:
        """How loud ``socket_id`` plays here (1.0 as received, 0 to 2); for this call only."""
        self.mixer.set_volume(socket_id, gain)

    def volume(self, socket_id: str) -> float:
        return self.mixer.volume(socket_id)

    def local_frame(self) -> av.VideoFrame | None:
        """What we send (the screen while sharing, else the camera): our own tile shows it."""
        feed = self.session.video_feed()
        return None if feed is None else feed.latest_frame

    def counters(self, rtcp: bool = False) -> CallCounters:
        """The engine's figures for the statistics (view and ``--stats``), frozen: the one read the UI makes of
        them, once a second. ``rtcp``: with packet loss and round trips (the statistics view is open)."""
        return read_counters(self.session, rtcp)

    def levels(self) -> dict[str, float]:
        """dBFS per remote socket id, as the mixer hears them."""
        return self.mixer.levels()

    def microphone_level(self) -> float:
        """What we send in dBFS: the processed microphone, silence while muted; ``SILENCE_DBFS`` without one."""
        audio = self.session.audio
        return SILENCE_DBFS if audio is None else audio.level_dbfs

    def speech_level(self) -> float:
        """The processed microphone in dBFS, also while muted: the "you are muted" hint reads it while muted only.
        After echo cancellation, so the far end's voice from the speaker is not taken for the user talking;
        ``SILENCE_DBFS`` without a microphone."""
        audio = self.session.audio
        return SILENCE_DBFS if audio is None else audio.speech_level_dbfs

    async def leave(self) -> None:
        """Idempotent; closes devices and the speaker even if the server is gone."""
        if self._left:
            return
        self._left = True
        try:
            try:
                await self.recording.stop()
            except Exception:  # a recording that cannot finish must not keep us in the call
                logger.exception("the recording did not stop cleanly")
            await self.session.leave()
        finally:
            if self._ready_camera is not None:
                self._ready_camera.stop()
                self._ready_camera = None
            await asyncio.to_thread(self.background.close)  # waits out a model run in progress
            await self.mixer.aclose()
