"""Where the desktop app keeps a call's recordings and what it names them: the user's videos folder (``NIMeet`` in
it) unless the settings say otherwise, one file per recording named for the room and the moment it began.

Qt-free so the engine side (a recording started from the call) and the recordings list share one rule.
"""

from __future__ import annotations

import os
import re
import unicodedata
from datetime import datetime
from pathlib import Path

import platformdirs

from nimeet_desktop.media.recording.container import EXTENSIONS, default_extension

FOLDER_NAME = "NIMeet"
NAME_MAX_CHARS = 80
"""A room's name is cut here in a file name: a name is for recognising the file, and paths have limits."""
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')
"""Characters no file name may hold on one of the three systems (Windows' reserved set is the widest)."""


def default_recordings_folder() -> Path:
    override = os.environ.get("NIMEET_RECORDINGS_DIR")  # tests and portable installs, like NIMEET_CONFIG_DIR
    if override:
        return Path(override)
    return Path(platformdirs.user_videos_dir()) / FOLDER_NAME


def recordings_folder(configured: str | None) -> Path:
    """The folder from the settings (``recordings_folder``), else the default."""
    return Path(configured).expanduser() if configured else default_recordings_folder()


def _safe_name(title: str) -> str:
    # Bidi controls and other format characters (category Cf) would make a listed name read differently.
    text = "".join(ch for ch in unicodedata.normalize("NFC", title) if unicodedata.category(ch) != "Cf")
    text = _UNSAFE.sub(" ", text)
    return " ".join(text.split())[:NAME_MAX_CHARS].strip(" .")  # Windows drops trailing dots and spaces


def new_recording_path(folder: Path, title: str, started: datetime, extension: str | None = None) -> Path:
    """A path in ``folder`` that does not exist yet: ``NIMeet <title> <YYYY-MM-DD HH.MM.SS><ext>`` (a second
    recording in the same second gets `` (2)``). ``extension``: the container's, else the best this FFmpeg writes."""
    ext = extension or default_extension()
    name = _safe_name(title)
    stem = f"{FOLDER_NAME} {name} {started:%Y-%m-%d %H.%M.%S}" if name else f"{FOLDER_NAME} {started:%Y-%m-%d %H.%M.%S}"
    path = folder / f"{stem}{ext}"
    n = 2
    while path.exists():
        path = folder / f"{stem} ({n}){ext}"
        n += 1
    return path


def list_recordings(folder: Path) -> list[Path]:
    """The recordings in ``folder`` (the containers the app writes), newest first; none if it does not exist."""
    try:
        entries = [p for p in folder.iterdir() if p.suffix.lower() in EXTENSIONS and p.is_file()]
    except OSError:
        return []

    def modified(path: Path) -> float:
        try:
            return path.stat().st_mtime
        except OSError:
            return 0.0

    return sorted(entries, key=modified, reverse=True)
