"""Issue 10, item 8, the app's side: Log out revokes the token on the server (``POST /api/auth/logout``), and the
app forgets its session whatever the server does: answers, refuses (an older server without the endpoint: 404), is
gone, or hangs. Logging out waits for the server ``ApiClient.LOGOUT_TIMEOUT_S`` at most and never freezes the UI;
the API's HTTP connection is closed with the session.

``test_log_out_revokes_the_token_on_the_server`` and ``test_logout_everywhere_revokes_every_token`` need the
server's endpoint (PROTOCOL v1.1, "Sessions and limits"); the others hold against any server.
"""

from __future__ import annotations

import os
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from nimeet_desktop.net.credentials import CredentialStore
from nimeet_desktop.net.rest import ApiClient, ApiError, ServerUnreachable
from nimeet_desktop.settings import Settings, SettingsStore
from nimeet_desktop.ui.main_window import MainWindow
from signaling_server.protocol import MeResponse, RoomListResponse, User
from tests.security.appui_app import *  # noqa: F403 (its __all__: the fixtures app, loop, run, server)
from tests.security.appui_app import Meter
from tests.support.clients import Api, bearer
from tests.support.server import ServerProcess, running
from tests.ui.conftest import AppHarness, new_user, register, until

# The most a logout may take with a server that never answers: the client's limit and a little for the rest.
LOGOUT_BOUND_S = ApiClient.LOGOUT_TIMEOUT_S + 1.0
NO_FREEZE_S = 0.5  # the longest the UI's event loop may go without running a timer meanwhile


async def signed_in(qtbot: QtBot, app: AppHarness) -> MainWindow:
    window = app.build()
    await window.start()
    register(qtbot, window, new_user())
    await until(lambda: window.current is window.dashboard, what="the dashboard")
    return window


def saved_token(app: AppHarness, url: str) -> str | None:
    """What the keyring holds for ``url``, read as the next start of the app would (a fresh store)."""
    return CredentialStore(backend=app.keyring).load(url)


async def log_out(qtbot: QtBot, window: MainWindow, what: str) -> Meter:
    """Click Log out; the sign-in screen must follow. Checks that the session is forgotten and the old API's
    connection closed."""
    old_api = window.context.api
    assert old_api.token is not None
    meter = Meter(f"log out ({what})")
    async with meter.measure():
        qtbot.mouseClick(window.dashboard.logout_button, Qt.MouseButton.LeftButton)
        await until(lambda: window.current is window.auth_view, what="the sign-in screen", timeout=10)
    assert window.context.user is None
    assert window.context.token is None
    assert old_api.closed, "the logged-out session's HTTP connection is still open"
    assert window.context.api is not old_api
    assert meter.worst_stall_s < NO_FREEZE_S, f"the UI froze {meter.worst_stall_s:.2f} s"
    assert meter.seconds < LOGOUT_BOUND_S, f"logging out took {meter.seconds:.1f} s"
    return meter


def test_log_out_revokes_the_token_on_the_server(qtbot: QtBot, app: AppHarness, server: ServerProcess) -> None:
    async def scenario() -> None:
        window = await signed_in(qtbot, app)
        token = window.context.token
        assert token is not None
        await log_out(qtbot, window, "the real server")
        assert saved_token(app, server.url) is None
        async with httpx.AsyncClient(base_url=server.url) as http:
            reply = await http.get("/api/auth/me", headers=bearer(token))
        assert reply.status_code == 401, "the token still works after logging out"

    app.run(scenario())


def test_logout_everywhere_revokes_every_token(app: AppHarness, server: ServerProcess) -> None:
    async def scenario() -> None:
        api = Api(server.url)
        try:
            registered = await api.register()
            first = registered["token"]
            login = {"email": registered["user"]["email"], "password": "correct horse battery"}
            reply = await api.http.post("/api/auth/login", json=login)
            assert reply.status_code == 200, reply.text
            second = reply.json()["token"]
            assert second != first
            async with ApiClient(server.url) as client:
                await client.logout(first, everywhere=True)
            for token in (first, second):
                assert (await api.http.get("/api/auth/me", headers=bearer(token))).status_code == 401
        finally:
            await api.aclose()

    app.run(scenario())


# ---- servers that do not revoke: the app is logged out all the same ------------------------------------------


@asynccontextmanager
async def server_without_logout() -> AsyncIterator[tuple[str, list[dict[str, Any]]]]:
    """An older NIMeet server: it knows the session (``/api/auth/me``) but has no logout endpoint (404 in the
    contract's error shape, as today's server answers). Yields its URL and the logout requests it saw."""
    user = User(id="u" * 16, username="ada", email="ada@example.org", created_at=datetime.now(UTC))
    seen: list[dict[str, Any]] = []

    async def healthz(_request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def me(_request: web.Request) -> web.Response:
        return web.json_response(MeResponse(user=user).wire())

    async def rooms(_request: web.Request) -> web.Response:
        return web.json_response(RoomListResponse(rooms=[]).wire())

    async def logout(request: web.Request) -> web.Response:
        seen.append({"authorization": request.headers.get("Authorization", ""), "body": await request.text()})
        return web.json_response({"error": {"code": "not-found", "message": "no such route"}}, status=404)

    application = web.Application()
    application.router.add_get("/healthz", healthz)
    application.router.add_get("/api/auth/me", me)
    application.router.add_get("/api/rooms", rooms)
    application.router.add_post("/api/auth/logout", logout)
    runner = web.AppRunner(application)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}", seen
    finally:
        await runner.cleanup()


def test_log_out_forgets_the_session_when_the_server_has_no_logout(qtbot: QtBot, app: AppHarness) -> None:
    async def scenario() -> None:
        async with server_without_logout() as (url, seen):
            SettingsStore(app.config_dir).save(Settings(server_url=url, start_local_server=False))
            token = "header.payload.signature"
            CredentialStore(backend=app.keyring).save(url, token)
            window = app.build()
            await window.start()  # resumes the saved session
            await until(lambda: window.current is window.dashboard, what="the dashboard")
            await log_out(qtbot, window, "a server without logout")
            assert saved_token(app, url) is None
            assert seen == [{"authorization": f"Bearer {token}", "body": ""}], "the server was not asked"

    app.run(scenario())


@pytest.mark.parametrize("how", ["gone", "hung"])
def test_log_out_when_the_server_is_gone_or_hangs(qtbot: QtBot, run: Any, tmp_path: Path, how: str) -> None:
    """The real server, stopped (connection refused) or frozen with SIGSTOP (it accepts and never answers)."""
    with running(tmp_path / "server") as proc:
        harness = AppHarness(proc, tmp_path / "config", run)

        async def scenario() -> None:
            window = await signed_in(qtbot, harness)
            if how == "gone":
                proc.stop()
            else:
                os.kill(proc.pid, signal.SIGSTOP)
            try:
                meter = await log_out(qtbot, window, f"server {how}")
            finally:
                if how == "hung":
                    os.kill(proc.pid, signal.SIGCONT)
            if how == "hung":  # it did wait for an answer, and then gave up
                assert meter.seconds >= ApiClient.LOGOUT_TIMEOUT_S - 0.5
            assert saved_token(harness, proc.url) is None

        try:
            run(scenario())
        finally:
            harness.close_all()


def test_logout_raises_for_what_the_app_logs(run: Any, tmp_path: Path) -> None:
    """ApiClient.logout's own failures, which Log out logs and gets past: an error answer, no server."""

    async def scenario() -> None:
        async with server_without_logout() as (url, _seen), ApiClient(url) as client:
            with pytest.raises(ApiError) as refused:
                await client.logout("some.token.value")
            assert refused.value.status == 404
        with running(tmp_path / "gone") as proc:
            url = proc.url
        async with ApiClient(url) as client:
            with pytest.raises(ServerUnreachable):
                await client.logout("some.token.value")

    run(scenario())
