"""The pieces of a file transfer (contract v1.1, chat files) that are not HTTP: the upload body read from disk in
chunks, the download written to a temporary file and hashed as it comes, and cancellation.

A file is never held whole in memory: both ways it moves in ``CHUNK_BYTES`` pieces, each read or written (and hashed)
in a worker thread, so a slow disk does not stall the engine's loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import re
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, BinaryIO, Final, TypeVar

import aiohttp
from aiohttp.abc import AbstractStreamWriter

from nimeet_desktop.net.rest_errors import RestError

CHUNK_BYTES: Final = 256 * 1024
# A download that receives nothing for this long has stalled.
STALL_S: Final = 60.0
# An upload gets a minute plus the time its size takes at this rate (the server answers only at the end, so a
# stall cannot be told from a slow link while we send): 100 MiB may take 53 minutes.
SLOWEST_UPLOAD_BYTES_PER_S: Final = 32 * 1024
# Server-made file ids go into a URL path: nothing but URL-safe characters.
FILE_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,128}")
# Characters a file name cannot carry in a multipart header: line breaks and other controls, quotes, backslashes.
_HEADER_UNSAFE_RE = re.compile(r'[\x00-\x1f\x7f"\\]')

# progress(bytes done, bytes in all), called on the event loop after each chunk.
Progress = Callable[[int, int], None]
T = TypeVar("T")


class TransferCancelled(RestError):
    """The caller cancelled the transfer (its ``cancel`` event was set); nothing was kept."""


class FileIntegrityError(RestError):
    """What arrived is not the file the server announced (size or SHA-256): it was deleted."""


class FileAccessError(RestError):
    """A local file could not be read (upload) or written (download)."""


def header_safe_name(name: str) -> str:
    """The file name as sent in the part's header: the server reduces it to a safe base name anyway."""
    return _HEADER_UNSAFE_RE.sub("_", name) or "file"


def upload_timeout(size: int, connect_s: float) -> aiohttp.ClientTimeout:
    total = 60.0 + size / SLOWEST_UPLOAD_BYTES_PER_S
    return aiohttp.ClientTimeout(total=total, connect=connect_s, sock_connect=connect_s)


def download_timeout(connect_s: float) -> aiohttp.ClientTimeout:
    return aiohttp.ClientTimeout(total=None, connect=connect_s, sock_connect=connect_s, sock_read=STALL_S)


class FilePayload(aiohttp.Payload):
    """An open file as an upload body of known size (so the request has a Content-Length), read chunk by chunk in a
    worker thread, with progress told on the loop."""

    def __init__(self, file: BinaryIO, size: int, progress: Progress | None) -> None:
        super().__init__(file, content_type="application/octet-stream")
        self._file = file
        self._size = self._length = size
        self._progress = progress

    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        raise TypeError("a file upload is not text")

    async def write(self, writer: AbstractStreamWriter) -> None:
        sent = 0
        while sent < self._length:
            try:
                chunk = await asyncio.to_thread(self._file.read, min(CHUNK_BYTES, self._length - sent))
            except OSError as exc:
                raise FileAccessError(f"cannot read the file: {exc.strerror or exc}") from None
            if not chunk:
                raise FileAccessError("the file became shorter while it was sent")
            await writer.write(chunk)
            sent += len(chunk)
            if self._progress is not None:
                self._progress(sent, self._length)


async def open_for_upload(path: Path) -> tuple[BinaryIO, int]:
    """The open file and its size; FileAccessError when it cannot be read."""

    def open_it() -> tuple[BinaryIO, int]:
        file = path.open("rb")
        try:
            return file, os.fstat(file.fileno()).st_size
        except OSError:
            file.close()
            raise

    try:
        return await asyncio.to_thread(open_it)
    except OSError as exc:
        raise FileAccessError(f"cannot read {path}: {exc.strerror or exc}") from None


class Download:
    """A download in progress: a temporary file next to ``dest``, hashed as it is written. ``finish`` checks the
    size and SHA-256 and renames it to ``dest``; ``discard`` deletes it (on any failure)."""

    def __init__(self, dest: Path, size: int, sha256: str) -> None:
        self.dest = dest
        self.size = size
        self.sha256 = sha256.lower()
        # Hidden, unique, in the same directory: the rename is atomic, and a half-written file never has the name.
        self.temp = dest.with_name(f".{dest.name}.{secrets.token_hex(6)}.part")
        self.received = 0
        self._digest = hashlib.sha256()
        self._file: BinaryIO | None = None

    async def open(self) -> None:
        try:
            self._file = await asyncio.to_thread(self.temp.open, "xb")
        except OSError as exc:
            raise FileAccessError(f"cannot write to {self.dest.parent}: {exc.strerror or exc}") from None

    async def write(self, chunk: bytes, name: str) -> None:
        self.received += len(chunk)
        if self.received > self.size:
            raise FileIntegrityError(f"{name!r}: the server sent more than the {self.size} bytes it announced")
        await asyncio.to_thread(self._write, chunk)

    def _write(self, chunk: bytes) -> None:
        assert self._file is not None
        self._digest.update(chunk)  # hashlib releases the GIL for large buffers: in the worker thread too
        try:
            self._file.write(chunk)
        except OSError as exc:
            raise FileAccessError(f"cannot write {self.temp}: {exc.strerror or exc}") from None

    async def finish(self, name: str) -> Path:
        await self._close()
        if self.received != self.size:
            raise FileIntegrityError(f"{name!r}: received {self.received} bytes of the {self.size} announced")
        if self._digest.hexdigest() != self.sha256:
            raise FileIntegrityError(f"{name!r}: the SHA-256 of what arrived is not the file's; it was deleted")
        try:
            await asyncio.to_thread(os.replace, self.temp, self.dest)
        except OSError as exc:
            raise FileAccessError(f"cannot write {self.dest}: {exc.strerror or exc}") from None
        return self.dest

    async def discard(self) -> None:
        # Shielded: a cancelled download still deletes its temporary file.
        await asyncio.shield(self._discard())

    async def _discard(self) -> None:
        await self._close()
        with contextlib.suppress(OSError):
            await asyncio.to_thread(self.temp.unlink, missing_ok=True)

    async def _close(self) -> None:
        file, self._file = self._file, None
        if file is not None:
            with contextlib.suppress(OSError):
                await asyncio.to_thread(file.close)


async def until_cancelled(work: Awaitable[T], cancel: asyncio.Event | None) -> T:
    """``work``, unless ``cancel`` is set first: then ``work`` is cancelled and TransferCancelled raised."""
    if cancel is None:
        return await work
    task: asyncio.Future[T] = asyncio.ensure_future(work)
    waiter: asyncio.Future[Any] = asyncio.ensure_future(cancel.wait())
    both: set[asyncio.Future[Any]] = {task, waiter}
    try:
        await asyncio.wait(both, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for pending in both:
            pending.cancel()  # nothing for one that is done
        # The work's own cleanup (closing the connection) runs before we go on.
        await asyncio.gather(*both, return_exceptions=True)
    if task.cancelled():
        raise TransferCancelled("the transfer was cancelled")
    return task.result()
