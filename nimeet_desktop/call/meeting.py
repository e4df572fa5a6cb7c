"""The meeting as this client sees it (contract v1.1): who has which role, raised hands, who records, the lobby, the
chat, and whether we wait to be let in.

Plain state, no I/O: ``CallSession`` feeds it the join ack (or ``admitted``) and the server's events, and tells its
``CallObserver`` what changed. The participants here are the session's (``CallSession.participants``, the people we
have a connection to), kept as the server describes them (``protocol.Participant``); media, connections and figures
stay with ``RemoteParticipant``.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from signaling_server.protocol import (
    ChatMessage,
    HandRaised,
    LobbyEntry,
    MediaState,
    MediaType,
    Participant,
    RecordingChanged,
    Role,
    RoleChanged,
    Room,
)

# Why a call ended on the server's word: we were removed, denied at the lobby, or the meeting ended for everyone.
EndReason = Literal["removed", "denied", "ended-by-host", "room-deleted"]

# Chat messages kept: far beyond a meeting's (the server sends at most 200 of history and lets each socket send 10
# in 10 s), so a hostile or broken server cannot grow it without bound.
CHAT_KEPT_MAX = 5000
# People waiting in the lobby we keep track of (a room holds at most 16 people; a lobby is not much longer).
LOBBY_MAX = 256


@dataclass(frozen=True, slots=True)
class MeetingSnapshot:
    """The meeting at one moment, for the UI: immutable, cheap to hand to another thread."""

    me: Participant | None  # as the server knows us (role, hand, recording); None before the first join answer
    participants: tuple[Participant, ...]  # everyone else in the room, in the order they came
    lobby: tuple[LobbyEntry, ...] = ()  # who waits to be let in (known to hosts only), in the order they knocked
    waiting: bool = False  # we wait in the lobby ourselves
    room: Room | None = None  # the room as the last ``room-updated`` described it (None until one came)
    ended: EndReason | None = None

    @property
    def is_host(self) -> bool:
        return self.me is not None and self.me.role == "host"

    @property
    def locked(self) -> bool:
        return self.room is not None and self.room.locked

    def raised_hands(self) -> list[Participant]:
        """Everyone with a raised hand, us included, who raised it first first."""
        people = [p for p in (self.me, *self.participants) if p is not None and p.hand_raised_at is not None]
        return sorted(people, key=lambda p: p.hand_raised_at or datetime.min.replace(tzinfo=UTC))

    def recording(self) -> list[Participant]:
        """Everyone who says they record, us included."""
        return [p for p in (self.me, *self.participants) if p is not None and p.recording]


@dataclass
class Meeting:
    me: Participant | None = None
    participants: dict[str, Participant] = field(default_factory=dict)
    lobby: dict[str, LobbyEntry] = field(default_factory=dict)
    waiting: bool = False
    room: Room | None = None
    ended: EndReason | None = None
    # Every message seen in this call, by id, oldest first: a rejoin's history repeats what we already have.
    _chat: OrderedDict[str, ChatMessage] = field(default_factory=OrderedDict)

    def snapshot(self, own_media: MediaState | None = None) -> MeetingSnapshot:
        """``own_media``: what we send now (``CallSession.media_state``, which the session keeps, not this)."""
        me = self.me
        if me is not None and own_media is not None and own_media != me.media_state:
            me = me.model_copy(update={"media_state": own_media})
        return MeetingSnapshot(
            me=me,
            participants=tuple(self.participants.values()),
            lobby=tuple(self.lobby.values()),
            waiting=self.waiting,
            room=self.room,
            ended=self.ended,
        )

    @property
    def chat(self) -> list[ChatMessage]:
        return list(self._chat.values())

    @property
    def is_host(self) -> bool:
        return self.me is not None and self.me.role == "host"

    # ---- joining -------------------------------------------------------------------------------------------

    def wait_in_lobby(self, me: Participant) -> None:
        """Our join answered ``waiting``: we are not in the room, and know nobody in it."""
        self.me, self.waiting = me, True
        self.participants.clear()
        self.lobby.clear()

    def enter(self, me: Participant, lobby: list[LobbyEntry] | None) -> None:
        """A join ack or ``admitted``: we are in the room (the session adds the people in it one by one)."""
        self.me, self.waiting = me, False
        self.participants.clear()
        self.lobby.clear()
        self._lobby_add(lobby or ())

    def left_room(self) -> None:
        """Our connection is gone (a rejoin follows): nobody is in the room with us until the next answer."""
        self.participants.clear()
        self.lobby.clear()

    def end(self, reason: EndReason) -> None:
        self.ended = reason
        self.waiting = False
        self.participants.clear()
        self.lobby.clear()

    # ---- the people in the room -------------------------------------------------------------------------

    def add(self, participant: Participant) -> None:
        self.participants[participant.socket_id] = participant

    def remove(self, socket_id: str) -> bool:
        return self.participants.pop(socket_id, None) is not None

    def set_media(self, socket_id: str, media_type: MediaType, enabled: bool) -> None:
        person = self.participants.get(socket_id)
        if person is not None:
            media = person.media_state.model_copy(update={media_type: enabled})
            self.participants[socket_id] = person.model_copy(update={"media_state": media})

    def role_changed(self, event: RoleChanged) -> bool:
        changed = self._update(event.socket_id, role=event.role)
        if changed and event.socket_id == self._own_id() and event.role != "host":
            self.lobby.clear()  # the lobby is the hosts' business; demoted, we hear nothing more of it
        return changed

    def hand_raised(self, event: HandRaised) -> bool:
        at = (event.at or datetime.now(UTC)) if event.raised else None
        return self._update(event.socket_id, hand_raised_at=at)

    def recording_changed(self, event: RecordingChanged) -> bool:
        return self._update(event.socket_id, recording=event.active)

    def own_hand(self, raised: bool) -> bool:
        """We raised or lowered our hand (the server tells everyone else, not us): the time is our clock's."""
        own = self._own_id()
        return own is not None and self._update(own, hand_raised_at=datetime.now(UTC) if raised else None)

    def own_recording(self, active: bool) -> bool:
        own = self._own_id()
        return own is not None and self._update(own, recording=active)

    def own_role(self) -> Role | None:
        return None if self.me is None else self.me.role

    def _own_id(self) -> str | None:
        return None if self.me is None else self.me.socket_id

    def _update(self, socket_id: str, **fields: object) -> bool:
        """Set ``fields`` on us or on the participant ``socket_id``; False when nothing changed (or nobody known)."""
        if self.me is not None and socket_id == self.me.socket_id:
            if all(getattr(self.me, name) == value for name, value in fields.items()):
                return False
            self.me = self.me.model_copy(update=fields)
            return True
        person = self.participants.get(socket_id)
        if person is None or all(getattr(person, name) == value for name, value in fields.items()):
            return False
        self.participants[socket_id] = person.model_copy(update=fields)
        return True

    # ---- the lobby and the room ---------------------------------------------------------------------------

    def lobby_knock(self, entry: LobbyEntry) -> bool:
        if not self.is_host or entry.socket_id in self.lobby:
            return False
        return self._lobby_add((entry,))

    def lobby_left(self, socket_id: str) -> bool:
        return self.lobby.pop(socket_id, None) is not None

    def _lobby_add(self, entries: Iterable[LobbyEntry]) -> bool:
        added = False
        for entry in entries:
            if len(self.lobby) >= LOBBY_MAX:
                break
            self.lobby[entry.socket_id] = entry
            added = True
        return added

    def room_updated(self, room: Room) -> bool:
        changed = room != self.room
        self.room = room
        return changed

    # ---- chat ----------------------------------------------------------------------------------------------

    def add_chat(self, messages: Iterable[ChatMessage]) -> list[ChatMessage]:
        """Keep ``messages`` (a history or one new message); returns those not seen before, in order."""
        new = []
        for message in messages:
            if message.id in self._chat:
                continue
            self._chat[message.id] = message
            new.append(message)
            if len(self._chat) > CHAT_KEPT_MAX:
                self._chat.popitem(last=False)
        return new
