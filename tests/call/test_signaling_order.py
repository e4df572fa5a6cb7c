"""Signaling events and connection-state changes reach the handler in one order, and a reconnect drops what the
old connection left queued (issue 9, item 1). Real server, a raw socket.io client as the other participant."""

from __future__ import annotations

import asyncio

import pytest

from nimeet_desktop.net.error_codes import LocalErrorCode
from nimeet_desktop.net.signaling import ConnectionState, SignalingClient, SignalingError
from signaling_server.protocol import MediaState, MediaToggled, Participant, Relayed, RelayedCandidate, UserLeft
from tests.call.conftest import wait_until
from tests.support.clients import Peer
from tests.support.server import ServerProcess

SDP = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"


class GatedHandler:
    """Records what it is told, in order; the first relay blocks until ``release`` is set, so later events queue."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.release = asyncio.Event()
        self.blocked = asyncio.Event()

    async def on_description(self, event: Relayed) -> None:
        self.seen.append(f"{event.description.type}:{event.from_}")
        if not self.blocked.is_set():
            self.blocked.set()
            await self.release.wait()

    async def on_connection_state(self, state: ConnectionState, detail: str | None) -> None:
        self.seen.append(f"state:{state}")

    async def on_user_joined(self, participant: Participant) -> None:
        self.seen.append(f"joined:{participant.socket_id}")

    async def on_user_left(self, event: UserLeft) -> None:
        self.seen.append(f"left:{event.socket_id}")

    async def on_candidate(self, event: RelayedCandidate) -> None:
        self.seen.append(f"candidate:{event.from_}")

    async def on_media_toggled(self, event: MediaToggled) -> None:
        self.seen.append(f"media:{event.socket_id}")


async def test_a_reconnect_drops_the_old_connections_queued_relays(call_server: ServerProcess, room_of) -> None:
    room_id, (token, other_token) = await room_of(users=2)
    handler = GatedHandler()
    client = SignalingClient(call_server.url, token, handler)
    other = Peer(call_server.url, other_token)
    try:
        await client.connect()
        await client.join(room_id, MediaState(camera=False, microphone=False, screen=False))
        await other.connect()
        await other.join(room_id)
        await wait_until(lambda: f"joined:{other.sid}" in handler.seen, what="user-joined")
        old_sid = client.socket_id
        for _ in range(3):
            await other.call("offer", {"target": old_sid, "description": {"type": "offer", "sdp": SDP}})
        await asyncio.wait_for(handler.blocked.wait(), 5)
        await wait_until(lambda: client._inbox.qsize() >= 2, what="two relays queued behind the blocked one")

        # The connection drops while the handler is busy with the first relay; the client reconnects meanwhile.
        await client.drop_connection()
        await wait_until(lambda: client.reconnects == 1, timeout=15, what="the reconnect")
        assert client.socket_id != old_sid
        handler.release.set()
        await wait_until(lambda: handler.seen[-1] == "state:connected", timeout=10, what="the reconnect told")
        await asyncio.sleep(0.2)  # anything still queued would be handed over now

        after_join = handler.seen[handler.seen.index(f"joined:{other.sid}") + 1 :]
        # One relay was being handled; the two queued behind it belonged to the old socket and are dropped, and the
        # handler hears of the reconnect only after the relay it was busy with, never in the middle of it.
        assert after_join == [f"offer:{other.sid}", "state:reconnecting", "state:connected"], handler.seen
        assert handler.seen[:2] == ["state:connecting", "state:connected"]
    finally:
        handler.release.set()
        await other.close()
        await client.close()


async def test_a_call_waiting_for_its_answer_ends_with_the_connection(call_server: ServerProcess, room_of) -> None:
    """The host's ``end-meeting``: the server tells everyone, the host too, before it answers, and the host's call
    closes its connection on that news; the call used to wait out its 10 s timeout for an answer that could no
    longer come (a CI run's "no answer to end-meeting"). Any call still waiting when its connection ends fails at
    once, as disconnected."""
    room_id, (token, _) = await room_of(users=2)
    client = SignalingClient(call_server.url, token, GatedHandler())
    try:
        await client.connect()
        await client.join(room_id, MediaState(camera=False, microphone=False, screen=False))
        waiting = asyncio.create_task(client.toggle_media("camera", True))
        await asyncio.sleep(0)  # sent: its answer is a round trip away, the close is not
        await client.close()
        with pytest.raises(SignalingError) as raised:
            await asyncio.wait_for(waiting, 5)  # well inside the 10 s an unanswered call waits
        assert raised.value.code == LocalErrorCode.DISCONNECTED
    finally:
        await client.close()
