"""Recording a call: the recorder (``media/recording``) fed by a ``CallSession``.

The picture is what the call shows, from decoded frames: every remote participant's frame as their tile paces it
(``Playout``; no copy, the frame object is shared) and our own camera's newest frame, in the call's grid order (us
first, then the others as they joined); a shared screen (ours or someone's) is featured with the cameras beside it.
What is heard is every remote participant's decoded audio (tapped where the session receives it, or in the speaker
mixer when the session hands the tracks to one, as the desktop app does) and our microphone as it is sent (after
processing; silence while muted). Each participant is recorded as they sent it, whatever volume the user gave them.

Start, pause, resume and stop run on the event loop; the recorder's thread does the work. Stop blocks while the
encoders drain, so ``stop`` hands it to a worker thread. A recording that stops by itself (the disk full) is told to
``on_stopped`` on the loop, with its ``RecordingError``; nothing is raised into the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from pathlib import Path

import av

from nimeet_desktop.call.audio_broadcast import AudioBroadcast
from nimeet_desktop.call.session import CallSession
from nimeet_desktop.media.audio_output import AudioMixer, Samples
from nimeet_desktop.media.recording.audio_mix import RecordingMix
from nimeet_desktop.media.recording.compose import TileFrame
from nimeet_desktop.media.recording.recorder import (
    DEFAULT_FPS,
    DEFAULT_SIZE,
    Picture,
    Recorder,
    RecordingError,
    RecordingResult,
    RecordingState,
)

SELF_KEY = "self"
MICROPHONE_KEY = "self"
RETAP_INTERVAL_S = 0.5
"""How often the recording checks it still hears our microphone: a lost microphone comes back as a new broadcast."""


class CallRecording:
    def __init__(
        self,
        session: CallSession,
        path: Path,
        *,
        size: tuple[int, int] = DEFAULT_SIZE,
        fps: int = DEFAULT_FPS,
        on_stopped: Callable[[RecordingResult], None] | None = None,
        mixer: AudioMixer | None = None,
    ) -> None:
        """``mixer``: the speaker mixer the session hands remote audio to (its ``audio_sink``, as ``DesktopCall``
        does), whose decoded blocks are then tapped; without one, the session's own receivers are."""
        self.session = session
        self._mixer = mixer
        self.mix = RecordingMix()
        self._on_stopped = on_stopped
        self._loop: asyncio.AbstractEventLoop | None = None
        self.recorder = Recorder(path, self.picture, self.mix, size=size, fps=fps, on_stopped=self._stopped_by_itself)
        self._tapped: AudioBroadcast | None = None
        self._retap: asyncio.Task[None] | None = None

    @property
    def state(self) -> RecordingState:
        return self.recorder.state

    def start(self) -> RecordingError | None:
        """On the loop. The error when the file cannot be created (then nothing records)."""
        self._loop = asyncio.get_running_loop()
        error = self.recorder.start()
        if error is not None:
            return error
        self.session.remote_audio_taps.append(self._remote_audio)
        if self._mixer is not None:
            self._mixer.sample_taps.append(self._mixed_audio)
        self._tap_microphone()
        self._retap = self._loop.create_task(self._keep_microphone_tapped(), name="recording-retap")
        return None

    def pause(self) -> None:
        self.recorder.pause()

    def resume(self) -> None:
        self.recorder.resume()

    async def stop(self) -> RecordingResult:
        self._untap()
        return await asyncio.to_thread(self.recorder.stop)

    # ---- audio (the loop) -------------------------------------------------------------------------------------

    def _remote_audio(self, socket_id: str, frame: av.AudioFrame) -> None:
        if self.recorder.state is RecordingState.RECORDING:
            self.mix.push_frame(socket_id, frame)

    def _mixed_audio(self, socket_id: str, samples: Samples) -> None:
        if self.recorder.state is RecordingState.RECORDING:
            self.mix.push(socket_id, samples)

    def _microphone(self, frame: av.AudioFrame) -> None:
        if self.recorder.state is RecordingState.RECORDING:
            self.mix.push_frame(MICROPHONE_KEY, frame)

    def _tap_microphone(self) -> None:
        broadcast = self.session.audio
        if broadcast is self._tapped:
            return
        if self._tapped is not None:
            with contextlib.suppress(ValueError):
                self._tapped.sent_taps.remove(self._microphone)
        if broadcast is not None:
            broadcast.sent_taps.append(self._microphone)
        self._tapped = broadcast

    async def _keep_microphone_tapped(self) -> None:
        while self.recorder.state in (RecordingState.RECORDING, RecordingState.PAUSED):
            self._tap_microphone()
            await asyncio.sleep(RETAP_INTERVAL_S)
        self._untap()

    def _untap(self) -> None:
        with contextlib.suppress(ValueError):
            self.session.remote_audio_taps.remove(self._remote_audio)
        if self._mixer is not None:
            with contextlib.suppress(ValueError):
                self._mixer.sample_taps.remove(self._mixed_audio)
        if self._tapped is not None:
            with contextlib.suppress(ValueError):
                self._tapped.sent_taps.remove(self._microphone)
            self._tapped = None
        if self._retap is not None and self._retap is not asyncio.current_task():
            self._retap.cancel()

    def _stopped_by_itself(self, result: RecordingResult) -> None:
        """The recorder's thread, after a write error: the rest happens on the loop."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nobody is left to tell
            loop.call_soon_threadsafe(self._tell_stopped, result)

    def _tell_stopped(self, result: RecordingResult) -> None:
        self._untap()
        if self._on_stopped is not None:
            self._on_stopped(result)

    # ---- the picture (the recorder's thread) -------------------------------------------------------------------

    def picture(self) -> Picture:
        """What the call shows now. Read from the recorder's thread: ``list()`` of the session's dict is one step
        under the GIL, and a frame, once handed over, is never changed."""
        session = self.session
        tiles: list[TileFrame] = []
        own = session.camera
        tiles.append(TileFrame(SELF_KEY, own.latest_frame if own is not None else None))
        screen: TileFrame | None = None
        if session.screen is not None and session.screen.latest_frame is not None:
            screen = TileFrame("self-screen", session.screen.latest_frame)
        for remote in list(session.participants.values()):
            frame = remote.playout.current() if (remote.media.camera or remote.media.screen) else None
            if remote.media.screen and screen is None and frame is not None:
                # Their shared screen is featured; their camera travels on the same track, so no tile of theirs.
                screen = TileFrame(remote.socket_id, frame)
                continue
            tiles.append(TileFrame(remote.socket_id, frame))
        return tiles, screen
