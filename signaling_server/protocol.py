"""The NIMeet wire contract, version 1: the single source of truth for every message on the wire.

``docs/protocol.md`` is the contract, stated with examples. The desktop client
imports this module, so it must import nothing but pydantic and the standard library.

Field names are snake_case in Python and camelCase on the wire (``alias_generator``); always serialise with
``by_alias=True`` (``wire()`` does). Input models ignore unknown fields, so newer clients that add optional
fields keep working against this server (changes are additive).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic.alias_generators import to_camel

PROTOCOL_VERSION = 1

# ---- limits (sizes are bytes of UTF-8) -------------------------------------------------------------------
MAX_SDP_BYTES = 64 * 1024
MAX_CANDIDATE_BYTES = 1024
# ``sdpMid`` and ``usernameFragment`` of a candidate: a few characters in practice (a mid, a 4–256 char ufrag).
MAX_CANDIDATE_FIELD_BYTES = 256
MAX_EVENT_BYTES = 128 * 1024
USERNAME_MIN, USERNAME_MAX = 3, 32
USERNAME_RE = re.compile(r"[A-Za-z0-9_.-]+")
PASSWORD_MIN, PASSWORD_MAX = 8, 128
EMAIL_MAX = 254
ROOM_NAME_MAX = 100
ROOM_DESCRIPTION_MAX = 500
PARTICIPANTS_MIN, PARTICIPANTS_MAX, PARTICIPANTS_DEFAULT = 2, 16, 8
# v1.1 "Large rooms": a server with an SFU accepts up to SFU_PARTICIPANTS_MAX places, and a room of more than
# MESH_PARTICIPANTS_MAX places is an SFU room (``mode: "sfu"``); without one, PARTICIPANTS_MAX holds.
SFU_PARTICIPANTS_MAX = 100
MESH_PARTICIPANTS_MAX = 8
# What a subscriber answers for 99 others (198 m-lines) passes 64 KiB: SFU descriptions may fill most of an event.
MAX_SFU_SDP_BYTES = 120 * 1024
# Room ids are URL-safe base64 (secrets.token_urlsafe); anything else cannot name a room.
ROOM_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")
SOCKET_ID_MAX = 64
JOIN_URL_PREFIX = "nimeet://join/"
# v1.1 meetings
ROOM_PASSWORD_MIN, ROOM_PASSWORD_MAX = 4, 64
CHAT_TEXT_MAX = 4000  # characters, after trimming
CHAT_HISTORY_MAX = 200  # room-wide messages a join ack carries, oldest first
CHAT_RATE = (10, 10.0)  # messages per seconds, per socket
REACTION_RATE = (5, 5.0)
PASSWORD_TRIES = (5, 60.0)  # wrong passwords per seconds, per user and room
MAX_FILE_BYTES_DEFAULT = 100 * 1024 * 1024
# 👍 👏 😂 😮 ❤️ 🎉 🤔 👋, exactly these strings (the heart with its emoji presentation selector).
REACTIONS: tuple[str, ...] = ("\U0001f44d", "\U0001f44f", "\U0001f602", "\U0001f62e", "\u2764\ufe0f", "\U0001f389")
REACTIONS += ("\U0001f914", "\U0001f44b")

MediaType = Literal["camera", "microphone", "screen"]
# What a host may turn off for someone (screen sharing is stopped by its owner only).
ModeratedMedia = Literal["camera", "microphone"]
Role = Literal["host", "participant"]


class ClientEvent(StrEnum):
    """Events a client emits; each takes an acknowledgement callback."""

    JOIN_ROOM = "join-room"
    LEAVE_ROOM = "leave-room"
    OFFER = "offer"
    ANSWER = "answer"
    ICE_CANDIDATE = "ice-candidate"
    TOGGLE_MEDIA = "toggle-media"
    # v1.1 meetings: moderation (hosts only)
    ADMIT = "admit"
    DENY = "deny"
    SET_ROLE = "set-role"
    MUTE_PARTICIPANT = "mute-participant"
    MUTE_ALL = "mute-all"
    REMOVE_PARTICIPANT = "remove-participant"
    LOCK_ROOM = "lock-room"
    LOWER_HAND = "lower-hand"
    END_MEETING = "end-meeting"
    # v1.1 meetings: everyone in the room
    CHAT_MESSAGE = "chat-message"
    RAISE_HAND = "raise-hand"
    REACTION = "reaction"
    RECORDING = "recording"
    # v1.1 "Large rooms": the SFU, in an ``"sfu"`` room only (docs/protocol.md, "SFU rooms")
    SFU_PUBLISH = "sfu-publish"
    SFU_ANSWER = "sfu-answer"
    SFU_CANDIDATE = "sfu-candidate"
    SFU_VIEW = "sfu-view"


class ServerEvent(StrEnum):
    USER_JOINED = "user-joined"
    USER_LEFT = "user-left"
    RECEIVE_OFFER = "receive-offer"
    RECEIVE_ANSWER = "receive-answer"
    RECEIVE_ICE_CANDIDATE = "receive-ice-candidate"
    MEDIA_TOGGLED = "media-toggled"
    # v1.1 meetings
    ROOM_UPDATED = "room-updated"
    MEETING_ENDED = "meeting-ended"
    ROLE_CHANGED = "role-changed"
    LOBBY_KNOCK = "lobby-knock"
    LOBBY_LEFT = "lobby-left"
    ADMITTED = "admitted"
    DENIED = "denied"
    MUTED_BY_HOST = "muted-by-host"
    REMOVED = "removed"
    CHAT_MESSAGE = "chat-message"
    HAND_RAISED = "hand-raised"
    REACTION = "reaction"
    RECORDING_CHANGED = "recording-changed"
    # v1.1 "Large rooms": the SFU's offer of what this participant receives
    SFU_OFFER = "sfu-offer"


class ErrorCode(StrEnum):
    # REST
    UNAUTHORIZED = "unauthorized"
    INVALID_INPUT = "invalid-input"
    USERNAME_TAKEN = "username-taken"
    EMAIL_TAKEN = "email-taken"
    INVALID_CREDENTIALS = "invalid-credentials"
    RATE_LIMITED = "rate-limited"
    ROOM_NOT_FOUND = "room-not-found"
    NOT_FOUND = "not-found"
    METHOD_NOT_ALLOWED = "method-not-allowed"
    INTERNAL = "internal-error"
    UNAVAILABLE = "unavailable"
    FORBIDDEN = "forbidden"  # v1.1; this server: a Host or Origin it does not answer to (api/host_guard.py)
    # socket.io acks
    ROOM_FULL = "room-full"
    ALREADY_IN_ROOM = "already-in-room"
    NOT_IN_ROOM = "not-in-room"
    UNKNOWN_TARGET = "unknown-target"
    TOO_LARGE = "too-large"
    UNKNOWN_EVENT = "unknown-event"
    # socket.io connect_error messages (v1.1): an account or address over its socket cap
    TOO_MANY_CONNECTIONS = "too-many-connections"
    # v1.1 meetings
    PASSWORD_REQUIRED = "password-required"  # noqa: S105 (an error code, not a password)
    WRONG_PASSWORD = "wrong-password"  # noqa: S105
    ROOM_LOCKED = "room-locked"
    REMOVED_FROM_ROOM = "removed-from-room"
    LAST_HOST = "last-host"
    SCHEDULE_CONFLICT = "schedule-conflict"


# ---- reusable field types ---------------------------------------------------------------------------------
def utf8_bytes(text: str) -> int:
    """Size of ``text`` on the wire; raises ValueError for lone surrogates (not encodable as UTF-8)."""
    try:
        return len(text.encode("utf-8"))
    except UnicodeEncodeError:
        raise ValueError("must be valid UTF-8 text") from None


def _encodable(text: str) -> str:
    utf8_bytes(text)
    return text


# C0, DEL and C1 controls: terminal escapes (ESC), NUL (PostgreSQL refuses it in text), line breaks in a one-line name.
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# Free text keeps its line breaks and tabs; every other control character is refused.
_TEXT_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Characters that make a name read as something it is not: bidi embeddings, overrides and isolates (U+202A-U+202E,
# U+2066-U+2069: "gpj.exe" shown as "exe.jpg") and zero-width ones (U+200B-U+200F, U+2060, U+FEFF: two names that
# look the same, or an empty-looking one).
_DECEPTIVE_RE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]")


def _plain_text(text: str) -> str:
    """Names shown to people: no control, invisible or text-direction characters."""
    _encodable(text)
    if _CONTROL_RE.search(text):
        raise ValueError("must not contain control characters")
    found = _DECEPTIVE_RE.search(text)
    if found:
        raise ValueError(f"must not contain invisible or text-direction characters (found U+{ord(found.group()):04X})")
    return text


def _free_text(text: str) -> str:
    """Longer text shown to people (a room description): line breaks and tabs, but no other control characters."""
    _encodable(text)
    if _TEXT_CONTROL_RE.search(text):
        raise ValueError("must not contain control characters other than line breaks and tabs")
    return text


def _username(text: str) -> str:
    if not USERNAME_RE.fullmatch(text):
        raise ValueError(f"must be {USERNAME_MIN}–{USERNAME_MAX} characters of letters, digits, '_', '.' or '-'")
    return text


def _room_id(text: str) -> str:
    if not ROOM_ID_RE.fullmatch(text):
        raise ValueError("is not a room id")
    return text


Text = Annotated[str, AfterValidator(_encodable)]
Username = Annotated[
    str,
    # The pattern is documented in the JSON schema; _username checks it with a message people understand.
    Field(min_length=USERNAME_MIN, max_length=USERNAME_MAX, json_schema_extra={"pattern": "^[A-Za-z0-9_.-]+$"}),
    AfterValidator(_username),
]
Password = Annotated[str, Field(min_length=PASSWORD_MIN, max_length=PASSWORD_MAX), AfterValidator(_encodable)]
EmailText = Annotated[str, Field(min_length=3, max_length=EMAIL_MAX), AfterValidator(_plain_text)]
RoomId = Annotated[str, AfterValidator(_room_id)]
SocketId = Annotated[str, Field(min_length=1, max_length=SOCKET_ID_MAX)]


class WireModel(BaseModel):
    """camelCase on the wire, snake_case in Python."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")

    def wire(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)


class InputModel(WireModel):
    """Bodies and payloads that come from the network: strict types (no "1" for 1, no 0 for false)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore", strict=True, frozen=True)


# ---- errors -----------------------------------------------------------------------------------------------
class ErrorDetail(WireModel):
    code: str
    message: str
    # Additive to the contract: the request field the error concerns, so a form can show it next to that field.
    field: str | None = None
    # v1.1 scheduling: with ``schedule-conflict``, the meeting the request overlaps.
    conflicts_with: str | None = None


class ErrorResponse(WireModel):
    error: ErrorDetail


# ---- REST -------------------------------------------------------------------------------------------------
class RegisterRequest(InputModel):
    username: Username
    email: EmailText
    password: Password


class LoginRequest(InputModel):
    email: Annotated[str, Field(min_length=1, max_length=EMAIL_MAX), AfterValidator(_encodable)]
    password: Annotated[str, Field(min_length=1, max_length=PASSWORD_MAX), AfterValidator(_encodable)]


class LogoutRequest(InputModel):
    # Additive (v1.1): true revokes every token of the user ("log out everywhere"), not only this one.
    all: bool = False


class User(WireModel):
    id: str
    username: str
    email: str
    created_at: datetime


class AuthResponse(WireModel):
    token: str
    user: User


class MeResponse(WireModel):
    user: User


RoomName = Annotated[str, Field(max_length=ROOM_NAME_MAX), AfterValidator(_plain_text)]
# Up to SFU_PARTICIPANTS_MAX in shape; a server without an SFU refuses more than PARTICIPANTS_MAX (api/rooms.py).
MaxParticipants = Annotated[int, Field(ge=PARTICIPANTS_MIN, le=SFU_PARTICIPANTS_MAX)]
RoomDescription = Annotated[str, Field(max_length=ROOM_DESCRIPTION_MAX), AfterValidator(_free_text)]
RoomPassword = Annotated[
    str, Field(min_length=ROOM_PASSWORD_MIN, max_length=ROOM_PASSWORD_MAX), AfterValidator(_encodable)
]


class CreateRoomRequest(InputModel):
    name: RoomName | None = None
    max_participants: MaxParticipants = PARTICIPANTS_DEFAULT
    # Additive room metadata (seed 002).
    description: RoomDescription | None = None
    is_private: bool = False
    # v1.1: stored only as an argon2id hash; the room answers ``hasPassword``.
    password: RoomPassword | None = None


class UpdateRoomRequest(InputModel):
    """PATCH /api/rooms/{roomId}: only the fields present change (``model_fields_set``); ``password: null`` removes
    the password, ``description: null`` the description."""

    name: RoomName | None = None
    description: RoomDescription | None = None
    max_participants: MaxParticipants | None = None
    is_private: bool | None = None
    password: RoomPassword | None = None


RoomMode = Literal["mesh", "sfu"]


def room_mode(max_participants: int, sfu_configured: bool) -> RoomMode:
    """``"sfu"`` for a room of more than MESH_PARTICIPANTS_MAX places on a server with an SFU, else ``"mesh"``."""
    return "sfu" if sfu_configured and max_participants > MESH_PARTICIPANTS_MAX else "mesh"


class Room(WireModel):
    room_id: str
    name: str
    owner_id: str
    created_at: datetime
    max_participants: int
    description: str | None = None
    is_private: bool = False
    # v1.1: ``<base>/join/<roomId>``, the link people share (base: NIMEET_PUBLIC_URL or the request's scheme + Host).
    # Optional so that the app still reads a version-1 server's rooms.
    invite_url: str | None = None
    # v1.1 (defaults, so a version-1 server's rooms still read): a password is set; the meeting is locked (live:
    # always false when nobody is in the room).
    has_password: bool = False
    locked: bool = False
    # v1.1 "Large rooms": how the room's media travels, peer to peer (``"mesh"``) or through the server's SFU
    # (``"sfu"``). A default so that a version-1 server's rooms still read.
    mode: RoomMode = "mesh"


class CreateRoomResponse(WireModel):
    room: Room
    join_url: str


class RoomResponse(WireModel):
    """PATCH /api/rooms/{roomId} (v1.1)."""

    room: Room


class RoomInfoResponse(WireModel):
    room: Room
    participant_count: int


class RoomListResponse(WireModel):
    rooms: list[Room]


# ---- v1.1 preferences: what belongs to the person, not to one machine (GET/PUT /api/users/me/preferences) --------
VideoQuality = Literal["360p", "720p", "1080p"]
Language = Literal["system", "en", "ru"]
REMINDER_MINUTES_MAX = 10080  # a week


class PreferencesBody(InputModel):
    """PUT: the whole object, every field given (a field left out is ``invalid-input``, not "unchanged")."""

    join_with_camera: bool
    join_with_microphone: bool
    video_quality: VideoQuality
    background_blur: bool
    notifications: bool
    language: Language
    reminder_minutes: Annotated[int, Field(ge=0, le=REMINDER_MINUTES_MAX)] | None


class Preferences(WireModel):
    """What the server answers; a user who never saved any gets these defaults."""

    join_with_camera: bool = True
    join_with_microphone: bool = True
    video_quality: VideoQuality = "720p"
    background_blur: bool = False
    notifications: bool = True
    language: Language = "system"
    reminder_minutes: int | None = 10


class PreferencesResponse(WireModel):
    preferences: Preferences


# ---- scheduling ----
# v1.1: meetings planned ahead (/api/meetings). Times are ISO 8601 with an offset; a recurrence is an RFC 5545 RRULE
# expanded in the meeting's IANA ``timezone``.
MEETING_TITLE_MAX = 200
MEETING_DESCRIPTION_MAX = 4000
MEETING_ATTENDEES_MAX = 100
MEETING_RECURRENCE_MAX = 500  # characters of the RRULE text
MEETING_RANGE_MAX_DAYS = 366  # the widest window GET /api/meetings expands
AttendeeResponse = Literal["needs-action", "accepted", "declined"]
MeetingStatus = Literal["scheduled", "cancelled"]
MeetingTitle = Annotated[str, Field(min_length=1, max_length=MEETING_TITLE_MAX), AfterValidator(_plain_text)]
MeetingDescription = Annotated[str, Field(max_length=MEETING_DESCRIPTION_MAX), AfterValidator(_free_text)]
# An email (it has an "@") or a username; the server resolves each (see docs/protocol.md section 16).
AttendeeName = Annotated[str, Field(min_length=1, max_length=EMAIL_MAX), AfterValidator(_plain_text)]
ReminderMinutes = Annotated[int, Field(ge=0, le=REMINDER_MINUTES_MAX)]


def _iso_text(value: Any) -> Any:
    # JSON has no time type: a time is the ISO 8601 text (a number of seconds would be read lax as one; refuse it).
    if not isinstance(value, str):
        raise ValueError("must be an ISO 8601 time with an offset")
    return value


# Parsed from the text (input models are strict, and strict takes no text for a datetime); must carry an offset.
IsoTime = Annotated[AwareDatetime, Field(strict=False), BeforeValidator(_iso_text)]


class MeetingRequest(InputModel):
    """POST /api/meetings. ``timezone`` is checked by the server (an IANA name), as is ``recurrence``."""

    title: MeetingTitle
    start: IsoTime
    end: IsoTime
    description: MeetingDescription | None = None
    timezone: Annotated[str, Field(min_length=1, max_length=64)] = "UTC"
    recurrence: Annotated[str, Field(min_length=1, max_length=MEETING_RECURRENCE_MAX)] | None = None
    attendees: Annotated[list[AttendeeName], Field(max_length=MEETING_ATTENDEES_MAX)] = Field(default_factory=list)
    reminder_minutes: ReminderMinutes | None = None
    room_id: RoomId | None = None


class UpdateMeetingRequest(InputModel):
    """PATCH /api/meetings/{id}: only the fields present change (``model_fields_set``). ``null`` removes
    ``description``, ``recurrence`` and ``reminderMinutes``; it is refused for the others. ``attendees`` replaces the
    list."""

    title: MeetingTitle | None = None
    start: IsoTime | None = None
    end: IsoTime | None = None
    description: MeetingDescription | None = None
    timezone: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    recurrence: Annotated[str, Field(min_length=1, max_length=MEETING_RECURRENCE_MAX)] | None = None
    attendees: Annotated[list[AttendeeName], Field(max_length=MEETING_ATTENDEES_MAX)] | None = None
    reminder_minutes: ReminderMinutes | None = None
    room_id: RoomId | None = None


class RespondRequest(InputModel):
    response: Literal["accepted", "declined"]


class MeetingAttendee(WireModel):
    email: str
    user_id: str | None
    username: str | None
    response: AttendeeResponse


class Meeting(WireModel):
    meeting_id: str
    room_id: str
    title: str
    description: str | None
    # The first occurrence, with the offset of the meeting's zone at that time.
    start: datetime
    end: datetime
    timezone: str
    recurrence: str | None
    organizer_id: str
    attendees: list[MeetingAttendee]
    reminder_minutes: int | None
    status: MeetingStatus
    created_at: datetime
    updated_at: datetime


class MeetingResponse(WireModel):
    meeting: Meeting


class Occurrence(WireModel):
    meeting_id: str
    room_id: str
    title: str
    start: datetime
    end: datetime


class OccurrencesResponse(WireModel):
    occurrences: list[Occurrence]


class IceServer(WireModel):
    urls: str | list[str]
    username: str | None = None
    credential: str | None = None


class IceServersResponse(WireModel):
    ice_servers: list[IceServer]
    ttl: int


class HealthResponse(WireModel):
    status: str


def join_url(room_id: str) -> str:
    return f"{JOIN_URL_PREFIX}{room_id}"


# ---- socket.io payloads -----------------------------------------------------------------------------------
class MediaState(InputModel):
    camera: bool
    microphone: bool
    screen: bool


# Chosen by the client once per call and sent on every re-join of it (v1.1 addition): a re-joining socket replaces
# the same account's older socket with the same resume id in that room, instead of showing the person twice.
RESUME_ID_MIN, RESUME_ID_MAX = 16, 64
RESUME_ID_RE = re.compile(r"[A-Za-z0-9_-]+")


def _resume_id(text: str) -> str:
    if not RESUME_ID_RE.fullmatch(text):
        raise ValueError(f"must be {RESUME_ID_MIN}–{RESUME_ID_MAX} characters of letters, digits, '_' or '-'")
    return text


ResumeId = Annotated[
    str,
    Field(min_length=RESUME_ID_MIN, max_length=RESUME_ID_MAX, json_schema_extra={"pattern": "^[A-Za-z0-9_-]+$"}),
    AfterValidator(_resume_id),
]


class JoinRoom(InputModel):
    room_id: RoomId
    media_state: MediaState
    resume_id: ResumeId | None = None
    # v1.1: for rooms with a password (the owner needs none).
    password: Annotated[str, Field(max_length=ROOM_PASSWORD_MAX), AfterValidator(_encodable)] | None = None


class LeaveRoom(InputModel):
    room_id: RoomId


class SessionDescription(InputModel):
    type: Literal["offer", "answer"]
    sdp: Text


class OfferDescription(SessionDescription):
    type: Literal["offer"]


class AnswerDescription(SessionDescription):
    type: Literal["answer"]


class Offer(InputModel):
    target: SocketId
    description: OfferDescription


class Answer(InputModel):
    target: SocketId
    description: AnswerDescription


class IceCandidateInit(InputModel):
    # The sizes of ``candidate``, ``sdpMid`` and ``usernameFragment`` are checked before this model (``oversize_field``,
    # the contract's check order: ``too-large`` first) on the server, and by ``oversize_candidate`` in the client,
    # which drops an oversize relay with one log line per sender instead of a validation error per event.
    candidate: Text
    sdp_mid: str | None = None
    sdp_m_line_index: Annotated[int, Field(ge=0, le=65535)] | None = None
    username_fragment: str | None = None


class IceCandidate(InputModel):
    target: SocketId
    # ``null`` means end of candidates; the field itself is required.
    candidate: IceCandidateInit | None


# ---- v1.1 "Large rooms": the SFU ----
class SfuOfferDescription(InputModel):
    type: Literal["offer"]
    sdp: Text  # its size: oversize_field (MAX_SFU_SDP_BYTES)


class SfuAnswerDescription(InputModel):
    type: Literal["answer"]
    sdp: Text  # its size: oversize_field (MAX_SFU_SDP_BYTES)


class SfuPublish(InputModel):
    """``sfu-publish``: the client's offer for what it sends (camera, microphone); answered in the ack."""

    description: SfuOfferDescription


class SfuAnswer(InputModel):
    """``sfu-answer``: the client's answer to the last ``sfu-offer``."""

    description: SfuAnswerDescription


class SfuCandidate(InputModel):
    """``sfu-candidate``: a trickled candidate of the publishing or the receiving PeerConnection (``null``: no more)."""

    target: Literal["publisher", "subscriber"]
    candidate: IceCandidateInit | None


class SfuView(InputModel):
    """``sfu-view``: whose video the client shows; the others' video is paused (audio always flows)."""

    socket_ids: Annotated[list[SocketId], Field(max_length=SFU_PARTICIPANTS_MAX)]


class SfuStream(WireModel):
    """One m-line of an ``sfu-offer``: whose stream it carries, of which kind, and whether it still flows."""

    mid: str
    socket_id: str
    kind: Literal["audio", "video"]
    active: bool


class SfuOffered(WireModel):
    """``sfu-offer``: the SFU's offer of everything this participant receives, answered with ``sfu-answer``."""

    description: SessionDescription
    streams: list[SfuStream]


class SfuPublished(WireModel):
    """The ack of ``sfu-publish``: the SFU's answer."""

    ok: Literal[True] = True
    description: SessionDescription


class ToggleMedia(InputModel):
    media_type: MediaType
    enabled: bool


class Participant(WireModel):
    socket_id: str
    user_id: str
    username: str
    media_state: MediaState
    # v1.1 (defaults, so a version-1 server's participants still read; this server always sends them)
    role: Role = "participant"
    hand_raised_at: datetime | None = None
    recording: bool = False


class UserLeft(WireModel):
    socket_id: str
    user_id: str


class MediaToggled(WireModel):
    socket_id: str
    media_type: MediaType
    enabled: bool


class Relayed(WireModel):
    """``receive-offer`` / ``receive-answer``: ``from`` is always the server's view of the sender."""

    from_: str = Field(alias="from")
    description: SessionDescription


class RelayedCandidate(WireModel):
    from_: str = Field(alias="from")
    candidate: IceCandidateInit | None


class OkAck(WireModel):
    ok: Literal[True] = True


class _Arrival(WireModel):
    """A join ack and ``admitted`` (v1.1): ``lobby`` is for hosts only, and absent for everyone else."""

    def wire(self) -> dict[str, Any]:
        body = super().wire()
        if body.get("lobby", ()) is None:
            del body["lobby"]
        return body


class JoinAck(_Arrival):
    ok: Literal[True] = True
    self_: Participant = Field(alias="self")
    participants: list[Participant]
    # v1.1: the meeting's room-wide chat so far (oldest first); for hosts, everyone waiting in the lobby.
    chat: list[ChatMessage] = Field(default_factory=list)
    lobby: list[LobbyEntry] | None = None


class WaitingAck(WireModel):
    """The ``join-room`` ack of a socket that now waits in the room's lobby (v1.1)."""

    ok: Literal[True] = True
    waiting: Literal[True] = True
    self_: Participant = Field(alias="self")


class Admitted(_Arrival):
    """``admitted``: a host let this waiting socket in; the same as a join ack without ``ok``."""

    self_: Participant = Field(alias="self")
    participants: list[Participant]
    chat: list[ChatMessage] = Field(default_factory=list)
    lobby: list[LobbyEntry] | None = None


class ErrorAck(WireModel):
    ok: Literal[False] = False
    error: ErrorDetail


# ---- v1.1 meetings: payloads -------------------------------------------------------------------------------
class Target(InputModel):
    """``admit``, ``deny``, ``remove-participant``, ``lower-hand``."""

    target: SocketId


class SetRole(InputModel):
    target: SocketId
    role: Role


class MuteParticipant(InputModel):
    target: SocketId
    media_type: ModeratedMedia


class NoFields(InputModel):
    """``mute-all``, ``end-meeting``: an empty object (unknown fields are ignored, as everywhere)."""


class LockRoom(InputModel):
    locked: bool


def _chat_text(text: str) -> str:
    _free_text(text)
    if not text.strip():
        raise ValueError("must not be empty")
    return text.strip()


class SendChat(InputModel):
    """``chat-message`` from a client. The size (``too-large``) is checked before this model, on the trimmed text."""

    text: Annotated[str, AfterValidator(_chat_text)]
    to: SocketId | None = None


class RaiseHand(InputModel):
    raised: bool


def _reaction(text: str) -> str:
    if text not in REACTIONS:
        raise ValueError(f"must be one of {' '.join(REACTIONS)}")
    return text


class SendReaction(InputModel):
    emoji: Annotated[str, AfterValidator(_reaction)]


class SetRecording(InputModel):
    active: bool


class LobbyEntry(WireModel):
    """Someone waiting in the lobby: ``lobby-knock``, and the ``lobby`` lists of hosts' acks."""

    socket_id: str
    user_id: str
    username: str


class LobbyLeft(WireModel):
    socket_id: str


class Denied(WireModel):
    pass


class RoleChanged(WireModel):
    socket_id: str
    role: Role


class MutedByHost(WireModel):
    media_type: ModeratedMedia
    # The host's socket id; ``byUsername`` (additive) is their name, for "Alice muted you".
    by: str
    by_username: str | None = None


class Removed(WireModel):
    by: str
    by_username: str | None = None


class MeetingEnded(WireModel):
    reason: Literal["room-deleted", "ended-by-host"]
    by: str | None = None
    by_username: str | None = None


class RoomUpdated(WireModel):
    room: Room


class FileInfo(WireModel):
    id: str
    name: str
    size: int
    sha256: str
    mime: str
    uploaded_by: str  # user id
    uploaded_at: datetime


class FileUploaded(WireModel):
    file: FileInfo


class ChatMessage(WireModel):
    id: str
    from_: str = Field(alias="from")
    user_id: str
    username: str
    text: str
    sent_at: datetime
    to: str | None = None
    file: FileInfo | None = None


class ChatAck(WireModel):
    ok: Literal[True] = True
    message: ChatMessage


class HandRaised(WireModel):
    socket_id: str
    raised: bool
    at: datetime | None


class Reaction(WireModel):
    socket_id: str
    emoji: str


class RecordingChanged(WireModel):
    socket_id: str
    active: bool


def error_ack(code: ErrorCode, message: str) -> dict[str, Any]:
    return {"ok": False, "error": {"code": str(code), "message": message}}


def oversize_field(event: str, payload: Any) -> str | None:
    """The first size limit ``payload`` breaks, checked on the raw payload before its shape (contract order).

    Returns a human message, or None when within limits. Works on any JSON value; shape is checked later.
    """
    if not isinstance(payload, dict):
        return None
    if event in (ClientEvent.SFU_PUBLISH, ClientEvent.SFU_ANSWER):
        description = payload.get("description")
        sdp = description.get("sdp") if isinstance(description, dict) else None
        if isinstance(sdp, str) and _size_over(sdp, MAX_SFU_SDP_BYTES):
            return f"sdp is larger than {MAX_SFU_SDP_BYTES} bytes"
    elif event in (ClientEvent.OFFER, ClientEvent.ANSWER):
        description = payload.get("description")
        sdp = description.get("sdp") if isinstance(description, dict) else None
        if isinstance(sdp, str) and _size_over(sdp, MAX_SDP_BYTES):
            return f"sdp is larger than {MAX_SDP_BYTES} bytes"
    elif event in (ClientEvent.ICE_CANDIDATE, ClientEvent.SFU_CANDIDATE):
        candidate = payload.get("candidate")
        if not isinstance(candidate, dict):
            return None
        text = candidate.get("candidate")
        if isinstance(text, str) and _size_over(text, MAX_CANDIDATE_BYTES):
            return f"candidate is larger than {MAX_CANDIDATE_BYTES} bytes"
        # Relayed to another participant as they are: a peer must not make the others hold megabytes.
        for name in ("sdpMid", "usernameFragment"):
            value = candidate.get(name)
            if isinstance(value, str) and _size_over(value, MAX_CANDIDATE_FIELD_BYTES):
                return f"{name} is larger than {MAX_CANDIDATE_FIELD_BYTES} bytes"
    elif event == ClientEvent.CHAT_MESSAGE:
        text = payload.get("text")
        # Characters after trimming, as the contract counts them: the strip is cheap next to the 128 KiB event cap.
        if isinstance(text, str) and len(text) > CHAT_TEXT_MAX and len(text.strip()) > CHAT_TEXT_MAX:
            return f"text is longer than {CHAT_TEXT_MAX} characters"
    return None


def _size_over(text: str, limit: int) -> bool:
    # A str of n code points is at least n and at most 4n bytes: skip the encode when the answer is certain.
    if len(text) > limit:
        return True
    if len(text) * 4 <= limit:
        return False
    return len(text.encode("utf-8", "surrogatepass")) > limit


# Acks defined above the meeting models they carry.
JoinAck.model_rebuild()
Admitted.model_rebuild()


# ---- history and statistics ----------------------------------------------------------------------------------
class SessionParticipant(WireModel):
    """One stay in a session: ``left_at`` is None while the person is still in the room, and ``duration_s`` then
    counts up to now."""

    user_id: str
    username: str
    joined_at: datetime
    left_at: datetime | None
    duration_s: int


class MeetingSession(WireModel):
    """One meeting in a room: from the first join into the empty room until it was empty again (``ended_at``
    None while it goes on)."""

    session_id: str
    started_at: datetime
    ended_at: datetime | None
    peak_participants: int
    participants: list[SessionParticipant]


class SessionsResponse(WireModel):
    sessions: list[MeetingSession]


class UsageDay(WireModel):
    date: date
    minutes: int
    # Additive to the contract: the sessions the user took part in that day (one across midnight counts in both).
    meetings: int = 0


class MyStatsResponse(WireModel):
    meetings: int
    minutes: int
    hosted: int
    days: list[UsageDay]


class AdminStatsResponse(WireModel):
    users: int
    rooms: int
    active_rooms: int
    active_participants: int
    meetings_today: int
    minutes_today: int
    peak_participants: int
