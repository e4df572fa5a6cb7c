"""The UI's handle on a call that runs on the engine's own thread: the only place where the two threads meet.

The call (``DesktopCall``) lives on the ``EngineLoop``; this object lives on the Qt thread. Nothing here touches an
engine object from the Qt thread:

* commands go to the engine loop (``EngineLoop.run``) and are awaited on the UI's loop;
* events come back as immutable snapshots (``call/snapshots.py``) made on the engine loop at the moment of the
  event, through one queued signal: the mirror below (media state, participants, devices, errors) is updated first,
  then the public signals are emitted on the Qt thread, in the order the engine told them;
* audio levels are published by a task on the engine loop ten times a second, as one immutable ``Levels``;
* frames are pulled by the tiles through the snapshots' frame sources (a published reference: see snapshots.py).

Video frames are deliberately not signals: tiles pull the newest frame on their own clock (``ui/video_grid.py``),
so a burst of frames never queues paints.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

import av
from PySide6.QtCore import QObject, Qt, Signal, SignalInstance

from nimeet_desktop.call.call_stats import CallCounters
from nimeet_desktop.call.desktop_call import DesktopCall
from nimeet_desktop.call.engine_loop import EngineLoop
from nimeet_desktop.call.errors import CallError
from nimeet_desktop.call.meeting import EndReason, MeetingSnapshot
from nimeet_desktop.call.quality import QualityMeter
from nimeet_desktop.call.remote import RemoteParticipant
from nimeet_desktop.call.session import CallObserver
from nimeet_desktop.call.snapshots import Levels, LocalView, ParticipantView
from nimeet_desktop.media.audio_output import SILENCE_DBFS
from nimeet_desktop.media.audio_processing import AudioProcessingConfig
from nimeet_desktop.media.background import Mode as BackgroundMode
from nimeet_desktop.media.device_watch import DEVICE_KINDS, DeviceKind
from nimeet_desktop.media.provider import VideoHeight
from nimeet_desktop.media.recording.recorder import RecordingError, RecordingResult, RecordingState
from nimeet_desktop.net.signaling import ConnectionState
from signaling_server.protocol import ChatMessage, JoinAck, MediaState, ModeratedMedia, Participant, Role, WaitingAck

logger = logging.getLogger(__name__)

T = TypeVar("T")

LEVELS_INTERVAL_S = 0.1
COUNTERS_EVERY = 2  # levels publications per counters publication: the statistics' figures five times a second
COUNTERS_WANTED_S = 2.0  # counters are read for this long after the statistics last asked (they ask every second)
Devices = dict[DeviceKind, str | None]


@dataclass(frozen=True, slots=True)
class _Event:
    """One engine event on its way to the Qt thread: what we sent at that moment, and what to tell the UI there."""

    local: LocalView
    deliver: Callable[[], None]  # run on the Qt thread once the mirror has taken ``local``


class EngineCall(QObject):
    """A call on the engine thread, as the UI sees it. Build with ``await EngineCall.open(engine, ...)``."""

    participant_joined = Signal(object)  # ParticipantView
    participant_left = Signal(object)  # ParticipantView
    participant_updated = Signal(object)  # ParticipantView: media state or connection state changed
    stats_updated = Signal(object)  # ParticipantView: new counters (its quality), about twice a second
    local_media_changed = Signal(object)  # MediaState: what we send
    connection_changed = Signal(ConnectionState, str)  # detail ("" for none)
    error = Signal(CallError)
    fell_back = Signal(str, object)  # a device kind, the lost device's id (or None): replaced by the default
    # ---- the meeting (contract v1.1) ----
    meeting_changed = Signal(object)  # MeetingSnapshot: roles, hands, the lobby, the lock, whether we wait
    chat_message = Signal(object)  # ChatMessage not seen before in this call (history first; ours once sent)
    reaction = Signal(str, str)  # socket id (ours too), emoji
    muted_by_host = Signal(str, str)  # "microphone" or "camera", the host's name ("" when not known)
    call_ended = Signal(str, str)  # EndReason ("removed", "denied", "ended-by-host", "room-deleted"), by whom or ""
    recording_stopped = Signal(object)  # RecordingResult: our recording stopped by itself (its error says why)

    _event = Signal(object)  # _Event, emitted on the engine thread, delivered (queued) on ours

    def __init__(self, engine: EngineLoop, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.engine = engine
        self._call: DesktopCall | None = None  # touched only by coroutines and callbacks run on the engine loop
        self._local = LocalView()
        self._participants: dict[str, ParticipantView] = {}
        self._devices: Devices = {}  # the call's, read when it is built and after each switch
        self._volumes: dict[str, float] = {}
        self._levels = Levels()
        self._counters = CallCounters(at=time.monotonic(), wall=time.time(), sent=None, remotes=())
        # Written by the UI, read by the engine's publisher: when the statistics last asked, and whether with RTCP.
        self._counters_asked_at = float("-inf")
        self._rtcp_asked = False
        self._levels_task: asyncio.Task[None] | None = None  # on the engine loop
        self._closed = False
        self._sequence = 0  # of LocalView snapshots; counted on the engine loop only
        self.errors: list[CallError] = []
        self._event.connect(self._apply, Qt.ConnectionType.QueuedConnection)

    @classmethod
    async def open(cls, engine: EngineLoop, *, parent: QObject | None = None, **call_options: Any) -> EngineCall:
        """Build the ``DesktopCall`` (with ``call_options``: DesktopCall's arguments but the observer) on the
        engine loop: its locks, tasks and the mixer's clock belong to that loop."""
        handle = cls(engine, parent)
        relay = _Relay(handle)

        async def build() -> tuple[DesktopCall, Devices]:
            call = DesktopCall(observer=relay, **call_options)
            relay.call = call
            call.fallback_listener = relay.on_fell_back
            call.recording.on_stopped = relay.on_recording_stopped
            return call, _devices(call)

        handle._call, handle._devices = await engine.run(build())
        return handle

    # ---- the mirror (Qt thread) ---------------------------------------------------------------------------

    def _post(self, event: _Event) -> None:
        """Engine thread: queue ``event`` for the Qt thread."""
        self._event.emit(event)

    def _apply(self, event: _Event) -> None:
        if self._closed:
            return  # told after we left: the screen it was for is gone
        self._take(event.local)
        event.deliver()

    def _seen(self, participant: ParticipantView, signal: SignalInstance) -> None:
        self._participants[participant.socket_id] = participant
        signal.emit(participant)

    def _gone(self, participant: ParticipantView) -> None:
        self._participants.pop(participant.socket_id, None)
        self._volumes.pop(participant.socket_id, None)
        self.participant_left.emit(participant)

    def _failed(self, error: CallError) -> None:
        self.errors.append(error)
        self.error.emit(error)

    def _replaced_device(self, kind: DeviceKind, lost: str | None, devices: Devices) -> None:
        self._devices = devices
        self.fell_back.emit(kind, lost)

    @property
    def media_state(self) -> MediaState:
        return self._local.media

    @property
    def microphone_on(self) -> bool:
        return self._local.media.microphone

    @property
    def has_microphone(self) -> bool:
        """A microphone is being sent, muted or not (False before one opened, and once it is lost)."""
        return self._local.has_microphone

    @property
    def microphone_lost(self) -> bool:
        """No microphone is being sent: the mic button reopens one."""
        return not self._local.has_microphone

    @property
    def room_id(self) -> str | None:
        return self._local.room_id

    @property
    def self_participant(self) -> Participant | None:
        return self._local.self_participant

    @property
    def participants(self) -> MappingProxyType[str, ParticipantView]:
        return MappingProxyType(self._participants)

    def device(self, kind: DeviceKind) -> str | None:
        """The device of ``kind`` the call uses (None: the system default), as of the last switch."""
        return self._devices[kind]

    def volume(self, socket_id: str) -> float:
        return self._volumes.get(socket_id, 1.0)

    def levels(self) -> Mapping[str, float]:
        """dBFS per remote socket id, as the mixer heard them at the last publication (read-only)."""
        return self._levels.remote

    def own_level(self) -> float:
        """What we send: the microphone's level, silence while muted or without one."""
        return self._levels.microphone if self.has_microphone and self.microphone_on else SILENCE_DBFS

    def muted_speech_level(self) -> float:
        """What the microphone hears while muted (for the "you are muted" hint); silence when unmuted."""
        return self._levels.speech if self.has_microphone and not self.microphone_on else SILENCE_DBFS

    def counters(self, rtcp: bool = False) -> CallCounters:
        """The engine's figures for the statistics, as last published (at most 0.2 s old; they carry their own
        time, so rates come out right). ``rtcp``: the statistics view is open, gather loss and round trips too."""
        self._counters_asked_at = time.monotonic()
        if rtcp:
            self._rtcp_asked = True  # the engine's session keeps gathering them for a few seconds from then
        return self._counters

    def local_frame(self) -> av.VideoFrame | None:
        """What we send, newest frame (a published reference: see call/snapshots.py); any thread."""
        call = self._call
        return None if call is None else call.local_frame()

    # ---- commands (run on the engine loop) ----------------------------------------------------------------

    async def on_engine(self, action: Callable[[DesktopCall], Awaitable[T]]) -> T:
        """Await ``action(call)`` run on the engine loop (the commands below; tests)."""
        call = self._call
        if call is None:
            raise RuntimeError("the call is not open")

        async def step() -> T:
            return await action(call)

        return await self.engine.run(step())

    async def read_engine(self, read: Callable[[DesktopCall], T]) -> T:
        """``read(call)`` on the engine loop, for a figure the events do not carry (tests, diagnostics)."""

        async def value(call: DesktopCall) -> T:
            return read(call)

        return await self.on_engine(value)

    def _send(self, action: Callable[[DesktopCall], object]) -> None:
        """Fire and forget on the engine loop (cheap setters: a volume, the processing toggles)."""
        call = self._call
        if call is not None:
            self.engine.call_soon(action, call)

    async def join(self, *, camera: bool, microphone: bool, password: str | None = None) -> JoinAck | WaitingAck:
        """Join the room (``password``: the room's, when it has one); a ``WaitingAck``: we wait in its lobby."""

        async def join(call: DesktopCall) -> tuple[JoinAck | WaitingAck, LocalView]:
            ack = await call.join(camera=camera, microphone=microphone, password=password)
            self._start_levels(call)
            return ack, self._local_view(call)

        ack, local = await self.on_engine(join)
        self._take(local)
        return ack

    def _take(self, local: LocalView) -> None:
        """A command's result and the queued events may arrive in either order: keep the newest picture."""
        if local.sequence > self._local.sequence:
            self._local = local

    async def set_microphone(self, enabled: bool) -> None:
        await self.on_engine(lambda call: call.set_microphone(enabled))

    async def set_camera(self, enabled: bool) -> None:
        await self.on_engine(lambda call: call.set_camera(enabled))

    async def start_screen_share(self, monitor: str) -> None:
        await self.on_engine(lambda call: call.start_screen_share(monitor))

    async def stop_screen_share(self) -> None:
        await self.on_engine(lambda call: call.stop_screen_share())

    async def switch(self, kind: DeviceKind, device: str | None) -> bool:
        return await self._switching(lambda call: call.switch(kind, device))

    async def device_gone(self, kind: DeviceKind, device: str) -> bool:
        return await self._switching(lambda call: call.device_gone(kind, device))

    async def set_video_quality(self, height: VideoHeight) -> bool:
        return await self._switching(lambda call: call.set_video_quality(height))

    async def _switching(self, action: Callable[[DesktopCall], Awaitable[bool]]) -> bool:
        async def switch(call: DesktopCall) -> tuple[bool, Devices]:
            return await action(call), _devices(call)

        ok, devices = await self.on_engine(switch)
        self._devices = devices
        return ok

    # ---- the meeting (contract v1.1): each awaits the server's answer (SignalingError when it refused) ----

    async def send_chat(self, text: str, to: str | None = None) -> ChatMessage:
        return await self.on_engine(lambda call: call.session.send_chat(text, to))

    async def raise_hand(self, raised: bool) -> None:
        await self.on_engine(lambda call: call.session.raise_hand(raised))

    async def react(self, emoji: str) -> None:
        await self.on_engine(lambda call: call.session.react(emoji))

    async def admit(self, socket_id: str) -> None:
        await self.on_engine(lambda call: call.session.admit(socket_id))

    async def deny(self, socket_id: str) -> None:
        await self.on_engine(lambda call: call.session.deny(socket_id))

    async def set_role(self, socket_id: str, role: Role) -> None:
        await self.on_engine(lambda call: call.session.set_role(socket_id, role))

    async def mute_participant(self, socket_id: str, media: ModeratedMedia) -> None:
        await self.on_engine(lambda call: call.session.mute_participant(socket_id, media))

    async def mute_all(self) -> None:
        await self.on_engine(lambda call: call.session.mute_all())

    async def remove_participant(self, socket_id: str) -> None:
        await self.on_engine(lambda call: call.session.remove_participant(socket_id))

    async def lock_room(self, locked: bool) -> None:
        await self.on_engine(lambda call: call.session.lock_room(locked))

    async def lower_hand(self, socket_id: str) -> None:
        await self.on_engine(lambda call: call.session.lower_hand(socket_id))

    async def end_meeting(self) -> None:
        await self.on_engine(lambda call: call.session.end_meeting())

    async def show_only(self, socket_ids: list[str] | None) -> None:
        """Whose video the grid shows (``None``: everyone's); in an SFU room only theirs is received."""
        await self.on_engine(lambda call: call.session.show_only(socket_ids))

    # ---- recording (call/room_recording.py: the room is told) ----
    async def start_recording(self, path: Path) -> RecordingError | None:
        """Raises ``SignalingError`` when the room cannot be told (then nothing records)."""
        return await self.on_engine(lambda call: call.recording.start(path))

    async def pause_recording(self) -> None:
        await self.on_engine(lambda call: call.recording.pause())

    async def resume_recording(self) -> None:
        await self.on_engine(lambda call: call.recording.resume())

    async def stop_recording(self) -> RecordingResult | None:
        return await self.on_engine(lambda call: call.recording.stop())

    async def recording_state(self) -> tuple[RecordingState, float]:
        """Whether we record, and the time recorded so far (pauses left out)."""
        return await self.read_engine(lambda call: (call.recording.state, call.recording.elapsed_s()))

    def set_audio_processing(self, config: AudioProcessingConfig) -> None:
        self._send(lambda call: call.set_audio_processing(config))

    async def set_background(self, mode: BackgroundMode, image: str | None) -> bool:
        """Blur or replace behind the person from the next camera frame on (``DesktopCall.set_background``);
        False if the picture cannot be read (then it blurs)."""
        return await self.on_engine(lambda call: call.set_background(mode, image))

    def set_volume(self, socket_id: str, gain: float) -> None:
        self._volumes[socket_id] = gain
        self._send(lambda call: call.set_volume(socket_id, gain))

    async def leave(self) -> None:
        """Idempotent. Events still on their way afterwards are dropped."""
        if self._call is None:
            return

        async def leave(call: DesktopCall) -> None:
            task, self._levels_task = self._levels_task, None
            if task is not None:
                task.cancel()
            await call.leave()

        try:
            await self.on_engine(leave)
        finally:
            self._closed = True

    # ---- engine loop ---------------------------------------------------------------------------------------

    def _local_view(self, call: DesktopCall | None) -> LocalView:
        """What we send and where we are, now; numbered in the order made."""
        self._sequence += 1
        if call is None:
            return LocalView(sequence=self._sequence)
        session = call.session
        return LocalView(
            media=session.media_state,
            has_microphone=session.audio is not None,
            room_id=session.room_id,
            self_participant=session.self_participant,
            sequence=self._sequence,
        )

    def _start_levels(self, call: DesktopCall) -> None:
        if self._levels_task is None:
            self._levels_task = asyncio.get_running_loop().create_task(self._publish_levels(call), name="levels")

    async def _publish_levels(self, call: DesktopCall) -> None:
        """Levels ten times a second and, while the statistics are wanted, their counters five times: each one
        immutable picture that the UI reads when it wants, without a round trip to this loop."""
        tick = 0
        while True:
            if tick % COUNTERS_EVERY == 0 and time.monotonic() - self._counters_asked_at < COUNTERS_WANTED_S:
                rtcp, self._rtcp_asked = self._rtcp_asked, False
                self._counters = call.counters(rtcp=rtcp)
            tick += 1
            self._levels = Levels(
                remote=MappingProxyType(call.levels()), microphone=call.microphone_level(), speech=call.speech_level()
            )
            await asyncio.sleep(LEVELS_INTERVAL_S)


def _devices(call: DesktopCall) -> Devices:
    return {kind: call.device(kind) for kind in DEVICE_KINDS}


class _Relay(CallObserver):
    """The engine's observer: runs on the engine loop, turns every event into snapshots and posts it."""

    def __init__(self, handle: EngineCall) -> None:
        self._handle = handle
        self.call: DesktopCall | None = None
        self._quality = QualityMeter()  # rated here, where the counters are

    def _post(self, deliver: Callable[[], None]) -> None:
        self._handle._post(_Event(self._handle._local_view(self.call), deliver))

    def _view(self, participant: RemoteParticipant) -> ParticipantView:
        return ParticipantView.of(participant, self._quality.update(participant, time.monotonic()))

    def on_participant_joined(self, participant: RemoteParticipant) -> None:
        view, handle = self._view(participant), self._handle
        self._post(lambda: handle._seen(view, handle.participant_joined))

    def on_participant_left(self, participant: RemoteParticipant) -> None:
        self._quality.forget(participant.socket_id)
        if self.call is not None:
            self.call.forget(participant.socket_id)  # their audio leaves the mix here, where the mixer lives
        view, handle = ParticipantView.of(participant), self._handle
        self._post(lambda: handle._gone(view))

    def on_participant_updated(self, participant: RemoteParticipant) -> None:
        view, handle = self._view(participant), self._handle
        self._post(lambda: handle._seen(view, handle.participant_updated))

    def on_stats(self, participant: RemoteParticipant) -> None:
        view, handle = self._view(participant), self._handle
        self._post(lambda: handle._seen(view, handle.stats_updated))

    def on_local_media(self, media: MediaState) -> None:
        self._post(lambda: self._handle.local_media_changed.emit(media))

    def on_connection(self, state: ConnectionState, detail: str | None) -> None:
        self._post(lambda: self._handle.connection_changed.emit(state, detail or ""))

    def on_error(self, error: CallError) -> None:
        self._post(lambda: self._handle._failed(error))

    def on_meeting_changed(self, meeting: MeetingSnapshot) -> None:
        self._post(lambda: self._handle.meeting_changed.emit(meeting))

    def on_chat_message(self, message: ChatMessage) -> None:
        self._post(lambda: self._handle.chat_message.emit(message))

    def on_reaction(self, socket_id: str, emoji: str) -> None:
        self._post(lambda: self._handle.reaction.emit(socket_id, emoji))

    def on_muted_by_host(self, media: ModeratedMedia, by_username: str | None) -> None:
        self._post(lambda: self._handle.muted_by_host.emit(media, by_username or ""))

    def on_call_ended(self, reason: EndReason, by_username: str | None) -> None:
        self._post(lambda: self._handle.call_ended.emit(reason, by_username or ""))

    def on_recording_stopped(self, result: RecordingResult) -> None:
        self._post(lambda: self._handle.recording_stopped.emit(result))

    def on_fell_back(self, kind: DeviceKind, lost: str | None) -> None:
        devices = _devices(self.call) if self.call is not None else {}
        self._post(lambda: self._handle._replaced_device(kind, lost, devices))
