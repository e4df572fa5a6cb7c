"""The pre-join preview: the chosen camera and microphone opened before the call, shown and measured.

Once the user joins, the open sources are handed to the call (``hand_over``) rather than closed and opened again:
reopening a webcam can take a second, and joining should not.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

import av
from aiortc.mediastreams import MediaStreamError

from nimeet_desktop.media.audio_output import SILENCE_DBFS, rms_dbfs
from nimeet_desktop.media.base import AudioSource, LocalTrack, VideoSource
from nimeet_desktop.media.provider import MediaProvider

logger = logging.getLogger(__name__)


class DevicePreview:
    """``on_error(kind, message)`` reports a device that cannot open or stops ("camera" or "microphone")."""

    def __init__(self, provider: MediaProvider, on_error: Callable[[str, str], None] | None = None) -> None:
        self.provider = provider
        self._on_error = on_error or (lambda kind, message: None)
        self.camera: VideoSource | None = None
        self.microphone: AudioSource | None = None
        self.latest_frame: av.VideoFrame | None = None
        self.level_dbfs = SILENCE_DBFS
        self._readers: dict[str, asyncio.Task[None]] = {}
        self._generation = {"camera": 0, "microphone": 0}

    async def set_camera(self, device: str | None, enabled: bool = True) -> bool:
        """Open ``device`` (closing the one before), or just close it when not ``enabled``. False if it failed."""
        await self._stop("camera")
        self.latest_frame = None
        if not enabled:
            return True
        source = await self._open("camera", lambda: self.provider.open_camera(device))
        if source is None:
            return False
        assert isinstance(source, VideoSource)
        self.camera = source
        self._readers["camera"] = asyncio.create_task(self._read_video(source), name="preview-camera")
        return True

    async def set_microphone(self, device: str | None, enabled: bool = True) -> bool:
        await self._stop("microphone")
        self.level_dbfs = SILENCE_DBFS
        if not enabled:
            return True
        source = await self._open("microphone", lambda: self.provider.open_microphone(device))
        if source is None:
            return False
        assert isinstance(source, AudioSource)
        self.microphone = source
        self._readers["microphone"] = asyncio.create_task(self._read_audio(source), name="preview-microphone")
        return True

    async def _open(self, kind: str, opener: Callable[[], LocalTrack]) -> LocalTrack | None:
        # A newer choice made while this one was opening wins: the late source is closed, not leaked.
        self._generation[kind] += 1
        generation = self._generation[kind]
        try:
            source = await asyncio.to_thread(opener)
        except Exception as exc:  # DeviceUnavailable, or whatever the driver raised: the preview goes on without
            logger.info("preview %s unavailable: %s", kind, exc)
            self._on_error(kind, str(exc))
            return None
        if generation != self._generation[kind]:
            source.stop()
            return None
        return source

    async def _read_video(self, source: VideoSource) -> None:
        try:
            while True:
                self.latest_frame = await source.recv()
        except MediaStreamError:
            if source.ended_reason not in (None, "stopped"):
                self._on_error("camera", source.ended_reason or "the camera stopped")

    async def _read_audio(self, source: AudioSource) -> None:
        try:
            while True:
                frame = await source.recv()
                self.level_dbfs = rms_dbfs(frame.to_ndarray())
        except MediaStreamError:
            self.level_dbfs = SILENCE_DBFS
            if source.ended_reason not in (None, "stopped"):
                self._on_error("microphone", source.ended_reason or "the microphone stopped")

    async def _stop_reader(self, kind: str) -> None:
        task = self._readers.pop(kind, None)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _stop(self, kind: str) -> None:
        self._generation[kind] += 1
        await self._stop_reader(kind)
        source: LocalTrack | None = self.camera if kind == "camera" else self.microphone
        if source is not None:
            source.stop()
        if kind == "camera":
            self.camera = None
        else:
            self.microphone = None

    async def hand_over(self) -> tuple[VideoSource | None, AudioSource | None]:
        """Stop reading and give the open sources to the caller, who closes them from now on."""
        await self._stop_reader("camera")
        await self._stop_reader("microphone")
        camera, microphone = self.camera, self.microphone
        self.camera = self.microphone = None
        self.latest_frame = None
        return camera, microphone

    async def close(self) -> None:
        """Idempotent."""
        await self._stop("camera")
        await self._stop("microphone")
        self.latest_frame = None
