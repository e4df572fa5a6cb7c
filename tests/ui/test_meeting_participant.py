"""The app as a participant in someone else's private meeting, wired to the engine (issue 14): it waits in the lobby
on the waiting screen until the host (a bare socket of another account) lets it in; the host's mute turns its
microphone off with a toast and it may turn it on again; its raised hand and reactions reach the host, and the
host's raised hand and private message reach it; the host removes it, and the window says so on the dashboard."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from nimeet_desktop.ui.call_ended import CallEndedNotice
from nimeet_desktop.ui.main_window import MainWindow
from signaling_server.protocol import REACTIONS
from tests.ui.conftest import AppHarness, until
from tests.ui.test_joining_meetings import Owner, signed_in
from tests.ui.test_meeting_e2e import chat_texts

pytestmark = pytest.mark.usefixtures("loopback_media")

# What the app does asynchronously (the engine's thread, the server, the host's socket) may take this long on a loaded
# CI machine (the whole suite on two workers on two cores); locally it takes well under a second.
LOADED_S = 30.0


def test_the_app_waits_is_let_in_muted_and_removed(qtbot: QtBot, app: AppHarness) -> None:
    app.run(participant(app, qtbot), timeout=120)


async def join_from_prejoin(window: MainWindow, qtbot: QtBot, room_id: str) -> None:
    window.open_prejoin(room_id)
    prejoin = window.prejoin
    await until(lambda: window.current is prejoin and prejoin.join_button.isEnabled(), LOADED_S, what="pre-join")
    qtbot.mouseClick(prejoin.join_button, Qt.MouseButton.LeftButton)


async def participant(app: AppHarness, qtbot: QtBot) -> None:
    owner = await Owner(app.server.url).sign_up()
    try:
        room = (await owner.api.create_room(name="Standup", is_private=True)).room
        host = await owner.enter(room.room_id)
        window = await signed_in(app, qtbot)
        await join_from_prejoin(window, qtbot, room.room_id)

        # The lobby's screen until the host lets us in, then the call with the host's tile.
        await until(lambda: window.current is window.lobby_view, LOADED_S, what="the waiting screen")
        assert window.lobby_view.room_label.text() == "Standup"
        # Joined from pre-join with the microphone on: it is on from the join (the waiting screen follows the join's
        # answer, and the answer's picture of our media comes with it). Not a wait: pre-join's microphone, still
        # opening when Join was clicked on a loaded machine, used to be lost, and the app stayed muted for good.
        waiting_call = window.call_view.call
        assert waiting_call is not None and waiting_call.media_state.microphone, "joined without the microphone"
        knock = await host.log.next("lobby-knock")
        assert await host.call("admit", {"target": knock["socketId"]}) == {"ok": True}
        view = window.call_view
        await until(lambda: window.current is view and view.grid.tile(host.sid) is not None, LOADED_S, what="let in")
        await until(lambda: view.controls.people_button.isVisible(), LOADED_S, what="the meeting's controls")
        app_sid = knock["socketId"]
        assert view.meeting.people.room_settings_button.isHidden()  # not our room: not ours to change

        # Muted by the host: the microphone goes off, a toast says who; we may turn it on again.
        toasts: list[str] = []
        view.toast.connect(lambda text, _kind: toasts.append(text))
        assert view.call is waiting_call and waiting_call.media_state.microphone, "admitted, the microphone still on"
        await host.call("mute-participant", {"target": app_sid, "mediaType": "microphone"})
        await until(lambda: view.call is not None and not view.call.media_state.microphone, LOADED_S, what="muted")
        await until(lambda: any("muted your microphone" in t for t in toasts), LOADED_S, what="the toast")
        call = view.call
        assert call is not None
        assert not view.controls.mic_button.isChecked() or not call.media_state.microphone
        qtbot.mouseClick(view.controls.mic_button, Qt.MouseButton.LeftButton)
        await until(lambda: view.call is not None and view.call.media_state.microphone, LOADED_S, what="on again")
        # The server told the room of the mute (the host too); then ours, and only one of each.
        off = {"socketId": app_sid, "mediaType": "microphone", "enabled": False}
        assert await host.log.next("media-toggled") == off
        assert await host.log.next("media-toggled") == {**off, "enabled": True}

        # Our hand and a reaction reach the host; the host's hand and private message reach us.
        qtbot.mouseClick(view.controls.hand_button, Qt.MouseButton.LeftButton)
        raised = await host.log.next("hand-raised")
        assert (raised["socketId"], raised["raised"]) == (app_sid, True)
        await until(lambda: view.controls.hand_button.isChecked(), LOADED_S, what="our hand button shows it")
        view.react.emit(REACTIONS[1])
        assert await host.log.next("reaction") == {"socketId": app_sid, "emoji": REACTIONS[1]}
        await host.call("raise-hand", {"raised": True})
        host_row = view.meeting.people.rows
        await until(lambda: host_row[host.sid].participant.hand_raised_at is not None, LOADED_S, what="the host's hand")
        await host.call("chat-message", {"text": "just between us", "to": app_sid})
        chat = view.meeting.chat
        await until(lambda: any("just between us" in t for t in chat_texts(chat)), LOADED_S, what="the private message")

        # Removed: the call ends, the dashboard shows, a notice says who did it.
        await host.call("remove-participant", {"target": app_sid})
        await until(
            lambda: window.current is window.dashboard and window.call_ended_notice is not None, LOADED_S, what="out"
        )
        notice = window.call_ended_notice
        assert isinstance(notice, CallEndedNotice)
        assert "removed you" in notice.text()
        assert view.call is None
    finally:
        await owner.close()
