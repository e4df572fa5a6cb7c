"""UI tests: offscreen Qt (no display needed), one shared ``qapp`` (pytest-qt), a qasync loop on it, and the real
server on loopback. A Qt warning fails the test (``qt_log_level_fail`` in pyproject.toml)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before anything creates the QApplication

import asyncio
import gc
import secrets
import time
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from nimeet_desktop.call import ice
from nimeet_desktop.call.desktop_call import DesktopCall
from nimeet_desktop.media.provider import SyntheticMediaProvider
from nimeet_desktop.net.credentials import CredentialStore
from nimeet_desktop.settings import Settings, SettingsStore
from nimeet_desktop.ui import i18n, theme
from nimeet_desktop.ui.context import AppContext
from nimeet_desktop.ui.engine_call import EngineCall
from nimeet_desktop.ui.gui_gc import GuiThreadCollector
from nimeet_desktop.ui.main_window import MainWindow
from tests.support.memory_keyring import MemoryKeyring
from tests.support.server import ServerProcess
from tests.support.shared_servers import SharedServers

Run = Callable[..., Any]


@pytest.fixture(scope="session")
def ui_loop(qapp: QApplication) -> Iterator[asyncio.AbstractEventLoop]:
    """A qasync loop on the shared QApplication: coroutines and Qt events run together, as in the app."""
    import qasync

    class TestLoop(qasync.QEventLoop):  # type: ignore[misc]  # qasync is untyped
        """qasync's ``run_until_complete`` processes Qt events once more after ``run_forever`` has cleared the
        running loop: a timer due then steps its task outside any loop ("no running event loop"). For the whole
        test that uses ``run`` the loop counts as running, so it does during that last pass too."""

        def run_forever(self) -> Any:
            kept = asyncio.events._get_running_loop() is self  # ``run`` keeps it running between its calls
            try:
                return super().run_forever()
            finally:
                if kept:
                    asyncio.events._set_running_loop(self)

    theme.apply_theme(qapp)
    loop = TestLoop(qapp)
    # As in the app: slots that a test's click runs start their tasks on this loop (Tasks.spawn asks for it).
    asyncio.set_event_loop(loop)
    yield loop
    asyncio.set_event_loop(None)
    loop.close()


@pytest.fixture(autouse=True)
def gui_thread_gc(qapp: QApplication) -> Iterator[None]:
    """As in the app, reference cycles are collected on Qt's thread only while a UI test runs (an engine thread
    collecting a widget: Qt warns). Only while it runs: the collector needs Qt's loop, and a test worker that goes
    on to other tests after the UI's must not be left without automatic collection (cycles holding files and
    sockets would pile up)."""
    collector = GuiThreadCollector(qapp)
    collector.start()
    yield
    collector.stop()
    gc.collect(1)  # the test's young cycles, here on Qt's thread (a full pass per test would add a minute)


@pytest.fixture
def run(ui_loop: asyncio.AbstractEventLoop) -> Iterator[Run]:
    """``run(coro, timeout=30)``: drive the app's loop until ``coro`` finishes.

    In the app the loop runs for as long as Qt does. pytest-qt also processes Qt events on its own, between a test's
    phases; the engine's tasks (timers, sockets) then take steps too, and outside a running loop they fail
    ("no running event loop", "bound to a different event loop") and leave aiortc half-closed: a later leave hung
    now and then. So for the whole test the loop counts as running, as in the app, between ``run`` calls too."""

    def runner(coro: Coroutine[Any, Any, Any], timeout: float = 30.0) -> Any:
        try:
            return ui_loop.run_until_complete(asyncio.wait_for(coro, timeout))
        finally:
            asyncio.events._set_running_loop(ui_loop)  # qasync clears it when run_until_complete returns

    asyncio.events._set_running_loop(ui_loop)
    yield runner
    asyncio.events._set_running_loop(None)


async def until(predicate: Callable[[], object], timeout: float = 10.0, what: str = "condition") -> None:
    """Poll while the loop (and Qt) keeps running; fail the test with ``what`` on timeout."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.05)


async def engine_until(
    call: EngineCall, predicate: Callable[[DesktopCall], object], timeout: float = 10.0, what: str = "condition"
) -> None:
    """``until`` for what only the engine knows: ``predicate`` runs on the engine's loop (its own thread)."""
    deadline = time.monotonic() + timeout
    while not await call.read_engine(predicate):
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.05)


@pytest.fixture(scope="session")
def ui_server(_servers: SharedServers) -> ServerProcess:
    """The session's shared SQLite server (tests/conftest.py): the app signs up users of its own on it."""
    return _servers.get("sqlite")


@pytest.fixture
def loopback_media() -> Iterator[None]:
    ice.restrict_host_addresses(["127.0.0.1"])
    yield
    ice.restrict_host_addresses(None)


class AppHarness:
    """The app's window and services as ``nimeet`` builds them, against the test server, with synthetic devices
    and a memory keyring; ``restart()`` builds a second window on the same settings and keyring."""

    def __init__(self, server: ServerProcess, config_dir: Path, run: Run) -> None:
        self.server = server
        self.config_dir = config_dir
        self.keyring = MemoryKeyring()
        self.run = run
        self.provider: SyntheticMediaProvider = SyntheticMediaProvider(320, 240)
        self.windows: list[MainWindow] = []
        self.stats_path: Path | None = None  # ``nimeet --stats FILE`` for the windows built from now on

    def build(self) -> MainWindow:
        store = SettingsStore(self.config_dir)
        settings = store.load()
        if not (self.config_dir / store.FILE_NAME).exists():
            settings = Settings(server_url=self.server.url, start_local_server=False)
        context = AppContext(
            store, settings, CredentialStore(backend=self.keyring), self.provider, stats_path=self.stats_path
        )
        window = MainWindow(context)
        window.resize(960, 640)
        window.show()
        self.windows.append(window)
        return window

    def close_all(self) -> None:
        for window in self.windows:
            self.run(window.shutdown())
            window.close()
            window.deleteLater()
        self.windows.clear()
        # Let what closing queued (socket callbacks, deferred deletes) run inside the loop, not in qtbot's teardown.
        self.run(asyncio.sleep(0.2))


@pytest.fixture
def app(ui_server: ServerProcess, tmp_path: Path, run: Run) -> Iterator[AppHarness]:
    harness = AppHarness(ui_server, tmp_path / "config", run)
    yield harness
    harness.close_all()


def fill(qtbot: QtBot, window: MainWindow, **fields: str) -> None:
    view = window.auth_view
    for name, value in fields.items():
        edit = getattr(view, name).edit
        edit.clear()
        qtbot.keyClicks(edit, value)


def new_user() -> dict[str, str]:
    name = f"ui{secrets.token_hex(4)}"
    return {"username": name, "email": f"{name}@example.org", "password": "correct horse battery"}


def register(qtbot: QtBot, window: MainWindow, user: dict[str, str]) -> None:
    qtbot.mouseClick(window.auth_view.switch_mode, Qt.MouseButton.LeftButton)
    fill(qtbot, window, **user)
    qtbot.mouseClick(window.auth_view.submit, Qt.MouseButton.LeftButton)


def start_new_call(qtbot: QtBot, window: MainWindow) -> None:
    """The dashboard's "New call", its room settings saved as they come ("Start call"): pre-join follows."""
    qtbot.mouseClick(window.dashboard.new_call_button, Qt.MouseButton.LeftButton)
    save_new_room(qtbot, window)


def save_new_room(qtbot: QtBot, window: MainWindow) -> None:
    """ "Start call" in the new room's settings that "New call" (the dashboard's, the tray's) opened."""
    dialog = window.dashboard.room_dialog
    assert dialog is not None, '"New call" opens the new room\'s settings'
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)


@pytest.fixture
def russian(qapp: QApplication) -> Iterator[None]:
    """The app in Russian for one test (``@pytest.mark.usefixtures("russian")``)."""
    assert i18n.install(qapp, "ru") == "ru"
    yield
    i18n.uninstall(qapp)
