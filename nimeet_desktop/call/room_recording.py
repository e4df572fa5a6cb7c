"""The desktop app's recording of a call: one ``CallRecording`` at a time, with the room told about it.

The contract's recording notice (``recording {active}``, hosts only) is sent before anything is recorded and after
it stops: nobody is recorded without the red "REC" in front of them, so a refused notice (we are not a host) means
no recording at all. A pause is told as ``active: false`` and a resume as ``true``: the others see "REC" exactly
while they are being recorded. A recording that stops by itself (the disk full, the drive gone) tells the room it
stopped and hands its result to ``on_stopped``; leaving the call stops it first, so its file is finished.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from pathlib import Path

from nimeet_desktop.call.recording import CallRecording
from nimeet_desktop.call.session import CallSession
from nimeet_desktop.media.audio_output import AudioMixer
from nimeet_desktop.media.recording.recorder import RecordingError, RecordingResult, RecordingState
from nimeet_desktop.net.signaling import SignalingError

logger = logging.getLogger(__name__)


class RoomRecording:
    def __init__(self, session: CallSession, mixer: AudioMixer | None = None) -> None:
        self.session = session
        self._mixer = mixer
        self.current: CallRecording | None = None
        self.on_stopped: Callable[[RecordingResult], None] | None = None
        """Called on the loop when a recording stops by itself (``result.error`` says why)."""

    @property
    def state(self) -> RecordingState:
        return RecordingState.IDLE if self.current is None else self.current.state

    def elapsed_s(self) -> float:
        return 0.0 if self.current is None else self.current.recorder.elapsed_s()

    async def start(self, path: Path) -> RecordingError | None:
        """Tell the room, then record into ``path``. Raises ``SignalingError`` when the room is not told (``forbidden``
        for a participant who is not a host; then nothing is recorded); returns the error when the file cannot be
        made (the room is told it stopped)."""
        if self.current is not None:
            raise RuntimeError("already recording")
        await self.session.set_recording(True)
        recording = CallRecording(self.session, path, mixer=self._mixer, on_stopped=self._stopped_by_itself)
        error = recording.start()
        if error is not None:
            await self._tell(False)
            return error
        self.current = recording
        return None

    async def pause(self) -> None:
        if self.current is not None and self.current.state is RecordingState.RECORDING:
            self.current.pause()
            await self._tell(False)

    async def resume(self) -> None:
        if self.current is not None and self.current.state is RecordingState.PAUSED:
            await self.session.set_recording(True)  # told first, as at the start
            self.current.resume()

    async def stop(self) -> RecordingResult | None:
        """Stops and finishes the file (None: nothing was recording); the room is told."""
        recording, self.current = self.current, None
        if recording is None:
            return None
        result = await recording.stop()
        await self._tell(False)
        return result

    async def _tell(self, active: bool) -> None:
        """The notice that we stopped: the recording has stopped whatever the server says (a dropped connection's
        notice is the server's to clear: our participant leaves with it)."""
        with contextlib.suppress(SignalingError):
            await self.session.set_recording(active)

    def _stopped_by_itself(self, result: RecordingResult) -> None:
        if self.current is None or self.current.recorder.path != result.path:
            return
        self.current = None
        logger.warning("recording stopped by itself: %s", result.error)
        self.session.spawn(self._tell(False), "recording-notice")
        if self.on_stopped is not None:
            self.on_stopped(result)
