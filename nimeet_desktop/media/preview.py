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
        self._sources: dict[str, LocalTrack] = {}  # "camera", "microphone": open and being read
        self._readers: dict[str, asyncio.Task[None]] = {}
        self._generation = {"camera": 0, "microphone": 0}
        self.latest_frame: av.VideoFrame | None = None
        self.level_dbfs = SILENCE_DBFS

    @property
    def camera(self) -> VideoSource | None:
        source = self._sources.get("camera")
        assert source is None or isinstance(source, VideoSource)
        return source

    @property
    def microphone(self) -> AudioSource | None:
        source = self._sources.get("microphone")
        assert source is None or isinstance(source, AudioSource)
        return source

    async def set_camera(self, device: str | None, enabled: bool = True) -> bool:
        """Open ``device`` (closing the one before), or just close it when not ``enabled``. False if it failed."""
        return await self._set("camera", enabled, lambda: self.provider.open_camera(device))

    async def set_microphone(self, device: str | None, enabled: bool = True) -> bool:
        return await self._set("microphone", enabled, lambda: self.provider.open_microphone(device))

    async def _set(self, kind: str, enabled: bool, opener: Callable[[], LocalTrack]) -> bool:
        await self._stop(kind)
        if not enabled:
            return True
        # A newer choice made while this one was opening wins: the late source is closed, not leaked.
        generation = self._generation[kind]
        try:
            source = await asyncio.to_thread(opener)
        except Exception as exc:  # DeviceUnavailable, or whatever the driver raised: the preview goes on without
            logger.info("preview %s unavailable: %s", kind, exc)
            self._on_error(kind, str(exc))
            return False
        if generation != self._generation[kind]:
            source.stop()
            return False
        self._sources[kind] = source
        self._readers[kind] = asyncio.create_task(self._read(kind, source), name=f"preview-{kind}")
        return True

    async def _read(self, kind: str, source: LocalTrack) -> None:
        try:
            while True:
                frame = await source.recv()
                if isinstance(frame, av.VideoFrame):
                    self.latest_frame = frame
                else:
                    self.level_dbfs = rms_dbfs(frame.to_ndarray())
        except MediaStreamError:
            if source.ended_reason not in (None, "stopped"):
                self._on_error(kind, source.ended_reason or f"the {kind} stopped")
        finally:
            self._forget(kind)

    def _forget(self, kind: str) -> None:
        """What this preview shows of ``kind`` goes blank (the meter to silence)."""
        if kind == "camera":
            self.latest_frame = None
        else:
            self.level_dbfs = SILENCE_DBFS

    async def _stop_reader(self, kind: str) -> None:
        task = self._readers.pop(kind, None)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._forget(kind)

    async def _stop(self, kind: str) -> None:
        self._generation[kind] += 1
        await self._stop_reader(kind)
        source = self._sources.pop(kind, None)
        if source is not None:
            source.stop()

    async def hand_over(self) -> tuple[VideoSource | None, AudioSource | None]:
        """Stop reading and give the open sources to the caller, who closes them from now on."""
        await self._stop_reader("camera")
        await self._stop_reader("microphone")
        camera, microphone = self.camera, self.microphone
        self._sources.clear()
        return camera, microphone

    async def close(self) -> None:
        """Idempotent."""
        await self._stop("camera")
        await self._stop("microphone")
