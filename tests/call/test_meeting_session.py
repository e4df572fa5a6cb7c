"""``CallSession`` in a meeting (contract v1.1) with real media against the real server: a password and a lobby, the
host admitting from its own session, the chat history, a rejoin after a dropped connection (which must carry the
password again), and the end of the meeting closing every call for good."""

from __future__ import annotations

import asyncio

from nimeet_desktop.call.meeting import EndReason, MeetingSnapshot
from nimeet_desktop.call.session import CallSession
from signaling_server.protocol import ChatMessage, JoinAck, WaitingAck
from tests.call.conftest import Recorder, frames_from, wait_until
from tests.support.clients import Api
from tests.support.server import ServerProcess

PASSWORD = "open sesame"


class MeetingRecorder(Recorder):
    def __init__(self) -> None:
        super().__init__()
        self.snapshots: list[MeetingSnapshot] = []
        self.chat: list[ChatMessage] = []
        self.ended: list[tuple[EndReason, str | None]] = []

    def on_meeting_changed(self, meeting: MeetingSnapshot) -> None:
        self.snapshots.append(meeting)

    def on_chat_message(self, message: ChatMessage) -> None:
        self.chat.append(message)

    def on_call_ended(self, reason: EndReason, by_username: str | None) -> None:
        self.ended.append((reason, by_username))


def watch(session: CallSession) -> MeetingRecorder:
    recorder = MeetingRecorder()
    session.observer = recorder
    return recorder


def last(recorder: MeetingRecorder) -> MeetingSnapshot:
    return recorder.snapshots[-1]


async def test_a_lobby_with_a_password_then_a_rejoin_then_the_end(call_server: ServerProcess, sessions) -> None:
    api = Api(call_server.url)
    host_user, guest_user = await api.register(), await api.register()
    room = await api.create_room(host_user["token"], isPrivate=True, password=PASSWORD)
    await api.aclose()
    host, guest = sessions(host_user["token"]), sessions(guest_user["token"])
    host_seen, guest_seen = watch(host), watch(guest)

    assert isinstance(await host.join(room["roomId"]), JoinAck)  # the owner needs no password and never waits
    assert last(host_seen).is_host
    before = await host.send_chat("before you came")

    waiting = await guest.join(room["roomId"], password=PASSWORD)
    assert isinstance(waiting, WaitingAck)
    assert last(guest_seen).waiting and guest.participants == {} and guest.peers == {}
    await wait_until(lambda: [e.socket_id for e in last(host_seen).lobby] == [waiting.self_.socket_id], what="knock")
    assert host.participants == {}, "someone waiting is not in the room"

    await host.admit(waiting.self_.socket_id)
    await wait_until(lambda: frames_from(host, guest) > 10 and frames_from(guest, host) > 10, what="video both ways")
    assert not last(guest_seen).waiting and last(host_seen).lobby == ()
    assert [m.id for m in guest_seen.chat] == [before.id], "the history came with the admission"
    me = last(guest_seen).me
    assert me is not None and me.role == "participant"

    # The guest's connection drops: it reconnects and rejoins, with the password again (admitted once, no lobby).
    old_sid = waiting.self_.socket_id
    await guest.signaling.drop_connection()
    await wait_until(lambda: guest.signaling.reconnects == 1, timeout=15, what="the reconnect")
    await wait_until(
        lambda: (
            guest.self_participant is not None
            and guest.self_participant.socket_id != old_sid
            and frames_from(host, guest) > 10
            and frames_from(guest, host) > 10
        ),
        timeout=20,
        what="video again after the rejoin",
    )
    assert guest.errors == [], guest.errors
    assert not last(guest_seen).waiting
    assert [m.id for m in guest_seen.chat] == [before.id], "a rejoin's history is not told twice"

    await host.end_meeting()
    await wait_until(lambda: guest_seen.ended != [] and host_seen.ended != [], what="the end, told to both")
    name = host_user["user"]["username"]
    assert guest_seen.ended == [("ended-by-host", name)] and host_seen.ended == [("ended-by-host", name)]
    # Both calls end by themselves: peers closed, signaling closed, nothing rejoins.
    await wait_until(lambda: guest.peers == {} and host.peers == {}, what="the peers closed")
    await asyncio.wait_for(guest.leave(), 10)
    assert guest.signaling.reconnects == 1 and last(guest_seen).ended == "ended-by-host"
    assert guest.errors == [] and host.errors == []
