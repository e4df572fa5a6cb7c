"""A call in the real window: the app, two headless engine sessions ("bots") and the real server, media on
loopback. What a person would check: the tiles move, the buttons do what they say, people come and go."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot

from nimeet_desktop.call.session import CallSession
from nimeet_desktop.media.synthetic import SyntheticAudio, SyntheticVideo
from nimeet_desktop.ui.main_window import MainWindow
from nimeet_desktop.ui.video_tile import VideoTile
from tests.call.conftest import Recorder
from tests.support.clients import Api
from tests.ui.conftest import AppHarness, new_user, register, until

pytestmark = pytest.mark.usefixtures("loopback_media")


def snapshot(tile: VideoTile) -> QImage:
    return tile.grab().toImage()


class Bots:
    def __init__(self, app: AppHarness) -> None:
        self.app = app
        self.sessions: list[CallSession] = []

    async def join(self, room_id: str, count: int) -> list[CallSession]:
        api = Api(self.app.server.url)
        try:
            for _ in range(count):
                token = (await api.register())["token"]
                session = CallSession(
                    self.app.server.url,
                    token,
                    [],
                    observer=Recorder(),
                    camera_factory=lambda: SyntheticVideo(320, 240, 30),
                    microphone=SyntheticAudio(),
                )
                await session.join(room_id)
                self.sessions.append(session)
        finally:
            await api.aclose()
        return self.sessions

    async def leave_all(self) -> None:
        for session in self.sessions:
            await session.leave()


@pytest.fixture
def bots(app: AppHarness) -> Iterator[Bots]:
    made = Bots(app)
    yield made
    app.run(made.leave_all())


async def enter_call(app: AppHarness, qtbot: QtBot) -> MainWindow:
    """Register, "New call", the pre-join preview shows the camera, "Join now"."""
    window = app.build()
    await window.start()
    register(qtbot, window, new_user())
    await until(lambda: window.current is window.dashboard, what="the dashboard")
    qtbot.mouseClick(window.dashboard.new_call_button, Qt.MouseButton.LeftButton)
    await until(lambda: window.current is window.prejoin, what="pre-join")
    prejoin = window.prejoin
    await until(lambda: prejoin.join_button.isEnabled() and prejoin.tile.conversions > 3, what="a live preview")
    assert prejoin.cameras.currentText() == "Synthetic camera"
    await until(lambda: prejoin.meter.value() > 0, what="the microphone level meter moving")
    qtbot.mouseClick(prejoin.join_button, Qt.MouseButton.LeftButton)
    await until(lambda: window.call_view.call is not None and window.call_view.grid.tile("self"), what="the call")
    return window


def test_a_call_with_two_bots(qtbot: QtBot, app: AppHarness, bots: Bots) -> None:
    # One coroutine for the whole flow: Qt events (clicks, paints) then always run with the loop running, as
    # in the app, so the engine's tasks never step outside it. (qtbot comes first so that it is torn down last,
    # after the bots and the window have closed everything.)
    app.run(call_with_two_bots(app, bots, qtbot), timeout=120)


async def call_with_two_bots(app: AppHarness, bots: Bots, qtbot: QtBot) -> None:
    window = await enter_call(app, qtbot)
    view = window.call_view
    assert view.call is not None
    room_id = view.room_id
    a, b = await bots.join(room_id, 2)
    await until(lambda: len(view.grid.tiles()) == 3, what="three tiles")
    assert view.controls.count.text() == "3"
    me = view.call.session.self_participant
    assert me is not None

    # Every tile's picture changes over time (the synthetic pattern moves): frames flow in and out.
    await until(lambda: all(t.conversions > 5 for t in view.grid.tiles()), timeout=15, what="frames on every tile")
    before = {t.tile_id: snapshot(t) for t in view.grid.tiles()}
    await until(lambda: all(t.conversions > 20 for t in view.grid.tiles()), timeout=15, what="more frames")
    for tile in view.grid.tiles():
        assert snapshot(tile) != before[tile.tile_id], f"tile {tile.name} did not change"
    for bot in (a, b):
        await until(lambda: bot.participants[me.socket_id].stats.video_frames > 10, what="our video at a bot")  # noqa: B023
    names = {t.name for t in view.grid.tiles()}
    assert "You" in names and len(names) == 3

    # Camera off: our tile shows the avatar, the button turns red, both bots are told.
    own = view.grid.tile("self")
    assert own is not None and own.camera_on and own.mirrored
    qtbot.mouseClick(view.controls.camera_button, Qt.MouseButton.LeftButton)
    await until(lambda: not own.camera_on, what="our tile to show the avatar")
    assert view.controls.camera_button.property("off") is True
    for bot in (a, b):
        await until(lambda: not bot.participants[me.socket_id].media.camera, what="media-toggled at a bot")  # noqa: B023
    qtbot.mouseClick(view.controls.camera_button, Qt.MouseButton.LeftButton)
    await until(lambda: own.camera_on, what="our camera back")
    await until(lambda: a.participants[me.socket_id].media.camera, what="camera on at a bot")

    # Microphone: muted icon on our tile, the bots see it.
    qtbot.mouseClick(view.controls.mic_button, Qt.MouseButton.LeftButton)
    await until(lambda: not own.mic_on, what="our tile muted")
    assert view.controls.mic_button.property("off") is True
    await until(lambda: not b.participants[me.socket_id].media.microphone, what="mute seen by a bot")
    recorder = b.observer
    assert isinstance(recorder, Recorder)
    assert (me.socket_id, {"camera": True, "microphone": False, "screen": False}) in recorder.updates

    # A bot mutes: its tile shows it.
    assert a.self_participant is not None
    a_tile = view.grid.tile(a.self_participant.socket_id)
    assert a_tile is not None
    await a.set_microphone(False)
    await until(lambda: not a_tile.mic_on, what="the bot's tile muted")

    # A bot leaves: its tile goes and a toast says so.
    leaver = b.self_participant
    assert leaver is not None
    await b.leave()
    await until(lambda: view.grid.tile(leaver.socket_id) is None, what="the leaver's tile removed")
    assert any(kind == "info" and message.endswith(" left") for kind, message in window.toasts.history)
    assert view.controls.count.text() == "2"

    # Leave: back to the dashboard, devices closed.
    call = view.call
    qtbot.mouseClick(view.controls.leave_button, Qt.MouseButton.LeftButton)
    await until(lambda: window.current is window.dashboard, what="the dashboard after leaving")
    assert view.call is None
    assert call is not None and call.session.camera is not None
    assert call.session.camera.source.readyState == "ended", "the camera was left open"
    await until(lambda: me.socket_id not in a.participants, what="the bot to see us leave")
