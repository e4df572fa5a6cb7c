"""Every screen, in English and in Russian, at the window's default size: no text cut off, nothing squashed.

The window walks as a person would against the real server (choose a server, sign in, create an account, the
dashboard, pre-join, a call with three headless participants, the reconnecting cover, toasts), with the error
messages that make a screen taller or a line longer shown too. At every stop ``clipped_widgets`` looks at each
visible widget (tests/ui/layout_checks.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from nimeet_desktop.local_server import LocalServerError
from nimeet_desktop.media.devices import DeviceProblem
from nimeet_desktop.net.credentials import CredentialStore
from nimeet_desktop.net.links import InvalidLink, InvalidServerUrl, LinkProblem, ServerUrlProblem
from nimeet_desktop.net.rest import ApiError, ServerUnreachable
from nimeet_desktop.settings import Settings, SettingsStore
from nimeet_desktop.ui import i18n, messages, validation
from nimeet_desktop.ui.context import AppContext
from nimeet_desktop.ui.device_messages import device_problem_text
from nimeet_desktop.ui.form import show_error
from nimeet_desktop.ui.main_window import MainWindow
from nimeet_desktop.ui.password_prompt import PasswordProblem, typed_password_error
from nimeet_desktop.ui.toast import ToastKind
from tests.ui.conftest import AppHarness, fill, new_user, until
from tests.ui.layout_checks import clipped_widgets, squashed_widgets
from tests.ui.test_call_window import Bots

pytestmark = pytest.mark.usefixtures("loopback_media")

DEFAULT_SIZE = (1100, 720)  # MainWindow's own size before anyone resizes it (checked below)


@pytest.fixture(params=["en", "ru"])
def language(request: pytest.FixtureRequest, qapp: QApplication) -> Iterator[str]:
    """The UI language for the whole test, installed before the window is built (as the app does)."""
    assert i18n.install(qapp, request.param) == request.param
    yield request.param
    i18n.uninstall(qapp)


@pytest.fixture
def bots(app: AppHarness) -> Iterator[Bots]:
    made = Bots(app)
    yield made
    app.run(made.leave_all(), timeout=60)  # three sessions leaving on a loaded 2-core machine


def build(app: AppHarness) -> MainWindow:
    """As AppHarness.build, but at the window's default size."""
    settings = Settings(server_url=app.server.url, start_local_server=False)
    context = AppContext(SettingsStore(app.config_dir), settings, CredentialStore(backend=app.keyring), app.provider)
    window = MainWindow(context)
    app.windows.append(window)
    assert (window.width(), window.height()) == DEFAULT_SIZE
    window.show()
    return window


class Report:
    """What did not fit, screen by screen: the test walks on to the end and then lists all of it."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    async def check(self, window: MainWindow, screen: str, root: QWidget | None = None) -> None:
        # Layouts settle in the loop: never processEvents() inside a coroutine, qasync does not take re-entry.
        await asyncio.sleep(0.2)
        root = root or window
        self.problems += [f"{screen}: {p}" for p in [*clipped_widgets(root), *squashed_widgets(root)]]


def test_every_screen_fits_its_text(qtbot: QtBot, language: str, app: AppHarness, bots: Bots) -> None:
    # qtbot first, so that it is torn down last: its teardown processes Qt events outside the event loop, which
    # steps the bots' aiortc tasks outside it ("bound to a different event loop") if they are still in the call.
    report = Report()

    async def walk() -> None:
        window = build(app)
        await window.start()
        await until(lambda: window.current is window.auth_view, what="sign in")

        # Choose a server, with the longest problems it shows: a server that would not start, a bad address.
        window._show_server(messages.local_server_error(LocalServerError("exited at start")))
        server_view = window.server_view
        bad_scheme = InvalidServerUrl(ServerUrlProblem.BAD_SCHEME, "the server address must start with https://")
        server_view.url.set_error(messages.server_url_error(bad_scheme))
        await report.check(window, "choose a server")
        assert server_view.url.edit.width() >= 300, "the server address field is squashed"

        window._show(window.auth_view)
        auth = window.auth_view
        qtbot.mouseClick(auth.submit, Qt.MouseButton.LeftButton)  # empty: both fields say what is missing
        await until(lambda: auth.email.error is not None, what="the sign-in errors")
        await report.check(window, "sign in")

        qtbot.mouseClick(auth.switch_mode, Qt.MouseButton.LeftButton)
        fill(qtbot, window, username="a", email="not-an-email", password="short")
        qtbot.mouseClick(auth.submit, Qt.MouseButton.LeftButton)
        await until(lambda: auth.username.error is not None and auth.password.error is not None, what="errors")
        await report.check(window, "create an account, every field wrong")
        fill(qtbot, window, **new_user())
        qtbot.mouseClick(auth.submit, Qt.MouseButton.LeftButton)
        await until(lambda: window.current is window.dashboard, what="the dashboard")

        dashboard = window.dashboard
        for name in ("Weekly design review", "Release 0.2 planning"):
            await window.context.api.create_room(name=name)
        dashboard.refresh()
        await until(lambda: not dashboard.loading.busy and dashboard.rooms.count() == 2, what="the rooms")
        show_error(dashboard.join_error, messages.link_error(InvalidLink(LinkProblem.BAD_WEB_LINK, "a web link")))
        await report.check(window, "dashboard")
        show_error(dashboard.join_error, None)

        # History and statistics (issue 15): the rooms without meetings yet, and the longest problem it says.
        qtbot.mouseClick(dashboard.history_button, Qt.MouseButton.LeftButton)
        history = window.history_view
        await until(
            lambda: len(history.chart.days) == 30 and bool(history.sessions_status.text()) and not history.loading.busy,
            what="the history",
        )
        history._stats_failed(ServerUnreachable("x"))
        await report.check(window, "history and statistics")
        qtbot.mouseClick(history.back_button, Qt.MouseButton.LeftButton)
        await until(lambda: window.current is dashboard, what="the dashboard again")

        # A new call's settings (issue 14), every line that can show: errors under the fields, the password's note,
        # a refusal under the form.
        qtbot.mouseClick(dashboard.new_call_button, Qt.MouseButton.LeftButton)
        settings = dashboard.room_dialog
        assert settings is not None
        settings.password_check.setChecked(True)
        settings.name.set_error(validation.room_name_error("\u202e"))
        settings.description.set_error(validation.room_description_error("d" * 501))
        settings.password.set_error(validation.room_password_error("abc"))
        show_error(settings.participants_error, "x")
        show_error(settings.error, messages.rest_error(ServerUnreachable("x")))
        settings._show_api_error(ApiError(422, "invalid-input", "?", field="maxParticipants"))
        await report.check(window, "a new call's settings", settings)
        for label in (settings.name, settings.description, settings.password):
            label.set_error(None)
        show_error(settings.error, None)
        settings.password_check.setChecked(False)
        qtbot.mouseClick(settings.save_button, Qt.MouseButton.LeftButton)
        prejoin = window.prejoin
        await until(lambda: window.current is prejoin and prejoin.join_button.isEnabled(), what="pre-join")
        await until(lambda: prejoin.tile.conversions > 3, what="a live preview")
        await until(lambda: "·" in prejoin.room_label.text(), what="the room's name and head count")
        show_error(prejoin.device_error, device_problem_text("microphone", DeviceProblem.BUSY))
        await report.check(window, "pre-join")
        prejoin.ask_password(PasswordProblem.RATE_LIMITED)  # the longest thing it says
        assert prejoin.password_prompt is not None
        prejoin.password_prompt.field.set_error(typed_password_error(""))
        await report.check(window, "the room's password", prejoin.password_prompt)
        prejoin.password_prompt.reject()

        qtbot.mouseClick(prejoin.join_button, Qt.MouseButton.LeftButton)
        view = window.call_view
        await until(lambda: view.call is not None and view.grid.tile("self") is not None, what="the call", timeout=20)
        await bots.join(view.room_id, 3)
        await until(lambda: len(view.grid.tiles()) == 4, what="four tiles", timeout=20)
        await report.check(window, "call with four people")
        window.show_waiting("W" * 100)  # the lobby, with the longest room name
        await report.check(window, "waiting in the lobby")
        window.show_admitted()

        for message in (
            messages.rest_error(ServerUnreachable("x")),
            device_problem_text("camera", DeviceProblem.BUSY),
            messages.local_server_error(LocalServerError("the local server could not start: port 8765 is in use")),
        ):
            window.toasts.show_message(message, ToastKind.ERROR)
        await report.check(window, "toasts", window.toasts)

        view.overlay.show_over_parent()
        await report.check(window, "reconnecting cover", view.overlay)
        view.overlay.hide()
        # Everyone leaves while the loop runs: left to the fixtures' teardown, the bots' connections were stepped
        # outside the loop by Qt's event processing and their leave hung (TimeoutError at teardown).
        await bots.leave_all()
        await view.leave_async()
        window.show_call_ended("removed-from-room")  # the longest reason
        await until(lambda: window.call_ended_notice is not None, what="the notice")
        assert window.call_ended_notice is not None
        await report.check(window, "why the call ended", window.call_ended_notice)
        window.call_ended_notice.done(0)

    app.run(walk(), timeout=120)
    assert not report.problems, f"{language}: text that does not fit\n" + "\n".join(report.problems)
