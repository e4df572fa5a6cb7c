"""Start-up against the local server's default address (127.0.0.1:8765): the bundled server started by the app, or
one already answering there that the app did not start, which it uses but says so."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from nimeet_desktop.media.provider import SyntheticMediaProvider
from nimeet_desktop.net.credentials import CredentialStore
from nimeet_desktop.settings import DEFAULT_SERVER_PORT, DEFAULT_SERVER_URL, Settings, SettingsStore
from nimeet_desktop.ui.context import AppContext
from nimeet_desktop.ui.main_window import MainWindow
from tests.support.memory_keyring import MemoryKeyring
from tests.support.server import ServerProcess

Run = Callable[..., Any]  # the ``run`` fixture of tests/ui/conftest.py

ADOPTED = f"Using the NIMeet server already running at {DEFAULT_SERVER_URL}"


@pytest.fixture
def default_port_free(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", DEFAULT_SERVER_PORT))
        except OSError:
            pytest.skip(f"port {DEFAULT_SERVER_PORT} (the local server's default) is in use on this machine")
    # The bundled server keeps its database in the user's data directory: a throwaway one for the test.
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))


@pytest.fixture
def make_window(tmp_path: Path, run: Run) -> Iterator[MainWindow]:
    store = SettingsStore(tmp_path / "config")
    settings = Settings(server_url=DEFAULT_SERVER_URL, start_local_server=True)
    context = AppContext(store, settings, CredentialStore(backend=MemoryKeyring()), SyntheticMediaProvider(320, 240))
    window = MainWindow(context)
    window.show()
    yield window
    run(window.shutdown())
    window.close()
    window.deleteLater()


def messages(window: MainWindow) -> list[str]:
    return [message for _kind, message in window.toasts.history]


def test_a_server_the_app_did_not_start_is_used_and_named(
    default_port_free: None, make_window: MainWindow, run: Run, tmp_path: Path
) -> None:
    foreign = ServerProcess(tmp_path / "foreign")
    foreign.start(port=DEFAULT_SERVER_PORT)
    try:
        run(make_window.start())
        assert ADOPTED in messages(make_window)
        assert make_window.context.local_server is None  # nothing of ours was started
        assert make_window.current is make_window.auth_view
    finally:
        foreign.stop()


def test_the_server_the_app_starts_is_not_announced_as_someone_elses(
    default_port_free: None, make_window: MainWindow, run: Run
) -> None:
    run(make_window.start())
    local = make_window.context.local_server
    assert local is not None and local.running
    assert ADOPTED not in messages(make_window)
    assert make_window.current is make_window.auth_view
