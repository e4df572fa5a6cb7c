"""Calls between real aiortc peers through the real server, with media kept on loopback."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from nimeet_desktop.call import ice
from nimeet_desktop.call.errors import CallError
from nimeet_desktop.call.options import EngineOptions
from nimeet_desktop.call.remote import RemoteParticipant
from nimeet_desktop.call.session import CallObserver, CallSession
from nimeet_desktop.media.synthetic import SyntheticAudio, SyntheticVideo
from tests.support.clients import Api
from tests.support.server import ServerProcess
from tests.support.shared_servers import SharedServers

# Small frames keep three encoders and six decoders comfortable on a 2-core CI machine.
WIDTH, HEIGHT = 320, 240


@pytest.fixture(scope="session", autouse=True)
def loopback_ice() -> Iterator[None]:
    """aioice skips 127.0.0.1 by default; tests must never send media anywhere but loopback."""
    ice.restrict_host_addresses(["127.0.0.1"])
    yield
    ice.restrict_host_addresses(None)


@pytest.fixture(scope="session")
def call_server(_servers: SharedServers) -> ServerProcess:
    """The session's shared SQLite server (tests/conftest.py): each test makes its own users and rooms."""
    return _servers.get("sqlite")


class Recorder(CallObserver):
    """Everything a session told its observer, for assertions."""

    def __init__(self) -> None:
        self.joined: list[str] = []
        self.left: list[tuple[str, float]] = []
        self.updates: list[tuple[str, dict[str, bool]]] = []
        self.connection: list[tuple[str, str | None]] = []
        self.errors: list[CallError] = []
        self.stats_told: set[str] = set()  # whose counters were told (``on_stats``: what the app rates quality on)

    def on_participant_joined(self, participant: RemoteParticipant) -> None:
        self.joined.append(participant.socket_id)

    def on_participant_left(self, participant: RemoteParticipant) -> None:
        self.left.append((participant.socket_id, time.monotonic()))

    def on_participant_updated(self, participant: RemoteParticipant) -> None:
        self.updates.append((participant.socket_id, participant.media.model_dump()))

    def on_connection(self, state: Any, detail: str | None) -> None:
        self.connection.append((str(state), detail))

    def on_error(self, error: CallError) -> None:
        self.errors.append(error)

    def on_stats(self, participant: RemoteParticipant) -> None:
        self.stats_told.add(participant.socket_id)


async def wait_until(predicate: Callable[[], bool], timeout: float = 10.0, what: str = "condition") -> float:
    """Poll until ``predicate()``; returns the seconds it took, fails the test with ``what`` on timeout."""
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > timeout:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.05)
    return time.monotonic() - started


def frames_from(session: CallSession, other: CallSession) -> int:
    assert other.self_participant is not None
    remote = session.participants.get(other.self_participant.socket_id)
    return 0 if remote is None else remote.stats.video_frames


MakeSession = Callable[..., Awaitable[CallSession]]


@pytest.fixture
async def room_of(call_server: ServerProcess) -> AsyncIterator[Callable[[], Awaitable[tuple[str, list[str]]]]]:
    """A new room and tokens of fresh users: ``room, tokens = await room_of()``."""
    api = Api(call_server.url)

    async def make(users: int = 3, max_participants: int = 8) -> tuple[str, list[str]]:
        tokens = [(await api.register())["token"] for _ in range(users)]
        room = await api.create_room(tokens[0], maxParticipants=max_participants)
        return room["roomId"], tokens

    yield make
    await api.aclose()


@pytest.fixture
async def sessions(call_server: ServerProcess) -> AsyncIterator[Callable[..., CallSession]]:
    """Sessions with synthetic media against the module's server; all left at the end of the test."""
    made: list[CallSession] = []

    def make(
        token: str,
        *,
        video: bool = True,
        audio: bool = True,
        server_url: str | None = None,
        options: EngineOptions | None = None,
    ) -> CallSession:
        session = synthetic_session(
            server_url or call_server.url, token, video=video, audio=audio, options=options, measure_latency=True
        )
        made.append(session)
        return session

    yield make
    for session in made:
        await session.leave()


def synthetic_session(
    url: str,
    token: str,
    *,
    size: tuple[int, int] = (WIDTH, HEIGHT),
    fps: float = 30,
    video: bool = True,
    audio: bool = True,
    options: EngineOptions | None = None,
    measure_latency: bool = False,
) -> CallSession:
    """A session of the engine with a synthetic camera (``size`` at ``fps``) and tone, told to a ``Recorder``."""
    return CallSession(
        url,
        token,
        [],
        observer=Recorder(),
        camera_factory=(lambda: SyntheticVideo(size[0], size[1], fps)) if video else None,
        microphone=SyntheticAudio() if audio else None,
        measure_latency=measure_latency,
        options=options,
    )


def recorder(session: CallSession) -> Recorder:
    assert isinstance(session.observer, Recorder)
    return session.observer


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "server-data"
