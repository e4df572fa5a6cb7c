"""A call in the real window: the app, two headless engine sessions ("bots") and the real server, media on
loopback. What a person would check: the tiles move, the buttons do what they say, people come and go."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot

from nimeet_desktop.call.session import CallSession
from nimeet_desktop.media.base import VideoSource
from nimeet_desktop.media.devices import DeviceProblem, DeviceUnavailable
from nimeet_desktop.media.provider import DeviceChoice, SyntheticMediaProvider
from nimeet_desktop.media.synthetic import SyntheticAudio, SyntheticVideo
from nimeet_desktop.net.signaling import ConnectionState
from nimeet_desktop.ui.main_window import MainWindow
from nimeet_desktop.ui.video_tile import VideoTile
from tests.call.conftest import Recorder
from tests.support.clients import Api
from tests.ui.conftest import AppHarness, engine_until, new_user, register, start_new_call, until

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


async def with_bots(app: AppHarness, qtbot: QtBot, body: Callable[[AppHarness, Bots, QtBot], Awaitable[None]]) -> None:
    """Run ``body`` with a fresh Bots; they leave inside the test, while the loop still runs (a fixture's teardown
    would leave them after the call window is gone)."""
    bots = Bots(app)
    try:
        await body(app, bots, qtbot)
    finally:
        await bots.leave_all()


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
    start_new_call(qtbot, window)
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
    me = view.call.self_participant
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
    assert call is not None
    camera = await call.read_engine(lambda c: c.session.camera)
    assert camera is not None
    qtbot.mouseClick(view.controls.leave_button, Qt.MouseButton.LeftButton)
    await until(lambda: window.current is window.dashboard, what="the dashboard after leaving")
    assert view.call is None
    assert camera.source.readyState == "ended", "the camera was left open"
    await until(lambda: me.socket_id not in a.participants, what="the bot to see us leave")


# Our own share is framed ("You are presenting"): a shaped window the offscreen platform draws square.
@pytest.mark.qt_log_ignore("This plugin does not support setting window masks", "This plugin does not support raise")
def test_screen_share_takes_the_big_spot_and_reconnecting_is_shown(qtbot: QtBot, app: AppHarness, bots: Bots) -> None:
    app.run(share_and_reconnect(app, bots, qtbot), timeout=120)


async def share_and_reconnect(app: AppHarness, bots: Bots, qtbot: QtBot) -> None:
    window = await enter_call(app, qtbot)
    view = window.call_view
    assert view.call is not None
    (bot,) = await bots.join(view.room_id, 1)
    assert bot.self_participant is not None
    bot_id = bot.self_participant.socket_id
    await until(lambda: view.grid.tile(bot_id) is not None, what="the bot's tile")

    # A remote screen share takes the big spot, and gives it back when it stops.
    await bot.start_screen_share(SyntheticVideo(1280, 720, 15, label="screen"))
    await until(lambda: view.grid.featured_tile_id == bot_id, what="the shared screen featured")
    bot_tile = view.grid.tile(bot_id)
    assert bot_tile is not None
    await until(lambda: bot_tile.conversions > 3, what="the screen painted")
    await bot.stop_screen_share()
    await until(lambda: view.grid.featured_tile_id is None, what="the big spot given back")

    # Our own share, from the control bar (one monitor: no picker). Our tile stops mirroring: text must read.
    own = view.grid.tile("self")
    assert own is not None
    qtbot.mouseClick(view.controls.screen_button, Qt.MouseButton.LeftButton)
    await until(lambda: view.controls.sharing, what="sharing")
    assert not own.mirrored
    me = view.call.self_participant
    assert me is not None
    await until(lambda: bot.participants[me.socket_id].media.screen, what="the bot told we share")
    qtbot.mouseClick(view.controls.screen_button, Qt.MouseButton.LeftButton)
    await until(lambda: not view.controls.sharing and own.mirrored, what="sharing stopped")

    # The signaling connection drops: the cover says so, the call comes back by itself with everyone in it.
    states: list[str] = []
    view.call.connection_changed.connect(lambda state, _detail: states.append(state))
    shown: list[bool] = []
    view.call.connection_changed.connect(lambda _s, _d: shown.append(view.overlay.isVisible()))
    await view.call.on_engine(lambda call: call.session.signaling.drop_connection())
    await until(lambda: "reconnecting" in states and states[-1] == "connected", what="reconnected")
    assert True in shown, "the reconnecting cover never showed"
    assert not view.overlay.isVisible()
    await until(lambda: len(view.grid.tiles()) == 2, what="the bot back after the rejoin")
    assert not [m for k, m in window.toasts.history if m.endswith(" left")], "rejoin churn shown as leaving"


class NoCameraProvider(SyntheticMediaProvider):
    """A machine whose camera is there but will not open (busy in another app, or no permission)."""

    def open_camera(self, device: str | None) -> VideoSource:
        raise DeviceUnavailable("camera 0 is busy", DeviceProblem.BUSY)


def test_a_camera_that_will_not_open(qtbot: QtBot, app: AppHarness) -> None:
    app.provider = NoCameraProvider(320, 240)
    app.run(no_camera(app, qtbot), timeout=60)


async def no_camera(app: AppHarness, qtbot: QtBot) -> None:
    window = app.build()
    await window.start()
    register(qtbot, window, new_user())
    await until(lambda: window.current is window.dashboard, what="the dashboard")
    start_new_call(qtbot, window)
    prejoin = window.prejoin
    await until(
        lambda: prejoin.device_error.text() == "The camera is in use by another application",
        what="the camera error in pre-join",
    )
    await until(lambda: prejoin.join_button.isEnabled(), what="join still possible")
    qtbot.mouseClick(prejoin.join_button, Qt.MouseButton.LeftButton)
    view = window.call_view
    # Regression: our tile was born claiming a camera and said otherwise only when the join came back, so a
    # camera error toast could come first and find the tile still "on" (CI, 2026-12-03).
    await until(lambda: view.grid.tile("self") is not None, what="our tile")
    born = view.grid.tile("self")
    assert born is not None and not born.camera_on, "our tile claims a camera before the join has come back"
    await until(lambda: view.call is not None and view.call.self_participant is not None, what="joined")
    assert view.call is not None
    assert not view.call.media_state.camera
    qtbot.mouseClick(view.controls.camera_button, Qt.MouseButton.LeftButton)
    await until(
        lambda: ("error", "The camera is in use by another application") in window.toasts.history,
        what="the error toast, in a sentence",
    )
    assert view.controls.camera_button.property("off") is True, "the button claims a camera that is not there"
    own = view.grid.tile("self")
    assert own is not None and not own.camera_on


class TwoCameras(SyntheticMediaProvider):
    def cameras(self) -> list[DeviceChoice]:
        return [DeviceChoice("front", "Front camera"), DeviceChoice("back", "Back camera")]


def test_pre_join_keeps_the_saved_devices_and_its_keys_work(qtbot: QtBot, app: AppHarness) -> None:
    """Regression: opening pre-join with "join muted" saved set overwrote the saved camera with nothing (the pickers
    were still empty), so the first camera came back instead of the chosen one."""
    app.provider = TwoCameras(320, 240)
    app.run(saved_devices(app, qtbot), timeout=60)


async def saved_devices(app: AppHarness, qtbot: QtBot) -> None:
    window = app.build()
    window.context.settings.camera = "back"
    window.context.settings.join_with_microphone = False
    await window.start()
    register(qtbot, window, new_user())
    await until(lambda: window.current is window.dashboard, what="the dashboard")
    start_new_call(qtbot, window)
    prejoin = window.prejoin
    await until(lambda: window.current is prejoin and prejoin.cameras.count() == 2, what="the camera picker filled")
    assert prejoin.cameras.currentData() == "back"
    assert window.context.settings.camera == "back"
    assert not prejoin.mic_button.isChecked()
    # The keys the tooltips name work here too.
    assert "(M)" in prejoin.mic_button.toolTip()
    qtbot.keyClick(prejoin, Qt.Key.Key_M)
    assert prejoin.mic_button.isChecked()
    qtbot.keyClick(prejoin, Qt.Key.Key_V)
    assert not prejoin.camera_button.isChecked()


def test_closing_the_window_during_a_leave_waits_for_the_leave(qtbot: QtBot, app: AppHarness, bots: Bots) -> None:
    """Regression (issue 9, item 3): "Leave" then closing the window at once cancelled the leave half-way (the
    window cancelled the view's tasks, the leave among them): peers stayed open, the signaling client never closed.
    """
    app.run(leave_then_close(app, bots, qtbot), timeout=90)


async def leave_then_close(app: AppHarness, bots: Bots, qtbot: QtBot) -> None:
    window = await enter_call(app, qtbot)
    view = window.call_view
    call = view.call
    assert call is not None
    (bot,) = await bots.join(view.room_id, 1)
    await until(lambda: len(view.grid.tiles()) == 2, what="the bot's tile")
    await engine_until(call, lambda c: c.session.peers, what="the bot in the call")
    peers = await call.read_engine(lambda c: list(c.session.peers.values()))
    signaling = await call.read_engine(lambda c: c.session.signaling)
    me = call.self_participant
    assert me is not None

    qtbot.mouseClick(view.controls.leave_button, Qt.MouseButton.LeftButton)
    assert view.leaving
    await window.shutdown()  # what closing the window does, while the leave is still on its way to the server

    assert call.engine.closed, "the engine's thread outlived the window"
    assert signaling.state == ConnectionState.CLOSED
    assert all(peer.closed and peer.pc.connectionState == "closed" for peer in peers), "a peer was left open"
    await until(lambda: me.socket_id not in bot.participants, what="the bot to see us leave")


def test_the_first_connection_says_connecting_and_a_lost_one_reconnecting(qtbot: QtBot, app: AppHarness) -> None:
    """Regression (item 8): the cover said "Reconnecting…" while the very first connection was being made."""
    window = app.build()
    view = window.call_view
    window.stack.setCurrentWidget(view)
    view._connection(ConnectionState.CONNECTING, "")
    assert view.overlay.isVisible() and view.overlay.label.text() == "Connecting…"
    view._connection(ConnectionState.CONNECTED, "")
    assert not view.overlay.isVisible()
    view._connection(ConnectionState.RECONNECTING, "connection lost")
    assert view.overlay.isVisible() and view.overlay.label.text() == "Reconnecting…"


class WindowsToShare(SyntheticMediaProvider):
    """One monitor and two application windows (titles as other programs write them); what was opened is kept."""

    def __init__(self) -> None:
        super().__init__(320, 240)
        self.opened: list[str] = []
        self.excluded: frozenset[int] = frozenset()

    def windows(self, exclude: frozenset[int] = frozenset()) -> list[DeviceChoice]:
        self.excluded = exclude
        return [DeviceChoice("window:4194307", "Q3 report & plan.ods"), DeviceChoice("window:4194311", "Слайды")]

    def open_screen(self, monitor: str) -> VideoSource:
        self.opened.append(monitor)
        return super().open_screen(monitor)

    def share_area(self, target: str) -> tuple[int, int, int, int] | None:
        return (300, 200, 640, 360) if target == "window:4194311" else None


@pytest.mark.parametrize("wayland", [False, True])
@pytest.mark.qt_log_ignore(
    "This plugin does not support raise",
    "This plugin does not support grabbing",
    "This plugin does not support setting window masks",  # the frame's shape: offscreen draws it square
)
def test_a_window_is_chosen_to_share_and_wayland_is_told(
    qtbot: QtBot, app: AppHarness, monkeypatch: pytest.MonkeyPatch, wayland: bool
) -> None:
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setenv("XDG_SESSION_TYPE", "wayland" if wayland else "x11")
    provider = app.provider = WindowsToShare()
    app.run(share_a_window(app, qtbot, provider, wayland), timeout=60)


async def share_a_window(app: AppHarness, qtbot: QtBot, provider: WindowsToShare, wayland: bool) -> None:
    window = app.build()
    await window.start()
    register(qtbot, window, new_user())
    await until(lambda: window.current is window.dashboard, what="the dashboard")
    start_new_call(qtbot, window)
    prejoin = window.prejoin
    await until(lambda: window.current is prejoin and prejoin.join_button.isEnabled(), what="pre-join ready")
    qtbot.mouseClick(prejoin.join_button, Qt.MouseButton.LeftButton)
    view = window.call_view
    await until(lambda: view.call is not None and view.call.self_participant is not None, what="joined")
    qtbot.mouseClick(view.controls.screen_button, Qt.MouseButton.LeftButton)
    await until(lambda: view.controls.share_menu is not None, what="the picker, with windows to choose from")
    menu = view.controls.share_menu
    assert menu is not None
    items = [(a.text(), "section" if a.isSeparator() else a.isEnabled()) for a in menu.actions()]
    expected: list[tuple[str, str | bool]] = [
        ("Screens", "section"),
        ("Synthetic screen (1280×720)", True),
        ("Windows", "section"),
        ("Q3 report && plan.ods", True),  # shown as "Q3 report & plan.ods": no shortcut letter taken from it
        ("Слайды", True),
    ]
    if wayland:
        expected.insert(0, ("Sharing needs an X11 session: on Wayland only a black picture is sent", False))
    assert items == expected
    assert int(window.winId()) in provider.excluded, "our own window is not offered"
    next(action for action in menu.actions() if action.text() == "Слайды").trigger()
    await until(lambda: view.controls.sharing, what="sharing the window")
    assert provider.opened == ["window:4194311"]
    # Framed while shared: around the window, just outside it, with its tab; gone when the sharing stops.
    await until(lambda: view.presenting_frame is not None and view.presenting_frame.isVisible(), what="the frame")
    frame = view.presenting_frame
    assert frame is not None and frame.shown_area == (300, 200, 640, 360)
    assert frame.geometry().getRect() == (296, 172, 648, 392), "the border outside the window, the tab above it"
    assert frame.text == "You are presenting"
    qtbot.mouseClick(view.controls.screen_button, Qt.MouseButton.LeftButton)
    await until(lambda: not view.controls.sharing and view.presenting_frame is None, what="sharing stopped")
