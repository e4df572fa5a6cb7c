"""The "Choose a server" screen: where everyone with a wrong or absent server lands, so it must be readable."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QFrame, QLabel, QWidget
from pytestqt.qtbot import QtBot

from nimeet_desktop.local_server import LocalServer
from nimeet_desktop.net.lan_address import lan_address
from nimeet_desktop.net.links import parse_join_target
from nimeet_desktop.settings import DEFAULT_SERVER_PORT, SettingsStore
from nimeet_desktop.ui.toast import ToastKind
from tests.support.server import FAST_ENV
from tests.ui.conftest import AppHarness, Run, new_user, register, until
from tests.ui.layout_checks import clipped_widgets

PROBLEM = "No NIMeet server answers at https://a-rather-long-host-name.meet.example.org:8443"


@pytest.mark.parametrize("size", [(960, 640), (1100, 720), (720, 560)])
def test_nothing_is_clipped_and_the_address_is_readable(qtbot: QtBot, app: AppHarness, size: tuple[int, int]) -> None:
    """Regression: the intro's last line was cut off and the address field squashed to a few pixels high."""
    window = app.build()
    window.resize(*size)
    window._show_server(PROBLEM)
    view = window.server_view
    qtbot.waitUntil(lambda: view.isVisible() and view.url.edit.width() > 0)
    qtbot.wait(50)  # the layout settles (a wrapped label's height depends on the width it gets)
    edit = view.url.edit
    assert edit.width() >= 300, f"address field {edit.width()} px wide"
    # A line of text and its padding (it was 11 px high: the text's middle only).
    assert edit.height() >= edit.fontMetrics().height() + 8, f"address field {edit.height()} px high"
    assert clipped_widgets(window) == []
    # Centred, and not wider than the sign-in card's kind of width.
    card = view.findChild(QFrame, "card")
    assert card is not None
    assert card.width() <= 520
    left = card.mapTo(view, card.rect().topLeft()).x()
    assert abs(left - (view.width() - card.width() - left)) <= 2


def test_the_check_finds_a_clipped_label_and_ignores_hidden_and_elided_ones(qtbot: QtBot) -> None:
    """The helper other tests rely on must itself be able to fail."""
    from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

    root = QWidget()
    qtbot.addWidget(root)
    layout = QVBoxLayout(root)
    cut = QLabel("a label whose text is much longer than its width")
    cut.setObjectName("cut")
    cut.setFixedWidth(60)
    wrapped = QLabel("a wrapped label with many words in a box too low for them")
    wrapped.setObjectName("wrapped")
    wrapped.setWordWrap(True)
    wrapped.setFixedSize(120, 16)
    button = QPushButton("A button with a long text")
    button.setObjectName("button")
    button.setFixedWidth(40)
    hidden = QLabel("hidden and clipped")
    hidden.setFixedWidth(10)
    elided = QLabel("elided on purpose, whole text in the tooltip")
    elided.setFixedWidth(10)
    elided.setProperty("elided", True)
    fine = QLabel("fits")
    for widget in (cut, wrapped, button, hidden, elided, fine):
        layout.addWidget(widget)
    hidden.hide()
    root.resize(400, 300)
    root.show()
    qtbot.waitExposed(root)
    found = clipped_widgets(root)
    assert [line.split()[1] for line in found] == ["cut", "wrapped", "button"], found


# ---- hosting for the local network (issue 11) --------------------------------------------------------------------

ONLY_HERE = "A server started here can be reached from this computer only."


@pytest.fixture
def default_port_free(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As in test_local_server_start.py: the server screen starts the bundled server on its default port."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("0.0.0.0", DEFAULT_SERVER_PORT))  # noqa: S104  # as the server hosting for the network will
        except OSError:
            pytest.skip(f"port {DEFAULT_SERVER_PORT} (the local server's default) is in use on this machine")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))


def visible_texts(widget: QWidget) -> list[str]:
    return [label.text() for label in widget.findChildren(QLabel) if label.isVisibleTo(widget)]


def test_by_default_nothing_says_others_can_join(qtbot: QtBot, app: AppHarness) -> None:
    window = app.build()
    window._show_server(None)
    view = window.server_view
    qtbot.waitUntil(view.isVisible)
    assert not view.network_check.isChecked()
    assert view.network_note.text() == ONLY_HERE
    for text in visible_texts(view):
        assert "other computers" not in text and "network" not in text, text
    assert not view.hosting.isVisible()  # this app runs no server


def test_the_choice_to_host_for_the_network_is_saved_and_said_plainly(qtbot: QtBot, app: AppHarness) -> None:
    window = app.build()
    window._show_server(None)
    view = window.server_view
    qtbot.waitUntil(view.isVisible)
    view.network_check.click()
    assert window.context.settings.host_on_network
    assert SettingsStore(app.config_dir).load().host_on_network  # kept for the next start
    assert "can be reached by other computers on your network" in view.network_note.text()
    view.network_check.click()
    assert not SettingsStore(app.config_dir).load().host_on_network
    assert view.network_note.text() == ONLY_HERE
    # A restart shows the saved choice.
    view.network_check.click()
    assert app.build().server_view.network_check.isChecked()


def test_a_server_hosted_for_the_network_shows_the_address_others_use(
    qtbot: QtBot, app: AppHarness, run: Run, default_port_free: None
) -> None:
    """The whole path: tick the box, start the server, sign up; the dashboard shows the LAN address (selectable, with
    a copy button) and invitations carry it. Offline (no default route) the app says only this computer can reach
    it: which one this machine is, the picker says (tests/test_local_server_lan.py tests the picker itself)."""
    window = app.build()
    window._show_server(None)
    view = window.server_view
    qtbot.waitUntil(view.isVisible)
    view.network_check.click()
    qtbot.mouseClick(view.local_button, Qt.MouseButton.LeftButton)
    run(until(lambda: window.current is window.auth_view, 30, "the sign-in screen after the server started"))
    context = window.context
    server = context.local_server
    assert server is not None and server.running
    assert context.server_url == f"http://127.0.0.1:{DEFAULT_SERVER_PORT}"  # the app itself stays on loopback
    address = lan_address()
    expected = None if address is None else f"http://{address}:{DEFAULT_SERVER_PORT}"
    assert server.lan_url == expected
    register(qtbot, window, new_user())
    run(until(lambda: window.current is window.dashboard, 15, "the dashboard"))
    panel = window.dashboard.hosting
    qtbot.waitUntil(panel.isVisible)
    if expected is None:
        assert not panel.address.isVisible()
        assert "only this computer" in panel.text.text()
        return
    assert panel.address.text() == expected
    assert panel.address.isReadOnly() and panel.address.isVisible()
    assert "other computers" in panel.text.text()
    qtbot.mouseClick(panel.copy_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == expected
    assert (ToastKind.INFO, "Address copied") in window.toasts.history
    created = run(context.api.create_room("LAN"))
    assert created.room.invite_url == f"{expected}/join/{created.room.room_id}"
    assert clipped_widgets(window) == []
    # The host opening its own invitation: the LAN address is this app's own server, not another one to switch to.
    window.open_link(parse_join_target(created.room.invite_url))
    assert window.switch_dialog is None
    run(until(lambda: window.current is window.prejoin, 10, "pre-join for the host's own invitation"))


def test_a_server_for_this_computer_only_says_so(qtbot: QtBot, app: AppHarness, run: Run, tmp_path: Path) -> None:
    window = app.build()
    server = LocalServer(port=0, data_dir=tmp_path / "local", env=FAST_ENV)
    run(server.start())
    try:
        window.context.local_server = server
        assert server.url is not None
        run(window.context.use_server(server.url))
        panel = window.dashboard.hosting
        panel.update_from(window.context)
        assert not panel.isHidden() and panel.address_row.isHidden()
        assert panel.text.text() == "This computer runs the server; only this computer can reach it."
        run(window.context.use_server(app.server.url))  # another server: the panel is not about it
        panel.update_from(window.context)
        assert panel.isHidden()
    finally:
        run(server.stop())


def test_changing_the_choice_restarts_the_server_the_app_runs(
    qtbot: QtBot, app: AppHarness, run: Run, default_port_free: None
) -> None:
    """Started for this computer only, then "Let people on my network join" and Start again: the running server is
    replaced by one on the network (it cannot take on the network while it runs), and back."""
    window = app.build()
    window._show_server(None)
    view = window.server_view
    qtbot.waitUntil(view.isVisible)
    context = window.context

    def start() -> LocalServer:
        window._show_server(None)
        qtbot.mouseClick(view.local_button, Qt.MouseButton.LeftButton)
        run(until(lambda: window.current is window.auth_view, 30, "the sign-in screen after the server started"))
        assert context.local_server is not None and context.local_server.running
        return context.local_server

    first = start()
    assert first.lan_url is None
    view.network_check.click()
    second = start()
    address = lan_address()
    if address is None:  # no network on this machine: nothing to change to, the same server goes on
        assert second is first
        return
    assert second is not first and not first.running
    assert second.lan_url == f"http://{address}:{DEFAULT_SERVER_PORT}"
    assert start() is second  # the same choice again: kept running
    view.network_check.click()
    third = start()
    assert third.lan_url is None and not second.running
