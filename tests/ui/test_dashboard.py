"""The home screen's recent rooms, against the real server."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from nimeet_desktop.ui.main_window import MainWindow
from nimeet_desktop.ui.views.dashboard_view import ROOM_ID_ROLE
from tests.support.clients import Api, Peer
from tests.ui.conftest import AppHarness, new_user, register, until


def listed(window: MainWindow) -> list[str]:
    rooms = window.dashboard.rooms
    return [str(rooms.item(i).data(ROOM_ID_ROLE)) for i in range(rooms.count())]


def test_recent_rooms_keep_the_servers_order_and_each_servers_own_history(qtbot: QtBot, app: AppHarness) -> None:
    """Regression: the dashboard re-sorted the server's list by creation time, so a room joined a minute ago sank
    below every room created after it; and the remembered rooms of one server were looked up on any other."""

    async def flow() -> None:
        window = app.build()
        await window.start()
        register(qtbot, window, new_user())
        await until(lambda: window.current is window.dashboard, what="the dashboard")
        await until(lambda: not window.dashboard.loading.busy, what="the first room list")
        token = window.context.token
        assert token is not None
        api = Api(app.server.url)
        try:
            old = (await api.create_room(token, name="old"))["roomId"]
            new = (await api.create_room(token, name="new"))["roomId"]
            stranger = await api.register()
            elsewhere = (await api.create_room(stranger["token"], name="a room this user never joined"))["roomId"]
            theirs = (await api.create_room(stranger["token"], name="joined here"))["roomId"]
        finally:
            await api.aclose()
        peer = await Peer(app.server.url, token).connect()
        try:
            await peer.join(old)  # the oldest room becomes the most recent activity
        finally:
            await peer.close()
        server_order = [room.room_id for room in await window.context.api.list_rooms()]
        assert server_order == [old, new]
        # Remembered on another server: never looked up here. Remembered here, not listed by the server (an older
        # server listed owned rooms only): shown after the server's own list.
        window.context.settings.remember_room("https://other.example.org", elsewhere)
        window.context.remember_room(theirs)

        window.dashboard.refresh()
        await until(lambda: not window.dashboard.loading.busy, what="the room list")
        assert listed(window) == [old, new, theirs]

    app.run(flow())
