"""The app's own files (settings, logs, crash log) are readable by their owner only: recent room ids are enough to
join a room, and the logs name servers, rooms and people. Directories are ``0700``, files ``0600``; what an older
version left more open is tightened on start. A directory we do not own (``NIMEET_LOG_DIR=/tmp``, say) is left as it
is: it is the admin's choice, and chmod would fail anyway.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import stat
from io import TextIOWrapper
from pathlib import Path

logger = logging.getLogger(__name__)

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path) -> Path:
    """Create ``path`` (and its parents) if needed; ``path`` itself ends ``0700`` when we own it."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    tighten(path)
    return path


def tighten(path: Path) -> None:
    """Take group and other permissions off ``path`` (a directory or a file) if it exists and is ours."""
    try:
        info = path.lstat()
    except FileNotFoundError:
        return
    except OSError as exc:
        logger.warning("cannot check the permissions of %s: %s", path, exc)
        return
    if stat.S_ISLNK(info.st_mode) or info.st_uid != os.geteuid():
        return  # a link's target, or someone else's path, is not ours to change
    want = DIR_MODE if stat.S_ISDIR(info.st_mode) else FILE_MODE
    if stat.S_IMODE(info.st_mode) & ~want == 0:
        return
    try:
        path.chmod(stat.S_IMODE(info.st_mode) & want)
    except OSError as exc:
        logger.warning("cannot make %s private: %s", path, exc)
    else:
        logger.info("made %s private (it was %o)", path, stat.S_IMODE(info.st_mode))


def tighten_tree(directory: Path, pattern: str = "*") -> None:
    """``directory`` and the entries in it matching ``pattern`` (not recursive)."""
    tighten(directory)
    try:
        entries = list(directory.glob(pattern))
    except OSError:
        return
    for entry in entries:
        tighten(entry)


def open_private(path: Path, mode: str = "a") -> TextIOWrapper:
    """A text file opened for writing (``"a"`` or ``"w"``), created ``0600``, an existing one tightened."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if mode == "a" else os.O_TRUNC)
    fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0), FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
        return TextIOWrapper(os.fdopen(fd, mode + "b"), encoding="utf-8", write_through=True)
    except BaseException:
        os.close(fd)
        raise


def write_private(path: Path, text: str) -> None:
    with open_private(path, "w") as file:
        file.write(text)


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating log whose every file, the current one and each it rolls over to, is created ``0600``."""

    def _open(self) -> TextIOWrapper:
        return open_private(Path(self.baseFilename), "a")
