"""The file manager at a file's folder, the file selected where the system can.

- Windows: Explorer's ``/select,``; macOS: Finder's ``open -R``.
- Linux: the freedesktop ``org.freedesktop.FileManager1.ShowItems`` D-Bus call, which GNOME Files, Dolphin, Nemo,
  Caja and Thunar answer by opening the folder with the file selected. It is made by ``gdbus`` (GLib's, on every
  GTK desktop) in a ``QProcess``: no wait on the window's thread while the bus starts a file manager, and the
  string array the method takes (``as``) is written as GVariant text rather than left to Qt's marshalling of a Python
  list (which would send ``av``). Where that is missing or refused (no session bus, no file manager serving the
  name, no ``gdbus``), the folder itself is opened, as it was before.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QProcess, QUrl
from PySide6.QtGui import QDesktopServices

logger = logging.getLogger(__name__)

FILE_MANAGER = "org.freedesktop.FileManager1"
FILE_MANAGER_PATH = "/org/freedesktop/FileManager1"
TIMEOUT_S = 5
"""How long the bus may take to start a file manager and have it answer, before the folder is opened instead."""


def file_uri(path: Path) -> str:
    """``Path.as_uri``: the path's bytes percent-encoded, only letters, digits, ``-._~/`` and ``%XX`` left, so it is
    safe inside a GVariant string literal whatever the file is called (quotes, backslashes, any encoding). Not
    ``QUrl``'s encoded form, which leaves ``'`` as it is."""
    return path.absolute().as_uri()


def show_items_command(gdbus: str, path: Path) -> list[str]:
    return [
        gdbus,
        "call",
        "--session",
        "--timeout",
        str(TIMEOUT_S),
        "--dest",
        FILE_MANAGER,
        "--object-path",
        FILE_MANAGER_PATH,
        "--method",
        f"{FILE_MANAGER}.ShowItems",
        f"['{file_uri(path)}']",
        "''",  # the startup id: none, the file manager raises its window itself
    ]


def show_in_folder(path: Path, parent: QObject, failed: Callable[[], None]) -> None:
    """Show ``path`` in the file manager; ``failed`` runs (maybe later, on this thread) if nothing could be shown.
    ``parent`` owns the helper process on Linux."""
    if sys.platform == "win32":
        # One command line, as Explorer parses it: a list would quote the whole "/select,C:\...", which Explorer does
        # not read as /select. A Windows file name holds no double quote. Explorer exits with 1 even when it did what
        # it was asked: only a failure to start counts.
        try:
            subprocess.Popen(f'explorer /select,"{path}"')  # noqa: S603
        except OSError:
            failed()
        return
    if sys.platform == "darwin":
        try:
            subprocess.Popen(["open", "-R", str(path)])  # noqa: S603,S607
        except OSError:
            failed()
        return
    _ask_the_file_manager(path, parent, failed)


def _open_folder(path: Path, failed: Callable[[], None]) -> None:
    if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(path.parent))):
        failed()


def _ask_the_file_manager(path: Path, parent: QObject, failed: Callable[[], None]) -> None:
    gdbus = shutil.which("gdbus")
    if gdbus is None:
        _open_folder(path, failed)
        return
    command = show_items_command(gdbus, path)
    process = QProcess(parent)
    settled = False

    def settle(shown: bool) -> None:
        nonlocal settled
        if settled:  # a crash reports both an error and a finish
            return
        settled = True
        if not shown:
            error = bytes(process.readAllStandardError().data()).decode(errors="replace").strip()
            logger.info("no file manager showed %s (%s): opening its folder", path.name, error or process.errorString())
            _open_folder(path, failed)
        process.deleteLater()

    process.finished.connect(lambda code, status: settle(status == QProcess.ExitStatus.NormalExit and code == 0))
    process.errorOccurred.connect(lambda _error: settle(False))
    process.start(command[0], command[1:])
