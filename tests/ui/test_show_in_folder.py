"""Show in folder on Linux: the recordings screen asks the file manager (``org.freedesktop.FileManager1.ShowItems``)
over a real session bus of the test's own (``dbus-daemon``), through the real ``gdbus``; the file manager is this
test's object on that bus, registered as file managers register. Without one (nobody owns the name, no bus at all, no
``gdbus``), the folder opens instead, caught where the app hands a URL to the desktop."""

from __future__ import annotations

import shutil
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from PySide6.QtCore import QProcess, Qt
from PySide6.QtDBus import QDBusConnection, QDBusMessage, QDBusVirtualObject
from pytestqt.qtbot import QtBot

from nimeet_desktop.ui.show_in_folder import FILE_MANAGER, FILE_MANAGER_PATH, file_uri
from nimeet_desktop.ui.views.recordings_view import RecordingsView
from tests.support.session_bus import session_bus
from tests.support.system_packages import GDBUS, require
from tests.ui.conftest import Run, until
from tests.ui.test_recordings_view import UrlCatcher, folder, opened, record, select, view

__all__ = ["folder", "opened", "view"]  # the recordings screen's fixtures, used here as they are

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the freedesktop file manager call is Linux's")


class FileManager(QDBusVirtualObject):
    """``ShowItems`` as GNOME Files answers it: noted, and an empty reply. Called on Qt's D-Bus thread."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, list[object]]] = []
        self._lock = threading.Lock()

    def introspect(self, path: str) -> str:
        return ""

    def handleMessage(self, message: QDBusMessage, connection: QDBusConnection) -> bool:
        if message.interface() != FILE_MANAGER or message.member() != "ShowItems":
            return False
        with self._lock:
            self.calls.append((message.signature(), list(message.arguments())))
        connection.send(message.createReply())
        return True

    def seen(self) -> list[tuple[str, list[object]]]:
        with self._lock:
            return list(self.calls)


@pytest.fixture
def bus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    require(shutil.which("gdbus") is not None, GDBUS)
    with session_bus(tmp_path / "bus") as address:
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)
        yield address


@pytest.fixture
def file_manager(bus: str) -> Iterator[FileManager]:
    name = "nimeet-test-file-manager"
    connection = QDBusConnection.connectToBus(bus, name)
    assert connection.isConnected(), connection.lastError().message()
    manager = FileManager()
    assert connection.registerVirtualObject(FILE_MANAGER_PATH, manager)
    assert connection.registerService(FILE_MANAGER), connection.lastError().message()
    yield manager
    connection.unregisterService(FILE_MANAGER)
    connection.unregisterObject(FILE_MANAGER_PATH)
    QDBusConnection.disconnectFromBus(name)


def helpers_running(view: RecordingsView) -> bool:
    return bool(view.findChildren(QProcess))


def test_the_file_manager_is_asked_to_show_the_file_selected(
    view: RecordingsView, folder: Path, opened: UrlCatcher, file_manager: FileManager, run: Run, qtbot: QtBot
) -> None:
    # Quotes, a backslash, a percent sign and Cyrillic: nothing of the name may break the call or reach it changed.
    recording = record(folder / 'NIMeet It\'s "Запись" \\ 50%.mp4', 1)
    view.refresh()
    select(view, recording.name)
    qtbot.mouseClick(view.reveal_button, Qt.MouseButton.LeftButton)
    run(until(lambda: file_manager.seen(), what="the file manager's ShowItems call"))
    run(until(lambda: not helpers_running(view), what="gdbus to finish"))
    [(signature, arguments)] = file_manager.seen()
    assert signature == "ass"  # an array of URIs and a startup id, as the freedesktop interface defines it
    assert arguments == [[file_uri(recording)], ""]
    uri = urlsplit(file_uri(recording))
    assert uri.scheme == "file" and Path(unquote(uri.path)) == recording
    assert opened.urls == []  # the file manager showed it: no folder opened besides


@pytest.mark.parametrize("bus_state", ["no file manager", "no bus"])
def test_without_a_file_manager_on_the_bus_the_folder_opens(
    view: RecordingsView,
    folder: Path,
    opened: UrlCatcher,
    bus: str,
    bus_state: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    run: Run,
    qtbot: QtBot,
) -> None:
    if bus_state == "no bus":
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path / 'no-bus-here'}")
    recording = record(folder / "NIMeet Weekly sync.mp4", 1)
    view.refresh()
    select(view, recording.name)
    qtbot.mouseClick(view.reveal_button, Qt.MouseButton.LeftButton)
    run(until(lambda: opened.urls, what="the folder to open"))
    assert [url.toLocalFile() for url in opened.urls] == [str(folder)]
    run(until(lambda: not helpers_running(view), what="gdbus to be gone"))


def test_without_gdbus_the_folder_opens(
    view: RecordingsView, folder: Path, opened: UrlCatcher, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    recording = record(folder / "NIMeet Weekly sync.mp4", 1)
    view.refresh()
    select(view, recording.name)
    view.reveal(recording)
    assert [url.toLocalFile() for url in opened.urls] == [str(folder)]
    assert not helpers_running(view)
