"""``SignalingClient``'s meeting events (contract v1.1) on the wire, against a python-socketio server on loopback that
checks what arrives with the protocol's own input models (as the real server does) and sends every new server event,
well-formed and malformed. The same client against the real server: tests/call/test_meeting_bots.py."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
import socketio
from aiohttp import web
from pydantic import BaseModel, ValidationError

from nimeet_desktop.net.signaling import ConnectionState, MeetingHandler, SignalingClient, SignalingError
from signaling_server.protocol import (
    ClientEvent,
    JoinAck,
    JoinRoom,
    LockRoom,
    MediaState,
    MuteParticipant,
    NoFields,
    RaiseHand,
    SendChat,
    SendReaction,
    ServerEvent,
    SetRecording,
    SetRole,
    Target,
    WaitingAck,
)
from tests.call.conftest import wait_until

MEDIA = {"camera": False, "microphone": True, "screen": False}
NOW = datetime(2026, 1, 1, tzinfo=UTC).isoformat()
ME = {"socketId": "me", "userId": "u-me", "username": "me", "mediaState": MEDIA, "role": "participant"}
HOST = {"socketId": "host", "userId": "u-host", "username": "host", "mediaState": MEDIA, "role": "host"}
ROOM = {"roomId": "r1", "name": "n", "ownerId": "u-host", "createdAt": NOW, "maxParticipants": 8, "locked": True}
FILE = {"id": "f1", "name": "a.txt", "size": 3, "sha256": "0" * 64, "mime": "text/plain", "uploadedBy": "u-host"}
MESSAGE = {"id": "m1", "from": "host", "userId": "u-host", "username": "host", "text": "hi", "sentAt": NOW, "to": None}

# Every server event of v1.1, with a payload the contract allows, in the order the server sends them.
SERVER_EVENTS: list[tuple[str, dict[str, Any]]] = [
    (ServerEvent.ADMITTED, {"self": ME, "participants": [HOST], "chat": [MESSAGE]}),
    (ServerEvent.ROOM_UPDATED, {"room": ROOM}),
    (ServerEvent.ROLE_CHANGED, {"socketId": "me", "role": "host"}),
    (ServerEvent.LOBBY_KNOCK, {"socketId": "w", "userId": "u-w", "username": "w"}),
    (ServerEvent.LOBBY_LEFT, {"socketId": "w"}),
    (ServerEvent.CHAT_MESSAGE, {**MESSAGE, "id": "m2", "text": "", "file": {**FILE, "uploadedAt": NOW}}),
    (ServerEvent.HAND_RAISED, {"socketId": "host", "raised": True, "at": NOW}),
    (ServerEvent.REACTION, {"socketId": "host", "emoji": "\U0001f44d"}),
    (ServerEvent.RECORDING_CHANGED, {"socketId": "host", "active": True}),
    (ServerEvent.MUTED_BY_HOST, {"mediaType": "microphone", "by": "host", "byUsername": "host"}),
    (ServerEvent.DENIED, {}),
    (ServerEvent.REMOVED, {"by": "host", "byUsername": "host"}),
    (ServerEvent.MEETING_ENDED, {"reason": "ended-by-host", "by": "host", "byUsername": "host"}),
]
# What a broken server might send instead: each must be dropped, never handed on.
MALFORMED: list[tuple[str, Any]] = [
    (ServerEvent.ADMITTED, {"participants": []}),
    (ServerEvent.ROLE_CHANGED, {"socketId": "me", "role": "owner"}),
    (ServerEvent.MUTED_BY_HOST, {"mediaType": "screen", "by": "host"}),
    (ServerEvent.CHAT_MESSAGE, {"text": "no id"}),
    (ServerEvent.MEETING_ENDED, {"reason": "bored"}),
    (ServerEvent.DENIED, None),
]

# What each client event must be, per the protocol's input models (strict, as the server reads them).
INPUT_MODELS: dict[str, type[BaseModel]] = {
    ClientEvent.ADMIT: Target,
    ClientEvent.DENY: Target,
    ClientEvent.SET_ROLE: SetRole,
    ClientEvent.MUTE_PARTICIPANT: MuteParticipant,
    ClientEvent.MUTE_ALL: NoFields,
    ClientEvent.REMOVE_PARTICIPANT: Target,
    ClientEvent.LOCK_ROOM: LockRoom,
    ClientEvent.LOWER_HAND: Target,
    ClientEvent.END_MEETING: NoFields,
    ClientEvent.CHAT_MESSAGE: SendChat,
    ClientEvent.RAISE_HAND: RaiseHand,
    ClientEvent.REACTION: SendReaction,
    ClientEvent.RECORDING: SetRecording,
}


@dataclass
class MeetingServer:
    sio: socketio.AsyncServer = field(default_factory=lambda: socketio.AsyncServer(async_mode="aiohttp"))
    received: list[tuple[str, Any]] = field(default_factory=list)
    url: str = ""

    def __post_init__(self) -> None:
        self.sio.on("connect", lambda *_: True)
        self.sio.on("join-room", self.join)
        for event, model in INPUT_MODELS.items():
            self.sio.on(str(event), self.checker(str(event), model))

    async def join(self, sid: str, data: Any) -> dict[str, Any]:
        join = JoinRoom.model_validate(data)
        self.received.append(("join-room", data))
        if join.password != "open sesame":
            return {"ok": False, "error": {"code": "wrong-password", "message": "no"}}
        return {"ok": True, "waiting": True, "self": {**ME, "socketId": sid}}

    def checker(self, event: str, model: type[BaseModel]) -> Any:
        async def check(sid: str, data: Any) -> dict[str, Any]:
            try:
                model.model_validate(data)
            except ValidationError as exc:
                return {"ok": False, "error": {"code": "invalid-input", "message": str(exc)}}
            self.received.append((event, data))
            if event == ClientEvent.CHAT_MESSAGE:
                message = {**MESSAGE, "from": sid, "text": data["text"].strip(), "to": data.get("to")}
                return {"ok": True, "message": message}
            return {"ok": True}

        return check


@pytest.fixture
async def meeting_server() -> AsyncIterator[MeetingServer]:
    server = MeetingServer()
    app = web.Application()
    server.sio.attach(app)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    server.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    yield server
    await runner.cleanup()


class Version1Handler:
    """A handler written for version 1: it has none of the meeting's methods."""

    def __init__(self) -> None:
        self.states: list[ConnectionState] = []
        self.left: list[str] = []

    async def on_user_joined(self, participant: Any) -> None: ...

    async def on_user_left(self, event: Any) -> None:
        self.left.append(event.socket_id)

    async def on_description(self, event: Any) -> None: ...
    async def on_candidate(self, event: Any) -> None: ...
    async def on_media_toggled(self, event: Any) -> None: ...

    async def on_connection_state(self, state: ConnectionState, detail: str | None) -> None:
        self.states.append(state)


class MeetingRecorder(Version1Handler, MeetingHandler):
    def __init__(self) -> None:
        super().__init__()
        self.events: list[tuple[str, BaseModel]] = []

    def _record(self, name: str, payload: BaseModel) -> None:
        self.events.append((name, payload))

    async def on_room_updated(self, event: Any) -> None:
        self._record("room-updated", event)

    async def on_meeting_ended(self, event: Any) -> None:
        self._record("meeting-ended", event)

    async def on_role_changed(self, event: Any) -> None:
        self._record("role-changed", event)

    async def on_lobby_knock(self, entry: Any) -> None:
        self._record("lobby-knock", entry)

    async def on_lobby_left(self, event: Any) -> None:
        self._record("lobby-left", event)

    async def on_admitted(self, event: Any) -> None:
        self._record("admitted", event)

    async def on_denied(self, event: Any) -> None:
        self._record("denied", event)

    async def on_muted_by_host(self, event: Any) -> None:
        self._record("muted-by-host", event)

    async def on_removed(self, event: Any) -> None:
        self._record("removed", event)

    async def on_chat_message(self, message: Any) -> None:
        self._record("chat-message", message)

    async def on_hand_raised(self, event: Any) -> None:
        self._record("hand-raised", event)

    async def on_reaction(self, event: Any) -> None:
        self._record("reaction", event)

    async def on_recording_changed(self, event: Any) -> None:
        self._record("recording-changed", event)


async def send_all(server: MeetingServer, sid: str) -> None:
    for event, payload in MALFORMED:
        await server.sio.emit(str(event), payload, to=sid)
    for event, payload in SERVER_EVENTS:
        await server.sio.emit(str(event), payload, to=sid)


async def test_every_meeting_event_is_validated_and_handed_over_in_order(
    meeting_server: MeetingServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="nimeet_desktop")
    handler = MeetingRecorder()
    client = SignalingClient(meeting_server.url, "token", handler)
    try:
        await client.connect()
        media = MediaState(camera=False, microphone=True, screen=False)
        with pytest.raises(SignalingError) as refused:
            await client.join("r1", media, password="wrong")
        assert refused.value.raw_code == "wrong-password"
        ack = await client.join("r1", media, "r" * 16, password="open sesame")
        assert isinstance(ack, WaitingAck) and ack.self_.socket_id == client.socket_id
        assert client.socket_id is not None
        await send_all(meeting_server, client.socket_id)
        await wait_until(lambda: len(handler.events) == len(SERVER_EVENTS), what="every meeting event")
    finally:
        await client.close()
    assert [name for name, _ in handler.events] == [str(event) for event, _ in SERVER_EVENTS]
    for (_, sent), (_, got) in zip(SERVER_EVENTS, handler.events, strict=True):
        assert type(got).model_validate(sent) == got
    dropped = [r.getMessage() for r in caplog.records if "dropped malformed" in r.getMessage()]
    assert len(dropped) == len(MALFORMED), dropped
    # The join carried the password and the resume id, as the contract names them.
    assert meeting_server.received[1] == (
        "join-room",
        {"roomId": "r1", "mediaState": MEDIA, "resumeId": "r" * 16, "password": "open sesame"},
    )


async def test_a_version_1_handler_ignores_the_meeting(
    meeting_server: MeetingServer, caplog: pytest.LogCaptureFixture
) -> None:
    handler = Version1Handler()
    client = SignalingClient(meeting_server.url, "token", handler)
    try:
        await client.connect()
        await client.join("r1", MediaState(camera=False, microphone=True, screen=False), password="open sesame")
        assert client.socket_id is not None
        await send_all(meeting_server, client.socket_id)
        # A version-1 event after them all: once it is handled, every meeting event before it was dispatched.
        await meeting_server.sio.emit("user-left", {"socketId": "last", "userId": "u"}, to=client.socket_id)
        await wait_until(lambda: handler.left == ["last"], what="the version-1 event after the meeting's")
    finally:
        await client.close()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text


async def test_every_meeting_action_goes_out_as_the_contract_says(meeting_server: MeetingServer) -> None:
    client = SignalingClient(meeting_server.url, "token", MeetingRecorder())
    try:
        await client.connect()
        message = await client.send_chat("  hello  ", to="host")
        assert (message.text, message.to, message.from_) == ("hello", "host", client.socket_id)
        await client.raise_hand(True)
        await client.react("\U0001f389")
        await client.set_recording(True)
        await client.admit("w")
        await client.deny("w")
        await client.set_role("a", "host")
        await client.mute_participant("a", "camera")
        await client.mute_all()
        await client.remove_participant("a")
        await client.lock_room(True)
        await client.lower_hand("a")
        await client.end_meeting()
        with pytest.raises(ValueError, match="empty"):
            await client.send_chat("   ")
        with pytest.raises(ValueError, match="4000"):
            await client.send_chat("x" * 4001)
        with pytest.raises(ValueError, match="must be one of"):
            await client.react("x")
    finally:
        await client.close()
    assert meeting_server.received == [
        ("chat-message", {"text": "hello", "to": "host"}),
        ("raise-hand", {"raised": True}),
        ("reaction", {"emoji": "\U0001f389"}),
        ("recording", {"active": True}),
        ("admit", {"target": "w"}),
        ("deny", {"target": "w"}),
        ("set-role", {"target": "a", "role": "host"}),
        ("mute-participant", {"target": "a", "mediaType": "camera"}),
        ("mute-all", {}),
        ("remove-participant", {"target": "a"}),
        ("lock-room", {"locked": True}),
        ("lower-hand", {"target": "a"}),
        ("end-meeting", {}),
    ]


async def test_a_join_ack_is_told_from_a_waiting_one(meeting_server: MeetingServer) -> None:
    async def open_room(sid: str, data: Any) -> dict[str, Any]:
        me = {**ME, "socketId": sid}
        return {"ok": True, "self": me, "participants": [HOST], "chat": [MESSAGE], "lobby": []}

    meeting_server.sio.on("join-room", open_room)
    client = SignalingClient(meeting_server.url, "token", MeetingRecorder())
    try:
        await client.connect()
        ack = await client.join("r1", MediaState(camera=False, microphone=False, screen=False))
    finally:
        await client.close()
    assert isinstance(ack, JoinAck)
    assert [m.id for m in ack.chat] == ["m1"] and ack.lobby == []
