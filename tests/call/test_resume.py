"""Issue 10, item 16 (app side): a rejoin after a silent network death replaces the client's own older socket.

A call's every ``join-room`` carries one ``resumeId`` (contract v1.1). The network death is real: the app reaches
the server through a TCP relay on loopback that, at ``freeze()``, stops passing bytes on the connections it holds
without closing them. The server therefore still holds the old socket (it would notice only at its ping timeout,
~45 s: the person shown twice), while the app, cut off, reconnects through a new connection and rejoins.

``test_a_rejoin_replaces_the_old_socket`` needs the server of contract v1.1 (the ``sockets`` helper's side of item
16): the server before it ignores ``resumeId`` and fails that test, by design. The other two hold on either server
(the last one failed on the client before this fix: it listed its own old socket as a participant and called it)."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from nimeet_desktop.call.session import CallSession
from nimeet_desktop.net.signaling import SignalingClient
from tests.call.conftest import recorder, wait_until
from tests.support.clients import Api, Peer
from tests.support.server import ServerProcess

RESUME_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")


@dataclass
class _Link:
    writers: list[asyncio.StreamWriter]
    frozen: bool = False


@dataclass
class FreezableRelay:
    """A TCP relay to ``host:port``; ``freeze()`` silences the connections open now (bytes dropped, nothing closed)."""

    host: str
    port: int
    links: list[_Link] = field(default_factory=list)
    url: str = ""

    def freeze(self) -> None:
        for link in self.links:
            link.frozen = True

    def close(self) -> None:
        for link in self.links:
            for writer in link.writers:
                writer.close()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(self.host, self.port)
        link = _Link([writer, up_writer])
        self.links.append(link)
        await asyncio.gather(self._pipe(reader, up_writer, link), self._pipe(up_reader, writer, link))

    @staticmethod
    async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter, link: _Link) -> None:
        with contextlib.suppress(ConnectionError):
            while data := await source.read(65536):
                if not link.frozen:
                    sink.write(data)
                    await sink.drain()
        if not link.frozen:  # a dead network carries no FIN either: the far side is left waiting
            sink.close()


@contextlib.asynccontextmanager
async def relay_to(upstream: ServerProcess) -> AsyncIterator[FreezableRelay]:
    host, port = upstream.url.removeprefix("http://").rsplit(":", 1)
    tcp_relay = FreezableRelay(host, int(port))
    server = await asyncio.start_server(tcp_relay.handle, "127.0.0.1", 0)
    tcp_relay.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    try:
        yield tcp_relay
    finally:
        tcp_relay.close()
        server.close()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(server.wait_closed(), 5)


@pytest.fixture
async def relay(call_server: ServerProcess) -> AsyncIterator[FreezableRelay]:
    async with relay_to(call_server) as tcp_relay:
        yield tcp_relay


def record_joins(client: SignalingClient) -> list[str | None]:
    """The resume id of every join the client sends (a recording wrapper: the real join goes out unchanged)."""
    sent: list[str | None] = []
    real_join = client.join

    async def join(room_id: str, media: Any, resume_id: str | None = None, *, password: str | None = None) -> Any:
        sent.append(resume_id)
        return await real_join(room_id, media, resume_id, password=password)

    client.join = join  # type: ignore[method-assign]
    return sent


async def silent_death(session: CallSession, relay: FreezableRelay) -> str:
    """Cut the session's network silently and let it reconnect and rejoin; returns its old socket id."""
    assert session.self_participant is not None
    old_sid = session.self_participant.socket_id
    relay.freeze()
    await session.signaling.drop_connection()
    await wait_until(
        lambda: session.self_participant is not None and session.self_participant.socket_id != old_sid,
        timeout=15,
        what="the rejoin",
    )
    return old_sid


async def test_every_join_of_a_call_carries_its_one_resume_id(
    call_server: ServerProcess, relay: FreezableRelay, room_of: Any, sessions: Callable[..., CallSession]
) -> None:
    room_id, (token, other_token) = await room_of(users=2)
    session = sessions(token, video=False, audio=False, server_url=relay.url)
    sent = record_joins(session.signaling)
    await session.join(room_id)
    await silent_death(session, relay)
    await wait_until(lambda: len(sent) == 2, what="the second join")
    assert sent[0] is not None and RESUME_ID.fullmatch(sent[0])
    assert sent == [session.resume_id, session.resume_id]
    another_call = sessions(other_token, video=False, audio=False)
    assert another_call.resume_id != session.resume_id  # chosen per call
    assert recorder(session).errors == []


async def test_a_rejoin_replaces_the_old_socket(
    call_server: ServerProcess, relay: FreezableRelay, room_of: Any, sessions: Callable[..., CallSession]
) -> None:
    room_id, (token, observer_token) = await room_of(users=2)
    observer = await Peer(call_server.url, observer_token).connect()
    try:
        await observer.join(room_id)
        session = sessions(token, video=False, audio=False, server_url=relay.url)
        await session.join(room_id)
        assert session.self_participant is not None
        assert (await observer.log.next("user-joined"))["socketId"] == session.self_participant.socket_id

        old_sid = await silent_death(session, relay)
        assert session.self_participant is not None
        new_sid = session.self_participant.socket_id
        assert (await observer.log.next("user-joined", timeout=10))["socketId"] == new_sid
        # The old socket goes at once, not at the server's ping timeout (~45 s): nobody sees us twice.
        try:
            left = await observer.log.next("user-left", timeout=3)
        except TimeoutError:
            pytest.fail("the server kept our old socket in the room: it does not replace sockets by resumeId (v1.1)")
        assert left["socketId"] == old_sid
        # The app took its own old socket for no one: no participant, no connection to it, no error.
        assert list(session.participants) == [observer.sid]
        assert old_sid not in session.peers
        assert recorder(session).errors == []
        assert observer.violations == []
    finally:
        await observer.close()


async def test_our_old_socket_in_the_ack_and_its_user_left_are_ignored(
    make_server: Callable[..., ServerProcess], tmp_path: Path, sessions: Callable[..., CallSession]
) -> None:
    """Whatever the server: one that still holds our old socket lists it in the rejoin's ack, and says user-left about
    it when it finally goes (here after its 1 s ping timeout; a v1.1 server at once). It is us: never a participant,
    never a connection, no error."""
    server = make_server(env={"NIMEET_PING_INTERVAL_S": "1", "NIMEET_PING_TIMEOUT_S": "1"})
    server.start()
    api = Api(server.url)
    token, observer_token = [(await api.register())["token"] for _ in range(2)]
    room_id = (await api.create_room(token))["roomId"]
    await api.aclose()
    observer = await Peer(server.url, observer_token).connect()
    try:
        await observer.join(room_id)
        async with relay_to(server) as tcp_relay:
            session = sessions(token, video=False, audio=False, server_url=tcp_relay.url)
            await session.join(room_id)
            old_sid = await silent_death(session, tcp_relay)
            assert session.self_participant is not None
            assert (await observer.log.next("user-joined", index=1, timeout=10))["socketId"] == (
                session.self_participant.socket_id
            )
            left = await observer.log.next("user-left", timeout=10)
            assert left["socketId"] == old_sid
            await asyncio.sleep(0.5)  # our new socket heard the same user-left
            assert old_sid not in recorder(session).joined
            assert list(session.participants) == [observer.sid]
            assert list(session.peers) == [observer.sid]
            # (the rejoin starts over: the observer left and came back, as after any reconnect)
            assert old_sid not in [sid for sid, _ in recorder(session).left]
            assert recorder(session).errors == []
    finally:
        await observer.close()
