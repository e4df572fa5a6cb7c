"""Thin real clients for tests: httpx for REST, python-socketio's AsyncClient for signaling."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
from collections import defaultdict
from typing import Any

import httpx
import socketio
from pydantic import BaseModel, ValidationError

from signaling_server.protocol import (
    Admitted,
    ChatAck,
    ChatMessage,
    Denied,
    ErrorAck,
    HandRaised,
    JoinAck,
    LobbyEntry,
    LobbyLeft,
    MediaToggled,
    MeetingEnded,
    MutedByHost,
    OkAck,
    Participant,
    Reaction,
    RecordingChanged,
    Relayed,
    RelayedCandidate,
    Removed,
    RoleChanged,
    RoomUpdated,
    ServerEvent,
    SfuOffered,
    SfuPublished,
    UserLeft,
    WaitingAck,
)

# What each server event must look like, per protocol.py (the single source of truth for the wire).
EVENT_MODELS: dict[str, type[BaseModel]] = {
    ServerEvent.USER_JOINED: Participant,
    ServerEvent.USER_LEFT: UserLeft,
    ServerEvent.RECEIVE_OFFER: Relayed,
    ServerEvent.RECEIVE_ANSWER: Relayed,
    ServerEvent.RECEIVE_ICE_CANDIDATE: RelayedCandidate,
    ServerEvent.MEDIA_TOGGLED: MediaToggled,
    ServerEvent.ROOM_UPDATED: RoomUpdated,
    ServerEvent.MEETING_ENDED: MeetingEnded,
    ServerEvent.ROLE_CHANGED: RoleChanged,
    ServerEvent.LOBBY_KNOCK: LobbyEntry,
    ServerEvent.LOBBY_LEFT: LobbyLeft,
    ServerEvent.ADMITTED: Admitted,
    ServerEvent.DENIED: Denied,
    ServerEvent.MUTED_BY_HOST: MutedByHost,
    ServerEvent.REMOVED: Removed,
    ServerEvent.CHAT_MESSAGE: ChatMessage,
    ServerEvent.HAND_RAISED: HandRaised,
    ServerEvent.REACTION: Reaction,
    ServerEvent.RECORDING_CHANGED: RecordingChanged,
    ServerEvent.SFU_OFFER: SfuOffered,
}


def check_ack(event: str, ack: Any) -> None:
    """Every ack is one of the contract's shapes: raises AssertionError otherwise."""
    if isinstance(ack, dict) and ack.get("ok") is True:
        model: type[BaseModel] = OkAck
        if event == "join-room":
            model = WaitingAck if ack.get("waiting") is True else JoinAck
        elif event == "chat-message":
            model = ChatAck
        elif event == "sfu-publish":
            model = SfuPublished
    else:
        model = ErrorAck
    try:
        model.model_validate(ack)
    except ValidationError as exc:
        raise AssertionError(f"{event} ack does not match protocol.{model.__name__}: {ack!r}\n{exc}") from None


_counter = itertools.count()


class Utf8Json:
    """JSON as browsers send it: UTF-8 text, not ``\u00e9`` escapes (which make a payload up to 6x larger)."""

    @staticmethod
    def dumps(obj: Any, *args: Any, **kwargs: Any) -> str:
        return json.dumps(obj, *args, ensure_ascii=False, **kwargs)

    @staticmethod
    def loads(text: str | bytes, *args: Any, **kwargs: Any) -> Any:
        return json.loads(text, *args, **kwargs)


def unique_name(prefix: str = "u") -> str:
    return f"{prefix}{os.getpid() % 10000}_{next(_counter)}"


class Api:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        # Idle connections are dropped after 2 s, not httpx's 5 s: the server (uvicorn) closes them after 5 s, and a
        # request sent on one just as it closes fails with "Server disconnected without sending a response" (seen on
        # a loaded CI, after a test's 5 s wait for a killed node's ghosts).
        self.http = httpx.AsyncClient(base_url=base_url, timeout=20, limits=httpx.Limits(keepalive_expiry=2.0))

    async def aclose(self) -> None:
        await self.http.aclose()

    async def register(self, username: str | None = None, password: str = "correct horse battery") -> dict[str, Any]:
        username = username or unique_name()
        r = await self.http.post(
            "/api/auth/register",
            json={"username": username, "email": f"{username}@example.test", "password": password},
        )
        assert r.status_code == 201, r.text
        body: dict[str, Any] = r.json()
        return body

    async def create_room(self, token: str, **body: Any) -> dict[str, Any]:
        r = await self.http.post("/api/rooms/create", json=body, headers=bearer(token))
        assert r.status_code == 201, r.text
        room: dict[str, Any] = r.json()["room"]
        return room


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class EventLog:
    """Collects every server event a socket receives, in order, and lets a test wait for one."""

    def __init__(self) -> None:
        self.events: dict[str, list[Any]] = defaultdict(list)
        self._cursor: dict[str, int] = {}
        self._cond = asyncio.Condition()

    async def add(self, event: str, data: Any) -> None:
        async with self._cond:
            self.events[event].append(data)
            self._cond.notify_all()

    async def next(self, event: str, index: int | None = None, timeout: float = 5.0) -> Any:
        """The ``index``-th event of that name (default: the next one not yet taken)."""
        want = index if index is not None else self._cursor.get(event, 0)
        async with self._cond:
            await asyncio.wait_for(self._cond.wait_for(lambda: len(self.events[event]) > want), timeout)
        self._cursor[event] = want + 1
        return self.events[event][want]

    def untaken(self, event: str) -> list[Any]:
        """The events of that name that arrived and ``next`` has not taken yet."""
        return self.events[event][self._cursor.get(event, 0) :]

    def take_all(self) -> None:
        """Mark everything received so far as taken: ``next`` and ``untaken`` see only what arrives later."""
        for event, received in self.events.items():
            self._cursor[event] = len(received)

    async def quiet(self, event: str, seconds: float = 0.3) -> bool:
        """True when no (further) event of that name arrives within ``seconds``."""
        before = len(self.events[event])
        await asyncio.sleep(seconds)
        return len(self.events[event]) == before


class Peer:
    """One signaling connection as a test sees it."""

    def __init__(self, url: str, token: str | None) -> None:
        self.url = url
        self.token = token
        self.sio = socketio.AsyncClient(reconnection=False, json=Utf8Json)
        self.log = EventLog()
        self.sid = ""
        # Received events that do not match protocol.py; the ``peers`` fixture fails the test on any.
        self.violations: list[str] = []
        for event in ServerEvent:
            self.sio.on(str(event), self._recorder(str(event)))

    def _recorder(self, event: str) -> Any:
        async def record(data: Any) -> None:
            try:
                EVENT_MODELS[event].model_validate(data)
            except ValidationError as exc:
                self.violations.append(f"{event}: {data!r}: {exc}")
            await self.log.add(event, data)

        return record

    async def connect(self) -> Peer:
        auth = {"token": self.token} if self.token is not None else None
        await self.sio.connect(self.url, auth=auth, transports=["websocket"], wait_timeout=10)
        sid = self.sio.get_sid()
        assert sid is not None
        # Kept after disconnect: tests check what others hear about a socket that is gone.
        self.sid = str(sid)
        return self

    async def call(self, event: str, *payload: Any, timeout: float = 10) -> Any:
        ack = await self.sio.call(event, payload[0] if len(payload) == 1 else payload, timeout=timeout)
        check_ack(event, ack)
        return ack

    async def join(
        self, room_id: str, camera: bool = True, microphone: bool = True, password: str | None = None
    ) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "roomId": room_id,
            "mediaState": {"camera": camera, "microphone": microphone, "screen": False},
        }
        if password is not None:
            payload["password"] = password
        ack: dict[str, Any] = await self.call("join-room", payload)
        return ack

    async def close(self) -> None:
        if self.sio.connected:
            await self.sio.disconnect()


def room_view(peer: Peer, ack: dict[str, Any]) -> list[str]:
    """The room as ``peer`` sees it, itself included: its join ack's list, then the user-joined / user-left events it
    received.

    A sorted list, not a set: each other member must reach a client exactly once (in the ack or as ``user-joined``),
    so a duplicate shows up as a mismatch instead of being hidden (callers that only ask who is there take a set)."""
    seen = [p["socketId"] for p in ack["participants"]] + [p["socketId"] for p in peer.log.events["user-joined"]]
    left = {e["socketId"] for e in peer.log.events["user-left"]}
    return sorted([peer.sid, *(sid for sid in seen if sid not in left)])
