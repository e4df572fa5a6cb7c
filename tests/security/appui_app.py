"""The real app in a security test: its qasync loop, a real server, the window with synthetic devices, and what
every screen is measured by (time, the app's memory, the longest the UI froze). tests/ui/conftest.py has the same
loop fixtures, but they are not visible from this directory (and this suite has no conftest of its own)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before anything creates the QApplication

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator, Coroutine, Iterator
from contextlib import asynccontextmanager, closing
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from nimeet_desktop.call import ice
from nimeet_desktop.ui import theme
from tests.security.probes import rss_mib
from tests.support.server import ServerProcess, running
from tests.ui.conftest import AppHarness

__all__ = ["app", "loop", "run", "server"]  # the fixtures, for a star import in the test modules

SCREEN_SECONDS = 2.0  # each screen, from the click (or the server's answer) to painted
GROWTH_MIB = 50.0  # the app's resident memory while one screen opens (the old code grew 270 MB/s, unbounded)


@pytest.fixture(scope="module")
def loop(qapp: QApplication) -> Iterator[asyncio.AbstractEventLoop]:
    import qasync

    theme.apply_theme(qapp)
    ui_loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(ui_loop)
    yield ui_loop
    asyncio.set_event_loop(None)
    ui_loop.close()


@pytest.fixture
def run(loop: asyncio.AbstractEventLoop) -> Iterator[Any]:
    """Drive the loop until the coroutine ends; the loop counts as running for the whole test (see tests/ui)."""

    def runner(coro: Coroutine[Any, Any, Any], timeout: float = 60.0) -> Any:
        try:
            return loop.run_until_complete(asyncio.wait_for(coro, timeout))
        finally:
            asyncio.events._set_running_loop(loop)

    asyncio.events._set_running_loop(loop)
    yield runner
    asyncio.events._set_running_loop(None)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with running(tmp_path_factory.mktemp("hostile-names")) as proc:
        yield proc


@pytest.fixture
def app(server: ServerProcess, tmp_path: Path, run: Any) -> Iterator[AppHarness]:
    ice.restrict_host_addresses(["127.0.0.1"])
    harness = AppHarness(server, tmp_path / "config", run)
    yield harness
    harness.close_all()
    ice.restrict_host_addresses(None)


# ---- what is measured and checked on every screen ------------------------------------------------------------


class Meter:
    """One screen opening: wall time, the app's memory growth, and the longest the Qt event loop went without
    running a 20 ms timer (a UI that froze)."""

    def __init__(self, screen: str) -> None:
        self.screen = screen
        self.seconds = 0.0
        self.growth_mib = 0.0
        self.worst_stall_s = 0.0
        self._last = 0.0
        self._timer = QTimer()
        self._timer.setInterval(20)
        self._timer.timeout.connect(self._tick)

    def _tick(self) -> None:
        now = time.monotonic()
        self.worst_stall_s = max(self.worst_stall_s, now - self._last)
        self._last = now

    @asynccontextmanager
    async def measure(self) -> AsyncIterator[Meter]:
        baseline = rss_mib(os.getpid())
        started = self._last = time.monotonic()
        self._timer.start()
        try:
            yield self
        finally:
            self._timer.stop()
            self.seconds = time.monotonic() - started
            self.growth_mib = rss_mib(os.getpid()) - baseline
        print(  # the figures, for the report (pytest -s)
            f"{self.screen}: {self.seconds:.2f} s, {self.growth_mib:+.1f} MiB, worst stall {self.worst_stall_s:.2f} s"
        )

    def check(self) -> None:
        assert self.seconds < SCREEN_SECONDS, f"{self.screen} took {self.seconds:.2f} s to open"
        assert self.growth_mib < GROWTH_MIB, f"{self.screen}: the app grew {self.growth_mib:.0f} MiB"


def patch_db(server: ServerProcess, sql: str, *params: object) -> None:
    """Write the server's SQLite database directly: names its API would refuse, as a compromised server (or a
    database written by an older version) holds them. The server reads its rows on each request."""
    with closing(sqlite3.connect(server.data_dir / "nimeet.sqlite3", timeout=10)) as db:
        db.execute(sql, params)
        db.commit()
