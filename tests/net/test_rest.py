"""ApiClient against the real server (SQLite and PostgreSQL), and against broken servers on loopback."""

from __future__ import annotations

import asyncio
import logging
import secrets
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import pytest

from nimeet_desktop.net.error_codes import LocalErrorCode
from nimeet_desktop.net.links import InvalidServerUrl, parse_join_link
from nimeet_desktop.net.rest import ApiClient, ApiError, RestError, ServerUnreachable
from signaling_server.protocol import AuthResponse, MeetingSession, MyStatsResponse, Preferences, Room
from tests.support.clients import Peer, unique_name
from tests.support.server import ServerProcess

PASSWORD = "correct horse battery"


@pytest.fixture
async def client(server: ServerProcess) -> AsyncIterator[ApiClient]:
    api = ApiClient(server.url)
    yield api
    await api.close()


async def register(api: ApiClient, prefix: str = "rest") -> AuthResponse:
    name = unique_name(prefix)
    return await api.register(name, f"{name}@example.test", PASSWORD)


async def signed_in(api: ApiClient) -> AuthResponse:
    auth = await register(api)
    api.token = auth.token
    return auth


# ---- happy paths ------------------------------------------------------------------------------------------
async def test_register_login_me(client: ApiClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="nimeet_desktop")
    name = unique_name("rest")
    email = f"{name}@example.test"
    auth = await client.register(name, email, PASSWORD)
    assert isinstance(auth, AuthResponse)
    assert auth.token
    assert (auth.user.username, auth.user.email) == (name, email)
    assert auth.user.created_at.utcoffset() is not None
    assert client.token is None, "register does not sign the client in by itself"

    client.token = auth.token
    me = await client.me()
    assert me == auth.user

    again = await client.login(email.upper(), PASSWORD)  # emails compare case-insensitively
    assert again.user.id == auth.user.id
    client.token = again.token
    assert (await client.me()).id == auth.user.id

    assert PASSWORD not in caplog.text
    assert auth.token not in caplog.text
    assert again.token not in caplog.text


async def test_rooms(client: ApiClient) -> None:
    auth = await signed_in(client)
    first = await client.create_room()
    assert first.room.owner_id == auth.user.id
    assert first.room.max_participants == 8
    assert first.room.name == f"{auth.user.username}'s room"
    assert parse_join_link(first.join_url) == first.room.room_id

    second = await client.create_room("Standup", 2, description="daily", is_private=True)
    room = second.room
    assert (room.name, room.max_participants, room.description, room.is_private) == ("Standup", 2, "daily", True)

    info = await client.get_room(room.room_id)
    assert info.room == room
    assert info.participant_count == 0

    rooms = await client.list_rooms()
    assert all(isinstance(r, Room) for r in rooms)
    assert [r.room_id for r in rooms][:2] == [room.room_id, first.room.room_id]  # newest first


async def test_room_settings_change_only_what_is_given_and_the_owner_deletes(
    client: ApiClient, server: ServerProcess
) -> None:
    await signed_in(client)
    created = (await client.create_room("Planning", 4, description="weekly", password="open sesame")).room
    assert created.has_password and not created.is_private
    room_id = created.room_id

    room = await client.update_room(room_id, description=None)  # None removes the description, nothing else
    assert (room.name, room.description, room.max_participants, room.has_password) == ("Planning", None, 4, True)
    room = await client.update_room(room_id, name="Renamed", is_private=True, max_participants=3)
    assert (room.name, room.is_private, room.max_participants, room.has_password) == ("Renamed", True, 3, True)
    assert not (await client.update_room(room_id, password=None)).has_password  # None removes the password
    assert (await client.update_room(room_id, password="new secret")).has_password
    assert (await client.get_room(room_id)).room == room.model_copy(update={"has_password": True})

    with pytest.raises(ApiError) as caught:
        await client.update_room(room_id, password="abc")
    assert (caught.value.status, caught.value.code, caught.value.field) == (422, "invalid-input", "password")

    async with ApiClient(server.url) as stranger:
        await signed_in(stranger)
        for refused in (stranger.update_room(room_id, name="Mine"), stranger.delete_room(room_id)):
            with pytest.raises(ApiError) as caught:
                await refused
            assert (caught.value.status, caught.value.code) == (403, "forbidden")
    assert (await client.get_room(room_id)).room.name == "Renamed"

    await client.delete_room(room_id)
    for gone in (client.get_room(room_id), client.update_room(room_id, name="x"), client.delete_room(room_id)):
        with pytest.raises(ApiError) as caught:
            await gone
        assert caught.value.status == 404


@pytest.mark.parametrize("room_id", ["../auth/me", "a/b", "", "x?y=1"])
async def test_room_changes_never_put_a_malformed_id_in_the_url(client: ApiClient, room_id: str) -> None:
    with pytest.raises(ValueError, match="room id"):
        await client.update_room(room_id, name="x")
    with pytest.raises(ValueError, match="room id"):
        await client.delete_room(room_id)


async def test_preferences_defaults_then_the_whole_object(client: ApiClient, server: ServerProcess) -> None:
    auth = await signed_in(client)
    assert await client.get_preferences() == Preferences(), "never saved: the defaults"
    chosen = Preferences(
        join_with_camera=False,
        join_with_microphone=True,
        video_quality="1080p",
        background_blur=True,
        notifications=False,
        language="ru",
        reminder_minutes=None,
    )
    assert await client.put_preferences(chosen) == chosen
    async with ApiClient(server.url, auth.token) as elsewhere:  # another machine of the same account
        assert await elsewhere.get_preferences() == chosen
    client.token = None
    with pytest.raises(ApiError) as refused:
        await client.get_preferences()
    assert refused.value.status == 401


async def test_history_and_statistics(client: ApiClient, server: ServerProcess) -> None:
    """A meeting held by a real socket, then its session and the statistics through the client, typed."""
    auth = await signed_in(client)
    room = (await client.create_room("History")).room
    assert await client.room_sessions(room.room_id) == []
    peer = await Peer(server.url, auth.token).connect()
    try:
        assert (await peer.join(room.room_id))["ok"]
    finally:
        await peer.close()
    for _ in range(100):
        sessions = await client.room_sessions(room.room_id)
        if sessions and sessions[0].ended_at is not None:
            break
        await asyncio.sleep(0.05)
    (session,) = sessions
    assert isinstance(session, MeetingSession) and session.ended_at is not None
    assert [stay.username for stay in session.participants] == [auth.user.username]
    stats = await client.my_stats("Europe/Moscow")
    assert isinstance(stats, MyStatsResponse)
    assert (stats.meetings, stats.hosted, len(stats.days)) == (1, 1, 30)
    assert stats.days[-1].meetings == 1
    with pytest.raises(ApiError) as caught:
        await client.my_stats("Not/A_Zone")
    assert (caught.value.status, caught.value.code) == (422, "invalid-input")
    with pytest.raises(ValueError, match="room id"):
        await client.room_sessions("../stats/me")


async def test_ice_servers_and_health(client: ApiClient) -> None:
    await signed_in(client)
    ice = await client.ice_servers()
    # The test server has no TURN configured: an empty list (never a public STUN fallback) and ttl 0.
    assert ice.ice_servers == []
    assert ice.ttl == 0
    assert (await client.healthz()).status == "ok"


async def test_healthz_needs_no_token(server: ServerProcess) -> None:
    async with ApiClient(server.url + "/") as api:
        assert api.base_url == server.url
        assert (await api.healthz()).status == "ok"
    assert api.closed


# ---- the contract's errors --------------------------------------------------------------------------------
async def test_wrong_password(client: ApiClient) -> None:
    auth = await register(client)
    with pytest.raises(ApiError) as caught:
        await client.login(auth.user.email, "wrong password!")
    assert (caught.value.status, caught.value.code) == (401, "invalid-credentials")
    assert caught.value.message
    with pytest.raises(ApiError) as caught:
        await client.login(f"nobody-{secrets.token_hex(4)}@example.test", PASSWORD)
    assert (caught.value.status, caught.value.code) == (401, "invalid-credentials")


async def test_duplicates(client: ApiClient) -> None:
    auth = await register(client)
    with pytest.raises(ApiError) as caught:
        await client.register(auth.user.username, f"other-{auth.user.email}", PASSWORD)
    assert (caught.value.status, caught.value.code, caught.value.field) == (409, "username-taken", "username")
    with pytest.raises(ApiError) as caught:
        await client.register(unique_name("rest"), auth.user.email, PASSWORD)
    assert (caught.value.status, caught.value.code, caught.value.field) == (409, "email-taken", "email")


@pytest.mark.parametrize(
    ("username", "email", "password", "field"),
    [
        ("ab", "ok@example.test", PASSWORD, "username"),
        ("has space", "ok@example.test", PASSWORD, "username"),
        (None, "not-an-email", PASSWORD, "email"),
        (None, "ok@example.test", "short", "password"),
    ],
)
async def test_invalid_input(client: ApiClient, username: str | None, email: str, password: str, field: str) -> None:
    with pytest.raises(ApiError) as caught:
        await client.register(username or unique_name("rest"), email, password)
    assert (caught.value.status, caught.value.code, caught.value.field) == (422, "invalid-input", field)


async def test_invalid_room_fields(client: ApiClient) -> None:
    await signed_in(client)
    for kwargs in ({"max_participants": 17}, {"max_participants": 1}, {"name": "x" * 101}):
        with pytest.raises(ApiError) as caught:
            await client.create_room(**kwargs)
        assert (caught.value.status, caught.value.code) == (422, "invalid-input"), kwargs


async def test_unknown_room(client: ApiClient) -> None:
    await signed_in(client)
    with pytest.raises(ApiError) as caught:
        await client.get_room(secrets.token_urlsafe(16))
    assert (caught.value.status, caught.value.code) == (404, "room-not-found")


@pytest.mark.parametrize("room_id", ["../auth/me", "a/b", "", "x?y=1", "%2e%2e", "a" * 65])
async def test_malformed_room_id_never_reaches_the_url(client: ApiClient, room_id: str) -> None:
    await signed_in(client)
    with pytest.raises(ValueError, match="room id"):
        await client.get_room(room_id)


@pytest.mark.parametrize("token", [None, "not-a-jwt", "eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl"])
async def test_missing_or_bad_token(server: ServerProcess, token: str | None) -> None:
    async with ApiClient(server.url, token=token) as api:
        calls: list[Callable[[], Awaitable[object]]] = [
            api.me,
            api.list_rooms,
            api.create_room,
            api.ice_servers,
            lambda: api.get_room(secrets.token_urlsafe(16)),
        ]
        for call in calls:
            with pytest.raises(ApiError) as caught:
                await call()
            assert (caught.value.status, caught.value.code) == (401, "unauthorized")


async def test_rate_limit_carries_retry_after(make_server: Callable[..., ServerProcess]) -> None:
    server = make_server(env={"NIMEET_CREATE_ROOM_PER_MIN": "1"})
    server.start()
    async with ApiClient(server.url) as api:
        await signed_in(api)
        await api.create_room()
        with pytest.raises(ApiError) as caught:
            await api.create_room()
    assert (caught.value.status, caught.value.code) == (429, "rate-limited")
    assert caught.value.retry_after is not None
    assert 1 <= caught.value.retry_after <= 60


# ---- no usable answer -------------------------------------------------------------------------------------
def closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def test_unreachable_server_fails_fast() -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    async with ApiClient(url) as api:
        started = time.monotonic()
        with pytest.raises(ServerUnreachable) as caught:
            await api.healthz()
        assert time.monotonic() - started < 2
        assert url in caught.value.message
        assert caught.value.__cause__ is None
        assert caught.value.__suppress_context__
        api.token = "some-token"
        with pytest.raises(RestError):
            await api.me()


@asynccontextmanager
async def canned_server(response: bytes | None) -> AsyncIterator[str]:
    """A loopback HTTP server that answers every request with ``response`` (None: never answers)."""
    release = asyncio.Event()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.readuntil(b"\r\n\r\n")
            if response is None:
                await release.wait()
            else:
                writer.write(response)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    srv = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = srv.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        release.set()
        srv.close()
        await srv.wait_closed()


def http_response(status: str, content_type: str, body: bytes, extra: str = "") -> bytes:
    head = (
        f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
        f"Connection: close\r\n{extra}\r\n"
    )
    return head.encode() + body


async def test_server_that_never_answers_times_out() -> None:
    async with canned_server(None) as url, ApiClient(url, total_timeout=0.5) as api:
        started = time.monotonic()
        with pytest.raises(ServerUnreachable, match="did not answer in time"):
            await api.healthz()
        assert time.monotonic() - started < 3


@pytest.mark.parametrize(
    "response",
    [
        http_response("200 OK", "text/html", b"<html>a web page</html>"),
        http_response("502 Bad Gateway", "text/html", b"<html>bad gateway</html>"),
        http_response("200 OK", "application/json", b""),
        http_response("200 OK", "application/json", b"\xff\xfe not utf-8"),
        http_response("200 OK", "application/json", b'{"something": "else"}'),
        http_response("302 Found", "text/plain", b"", "Location: https://evil.example/\r\n"),
        http_response("200 OK", "application/json", b"[" * 10 + b"1" + b"]" * 10),
        b"this is not HTTP at all\r\n\r\n",
    ],
    ids=["html", "bad-gateway", "empty", "not-utf8", "not-the-contract", "redirect", "not-an-object", "not-http"],
)
async def test_answers_that_are_not_the_contract(response: bytes) -> None:
    async with canned_server(response) as url, ApiClient(url) as api:
        with pytest.raises(ServerUnreachable) as caught:
            await api.healthz()
        assert url in caught.value.message


async def test_too_large_answer() -> None:
    body = b'{"status": "' + b"a" * (2 * 1024 * 1024) + b'"}'
    async with canned_server(http_response("200 OK", "application/json", body)) as url, ApiClient(url) as api:
        with pytest.raises(ServerUnreachable, match="too large"):
            await api.healthz()


async def test_error_without_the_contract_shape() -> None:
    response = http_response("400 Bad Request", "application/json", b'{"detail": "nope"}')
    async with canned_server(response) as url, ApiClient(url) as api:
        with pytest.raises(ApiError) as caught:
            await api.healthz()
    error = caught.value
    assert (error.status, error.code, error.raw_code) == (400, LocalErrorCode.HTTP_STATUS, "http-400")


async def test_retry_after_as_http_date() -> None:
    body = b'{"error": {"code": "rate-limited", "message": "slow down"}}'
    when = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 30))
    response = http_response("429 Too Many Requests", "application/json", body, f"Retry-After: {when}\r\n")
    async with canned_server(response) as url, ApiClient(url) as api:
        with pytest.raises(ApiError) as caught:
            await api.healthz()
    assert (caught.value.status, caught.value.code, caught.value.message) == (429, "rate-limited", "slow down")
    assert caught.value.retry_after is not None
    assert 25 <= caught.value.retry_after <= 31


# ---- the client object ------------------------------------------------------------------------------------
async def test_close_is_idempotent(server: ServerProcess) -> None:
    api = ApiClient(server.url)
    await api.close()  # never used: nothing to close
    api = ApiClient(server.url)
    await api.healthz()
    await api.close()
    await api.close()
    assert api.closed
    with pytest.raises(RuntimeError, match="closed"):
        await api.healthz()


@pytest.mark.parametrize(
    "url", ["", "127.0.0.1:8000", "ftp://127.0.0.1", "javascript:alert(1)", "http://user:pw@host", "http://h?x"]
)
def test_base_url_is_validated(url: str) -> None:
    with pytest.raises(InvalidServerUrl):
        ApiClient(url)


def test_base_url_is_normalized() -> None:
    assert ApiClient("HTTPS://Meet.Example.com:443/nimeet/").base_url == "https://meet.example.com/nimeet"


@pytest.mark.parametrize("token", ["", "a b", "line\r\nX-Injected: 1", "t\u00f6ken", "x" * 8193])
def test_token_must_be_header_safe(token: str) -> None:
    api = ApiClient("http://127.0.0.1:1")
    with pytest.raises(ValueError, match="token"):
        api.token = token
    with pytest.raises(ValueError, match="token"):
        ApiClient("http://127.0.0.1:1", token=token)


def test_repr_hides_the_token() -> None:
    api = ApiClient("http://127.0.0.1:1", token="secret-token-value")
    assert "secret-token-value" not in repr(api)
    assert "set" in repr(api)
