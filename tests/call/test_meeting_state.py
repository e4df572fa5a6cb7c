"""``call/meeting.py``: the meeting as the client sees it, fed the way CallSession feeds it (the whole flow against
the real server is in tests/call/test_meeting_bots.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from nimeet_desktop.call.meeting import CHAT_KEPT_MAX, Meeting
from signaling_server.protocol import (
    ChatMessage,
    HandRaised,
    LobbyEntry,
    MediaState,
    Participant,
    RecordingChanged,
    RoleChanged,
    Room,
)

OFF = MediaState(camera=False, microphone=False, screen=False)
T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def person(socket_id: str, role: str = "participant") -> Participant:
    return Participant.model_validate(
        {"socketId": socket_id, "userId": f"u-{socket_id}", "username": socket_id, "mediaState": OFF, "role": role}
    )


def knock(socket_id: str) -> LobbyEntry:
    return LobbyEntry(socket_id=socket_id, user_id=f"u-{socket_id}", username=socket_id)


def message(n: int, to: str | None = None) -> ChatMessage:
    return ChatMessage.model_validate(
        {"id": f"m{n}", "from": "a", "userId": "u-a", "username": "a", "text": f"hello {n}", "sentAt": T0, "to": to}
    )


def test_a_lobby_wait_then_the_room() -> None:
    meeting = Meeting()
    meeting.wait_in_lobby(person("me"))
    snapshot = meeting.snapshot()
    assert snapshot.waiting and snapshot.participants == () and not snapshot.is_host

    meeting.enter(person("me"), None)
    meeting.add(person("a", "host"))
    snapshot = meeting.snapshot()
    assert not snapshot.waiting and [p.socket_id for p in snapshot.participants] == ["a"]
    assert snapshot.me is not None and snapshot.me.role == "participant"


def test_the_lobby_is_a_hosts_business() -> None:
    meeting = Meeting()
    meeting.enter(person("me"), None)
    assert not meeting.lobby_knock(knock("x")), "a participant is not told who waits"

    meeting.enter(person("me", "host"), [knock("w1")])
    assert meeting.lobby_knock(knock("w2"))
    assert not meeting.lobby_knock(knock("w2")), "the same knock twice is one person"
    assert [e.socket_id for e in meeting.snapshot().lobby] == ["w1", "w2"]
    assert meeting.lobby_left("w1") and not meeting.lobby_left("w1")
    assert [e.socket_id for e in meeting.snapshot().lobby] == ["w2"]

    # Demoted, we hear nothing more of the lobby: what we knew of it would only go stale.
    assert meeting.role_changed(RoleChanged(socket_id="me", role="participant"))
    assert meeting.snapshot().lobby == () and not meeting.snapshot().is_host


def test_roles_hands_and_recording_follow_the_events() -> None:
    meeting = Meeting()
    meeting.enter(person("me"), None)
    meeting.add(person("a", "host"))
    meeting.add(person("b"))

    assert meeting.role_changed(RoleChanged(socket_id="b", role="host"))
    assert not meeting.role_changed(RoleChanged(socket_id="b", role="host")), "no change, no news"
    assert not meeting.role_changed(RoleChanged(socket_id="stranger", role="host"))

    assert meeting.hand_raised(HandRaised(socket_id="a", raised=True, at=T0 + timedelta(seconds=5)))
    assert meeting.own_hand(True)  # ours is raised later, by our clock
    assert meeting.hand_raised(HandRaised(socket_id="b", raised=True, at=T0))
    assert [p.socket_id for p in meeting.snapshot().raised_hands()] == ["b", "a", "me"]
    assert meeting.hand_raised(HandRaised(socket_id="me", raised=False, at=None))  # a host lowered it
    assert [p.socket_id for p in meeting.snapshot().raised_hands()] == ["b", "a"]

    assert meeting.recording_changed(RecordingChanged(socket_id="a", active=True))
    assert [p.socket_id for p in meeting.snapshot().recording()] == ["a"]
    assert meeting.role_changed(RoleChanged(socket_id="me", role="host"))
    assert meeting.snapshot().is_host


def test_the_snapshot_shows_our_media_as_the_session_has_it() -> None:
    meeting = Meeting()
    meeting.enter(person("me"), None)
    on = MediaState(camera=True, microphone=True, screen=False)
    snapshot = meeting.snapshot(own_media=on)
    assert snapshot.me is not None and snapshot.me.media_state == on
    assert meeting.me is not None and meeting.me.media_state == OFF, "the snapshot is a copy"

    meeting.add(person("a"))
    meeting.set_media("a", "camera", True)
    assert meeting.snapshot().participants[0].media_state.camera


def test_the_room_and_its_lock() -> None:
    meeting = Meeting()
    room = Room.model_validate(
        {"roomId": "r", "name": "n", "ownerId": "o", "createdAt": T0, "maxParticipants": 8, "locked": True}
    )
    assert meeting.room_updated(room) and not meeting.room_updated(room)
    assert meeting.snapshot().locked


def test_chat_history_is_not_told_twice_and_stays_bounded() -> None:
    meeting = Meeting()
    assert [m.id for m in meeting.add_chat([message(1), message(2)])] == ["m1", "m2"]
    # A rejoin's history repeats what we have; a private message (never in a history) stays.
    assert [m.id for m in meeting.add_chat([message(3, to="me")])] == ["m3"]
    assert [m.id for m in meeting.add_chat([message(1), message(2), message(4)])] == ["m4"]
    assert [m.id for m in meeting.chat] == ["m1", "m2", "m3", "m4"]

    meeting.add_chat(message(n) for n in range(5, CHAT_KEPT_MAX + 10))
    assert len(meeting.chat) == CHAT_KEPT_MAX
    assert meeting.chat[-1].id == f"m{CHAT_KEPT_MAX + 9}"


def test_the_end_forgets_the_room() -> None:
    meeting = Meeting()
    meeting.enter(person("me", "host"), [knock("w")])
    meeting.add(person("a"))
    meeting.end("removed")
    snapshot = meeting.snapshot()
    assert (snapshot.ended, snapshot.participants, snapshot.lobby, snapshot.waiting) == ("removed", (), (), False)
