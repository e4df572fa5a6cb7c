"""Immutable pictures of the call's state, made on the engine's loop and handed to other threads (the UI's).

The engine's own objects (``RemoteParticipant``, ``CallSession``) change on the engine loop; nobody else may read
them. What the UI needs leaves the engine as one of these, made at the moment of the event, so a participant's name
or media state cannot change under a slot that is reading it.

The one live thing a snapshot carries is a frame source: a callable returning the frame to show now. For a remote
camera it is the participant's ``Playout`` (``playout.py``: decoded frames paced as they were captured, behind a
lock of its own); for our own, a single reference the engine replaces atomically (``VideoFeed.latest_frame``).
Frames are never written after they are published, so a source may be called from any thread.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import av

from nimeet_desktop.call.quality import Quality
from nimeet_desktop.call.remote import PeerState, RemoteParticipant
from nimeet_desktop.media.audio_output import SILENCE_DBFS
from signaling_server.protocol import MediaState, Participant

FrameSource = Callable[[], av.VideoFrame | None]


def _no_frame() -> av.VideoFrame | None:
    return None


@dataclass(frozen=True, slots=True)
class ParticipantView:
    """A remote participant as of one event."""

    socket_id: str
    user_id: str
    username: str
    media: MediaState  # replaced, never mutated, by the engine (RemoteParticipant.set_media)
    connection_state: PeerState
    quality: Quality | None = None
    frame_source: FrameSource = field(default=_no_frame, compare=False, repr=False)

    @classmethod
    def of(cls, remote: RemoteParticipant, quality: Quality | None = None) -> ParticipantView:
        """On the engine loop only."""
        return cls(
            socket_id=remote.socket_id,
            user_id=remote.user_id,
            username=remote.username,
            media=remote.media,
            connection_state=remote.connection_state,
            quality=quality,
            frame_source=remote.playout.current,
        )


@dataclass(frozen=True, slots=True)
class LocalView:
    """What we send and where we are, as of one event."""

    media: MediaState = field(default_factory=lambda: MediaState(camera=False, microphone=False, screen=False))
    has_microphone: bool = False  # a microphone is being sent (muted or not); False once lost
    room_id: str | None = None  # the room joined, None before the join ack and after leaving
    self_participant: Participant | None = None
    # Made in this order on the engine loop: a reader that gets them by two ways (queued events, a command's
    # result) keeps the newest, never a late older one.
    sequence: int = 0


@dataclass(frozen=True, slots=True)
class Levels:
    """Audio levels in dBFS, published by the engine about ten times a second. Whether we are muted is not in
    here: the reader applies the mute state it holds, so a level and a mute button never disagree for 100 ms."""

    remote: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    microphone: float = SILENCE_DBFS  # what we send: the processed microphone, silence while muted
    speech: float = SILENCE_DBFS  # the processed microphone, also while muted: the "you are muted" hint
