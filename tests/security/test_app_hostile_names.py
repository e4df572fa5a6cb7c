"""Issue 10, item 5: text from the server or another person is never rich text in the app, and it is capped.

A room named ``<img src="file:///dev/zero">`` froze the app while it read /dev/zero into memory (270 MB/s): Qt
shows a label's text as rich text whenever it looks like HTML. Replayed here with the real window: the sign-in
screen against a hostile server's error answer, then the real server with hostile room names and usernames (those
the server accepts through its API, the rest written into its SQLite database directly, as a compromised or older
server could hold them), the dashboard, pre-join, a call with real engine sessions ("bots") under hostile names,
and its toasts. Each screen must open in under ``SCREEN_SECONDS`` while the app's memory grows by less than
``GROWTH_MIB`` (tests/security/appui_app.py), every label in the window must be plain text
(``rich_text_problems``: no exception is allowed), no tooltip may carry the markup unescaped, and the hostile names
must be shown literally, capped and elided.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QListWidget, QWidget
from pytestqt.qtbot import QtBot

from nimeet_desktop.call.session import CallSession
from nimeet_desktop.media.synthetic import SyntheticAudio, SyntheticVideo
from nimeet_desktop.settings import Settings, SettingsStore
from nimeet_desktop.ui.main_window import MainWindow
from nimeet_desktop.ui.untrusted import ELLIPSIS, MESSAGE_CHARS, NAME_CHARS, ElidedLabel, clip, isolate
from tests.call.conftest import Recorder
from tests.security.appui_app import *  # noqa: F403 (its __all__: the fixtures app, loop, run, server)
from tests.security.appui_app import Meter, patch_db
from tests.support.clients import Api
from tests.support.server import ServerProcess
from tests.ui.conftest import AppHarness, fill, new_user, register, until

IMG = '<img src="file:///dev/zero">'  # a valid room name (≤ 100 characters): the server's API takes it
BOLD = "<b>x</b>"
LONG = "<b>" + "W" * 9_993 + "</b>"  # 10,000 characters
BIDI = "\u202egpj.exe\u202c holiday"  # a right-to-left override: "holiday exe.jpg" turned around
ZERO_WIDTH = "a\u200bd\u200cm\u200di\ufeffn\u2060"  # looks like "admin"
CONTROLS = "line\nbreak\x1b[31mred"
HOSTILE = [IMG, BOLD, LONG, BIDI, ZERO_WIDTH, CONTROLS]
MARKUP = ("<img", "<b>")  # must never reach a tooltip unescaped (tooltips are AutoText, always)


def rich_text_problems(root: QWidget) -> list[str]:
    """Every label under ``root`` that is not plain text or is longer than a message may be, every tooltip that
    carries markup unescaped, every list item that is not capped. Hidden widgets included: a label shown later
    keeps its format. No label is allowed to be rich (the app has none that needs to be)."""
    problems: list[str] = []
    for label in [w for w in [root, *root.findChildren(QWidget)] if isinstance(w, QLabel)]:
        name = f"{type(label).__name__} {label.objectName() or '(no name)'} {label.text()[:40]!r}"
        if label.textFormat() != Qt.TextFormat.PlainText:
            problems.append(f"{name}: text format {label.textFormat()}, not plain")
        if len(label.text()) > MESSAGE_CHARS:
            problems.append(f"{name}: {len(label.text())} characters shown")
    for widget in [root, *root.findChildren(QWidget)]:
        if any(marker in widget.toolTip() for marker in MARKUP):
            problems.append(f"{type(widget).__name__} {widget.objectName()}: markup in its tooltip")
    for listing in root.findChildren(QListWidget):
        for row in range(listing.count()):
            item = listing.item(row)
            if any(marker in item.toolTip() for marker in MARKUP):
                problems.append(f"list item {row}: markup in its tooltip")
            if len(item.text()) > MESSAGE_CHARS:
                problems.append(f"list item {row}: {len(item.text())} characters")
    return problems


def assert_shown_literally(label: ElidedLabel, hostile: str) -> None:
    """Plain, capped at NAME_CHARS, and what shows is the name itself or its beginning and an ellipsis."""
    assert label.textFormat() == Qt.TextFormat.PlainText
    assert label.full_text == clip(hostile), "not the name, capped"
    assert len(label.full_text) <= NAME_CHARS
    shown = label.text()
    assert shown == label.full_text or (shown.endswith(ELLIPSIS) and label.full_text.startswith(shown[:-1])), shown
    # Elided to the width the layout gave it: a long name never widens the window.
    assert label.fontMetrics().horizontalAdvance(shown) <= label.contentsRect().width() + 1


# ---- sign in: a hostile server's error answer ----------------------------------------------------------------


@asynccontextmanager
async def hostile_server() -> AsyncIterator[str]:
    """A server that says it is NIMeet and answers every sign-in with an error whose code, message and field are
    markup (10,000 characters of it): what a malicious server can send. On loopback, in the test's own loop."""

    async def healthz(_request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def login(_request: web.Request) -> web.Response:
        error = {"code": IMG, "message": IMG + LONG, "field": BOLD}
        return web.Response(status=400, text=json.dumps({"error": error}), content_type="application/json")

    application = web.Application()
    application.router.add_get("/healthz", healthz)
    application.router.add_post("/api/auth/login", login)
    application.router.add_post("/api/auth/register", login)
    runner = web.AppRunner(application)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


def test_sign_in_shows_a_hostile_servers_error_as_plain_text(qtbot: QtBot, app: AppHarness) -> None:
    async def scenario() -> None:
        async with hostile_server() as url:
            SettingsStore(app.config_dir).save(Settings(server_url=url, start_local_server=False))
            window = app.build()
            await window.start()
            await until(lambda: window.current is window.auth_view, what="sign in")
            auth = window.auth_view
            for registering in (False, True):
                auth.set_registering(registering)
                fields = {"email": "ada@example.org", "password": "correct horse battery"}
                fill(qtbot, window, **({"username": "ada"} if registering else {}), **fields)
                meter = Meter(f"sign in (registering={registering})")
                async with meter.measure():
                    qtbot.mouseClick(auth.submit, Qt.MouseButton.LeftButton)
                    await until(lambda: not auth.tasks.busy and auth.error.text() != "", what="the error")
                    window.grab()
                meter.check()
                assert not rich_text_problems(window), rich_text_problems(window)
                # Our sentence, never the server's words (they are in the log).
                assert not any(marker in auth.error.text() for marker in MARKUP)

    app.run(scenario())


# ---- the real server: dashboard and pre-join with hostile room names and a hostile username ------------------


async def sign_up(qtbot: QtBot, app: AppHarness) -> MainWindow:
    window = app.build()
    await window.start()
    register(qtbot, window, new_user())
    await until(lambda: window.current is window.dashboard, what="the dashboard")
    await until(lambda: not window.dashboard.loading.busy, what="the room list")
    return window


async def hostile_rooms(server: ServerProcess, window: MainWindow) -> dict[str, str]:
    """One room per hostile name, by id: created through the API with a name it accepts, then renamed in the
    database to the hostile one."""
    rooms: dict[str, str] = {}
    for index, name in enumerate(HOSTILE):
        created = await window.context.api.create_room(name=f"room {index}")
        patch_db(server, "UPDATE rooms SET name = ? WHERE room_id = ?", name, created.room.room_id)
        rooms[created.room.room_id] = name
    return rooms


def test_dashboard_and_pre_join_show_hostile_names_literally(qtbot: QtBot, app: AppHarness) -> None:
    async def scenario() -> None:
        window = await sign_up(qtbot, app)
        assert window.context.user is not None
        # The API itself takes this room name: no database needed for the attack as it was found.
        created = await window.context.api.create_room(name=IMG)
        assert created.room.name == IMG
        rooms = {created.room.room_id: IMG, **await hostile_rooms(app.server, window)}
        patch_db(
            app.server, "UPDATE users SET username = ?, email = ? WHERE id = ?", LONG, BOLD, window.context.user.id
        )

        dashboard = window.dashboard
        meter = Meter("dashboard")
        async with meter.measure():
            window.context.user = await window.context.api.me()
            window._show(dashboard)
            await until(lambda: not dashboard.loading.busy and dashboard.rooms.count() == len(rooms), what="rooms")
            window.grab()
        meter.check()
        assert not rich_text_problems(window), rich_text_problems(window)
        assert isinstance(dashboard.user_label, ElidedLabel)
        assert_shown_literally(dashboard.user_label, LONG)
        assert_shown_literally(dashboard.email_label, BOLD)
        listed = [dashboard.rooms.item(row).text() for row in range(dashboard.rooms.count())]
        for row in range(dashboard.rooms.count()):  # elided to the list's width, not scrolled sideways
            width = dashboard.rooms.visualItemRect(dashboard.rooms.item(row)).width()
            assert width <= dashboard.rooms.viewport().width(), f"room {row} is {width} px wide"
        for room_id, name in rooms.items():
            # The name capped and isolated (its direction marks end inside it), then the id.
            assert any(text.startswith(f"\u2068{clip(name)}\u2069") and text.endswith(room_id) for text in listed)

        prejoin = window.prejoin
        for room_id, name in rooms.items():
            meter = Meter(f"pre-join {name[:20]!r}")
            async with meter.measure():
                window.open_prejoin(room_id)
                await until(lambda: prejoin.room_name is not None, what="the room's name")
                window.grab()
            meter.check()
            assert not rich_text_problems(window), rich_text_problems(window)
            assert_shown_literally(prejoin.heading, name)
            await prejoin.close_preview()

    app.run(scenario())


# ---- a call: real engine sessions under hostile usernames, their tiles and toasts ----------------------------


async def hostile_bots(server: ServerProcess, names: list[str]) -> list[CallSession]:
    """Engine sessions (a synthetic camera and microphone each) of users who registered with ordinary names and
    were renamed in the database: the server reads the name when a socket connects."""
    api = Api(server.url)
    sessions: list[CallSession] = []
    try:
        for name in names:
            reply = await api.register()
            patch_db(server, "UPDATE users SET username = ? WHERE id = ?", name, reply["user"]["id"])
            session = CallSession(
                server.url,
                reply["token"],
                [],
                observer=Recorder(),
                camera_factory=lambda: SyntheticVideo(160, 120, 15),
                microphone=SyntheticAudio(),
            )
            sessions.append(session)
    finally:
        await api.aclose()
    return sessions


def test_a_call_shows_hostile_participants_literally(qtbot: QtBot, app: AppHarness) -> None:
    names = [IMG, LONG, BIDI]

    async def scenario() -> None:
        window = await sign_up(qtbot, app)
        created = await window.context.api.create_room(name=IMG)
        room_id = created.room.room_id
        window.open_prejoin(room_id)
        prejoin = window.prejoin
        await until(lambda: prejoin.join_button.isEnabled() and prejoin.room_name is not None, what="pre-join")
        qtbot.mouseClick(prejoin.join_button, Qt.MouseButton.LeftButton)
        view = window.call_view
        await until(lambda: view.call is not None and view.grid.tile("self") is not None, what="the call", timeout=20)
        assert_shown_literally(view.title, IMG)

        sessions: list[CallSession] = []
        try:
            sessions = await hostile_bots(app.server, names)
            meter = Meter("call with hostile participants")
            async with meter.measure():
                # From their joins to their tiles and "joined" toasts, painted.
                for session in sessions:
                    await session.join(room_id)
                await until(lambda: len(view.grid.tiles()) == 1 + len(names), what="their tiles", timeout=5)
                await until(lambda: len(window.toasts.visible_messages()) >= len(names), what="toasts", timeout=5)
                window.grab()
            meter.check()
            assert not rich_text_problems(window), rich_text_problems(window)
            tile_names = sorted(tile.name for tile in view.grid.tiles() if tile.tile_id != "self")
            assert tile_names == sorted(clip(name) for name in names)
            toasts = window.toasts.visible_messages()
            for name in names:
                assert f"{isolate(name)} joined" in toasts
            for label in window.toasts.findChildren(QLabel):  # no word wider than the toast, cut at both sides
                assert label.minimumSizeHint().width() <= window.toasts.width(), label.text()
        finally:
            for session in sessions:
                await session.leave()
        await view.leave_async()

    app.run(scenario(), timeout=90)
