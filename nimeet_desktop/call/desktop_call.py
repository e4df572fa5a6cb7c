"""A call as the desktop app runs it: a ``CallSession`` plus the devices it opens and the speaker it plays to.

Qt-free, like the rest of the engine: the window drives it and learns what happens through the ``CallObserver``
it passes in. Devices open in worker threads (a webcam can take a second) so the window never freezes, and the
camera and microphone already open in the pre-join preview are taken over instead of reopened.
"""

from __future__ import annotations

import asyncio
from typing import Protocol, runtime_checkable

import av

from nimeet_desktop.call.errors import CallError, CallErrorKind
from nimeet_desktop.call.session import CallObserver, CallSession
from nimeet_desktop.media.audio_output import SILENCE_DBFS, AudioMixer
from nimeet_desktop.media.base import AudioSource, VideoSource
from nimeet_desktop.media.devices import DeviceProblem, DeviceUnavailable
from nimeet_desktop.media.provider import MediaProvider
from signaling_server.protocol import IceServer, JoinAck


@runtime_checkable
class HearsWhileMuted(Protocol):
    """A microphone that measures what it hears before muting (``MicrophoneSource``): a muted one still knows."""

    @property
    def audio_level(self) -> float: ...


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
        camera: VideoSource | None = None,
        microphone: AudioSource | None = None,
    ) -> None:
        self.room_id = room_id
        self.provider = provider
        self.camera_device = camera_device
        self._microphone = microphone  # for muted_speech_level; the session sends it
        self._ready_camera = camera  # opened already (pre-join, or just now in a thread): the factory takes it
        self.mixer = AudioMixer(speaker_device, output=provider.speaker_output())
        self.session = CallSession(
            server_url,
            token,
            ice_servers,
            observer=observer,
            camera_factory=self._take_camera,
            microphone=microphone,
            audio_sink=self.mixer.add,
        )
        self._left = False

    def _take_camera(self) -> VideoSource:
        """The session's camera factory: hands over the camera opened (in a thread) by ``join`` or ``set_camera``.
        Opening here would block the UI thread, so a call of ``session.set_camera`` that bypassed them fails (the
        session reports "camera unavailable")."""
        camera, self._ready_camera = self._ready_camera, None
        if camera is None:
            raise DeviceUnavailable("no camera was opened for the call")
        return camera

    async def join(self, *, camera: bool, microphone: bool) -> JoinAck:
        await self.mixer.start()
        if camera and self._ready_camera is None:
            await self._open_camera()
        with_camera = camera and self._ready_camera is not None
        return await self.session.join(self.room_id, camera=with_camera, microphone=microphone)

    async def _open_camera(self) -> bool:
        try:
            self._ready_camera = await asyncio.to_thread(self.provider.open_camera, self.camera_device)
        except Exception as exc:  # absent, busy, unplugged: the call goes on without video
            self.session.report_error(CallError.device_unavailable("camera", exc))
            return False
        return True

    async def set_camera(self, enabled: bool) -> None:
        if enabled and self.session.camera is None and self._ready_camera is None and not await self._open_camera():
            return
        await self.session.set_camera(enabled)

    async def set_microphone(self, enabled: bool) -> None:
        if enabled and self.session.audio is None:
            self.session.report_error(
                CallError(
                    CallErrorKind.DEVICE_UNAVAILABLE,
                    "it could not be opened or was unplugged",
                    media="microphone",
                    problem=DeviceProblem.NOT_FOUND,
                )
            )
            return
        await self.session.set_microphone(enabled)

    async def start_screen_share(self, monitor: str) -> None:
        try:
            source = await asyncio.to_thread(self.provider.open_screen, monitor)
        except Exception as exc:  # no display, permission refused (macOS screen recording), monitor gone
            self.session.report_error(CallError.device_unavailable("screen", exc))
            return
        await self.session.start_screen_share(source)

    async def stop_screen_share(self) -> None:
        await self.session.stop_screen_share()

    def forget(self, socket_id: str) -> None:
        """A participant left: stop mixing their audio."""
        self.mixer.remove(socket_id)
        self.mixer.forget_volume(socket_id)

    def set_volume(self, socket_id: str, gain: float) -> None:
        """How loud ``socket_id`` plays here (1.0 as received, 0 to 2); for this call only."""
        self.mixer.set_volume(socket_id, gain)

    def volume(self, socket_id: str) -> float:
        return self.mixer.volume(socket_id)

    def muted_speech_level(self) -> float:
        """What the microphone hears while it is muted, in dBFS (``SILENCE_DBFS`` when unmuted or there is no
        microphone): the "you are muted" hint reads this and nothing else. Today the level measured before muting;
        once echo cancellation runs, the level after it, so the far end's voice from the speaker is not taken for
        the user talking."""
        microphone = self._microphone
        if self.session.audio is None or self.session.microphone_on or not isinstance(microphone, HearsWhileMuted):
            return SILENCE_DBFS
        return microphone.audio_level

    def local_frame(self) -> av.VideoFrame | None:
        """What we send (the screen while sharing, else the camera): our own tile shows it."""
        feed = self.session.video_feed()
        return None if feed is None else feed.latest_frame

    def levels(self) -> dict[str, float]:
        """dBFS per remote socket id, as the mixer hears them."""
        return self.mixer.levels()

    def own_level(self) -> float:
        audio = self.session.audio
        return SILENCE_DBFS if audio is None or not self.session.microphone_on else audio.level_dbfs

    async def leave(self) -> None:
        """Idempotent; closes devices and the speaker even if the server is gone."""
        if self._left:
            return
        self._left = True
        try:
            await self.session.leave()
        finally:
            if self._ready_camera is not None:
                self._ready_camera.stop()
                self._ready_camera = None
            await self.mixer.aclose()
