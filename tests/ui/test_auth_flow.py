"""Sign-in flows in the real window against the real server."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from nimeet_desktop.ui.main_window import MainWindow
from tests.ui.conftest import AppHarness, fill, new_user, register, start_new_call, until
from tests.ui.layout_checks import clipped_widgets


def test_register_goes_to_the_dashboard_and_the_session_survives_a_restart(qtbot: QtBot, app: AppHarness) -> None:
    window = app.build()
    app.run(window.start())
    assert window.current is window.auth_view
    user = new_user()
    register(qtbot, window, user)
    app.run(until(lambda: window.current is window.dashboard, what="the dashboard"))
    assert window.dashboard.user_label.text() == user["username"]
    assert list(app.keyring.secrets.values()), "token not kept in the keyring"

    # A valid saved token: the next start goes straight to the dashboard.
    second = app.build()
    app.run(second.start())
    assert second.current is second.dashboard
    assert second.context.user is not None and second.context.user.username == user["username"]

    # Log out clears the keyring; the next start asks to sign in.
    qtbot.mouseClick(second.dashboard.logout_button, Qt.MouseButton.LeftButton)
    app.run(until(lambda: second.current is second.auth_view, what="the sign-in screen after logout"))
    assert app.keyring.secrets == {}
    third = app.build()
    app.run(third.start())
    assert third.current is third.auth_view


def registered_then_logged_out(qtbot: QtBot, app: AppHarness) -> tuple[MainWindow, dict[str, str]]:
    window = app.build()
    app.run(window.start())
    user = new_user()
    register(qtbot, window, user)
    app.run(until(lambda: window.current is window.dashboard, what="the dashboard"))
    qtbot.mouseClick(window.dashboard.logout_button, Qt.MouseButton.LeftButton)
    app.run(until(lambda: window.current is window.auth_view, what="the sign-in screen"))
    return window, user


def test_wrong_password_shows_the_error_next_to_the_password(qtbot: QtBot, app: AppHarness) -> None:
    window, user = registered_then_logged_out(qtbot, app)

    fill(qtbot, window, email=user["email"], password="not the password")
    qtbot.mouseClick(window.auth_view.submit, Qt.MouseButton.LeftButton)
    app.run(until(lambda: window.auth_view.password.error is not None, what="the password error"))
    assert window.auth_view.password.error == "Wrong email or password"
    assert window.current is window.auth_view
    assert window.auth_view.submit.isEnabled(), "still busy after the answer"


def test_client_side_checks_and_server_errors_land_on_their_field(qtbot: QtBot, app: AppHarness) -> None:
    window, taken = registered_then_logged_out(qtbot, app)

    view = window.auth_view
    qtbot.mouseClick(view.switch_mode, Qt.MouseButton.LeftButton)
    fill(qtbot, window, username="a b", email="nope", password="short")
    qtbot.mouseClick(view.submit, Qt.MouseButton.LeftButton)
    assert view.username.error and view.email.error and view.password.error
    assert not view.tasks.busy, "sent although the form is invalid"

    fill(qtbot, window, username=taken["username"], email=f"other{taken['email']}", password="long enough pw")
    qtbot.mouseClick(view.submit, Qt.MouseButton.LeftButton)
    app.run(until(lambda: view.username.error is not None, what="username-taken next to the username"))
    assert view.email.error is None


def test_new_call_is_not_ignored_while_the_room_list_loads(qtbot: QtBot, app: AppHarness) -> None:
    """Regression: a click on "New call" was dropped while the recent-rooms request was still out (slow server)."""

    async def flow() -> None:
        window = app.build()
        await window.start()
        register(qtbot, window, new_user())
        await until(lambda: window.current is window.dashboard, what="the dashboard")
        window.dashboard.refresh()  # a room-list request in flight at the moment of the click
        assert window.dashboard.loading.busy
        start_new_call(qtbot, window)
        await until(lambda: window.current is window.prejoin, what="pre-join")

    app.run(flow())


def test_sign_up_is_checked_as_you_type_from_each_fields_first_edit(qtbot: QtBot, app: AppHarness) -> None:
    """Regression: the README promised checks as you type; they came only on submit."""
    window = app.build()
    app.run(window.start())
    view = window.auth_view
    qtbot.mouseClick(view.switch_mode, Qt.MouseButton.LeftButton)
    fields = {"username": view.username, "email": view.email, "password": view.password}

    def errors() -> dict[str, bool]:
        return {name: field.error is not None for name, field in fields.items()}

    qtbot.keyClicks(view.username.edit, "a")
    assert errors() == {"username": True, "email": False, "password": False}, "untouched fields stay quiet"
    qtbot.keyClicks(view.username.edit, "da_ok")
    assert errors() == {"username": False, "email": False, "password": False}
    qtbot.keyClicks(view.username.edit, " ")
    assert view.username.error is not None, "a space is not allowed in a username (the server's rule)"
    qtbot.keyClick(view.username.edit, Qt.Key.Key_Backspace)
    assert view.username.error is None

    qtbot.keyClicks(view.email.edit, "ada@")
    assert view.email.error is not None
    qtbot.keyClicks(view.email.edit, "example.org")
    assert view.email.error is None
    qtbot.keyClicks(view.password.edit, "short")
    assert view.password.error is not None
    qtbot.keyClicks(view.password.edit, " but long now")
    assert errors() == {"username": False, "email": False, "password": False}
    assert clipped_widgets(window) == []

    # Emptied again: told at once, since the field was touched.
    view.email.edit.selectAll()
    qtbot.keyClick(view.email.edit, Qt.Key.Key_Delete)
    assert view.email.error is not None
    assert clipped_widgets(window) == []

    # Back to signing in: every field untouched again, and a short password may be someone's real one.
    qtbot.mouseClick(view.switch_mode, Qt.MouseButton.LeftButton)
    assert errors() == {"username": False, "email": False, "password": False}
    view.password.edit.selectAll()
    qtbot.keyClick(view.password.edit, Qt.Key.Key_Delete)
    assert view.password.error is not None, "an empty password"
    qtbot.keyClicks(view.password.edit, "x")
    assert view.password.error is None
