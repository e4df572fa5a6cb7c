"""The call engine's events as Qt signals: the only place where ``CallObserver`` meets ``QObject``.

The engine calls its observer on the asyncio loop, which under qasync is the Qt main thread, so emitting here is a
direct, same-thread signal: no queuing, no copies. Video frames are deliberately not signals: tiles pull the newest
frame on their own clock (see ``video_grid.py``), so a burst of frames never queues paints.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from nimeet_desktop.call.errors import CallError
from nimeet_desktop.call.remote import RemoteParticipant
from nimeet_desktop.call.session import CallObserver
from nimeet_desktop.net.signaling import ConnectionState
from signaling_server.protocol import MediaState


class CallBridge(QObject):
    participant_joined = Signal(object)  # RemoteParticipant
    participant_left = Signal(object)  # RemoteParticipant
    participant_updated = Signal(object)  # RemoteParticipant: media state or connection state changed
    stats_updated = Signal(object)  # RemoteParticipant: new counters, about twice a second
    local_media_changed = Signal(object)  # MediaState: what we send
    connection_changed = Signal(ConnectionState, str)  # detail ("" for none)
    error = Signal(CallError)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.observer = _Relay(self)


class _Relay(CallObserver):
    def __init__(self, bridge: CallBridge) -> None:
        self._bridge = bridge

    def on_participant_joined(self, participant: RemoteParticipant) -> None:
        self._bridge.participant_joined.emit(participant)

    def on_participant_left(self, participant: RemoteParticipant) -> None:
        self._bridge.participant_left.emit(participant)

    def on_participant_updated(self, participant: RemoteParticipant) -> None:
        self._bridge.participant_updated.emit(participant)

    def on_stats(self, participant: RemoteParticipant) -> None:
        self._bridge.stats_updated.emit(participant)

    def on_local_media(self, media: MediaState) -> None:
        self._bridge.local_media_changed.emit(media)

    def on_connection(self, state: ConnectionState, detail: str | None) -> None:
        self._bridge.connection_changed.emit(state, detail or "")

    def on_error(self, error: CallError) -> None:
        self._bridge.error.emit(error)
