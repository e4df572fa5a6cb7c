"""Files sent in meetings, on disk: ``<data dir>/files/<roomId>/<meetingId>/<fileId>``.

A file is streamed to a temporary name while it arrives, with a size cap, and renamed into place only when it is
whole; a meeting's folder is deleted when the meeting ends, and the whole ``files`` folder at start-up (what a
crash left behind belongs to meetings that ended with it). Names on disk are ids the server made, never what the
client called the file: the client's name is only reduced to a safe base name for display and downloads.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import re
import shutil
import unicodedata
import uuid
from pathlib import Path

from signaling_server import datadir

logger = logging.getLogger(__name__)

FILES_DIR = "files"
NAME_MAX_BYTES = 255
_UNSAFE = re.compile('[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff<>:"|?*]')
# Names Windows will not create, whatever the extension.
_RESERVED = re.compile(r"(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?", re.IGNORECASE)
_MIME = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,63}/[a-z0-9][a-z0-9!#$&^_.+-]{0,63}")
DEFAULT_MIME = "application/octet-stream"


def safe_name(name: str | None) -> str:
    """The client's file name reduced to a base name that is safe to show and to save anywhere: no folders (either
    slash), no control, invisible or text-direction characters, no leading dots or trailing dots and spaces, no
    reserved Windows names, at most 255 bytes of UTF-8 (the extension kept); "file" when nothing is left."""
    text = unicodedata.normalize("NFC", name or "")
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    text = _UNSAFE.sub("_", text).strip().lstrip(".").rstrip(". ")
    if _RESERVED.fullmatch(text):
        text = f"_{text}"
    if len(text.encode("utf-8")) > NAME_MAX_BYTES:
        stem, dot, ext = text.rpartition(".")
        if not dot or len(ext.encode("utf-8")) > 16:
            stem, ext = text, ""
        budget = NAME_MAX_BYTES - len(ext.encode("utf-8")) - (1 if ext else 0)
        stem = stem.encode("utf-8")[:budget].decode("utf-8", "ignore")
        text = f"{stem}.{ext}" if ext else stem
    return text or "file"


def safe_mime(value: str | None) -> str:
    """The part's declared type when it is a plain ``type/subtype`` (parameters dropped), else octet-stream."""
    mime = (value or "").split(";", 1)[0].strip().lower()
    return mime if _MIME.fullmatch(mime) else DEFAULT_MIME


class TooLarge(Exception):
    pass


class Upload:
    """One file arriving: written to a temporary file as chunks come, hashed on the way, capped."""

    def __init__(self, path: Path, limit: int) -> None:
        self._path = path
        self._limit = limit
        self.size = 0
        self._hash = hashlib.sha256()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        self._file = os.fdopen(fd, "wb")

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self._limit:
            raise TooLarge
        self._hash.update(chunk)
        self._file.write(chunk)

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()

    def finish(self, final: Path) -> None:
        self._file.close()
        os.replace(self._path, final)

    def discard(self) -> None:
        self._file.close()
        self._path.unlink(missing_ok=True)


class MeetingFiles:
    def __init__(self, data_dir: Path, max_bytes: int) -> None:
        self.root = data_dir / FILES_DIR
        self.max_bytes = max_bytes

    def clear_all(self) -> None:
        """At start-up: every meeting of an earlier run is over, so are its files."""
        if self.root.exists():
            shutil.rmtree(self.root, ignore_errors=True)
            logger.info("removed files left by the previous run")

    def _folder(self, room_id: str, meeting_id: str) -> Path:
        return self.root / room_id / meeting_id

    def start(self, room_id: str, meeting_id: str) -> tuple[str, Upload]:
        """A new file id and its upload, in the meeting's folder (made ``0700``)."""
        folder = self._folder(room_id, meeting_id)
        self.root.mkdir(mode=datadir.DIR_MODE, parents=True, exist_ok=True)
        folder.mkdir(mode=datadir.DIR_MODE, parents=True, exist_ok=True)
        file_id = uuid.uuid4().hex
        return file_id, Upload(folder / f".{file_id}.part", self.max_bytes)

    def path(self, room_id: str, meeting_id: str, file_id: str) -> Path:
        return self._folder(room_id, meeting_id) / file_id

    async def discard_meeting(self, room_id: str, meeting_id: str) -> None:
        """The meeting ended: its files go (off the event loop: a folder of large files takes a while)."""
        folder = self._folder(room_id, meeting_id)
        if folder.exists():
            await asyncio.to_thread(self._remove, folder, self.root / room_id)

    @staticmethod
    def _remove(folder: Path, room_folder: Path) -> None:
        shutil.rmtree(folder, ignore_errors=True)
        with contextlib.suppress(OSError):  # another meeting of the room (a new one may have started) has files
            room_folder.rmdir()
