"""Files sent in a meeting (contract v1.1): ``POST /api/rooms/{roomId}/files`` and ``GET .../files/{fileId}``.

Only someone in the room right now (a socket in it, not waiting in its lobby) may send or fetch. The upload is
parsed as it streams in (python-multipart's push parser) and written to disk chunk by chunk with its SHA-256, never
held whole in memory; past ``NIMEET_MAX_FILE_BYTES`` it is refused with 413 and its partial file deleted. The
download streams the file back from disk. Files belong to the meeting and go when it ends (``meeting_files.py``).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Annotated
from urllib.parse import quote

import anyio
from fastapi import APIRouter, Path, Request
from fastapi.responses import StreamingResponse
from python_multipart.multipart import MultipartParser, parse_options_header

from signaling_server.api.deps import UNAUTHORIZED_DOC, CurrentUser, ServicesDep, error_doc
from signaling_server.api.errors import ApiError
from signaling_server.db.models import UserRow, utcnow
from signaling_server.meeting_files import TooLarge, Upload, safe_mime, safe_name
from signaling_server.protocol import ROOM_ID_RE, ErrorCode, FileInfo, FileUploaded
from signaling_server.services import Services
from signaling_server.signaling.meetings import MeetingHandlers

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/api/rooms", tags=["files"])

# Multipart headers and boundaries around the file: a body may exceed the file cap by this much before it is refused.
ENVELOPE_BYTES = 64 * 1024
CHUNK_BYTES = 256 * 1024
_FILE_ID_MAX = 64

_DOCS = {
    **UNAUTHORIZED_DOC,
    403: error_doc("You are not in this room right now (`forbidden`)"),
    404: error_doc("No such room or file (`room-not-found`, `not-found`)"),
}


async def _room_member(svc: Services, user: UserRow, room_id: str) -> None:
    room = await svc.store.room(room_id) if ROOM_ID_RE.fullmatch(room_id) else None
    if room is None:
        raise ApiError(404, ErrorCode.ROOM_NOT_FOUND, "no room with that id")
    if not await svc.rooms.user_in_room(room_id, user.id):
        raise ApiError(403, ErrorCode.FORBIDDEN, "only people in the room right now can send or fetch its files")


def _too_large(limit: int) -> ApiError:
    return ApiError(413, ErrorCode.TOO_LARGE, f"the file is larger than {limit} bytes", headers={"Connection": "close"})


class _FilePart:
    """Collects the multipart part named ``file`` into an ``Upload``; every other part is skipped (and capped)."""

    def __init__(self, start: Upload) -> None:
        self._upload = start
        self._header_field = b""
        self._header_value = b""
        self._headers: dict[bytes, bytes] = {}
        self._current_is_file = False
        self.found = False
        self.done = False
        self.name: str | None = None
        self.mime: str | None = None
        self.other_bytes = 0

    def callbacks(self) -> dict[str, object]:
        return {
            "on_part_begin": self._part_begin,
            "on_header_field": self._header_field_data,
            "on_header_value": self._header_value_data,
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
        }

    def _part_begin(self) -> None:
        self._headers = {}
        self._current_is_file = False

    def _header_field_data(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def _header_value_data(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _header_end(self) -> None:
        self._headers[self._header_field.strip().lower()] = self._header_value.strip()
        self._header_field = self._header_value = b""

    def _headers_finished(self) -> None:
        _, params = parse_options_header(self._headers.get(b"content-disposition", b""))
        if params.get(b"name") == b"file" and not self.found:
            self._current_is_file = self.found = True
            self.name = params.get(b"filename", b"").decode("utf-8", "replace")
            self.mime = self._headers.get(b"content-type", b"").decode("latin-1")

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._current_is_file:
            self._upload.write(data[start:end])
        else:
            self.other_bytes += end - start
            if self.other_bytes > ENVELOPE_BYTES:
                raise TooLarge

    def _part_end(self) -> None:
        if self._current_is_file:
            self.done = True
            self._current_is_file = False


@router.post("/{roomId}/files", status_code=201, response_model=FileUploaded, responses=_DOCS)
async def upload_file(
    request: Request, user: CurrentUser, svc: ServicesDep, room_id: Annotated[str, Path(alias="roomId")]
) -> FileUploaded:
    await _room_member(svc, user, room_id)
    limit = svc.files.max_bytes
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit + ENVELOPE_BYTES:
        raise _too_large(limit)  # refused before a byte of it is read
    kind, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise ApiError(422, ErrorCode.INVALID_INPUT, "send the file as multipart/form-data with a part named 'file'")
    meeting_id = await svc.rooms.meeting_id(room_id)
    if meeting_id is None:
        raise ApiError(403, ErrorCode.FORBIDDEN, "only people in the room right now can send or fetch its files")
    file_id, upload = svc.files.start(room_id, meeting_id)
    part = _FilePart(upload)
    parser = MultipartParser(boundary, part.callbacks())  # type: ignore[arg-type]
    try:
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
    except TooLarge:
        upload.discard()
        logger.info("file refused: over the limit", extra={"roomId": room_id, "userId": user.id})
        raise _too_large(limit) from None
    except BaseException:
        upload.discard()  # the client went away, or the body is not multipart after all
        raise
    if not part.done:
        upload.discard()
        raise ApiError(422, ErrorCode.INVALID_INPUT, "the body has no complete part named 'file'", field="file")
    info = FileInfo(
        id=file_id,
        name=safe_name(part.name),
        size=upload.size,
        sha256=upload.sha256,
        mime=safe_mime(part.mime),
        uploaded_by=user.id,
        uploaded_at=utcnow(),
    )
    upload.finish(svc.files.path(room_id, meeting_id, file_id))
    sender = next((m for m in await svc.rooms.members(room_id) if m.user_id == user.id), None)
    if sender is None or not await svc.rooms.add_file(room_id, meeting_id, info):
        # Left, or the meeting ended, while the file was arriving: it is not kept.
        svc.files.path(room_id, meeting_id, file_id).unlink(missing_ok=True)
        raise ApiError(403, ErrorCode.FORBIDDEN, "only people in the room right now can send or fetch its files")
    if svc.meetings is not None:
        await svc.meetings.file_posted(room_id, MeetingHandlers.message(sender, "", file=info))
    logger.info("file shared", extra={"roomId": room_id, "userId": user.id, "size": info.size})
    return FileUploaded(file=info)


@router.get("/{roomId}/files/{fileId}", responses=_DOCS)
async def download_file(
    user: CurrentUser,
    svc: ServicesDep,
    room_id: Annotated[str, Path(alias="roomId")],
    file_id: Annotated[str, Path(alias="fileId", max_length=_FILE_ID_MAX)],
) -> StreamingResponse:
    await _room_member(svc, user, room_id)
    found = await svc.rooms.file(room_id, file_id)
    path = None if found is None else svc.files.path(room_id, found[0], file_id)
    if found is None or path is None or not path.is_file():
        raise ApiError(404, ErrorCode.NOT_FOUND, "no such file in this meeting")
    info = found[1]
    # Opened now: a meeting that ends mid-download deletes the name, and the open file stays readable to the end.
    handle = await anyio.open_file(path, "rb")

    async def chunks() -> AsyncIterator[bytes]:
        try:
            while chunk := await handle.read(CHUNK_BYTES):
                yield chunk
        finally:
            await handle.aclose()

    headers = {
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(info.name, safe='')}",
        "Content-Length": str(info.size),
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
    }
    # Served as bytes, never as the type the sender declared: a file must not become a page in a browser.
    return StreamingResponse(chunks(), media_type="application/octet-stream", headers=headers)
