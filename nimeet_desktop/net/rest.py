"""The REST half of the wire contract (``/api`` and ``/healthz``), as an async client on aiohttp.

Every answer is parsed into the protocol's pydantic models. Failures reach callers as one of two exceptions,
both subclasses of ``RestError``: ``ApiError`` when the server answered with the contract's error shape, and
``ServerUnreachable`` when there is no usable answer (refused, timed out, TLS failure, not JSON, not the
contract). No aiohttp exception leaves this module.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import enum
import json
import logging
import math
import re
import time
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Self, TypeVar
from urllib.parse import urlencode

import aiohttp
from pydantic import BaseModel, ValidationError

from nimeet_desktop.net import file_transfer
from nimeet_desktop.net.error_codes import parse_error_code
from nimeet_desktop.net.file_transfer import (
    FileAccessError,
    FileIntegrityError,
    Progress,
    TransferCancelled,
)
from nimeet_desktop.net.links import normalize_server_url
from nimeet_desktop.net.rest_errors import RestError
from signaling_server.protocol import (
    ROOM_ID_RE,
    AuthResponse,
    CreateRoomResponse,
    ErrorResponse,
    FileInfo,
    FileUploaded,
    HealthResponse,
    IceServersResponse,
    MeetingSession,
    MeResponse,
    MyStatsResponse,
    Preferences,
    PreferencesResponse,
    Room,
    RoomInfoResponse,
    RoomListResponse,
    RoomResponse,
    SessionsResponse,
    User,
)

__all__ = [
    "CONNECT_TIMEOUT_S",
    "MAX_RESPONSE_BYTES",
    "MAX_RETRY_AFTER_S",
    "TOTAL_TIMEOUT_S",
    "UNCHANGED",
    "ApiClient",
    "ApiError",
    "FileAccessError",
    "FileIntegrityError",
    "RestError",
    "ServerUnreachable",
    "TransferCancelled",
    "Unchanged",
]

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT_S: Final = 5.0
TOTAL_TIMEOUT_S: Final = 15.0
# The largest answer we read (a room list is a few KiB); more means this is not the server we think it is.
MAX_RESPONSE_BYTES: Final = 1024 * 1024
# The longest Retry-After we honour: a server (or anyone in the middle) asking for more is not believed, or a far-future
# date would keep the app from ever trying again; the contract's own limits ask for seconds to a minute.
MAX_RETRY_AFTER_S: Final = 60.0
USER_AGENT: Final = "NIMeet-desktop/0.1"

# A token goes into a header: visible ASCII only, so it can never smuggle in a line break.
_TOKEN_RE = re.compile(r"[\x21-\x7e]{1,8192}")

M = TypeVar("M", bound=BaseModel)


class Unchanged(enum.Enum):
    """``update_room``'s "leave this field as it is": None already means something there (``password=None``
    removes the password, ``description=None`` the description), so "not given" needs a value of its own."""

    UNCHANGED = "unchanged"


UNCHANGED: Final = Unchanged.UNCHANGED


class ApiError(RestError):
    """The server answered with the contract's error shape ``{"error": {"code", "message"}}``."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        field: str | None = None,
        retry_after: float | None = None,
        conflicts_with: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = parse_error_code(code)
        self.raw_code = code  # as the server sent it, for logs (``code`` is UNKNOWN for a code we do not know)
        # The request field the error concerns (additive to the contract), for showing it next to that field.
        self.field = field
        # Seconds to wait before trying again (from Retry-After; set on 429 ``rate-limited``).
        self.retry_after = retry_after
        # 409 ``schedule-conflict`` (v1.1 scheduling): the meetingId of the meeting the request would overlap.
        self.conflicts_with = conflicts_with

    def __str__(self) -> str:
        return f"{self.status} {self.raw_code}: {self.message}"

    def __repr__(self) -> str:
        return f"ApiError({self.status!r}, {self.raw_code!r}, {self.message!r})"


class ServerUnreachable(RestError):
    """No usable answer: connection refused or reset, timeout, TLS failure, or an answer that is not ours."""


class ApiClient:
    """One NIMeet server's REST API. Create it anywhere; its HTTP session is made on first use.

    Set ``token`` (from ``register``/``login`` or the credential store) before calling the endpoints that
    need it; it is sent as ``Authorization: Bearer``. ``close()`` is idempotent; the client cannot be used
    after it.
    """

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        connect_timeout: float = CONNECT_TIMEOUT_S,
        total_timeout: float = TOTAL_TIMEOUT_S,
    ) -> None:
        self._base_url = normalize_server_url(base_url)
        self._token: str | None = None
        self.token = token
        self._timeout = aiohttp.ClientTimeout(
            total=total_timeout, connect=connect_timeout, sock_connect=connect_timeout
        )
        self._session: aiohttp.ClientSession | None = None
        self._closed = False

    # ---- lifecycle ----------------------------------------------------------------------------------------
    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        self._closed = True
        session, self._session = self._session, None
        if session is not None and not session.closed:
            await session.close()

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def base_url(self) -> str:
        """The server's normalised base URL (``scheme://host[:port][/path]``, no trailing slash)."""
        return self._base_url

    @property
    def token(self) -> str | None:
        return self._token

    @token.setter
    def token(self, value: str | None) -> None:
        if value is not None and not _TOKEN_RE.fullmatch(value):
            raise ValueError("a token is 1–8192 visible ASCII characters")
        self._token = value

    def __repr__(self) -> str:  # never the token
        return f"ApiClient({self._base_url!r}, token={'set' if self._token else 'unset'})"

    # ---- endpoints ----------------------------------------------------------------------------------------
    async def register(self, username: str, email: str, password: str) -> AuthResponse:
        """POST /api/auth/register → 201 ``{token, user}``. Does not set ``token``: the caller decides."""
        body = {"username": username, "email": email, "password": password}
        return await self._call("POST", "/api/auth/register", AuthResponse, body=body, auth=False, ok=201)

    async def login(self, email: str, password: str) -> AuthResponse:
        """POST /api/auth/login → ``{token, user}``. Does not set ``token``: the caller decides."""
        body = {"email": email, "password": password}
        return await self._call("POST", "/api/auth/login", AuthResponse, body=body, auth=False)

    async def me(self) -> User:
        """GET /api/auth/me: the signed-in user (a cheap way to check that a stored token still works)."""
        return (await self._call("GET", "/api/auth/me", MeResponse)).user

    async def get_preferences(self) -> Preferences:
        """GET /api/users/me/preferences (v1.1): the person's preferences, the server's defaults when they never
        saved any. A server without the endpoint (v1) answers 404 ``not-found`` (ApiError)."""
        return (await self._call("GET", "/api/users/me/preferences", PreferencesResponse)).preferences

    async def put_preferences(self, preferences: Preferences) -> Preferences:
        """PUT /api/users/me/preferences with the whole object (v1.1) → what the server now keeps."""
        body = preferences.model_dump(mode="json", by_alias=True)
        return (await self._call("PUT", "/api/users/me/preferences", PreferencesResponse, body=body)).preferences

    async def create_room(
        self,
        name: str | None = None,
        max_participants: int | None = None,
        *,
        description: str | None = None,
        is_private: bool | None = None,
        password: str | None = None,
    ) -> CreateRoomResponse:
        """POST /api/rooms/create → ``{room, joinUrl}``; fields left as None take the server's defaults (no
        password: an open room)."""
        fields = {
            "name": name,
            "maxParticipants": max_participants,
            "description": description,
            "isPrivate": is_private,
            "password": password,
        }
        body = {key: value for key, value in fields.items() if value is not None}
        return await self._call("POST", "/api/rooms/create", CreateRoomResponse, body=body, ok=201)

    async def update_room(
        self,
        room_id: str,
        *,
        name: str | Unchanged = UNCHANGED,
        description: str | Unchanged | None = UNCHANGED,
        max_participants: int | Unchanged = UNCHANGED,
        is_private: bool | Unchanged = UNCHANGED,
        password: str | Unchanged | None = UNCHANGED,
    ) -> Room:
        """PATCH /api/rooms/{roomId} (the owner only) → the room as it is now. Only the fields given are sent;
        ``password=None`` removes the password, ``description=None`` the description. Raises ValueError for a
        malformed id; ApiError 403 ``forbidden`` (not the owner), 404, 422 (with the field)."""
        fields: dict[str, object] = {
            "name": name,
            "description": description,
            "maxParticipants": max_participants,
            "isPrivate": is_private,
            "password": password,
        }
        body = {key: value for key, value in fields.items() if value is not UNCHANGED}
        _check_room_id(room_id)
        path = f"/api/rooms/{room_id}"
        return (await self._call("PATCH", path, RoomResponse, body=body)).room

    async def delete_room(self, room_id: str) -> None:
        """DELETE /api/rooms/{roomId} (the owner only) → 204; whoever is in it is told the meeting ended. Raises
        ValueError for a malformed id; ApiError 403 ``forbidden``, 404."""
        _check_room_id(room_id)
        path = f"/api/rooms/{room_id}"
        status, data, retry_after = await self._exchange("DELETE", path, None, self._auth(), no_content=True)
        if status != 204:
            raise _api_error(status, data, retry_after)

    async def get_room(self, room_id: str) -> RoomInfoResponse:
        """GET /api/rooms/{roomId} → ``{room, participantCount}``; raises ValueError for a malformed id."""
        _check_room_id(room_id)
        return await self._call("GET", f"/api/rooms/{room_id}", RoomInfoResponse)

    async def list_rooms(self) -> list[Room]:
        """GET /api/rooms: the user's own and recently joined rooms, newest first."""
        return (await self._call("GET", "/api/rooms", RoomListResponse)).rooms

    async def room_sessions(self, room_id: str) -> list[MeetingSession]:
        """GET /api/rooms/{roomId}/sessions: the room's meetings, newest first, each with who took part and how long
        (the owner sees all, anyone else those they took part in). ValueError for a malformed id; ApiError 403
        ``forbidden``, 404 ``room-not-found``."""
        _check_room_id(room_id)
        return (await self._call("GET", f"/api/rooms/{room_id}/sessions", SessionsResponse)).sessions

    async def my_stats(self, tz: str = "UTC") -> MyStatsResponse:
        """GET /api/stats/me: meetings, minutes and hosted meetings over the last 30 days, and the minutes of each of
        those days (oldest first) as calendar days of ``tz``, an IANA time-zone name."""
        return await self._call("GET", "/api/stats/me?" + urlencode({"tz": tz}), MyStatsResponse)

    async def ice_servers(self) -> IceServersResponse:
        """GET /api/ice-servers → ``{iceServers, ttl}``. An empty list means: use no STUN/TURN at all."""
        return await self._call("GET", "/api/ice-servers", IceServersResponse)

    async def healthz(self) -> HealthResponse:
        """GET /healthz → ``{status: "ok"}``; 503 ``unavailable`` (ApiError) when the database is down."""
        return await self._call("GET", "/healthz", HealthResponse, auth=False)

    # Logging out waits this long at most (seconds, the whole exchange): people wait to see the sign-in screen.
    LOGOUT_TIMEOUT_S: Final = 3.0

    async def logout(self, token: str, everywhere: bool = False) -> None:
        """POST /api/auth/logout → 204: ``token`` stops working on the server at once, and the sockets opened with
        it are disconnected; ``everywhere``: every token of its user (body ``{"all": true}``).

        ``token`` is passed, not taken from ``self.token``: the app forgets its session before it asks the server,
        so that a server that is down or slow never keeps anyone signed in; for the same reason the exchange gets
        LOGOUT_TIMEOUT_S, not the usual timeouts. Raises ApiError for an error answer (404 from a server without
        the endpoint), ServerUnreachable for no usable answer (a timeout included)."""
        if not _TOKEN_RE.fullmatch(token):
            raise ValueError("a token is 1–8192 visible ASCII characters")
        # Not _call: the 204 has no body, which _exchange rightly refuses from every other endpoint.
        where = self._base_url
        try:
            async with self._http().post(
                where + "/api/auth/logout",
                json={"all": True} if everywhere else None,
                headers={"Authorization": f"Bearer {token}"},
                allow_redirects=False,
                timeout=aiohttp.ClientTimeout(total=self.LOGOUT_TIMEOUT_S),
            ) as response:
                raw = await _read_limited(response)
                status = response.status
                retry_after = response.headers.get("Retry-After")
        except TimeoutError:
            raise ServerUnreachable(f"{where} did not answer in time") from None
        except (aiohttp.ClientError, OSError, ValueError, _TooLarge) as exc:
            logger.debug("POST /api/auth/logout failed: %s", type(exc).__name__)
            raise ServerUnreachable(f"{where} could not be reached ({type(exc).__name__})") from None
        logger.debug("POST /api/auth/logout -> %s", status)
        if status == 204:
            return
        data = _parse_json(raw)
        raise _api_error(status, None if data is _NOT_JSON else data, retry_after)

    # ---- chat files (v1.1): streamed from and to disk, never whole in memory ---------------------------------

    async def upload_file(
        self,
        room_id: str,
        path: Path | str,
        progress: Progress | None = None,
        cancel: asyncio.Event | None = None,
    ) -> FileInfo:
        """POST /api/rooms/{roomId}/files (multipart, one part ``file``) → 201 ``{file}``; the server then posts it
        to the room's chat. Only someone in the room right now may (else 403 ``forbidden``); over the server's limit
        → 413 ``too-large``. ``progress(sent, size)`` after each chunk; setting ``cancel`` stops the upload
        (TransferCancelled). FileAccessError when the file cannot be read."""
        _check_room_id(room_id)
        path = Path(path)
        file, size = await file_transfer.open_for_upload(path)
        try:
            form = aiohttp.MultipartWriter("form-data")
            part = form.append_payload(file_transfer.FilePayload(file, size, progress))
            # The name as it is (UTF-8), not percent-encoded: what browsers send, and what the server's parser reads.
            name = file_transfer.header_safe_name(path.name)
            part.set_content_disposition("form-data", quote_fields=False, name="file", filename=name)
            timeout = file_transfer.upload_timeout(size, self._timeout.connect or CONNECT_TIMEOUT_S)
            exchange = self._exchange("POST", f"/api/rooms/{room_id}/files", None, self._auth(), form, timeout)
            status, data, retry_after = await file_transfer.until_cancelled(exchange, cancel)
        finally:
            file.close()
        if status != 201:
            raise _api_error(status, data, retry_after)
        try:
            return FileUploaded.model_validate(data).file
        except ValidationError:
            raise ServerUnreachable(f"{self._base_url} answered the upload in an unexpected way") from None

    async def download_file(
        self, room_id: str, file: FileInfo, dest_path: Path | str, progress: Progress | None = None
    ) -> Path:
        """GET /api/rooms/{roomId}/files/{fileId} into ``dest_path``, through a temporary file next to it that is
        renamed only once its size and SHA-256 are ``file``'s (FileIntegrityError otherwise, and nothing is kept).
        Only someone in the room right now may (else 403 ``forbidden``). ``progress(received, size)`` after each
        chunk; cancelling the caller deletes the temporary file. FileAccessError when it cannot be written."""
        _check_room_id(room_id)
        if not file_transfer.FILE_ID_RE.fullmatch(file.id):
            raise ValueError("not a file id")  # it goes into the URL path
        download = file_transfer.Download(Path(dest_path), file.size, file.sha256)
        path = f"/api/rooms/{room_id}/files/{file.id}"
        await download.open()
        try:
            timeout = file_transfer.download_timeout(self._timeout.connect or CONNECT_TIMEOUT_S)
            async with self._transport_errors("GET", path):
                response = await self._http().get(
                    self._base_url + path, headers=self._auth(), allow_redirects=False, timeout=timeout
                )
                async with response:
                    if response.status != 200:
                        data = _parse_json(await _read_limited(response))
                        retry_after = response.headers.get("Retry-After")
                        raise _api_error(response.status, None if data is _NOT_JSON else data, retry_after)
                    async for chunk in response.content.iter_chunked(file_transfer.CHUNK_BYTES):
                        await download.write(chunk, file.name)
                        if progress is not None:
                            progress(download.received, file.size)
            return await download.finish(file.name)
        except BaseException:
            await download.discard()
            raise

    # ---- endpoint families in modules of their own (net/schedule_api.py) ----------------------------------------

    async def call_json(self, method: str, path: str, *, body: Mapping[str, Any] | None = None, ok: int = 200) -> Any:
        """One authorised JSON exchange for a family of endpoints that parses its own answers: the JSON of an ``ok``
        answer (None for a 204 when ``ok`` is 204), else ApiError or ServerUnreachable as everywhere here."""
        status, data, retry_after = await self._exchange(method, path, body, self._auth(), no_content=ok == 204)
        if status != ok:
            raise _api_error(status, data, retry_after)
        return data

    async def get_text(self, path: str, content_type: str) -> str:
        """GET an authorised answer that is text, not JSON (``text/calendar``): its text when the status is 200 and
        the type ``content_type``; ApiError for the contract's error shape, ServerUnreachable otherwise."""
        async with (
            self._transport_errors("GET", path),
            self._http().get(self._base_url + path, headers=self._auth(), allow_redirects=False) as response,
        ):
            raw = await _read_limited(response)
            status = response.status
            retry_after = response.headers.get("Retry-After")
            charset = response.charset or "utf-8"
            mime = response.content_type
        if status != 200:
            data = _parse_json(raw)
            raise _api_error(status, None if data is _NOT_JSON else data, retry_after)
        if mime != content_type:
            raise ServerUnreachable(f"{self._base_url} answered with {mime!r}, not {content_type!r}")
        try:
            return raw.decode(charset)
        except (LookupError, UnicodeDecodeError):
            raise ServerUnreachable(f"{self._base_url} answered with text that cannot be read") from None

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token}"} if self._token is not None else {}

    # ---- plumbing -----------------------------------------------------------------------------------------
    def _http(self) -> aiohttp.ClientSession:
        if self._closed:
            raise RuntimeError("this ApiClient is closed")
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=self._timeout,
                headers={"Accept": "application/json", "User-Agent": USER_AGENT},
                raise_for_status=False,
            )
        return self._session

    async def _call(
        self,
        method: str,
        path: str,
        model: type[M],
        *,
        body: Mapping[str, Any] | None = None,
        auth: bool = True,
        ok: int = 200,
    ) -> M:
        headers = self._auth() if auth else {}
        status, data, retry_after = await self._exchange(method, path, body, headers)
        if status == ok:
            try:
                return model.model_validate(data)
            except ValidationError:
                logger.warning("%s %s: the answer does not match the protocol", method, path)
                raise ServerUnreachable(
                    f"{self._base_url} answered in an unexpected way: is it a compatible NIMeet server?"
                ) from None
        raise _api_error(status, data, retry_after)

    async def _exchange(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None,
        headers: dict[str, str],
        form: aiohttp.MultipartWriter | None = None,
        client_timeout: aiohttp.ClientTimeout | None = None,
        *,
        no_content: bool = False,
    ) -> tuple[int, Any, str | None]:
        """Send one request (a JSON ``body`` or a multipart ``form``); the status, the parsed JSON body and the
        Retry-After header, or ServerUnreachable. ``no_content``: a 204 is an answer too (its body None); every
        other success must be JSON."""
        url = self._base_url + path
        http = self._http()
        started = time.monotonic()
        async with (
            self._transport_errors(method, path),
            http.request(
                method,
                url,
                json=body,
                data=form,
                headers=headers,
                allow_redirects=False,
                timeout=client_timeout or self._timeout,
            ) as response,
        ):
            raw = await _read_limited(response)
            status = response.status
            retry_after = response.headers.get("Retry-After")
        logger.debug("%s %s -> %s in %.0f ms", method, path, status, (time.monotonic() - started) * 1000)
        where = self._base_url
        if 300 <= status < 400:
            raise ServerUnreachable(f"{where} redirects elsewhere (HTTP {status}): check the server address")
        if no_content and status == 204:
            return status, None, retry_after
        data = _parse_json(raw)
        if data is _NOT_JSON or data is None:
            if status >= 500 or status in (404, 405):
                raise ServerUnreachable(f"{where} is not answering as a NIMeet server (HTTP {status})")
            raise ServerUnreachable(f"{where} did not answer with JSON (HTTP {status}): is it a NIMeet server?")
        return status, data, retry_after

    @contextlib.asynccontextmanager
    async def _transport_errors(self, method: str, path: str) -> AsyncIterator[None]:
        """aiohttp's failures as ServerUnreachable with a sentence people understand; no aiohttp exception leaves."""
        where = self._base_url
        try:
            yield
        except TimeoutError:
            raise ServerUnreachable(f"{where} did not answer in time") from None
        except aiohttp.ClientConnectorCertificateError:
            raise ServerUnreachable(f"{where}: the server's TLS certificate is not trusted") from None
        except aiohttp.ClientSSLError:
            raise ServerUnreachable(f"{where}: the secure (TLS) connection failed") from None
        except aiohttp.ClientConnectorDNSError:
            raise ServerUnreachable(f"{where}: the server name could not be resolved") from None
        except aiohttp.ClientConnectorError:
            raise ServerUnreachable(f"cannot connect to {where}: is the server running?") from None
        except (aiohttp.ServerDisconnectedError, aiohttp.ClientPayloadError, aiohttp.ClientOSError):
            raise ServerUnreachable(f"{where} closed the connection before answering") from None
        except _TooLarge:
            raise ServerUnreachable(f"{where} sent an answer too large to be a NIMeet server's") from None
        except (aiohttp.ClientError, OSError, ValueError) as exc:
            # aiohttp's remaining errors (bad headers, invalid URL, ...): never leak them to the UI.
            logger.debug("%s %s failed: %s", method, path, type(exc).__name__)
            raise ServerUnreachable(f"{where} could not be reached ({type(exc).__name__})") from None


class _TooLarge(Exception):
    pass


def _check_room_id(room_id: str) -> None:
    if not isinstance(room_id, str) or not ROOM_ID_RE.fullmatch(room_id):
        # Checked here as well as on the server: the id becomes part of the URL path.
        raise ValueError("not a room id")


_NOT_JSON: Final = object()


async def _read_limited(response: aiohttp.ClientResponse) -> bytes:
    declared = response.content_length
    if declared is not None and declared > MAX_RESPONSE_BYTES:
        raise _TooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > MAX_RESPONSE_BYTES:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _api_error(status: int, data: Any, retry_after: str | None) -> ApiError:
    wait = _parse_retry_after(retry_after)
    try:
        detail = ErrorResponse.model_validate(data).error
    except ValidationError:
        logger.warning("HTTP %s without the contract's error shape", status)
        return ApiError(status, f"http-{status}", f"the server answered HTTP {status}", retry_after=wait)
    return ApiError(
        status,
        detail.code,
        detail.message,
        field=detail.field,
        retry_after=wait,
        conflicts_with=detail.conflicts_with,
    )


def _parse_retry_after(value: str | None) -> float | None:
    """Retry-After as seconds: delta-seconds or an HTTP date (RFC 9110 §10.2.3), at most ``MAX_RETRY_AFTER_S``;
    None when absent or bad."""
    if value is None:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        # Compared as text first: int() refuses more than 4300 digits, and a header line holds 8 KiB of them.
        digits = value.lstrip("0") or "0"
        return float(min(int(digits), MAX_RETRY_AFTER_S)) if len(digits) <= 6 else MAX_RETRY_AFTER_S
    try:
        when = email.utils.parsedate_to_datetime(value)
        seconds = when.timestamp() - time.time()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        return None
    return float(min(max(0, math.ceil(seconds)), MAX_RETRY_AFTER_S))


def _parse_json(raw: bytes) -> Any:
    """The answer's JSON, None for an empty body, or ``_NOT_JSON``. ValueError covers UnicodeDecodeError and integers
    too long to convert; RecursionError is JSON nested deeper than the interpreter's stack (100,000 ``[``s fit well
    within the size cap), which a hostile server can send to any endpoint."""
    if not raw:
        return None
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        return _NOT_JSON
