"""``ApiClient.upload_file`` / ``download_file`` (contract v1.1, chat files) against a small aiohttp server on
loopback that plays the server's part and can misbehave: a download whose bytes are not the announced file must be
refused and leave nothing behind; both ways the file streams, never whole in memory. The real server's refusals are
the last test; files going both ways through it are in tests/call/test_meeting_bots.py."""

from __future__ import annotations

import asyncio
import hashlib
import os
import tracemalloc
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import BodyPartReader, web

from nimeet_desktop.net.file_transfer import CHUNK_BYTES
from nimeet_desktop.net.rest import (
    ApiClient,
    ApiError,
    FileAccessError,
    FileIntegrityError,
    TransferCancelled,
)
from signaling_server.protocol import FileInfo
from tests.support.clients import Api, Peer
from tests.support.server import ServerProcess

ROOM = "room_Id-1"
TOKEN = "the-token"


@dataclass
class FileServer:
    """Keeps the uploaded bytes on disk (as the real server does) and serves them back, optionally altered."""

    directory: Path
    url: str = ""
    uploads: list[dict[str, Any]] = field(default_factory=list)
    corrupt: bool = False  # flip one byte of what is served
    extra: bytes = b""  # served after the file
    slow: asyncio.Event | None = None  # the upload handler reads one chunk, then waits for this
    headers: list[dict[str, str]] = field(default_factory=list)

    async def upload(self, request: web.Request) -> web.Response:
        self.headers.append(dict(request.headers))
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return web.json_response({"error": {"code": "unauthorized", "message": "no"}}, status=401)
        if request.match_info["room"] != ROOM:
            return web.json_response({"error": {"code": "forbidden", "message": "not in the room"}}, status=403)
        reader = await request.multipart()
        part = await reader.next()
        assert isinstance(part, BodyPartReader)
        digest, size = hashlib.sha256(), 0
        stored = self.directory / f"stored{len(self.uploads)}"
        with stored.open("wb") as out:
            while chunk := await part.read_chunk(64 * 1024):
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
                if self.slow is not None:
                    await self.slow.wait()
        info = {
            "id": f"f{len(self.uploads)}",
            "name": part.filename,
            "size": size,
            "sha256": digest.hexdigest(),
            "mime": "application/octet-stream",
            "uploadedBy": "u1",
            "uploadedAt": datetime.now(UTC).isoformat(),
            "partName": part.name,
            "stored": str(stored),
        }
        self.uploads.append(info)
        return web.json_response({"file": info}, status=201)

    async def download(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["room"] != ROOM:
            return web.json_response({"error": {"code": "forbidden", "message": "not in the room"}}, status=403)
        found = [u for u in self.uploads if u["id"] == request.match_info["file"]]
        if not found:
            return web.json_response({"error": {"code": "not-found", "message": "no such file"}}, status=404)
        response = web.StreamResponse(headers={"Content-Disposition": "attachment"})
        await response.prepare(request)
        with Path(found[0]["stored"]).open("rb") as stored:  # noqa: ASYNC230 - the test server, 64 KiB reads
            first = True
            while chunk := stored.read(64 * 1024):
                if first and self.corrupt:
                    chunk = bytes([chunk[0] ^ 1]) + chunk[1:]
                first = False
                await response.write(chunk)
        await response.write(self.extra)
        await response.write_eof()
        return response


@pytest.fixture
async def file_server(tmp_path: Path) -> AsyncIterator[FileServer]:
    server = FileServer(tmp_path / "server")
    server.directory.mkdir()
    app = web.Application(client_max_size=1024**3)
    app.router.add_post("/api/rooms/{room}/files", server.upload)
    app.router.add_get("/api/rooms/{room}/files/{file}", server.download)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    server.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    yield server
    if server.slow is not None:
        server.slow.set()
    await runner.cleanup()


def random_file(path: Path, size: int) -> Path:
    with path.open("wb") as out:
        left = size
        while left:
            piece = os.urandom(min(left, 1 << 20))
            out.write(piece)
            left -= len(piece)
    return path


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def names(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def leftovers(directory: Path) -> list[str]:
    return [name for name in names(directory) if name.endswith(".part")]


async def test_a_file_goes_up_and_comes_back_identical(file_server: FileServer, tmp_path: Path) -> None:
    source = random_file(tmp_path / 'отчёт "q1".bin', 3 * CHUNK_BYTES + 123)
    sent: list[tuple[int, int]] = []
    received: list[tuple[int, int]] = []
    async with ApiClient(file_server.url, TOKEN) as api:
        info = await api.upload_file(ROOM, source, progress=lambda done, total: sent.append((done, total)))
        assert (info.size, info.sha256) == (source.stat().st_size, sha256_of(source))
        (upload,) = file_server.uploads
        assert upload["partName"] == "file"
        # The name as it is, in UTF-8 (the quotes, which a header cannot carry, replaced).
        assert upload["name"] == "отчёт _q1_.bin"
        # A known size: the request has a Content-Length (not chunked), so a server can refuse it before reading.
        assert int(file_server.headers[0]["Content-Length"]) > info.size
        assert sent[-1] == (info.size, info.size) and len(sent) == 4
        assert [done for done, _ in sent] == sorted(done for done, _ in sent)

        dest = tmp_path / "downloads" / "copy.bin"
        dest.parent.mkdir()
        saved = await api.download_file(ROOM, info, dest, progress=lambda d, t: received.append((d, t)))
    assert saved == dest and sha256_of(dest) == info.sha256
    assert received[-1] == (info.size, info.size)
    assert leftovers(dest.parent) == []


@pytest.mark.parametrize("fault", ["corrupt", "longer", "shorter"])
async def test_a_download_that_is_not_the_file_is_refused_and_deleted(
    file_server: FileServer, tmp_path: Path, fault: str
) -> None:
    source = random_file(tmp_path / "data.bin", CHUNK_BYTES + 10)
    dest = tmp_path / "downloads" / "data.bin"
    dest.parent.mkdir()
    async with ApiClient(file_server.url, TOKEN) as api:
        info = await api.upload_file(ROOM, source)
        if fault == "corrupt":
            file_server.corrupt = True
            announced = info
        elif fault == "longer":
            file_server.extra = b"more"
            announced = info
        else:  # the server announced a larger file than it sends
            announced = info.model_copy(update={"size": info.size + 1})
        with pytest.raises(FileIntegrityError) as caught:
            await api.download_file(ROOM, announced, dest)
    assert "data.bin" in caught.value.message
    assert not dest.exists()
    assert leftovers(dest.parent) == []


async def test_a_download_refused_by_the_server_keeps_nothing(file_server: FileServer, tmp_path: Path) -> None:
    info = FileInfo(
        id="nope",
        name="x",
        size=1,
        sha256="0" * 64,
        mime="text/plain",
        uploaded_by="u",
        uploaded_at=datetime.now(UTC),
    )
    async with ApiClient(file_server.url, TOKEN) as api:
        with pytest.raises(ApiError) as caught:
            await api.download_file("OtherRoom", info, tmp_path / "x")
        assert (caught.value.status, caught.value.raw_code) == (403, "forbidden")
        with pytest.raises(ApiError) as missing:
            await api.download_file(ROOM, info, tmp_path / "x")
        assert missing.value.status == 404
        with pytest.raises(ValueError, match="file id"):
            await api.download_file(ROOM, info.model_copy(update={"id": "../etc"}), tmp_path / "x")
    assert names(tmp_path) == ["server"]


async def test_an_upload_can_be_cancelled(file_server: FileServer, tmp_path: Path) -> None:
    source = random_file(tmp_path / "big.bin", 64 * CHUNK_BYTES)
    file_server.slow = asyncio.Event()  # the server reads one chunk and then waits: the upload stalls
    cancel = asyncio.Event()
    sent: list[int] = []

    def progress(done: int, _total: int) -> None:
        sent.append(done)
        if len(sent) == 2:
            cancel.set()

    async with ApiClient(file_server.url, TOKEN) as api:
        with pytest.raises(TransferCancelled):
            await asyncio.wait_for(api.upload_file(ROOM, source, progress, cancel), 10)
    assert 2 <= len(sent) < 64


async def test_an_unreadable_file_is_told_as_such(file_server: FileServer, tmp_path: Path) -> None:
    async with ApiClient(file_server.url, TOKEN) as api:
        with pytest.raises(FileAccessError, match=r"missing\.bin"):
            await api.upload_file(ROOM, tmp_path / "missing.bin")
    assert file_server.uploads == []


async def test_files_stream_and_are_never_held_whole(file_server: FileServer, tmp_path: Path) -> None:
    size = 24 * 1024 * 1024
    source = random_file(tmp_path / "large.bin", size)
    dest = tmp_path / "large-copy.bin"
    async with ApiClient(file_server.url, TOKEN) as api:
        tracemalloc.start()
        try:
            info = await api.upload_file(ROOM, source)
            await api.download_file(ROOM, info, dest)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert sha256_of(dest) == sha256_of(source)
    # Both ends in this process (the test server reads and writes in 64 KiB pieces too): a few chunks at a time.
    assert peak < size / 4, f"peak {peak / 2**20:.1f} MiB while moving a {size / 2**20:.0f} MiB file"


async def test_the_real_server_refuses_a_file_over_its_limit_and_strangers(
    make_server: Callable[..., ServerProcess], tmp_path: Path
) -> None:
    """Against the real server: a file over ``NIMEET_MAX_FILE_BYTES`` is refused with ``too-large`` (told as such,
    not as a dropped connection, though the server answers before reading the body), and someone not in the room
    may neither send nor fetch."""
    server = make_server(env={"NIMEET_MAX_FILE_BYTES": str(256 * 1024)})
    url = server.start()
    helper = Api(url)
    token = (await helper.register())["token"]
    stranger = (await helper.register())["token"]
    room_id = (await helper.create_room(token))["roomId"]
    await helper.aclose()
    peer = await Peer(url, token).connect()
    try:
        await peer.join(room_id, camera=False, microphone=False)
        async with ApiClient(url, token) as api:
            with pytest.raises(ApiError) as too_large:
                await api.upload_file(room_id, random_file(tmp_path / "big.bin", 8 * 1024 * 1024))
            assert (too_large.value.status, too_large.value.raw_code) == (413, "too-large")
            info = await api.upload_file(room_id, random_file(tmp_path / "small.bin", 1000))
        async with ApiClient(url, stranger) as outsider:
            with pytest.raises(ApiError) as refused:
                await outsider.upload_file(room_id, tmp_path / "small.bin")
            assert (refused.value.status, refused.value.raw_code) == (403, "forbidden")
            with pytest.raises(ApiError) as not_yours:
                await outsider.download_file(room_id, info, tmp_path / "stolen.bin")
            assert (not_yours.value.status, not_yours.value.raw_code) == (403, "forbidden")
    finally:
        await peer.close()
    assert leftovers(tmp_path) == [] and not (tmp_path / "stolen.bin").exists()
