"""The pre-join preview: the chosen camera and microphone opened before the call, shown and measured.

Once the user joins, the open sources are handed to the call (``hand_over``) rather than closed and opened again:
reopening a webcam can take a second, and joining should not.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Literal

import av
from aiortc.mediastreams import MediaStreamError

from nimeet_desktop.media.audio_output import SILENCE_DBFS, rms_dbfs
from nimeet_desktop.media.base import AudioSource, LocalTrack, VideoSource
from nimeet_desktop.media.devices import DeviceProblem, DeviceUnavailable
from nimeet_desktop.media.provider import MediaProvider

logger = logging.getLogger(__name__)

PreviewDevice = Literal["camera", "microphone"]
ErrorHandler = Callable[[PreviewDevice, DeviceProblem], None]


class DevicePreview:
    """``on_error(device, problem)`` reports a device that cannot open or stops: which one and what kind of
    problem, for a sentence people understand; the driver's own words are logged here."""

    def __init__(self, provider: MediaProvider, on_error: ErrorHandler | None = None) -> None:
        self.provider = provider
        self._on_error: ErrorHandler = on_error or (lambda device, problem: None)
        self._sources: dict[PreviewDevice, LocalTrack] = {}  # open and being read
        self._readers: dict[PreviewDevice, asyncio.Task[None]] = {}
        # The newest open of each kind still running in its worker thread. It belongs to the preview, not to the
        # task that asked for it: pre-join cancels its tasks when Join is clicked, and a device still opening then
        # must reach the call (``hand_over`` waits for it), or be closed when nobody wants it, never be dropped
        # with the device left running.
        self._opening: dict[PreviewDevice, asyncio.Future[LocalTrack]] = {}
        self._generation: dict[PreviewDevice, int] = {"camera": 0, "microphone": 0}
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

    async def _set(self, kind: PreviewDevice, enabled: bool, opener: Callable[[], LocalTrack]) -> bool:
        await self._stop(kind)
        if not enabled:
            return True
        # A newer choice made while this one was opening wins: the late source is closed, not leaked.
        generation = self._generation[kind]
        opening = asyncio.get_running_loop().run_in_executor(None, opener)
        self._opening[kind] = opening
        # Taken (or closed) by a callback rather than after the await below: that await is cancelled when pre-join
        # hands its devices to the call, and the source the thread opens must still go somewhere.
        opening.add_done_callback(lambda done: self._opened(kind, generation, done))
        try:
            # Shielded: cancelling the caller must not cancel the future, whose result would then be thrown away.
            await asyncio.shield(opening)
        except DeviceUnavailable as exc:
            logger.info("preview %s unavailable (%s): %s", kind, exc.kind, exc)
            self._on_error(kind, exc.kind)
            return False
        except Exception:  # whatever else the driver raised: the preview goes on without; the stack is for us
            logger.warning("preview %s failed to open", kind, exc_info=True)
            self._on_error(kind, DeviceProblem.FAILED)
            return False
        return generation == self._generation[kind]

    def _opened(self, kind: PreviewDevice, generation: int, opening: asyncio.Future[LocalTrack]) -> None:
        """On the loop, as soon as the worker thread has opened (or failed to open) a device for ``_set``; runs
        before anyone awaiting ``opening`` resumes (callbacks run in the order they were added)."""
        if self._opening.get(kind) is opening:
            del self._opening[kind]
        if opening.cancelled() or opening.exception() is not None:
            return  # reported by ``_set`` if it still waits; retrieved here either way, so never logged as lost
        source = opening.result()
        if generation != self._generation[kind]:
            source.stop()  # another device chosen, or the preview closed, while this one was opening
            return
        self._sources[kind] = source
        self._readers[kind] = asyncio.create_task(self._read(kind, source), name=f"preview-{kind}")

    async def _read(self, kind: PreviewDevice, source: LocalTrack) -> None:
        try:
            while True:
                frame = await source.recv()
                if isinstance(frame, av.VideoFrame):
                    self.latest_frame = frame
                else:
                    self.level_dbfs = rms_dbfs(frame.to_ndarray())
        except MediaStreamError:
            if source.ended_reason not in (None, "stopped"):
                logger.info("preview %s ended: %s", kind, source.ended_reason)
                self._on_error(kind, DeviceProblem.LOST)
        finally:
            self._forget(kind)

    def _forget(self, kind: PreviewDevice) -> None:
        """What this preview shows of ``kind`` goes blank (the meter to silence)."""
        if kind == "camera":
            self.latest_frame = None
        else:
            self.level_dbfs = SILENCE_DBFS

    async def _stop_reader(self, kind: PreviewDevice) -> None:
        task = self._readers.pop(kind, None)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._forget(kind)

    async def _stop(self, kind: PreviewDevice) -> None:
        self._generation[kind] += 1
        await self._stop_reader(kind)
        source = self._sources.pop(kind, None)
        if source is not None:
            source.stop()

    async def hand_over(self) -> tuple[VideoSource | None, AudioSource | None]:
        """Stop reading and give the open sources to the caller, who closes them from now on. A device still
        opening (Join clicked before it finished) is waited for and handed over too: the call would otherwise start
        without it, silently (the user asked for it), while the thread's source ran on with nobody to stop it."""
        opening = set(self._opening.values())
        if opening:
            # ``wait``, unlike ``gather``, never cancels them: a hand-over cut short leaves them to ``close``.
            await asyncio.wait(opening)
        await self._stop_reader("camera")
        await self._stop_reader("microphone")
        camera, microphone = self.camera, self.microphone
        self._sources.clear()
        return camera, microphone

    async def close(self) -> None:
        """Idempotent."""
        await self._stop("camera")
        await self._stop("microphone")
