"""Files in a meeting over REST (contract v1.1, "Chat and files"): only someone in the room right now uploads or
downloads; an upload is announced to the room as a chat message and kept in its history; names are reduced to a safe
base name; over ``NIMEET_MAX_FILE_BYTES`` is 413 with nothing kept; the bytes come back exactly; files are deleted
from disk when the meeting ends, and leftovers when the server starts."""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import secrets
import signal
import stat
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from signaling_server.protocol import ChatMessage, FileUploaded
from tests.support.clients import Api, Peer, bearer
from tests.support.server import ServerProcess

Connect = Callable[[str | None], Awaitable[Peer]]
MEDIA_OFF = {"camera": False, "microphone": False, "screen": False}
# The contract does not name the folder; this server keeps uploads in ``<data dir>/files``.
FILES_FOLDER = "files"
FILE_FIELDS = {"id", "name", "size", "sha256", "mime", "uploadedBy", "uploadedAt"}
# What a safe name must not hold: path separators, C0/DEL/C1 controls, bidi and zero-width characters (the same
# classes protocol.py refuses in names shown to people).
UNSAFE_RE = re.compile("[/\\\\\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]")
NAME_MAX_BYTES = 255  # a name any file system can take when the receiver saves the file


# ---- helpers ----------------------------------------------------------------------------------------------
def form(filename: str, content: bytes, mime: str = "application/octet-stream") -> tuple[bytes, str]:
    """A ``multipart/form-data`` body with one part named ``file``, encoded as browsers do (fetch + FormData, the
    WHATWG rules): the file name raw in UTF-8 with only ``"``, CR and LF percent-encoded. Built by hand so that the
    server gets exactly the hostile names below (httpx would percent-encode controls and drop an empty name)."""
    boundary = "----nimeet" + secrets.token_hex(12)
    quoted = filename.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")
    head = (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="file"; filename="{quoted}"\r\n'
        f"Content-Type: {mime}\r\n\r\n"
    ).encode()
    body = head + content + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


async def upload(
    http: httpx.AsyncClient, token: str | None, room_id: str, name: str, content: bytes, mime: str = "text/plain"
) -> httpx.Response:
    body, content_type = form(name, content, mime)
    headers = {"content-type": content_type, **(bearer(token) if token else {})}
    return await http.post(f"/api/rooms/{room_id}/files", content=body, headers=headers)


async def join(peer: Peer, room_id: str) -> dict[str, Any]:
    ack: dict[str, Any] = await peer.call("join-room", {"roomId": room_id, "mediaState": MEDIA_OFF})
    return ack


async def in_room(api: Api, peers: Connect, count: int, **room: Any) -> tuple[str, list[dict[str, Any]], list[Peer]]:
    """A fresh room and ``count`` users in it (the owner first): its id, the users and their sockets."""
    users = [await api.register() for _ in range(count)]
    room_id = (await api.create_room(users[0]["token"], **room))["roomId"]
    sockets = []
    for user in users:
        peer = await peers(user["token"])
        assert (await join(peer, room_id))["ok"] is True
        sockets.append(peer)
    return room_id, users, sockets


async def make_private(api: Api, owner_token: str, room_id: str) -> None:
    """A lobby from now on: later joiners wait (the people already in stay in)."""
    r = await api.http.patch(f"/api/rooms/{room_id}", json={"isPrivate": True}, headers=bearer(owner_token))
    assert r.status_code == 200, r.text


def copies_on_disk(folder: Path, content: bytes) -> list[Path]:
    """Regular files under ``folder`` whose bytes are exactly ``content`` (whatever the server named them)."""
    if not folder.is_dir():
        return []
    return [
        path
        for path in folder.rglob("*")
        if path.is_file() and path.stat().st_size == len(content) and path.read_bytes() == content
    ]


def regular_files(folder: Path) -> set[Path]:
    return {path for path in folder.rglob("*") if path.is_file()} if folder.is_dir() else set()


async def eventually(check: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


def assert_error(r: httpx.Response, status: int, code: str) -> None:
    assert r.status_code == status, r.text
    assert r.json()["error"]["code"] == code, r.text


# ---- upload -----------------------------------------------------------------------------------------------
async def test_an_upload_is_announced_to_the_room_and_kept_in_its_chat(
    server: ServerProcess, api: Api, peers: Connect
) -> None:
    room_id, (alice, _bob), (a, b) = await in_room(api, peers, 2)
    _, _, (c,) = await in_room(api, peers, 1)
    content = b"minutes of the meeting\n" + secrets.token_bytes(1000)
    r = await upload(api.http, alice["token"], room_id, "notes.txt", content)
    assert r.status_code == 201, r.text
    body = r.json()
    assert set(body) == {"file"}
    file = body["file"]
    assert set(file) == FILE_FIELDS
    FileUploaded.model_validate(body)
    assert file["name"] == "notes.txt"
    assert file["size"] == len(content)
    assert file["sha256"] == hashlib.sha256(content).hexdigest()
    assert file["uploadedBy"] == alice["user"]["id"]
    assert isinstance(file["mime"], str) and "/" in file["mime"]
    uploaded_at = datetime.fromisoformat(file["uploadedAt"])
    assert uploaded_at.utcoffset() == timedelta(0)

    # A room-wide chat message with the file and no text (the uploader's own socket: the next test).
    expected = {"from": a.sid, "userId": alice["user"]["id"], "username": alice["user"]["username"], "text": ""}
    message = await b.log.next("chat-message")
    ChatMessage.model_validate(message)
    assert set(message) == {"id", "from", "userId", "username", "text", "sentAt", "to", "file"}
    assert {k: message[k] for k in expected} == expected
    assert (message["to"], message["file"]) == (None, file)
    assert await c.log.quiet("chat-message", 0.2)

    # The file's bytes are on disk, private to the server's account (data directory files are 0600).
    folder = server.data_dir / FILES_FOLDER
    stored = copies_on_disk(folder, content)
    assert len(stored) == 1, f"the upload's bytes are not under {folder}"
    if os.name == "posix":
        assert stat.S_IMODE(stored[0].stat().st_mode) & 0o077 == 0, oct(stored[0].stat().st_mode)

    late_user = await api.register()
    late = await peers(late_user["token"])
    ack = await join(late, room_id)
    assert ack["chat"][-1] == message
    r = await api.http.get(f"/api/rooms/{room_id}/files/{file['id']}", headers=bearer(late_user["token"]))
    assert r.status_code == 200
    assert r.content == content


async def test_the_uploaders_own_socket_receives_the_files_message_too(api: Api, peers: Connect) -> None:
    """The server posts the message room-wide, and the uploader's socket sent no ``chat-message``: no ack brings it
    the message (its id, its time) that everyone else has in their chat and later joiners in their history."""
    room_id, (alice, _), (a, b) = await in_room(api, peers, 2)
    r = await upload(api.http, alice["token"], room_id, "mine.txt", b"shared by me")
    assert r.status_code == 201, r.text
    theirs = await b.log.next("chat-message")
    try:
        mine = await a.log.next("chat-message", timeout=2)
    except TimeoutError:
        raise AssertionError("the uploader's socket got no chat-message for its own file") from None
    assert mine == theirs


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("report.pdf", "report.pdf"),
        ("Отчёт за 2024 год.txt", "Отчёт за 2024 год.txt"),  # letters and spaces of any script are safe
        ("../../etc/passwd", "passwd"),
        ("C:\\x\\y.txt", "y.txt"),
        ("a/b/c.txt", "c.txt"),
        ("/absolute/path.txt", "path.txt"),
        ("\\\\server\\share\\z.txt", "z.txt"),
        ("..", None),
        (".", None),
        ("", None),
        ("bell\x07.txt", None),
        ("\x1b[31mred\x1b[0m.txt", None),
        ("nul\x00.txt", None),
        ("del\x7f.txt", None),
        ("c1\x85.txt", None),
        ("tab\there.txt", None),
        ('quote".txt', None),
        ("invoice\u202egpj.exe", None),  # shown as "invoiceexe.jpg"
        ("\u2066isolated\u2069.txt", None),
        ("zero\u200bwidth\ufeff.txt", None),
        ("n" * 296 + ".txt", None),
        ("é" * 300, None),
    ],
)
async def test_file_names_are_reduced_to_a_safe_base_name(
    api: Api, peers: Connect, name: str, expected: str | None
) -> None:
    room_id, (alice, bob), (_, b) = await in_room(api, peers, 2)
    content = secrets.token_bytes(64)
    r = await upload(api.http, alice["token"], room_id, name, content)
    assert r.status_code == 201, r.text
    safe = r.json()["file"]["name"]
    if expected is not None:
        assert safe == expected
    assert safe not in ("", ".", "..")
    assert not UNSAFE_RE.search(safe), repr(safe)
    assert len(safe.encode()) <= NAME_MAX_BYTES, len(safe.encode())
    assert (await b.log.next("chat-message"))["file"]["name"] == safe
    got = await api.http.get(f"/api/rooms/{room_id}/files/{r.json()['file']['id']}", headers=bearer(bob["token"]))
    assert got.status_code == 200
    assert got.content == content
    assert got.headers["content-disposition"].lower().startswith("attachment")


async def test_only_someone_in_the_room_right_now_may_upload(api: Api, peers: Connect) -> None:
    room_id, (owner, _member), (host, inside) = await in_room(api, peers, 2)
    await make_private(api, owner["token"], room_id)
    no_socket = await api.register()
    other_room_user = await api.register()
    other_room = await api.create_room(other_room_user["token"])
    in_other = await peers(other_room_user["token"])
    assert (await join(in_other, other_room["roomId"]))["ok"] is True
    waiter = await api.register()
    waiting = await peers(waiter["token"])
    assert (await join(waiting, room_id)).get("waiting") is True
    for token in (no_socket["token"], other_room_user["token"], waiter["token"]):
        r = await upload(api.http, token, room_id, "x.txt", b"not yours")
        assert_error(r, 403, "forbidden")
    # Owning a room is not being in it.
    empty_room = await api.create_room(other_room_user["token"])
    r = await upload(api.http, other_room_user["token"], empty_room["roomId"], "x.txt", b"nobody here")
    assert_error(r, 403, "forbidden")
    r = await upload(api.http, None, room_id, "x.txt", b"who?")
    assert_error(r, 401, "unauthorized")
    for peer in (host, inside, waiting, in_other):
        assert await peer.log.quiet("chat-message", 0.2)


async def test_someone_who_left_may_no_longer_upload_or_download(api: Api, peers: Connect) -> None:
    room_id, (alice, bob), (_, b) = await in_room(api, peers, 2)
    r = await upload(api.http, alice["token"], room_id, "kept.bin", b"still here")
    assert r.status_code == 201, r.text
    file_id = r.json()["file"]["id"]
    assert await b.call("leave-room", {"roomId": room_id}) == {"ok": True}
    assert_error(await upload(api.http, bob["token"], room_id, "late.bin", b"too late"), 403, "forbidden")
    got = await api.http.get(f"/api/rooms/{room_id}/files/{file_id}", headers=bearer(bob["token"]))
    assert_error(got, 403, "forbidden")


async def test_an_upload_without_a_file_part_is_invalid_input(api: Api, peers: Connect) -> None:
    room_id, (alice,), (a,) = await in_room(api, peers, 1)
    boundary = "nimeetboundary0123"
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="other"\r\n\r\nvalue\r\n--{boundary}--\r\n').encode()
    r = await api.http.post(
        f"/api/rooms/{room_id}/files",
        content=body,
        headers={**bearer(alice["token"]), "content-type": f"multipart/form-data; boundary={boundary}"},
    )
    assert_error(r, 422, "invalid-input")
    r = await api.http.post(f"/api/rooms/{room_id}/files", json={"file": "abc"}, headers=bearer(alice["token"]))
    assert_error(r, 422, "invalid-input")
    assert await a.log.quiet("chat-message", 0.2)


# ---- download ---------------------------------------------------------------------------------------------
async def test_members_download_the_exact_bytes_as_an_attachment(api: Api, peers: Connect) -> None:
    room_id, (alice, bob), _ = await in_room(api, peers, 2)
    content = bytes(range(256)) * 64 + secrets.token_bytes(2 * 1024 * 1024)  # every byte value, and 2 MiB
    r = await upload(api.http, alice["token"], room_id, "data.bin", content, "application/octet-stream")
    assert r.status_code == 201, r.text
    file = r.json()["file"]
    for user in (bob, alice):
        got = await api.http.get(f"/api/rooms/{room_id}/files/{file['id']}", headers=bearer(user["token"]))
        assert got.status_code == 200, got.text[:200]
        assert got.content == content
        assert hashlib.sha256(got.content).hexdigest() == file["sha256"]
        disposition = got.headers["content-disposition"]
        assert disposition.lower().startswith("attachment"), disposition
        assert "data.bin" in disposition


async def test_non_members_may_not_download(api: Api, peers: Connect) -> None:
    room_id, (owner, _member), _ = await in_room(api, peers, 2)
    await make_private(api, owner["token"], room_id)
    r = await upload(api.http, owner["token"], room_id, "secret.txt", b"for the room only")
    assert r.status_code == 201, r.text
    path = f"/api/rooms/{room_id}/files/{r.json()['file']['id']}"
    no_socket = await api.register()
    elsewhere_user = await api.register()
    elsewhere_room = await api.create_room(elsewhere_user["token"])
    elsewhere = await peers(elsewhere_user["token"])
    assert (await join(elsewhere, elsewhere_room["roomId"]))["ok"] is True
    waiter = await api.register()
    waiting = await peers(waiter["token"])
    assert (await join(waiting, room_id)).get("waiting") is True
    for token in (no_socket["token"], elsewhere_user["token"], waiter["token"]):
        got = await api.http.get(path, headers=bearer(token))
        assert_error(got, 403, "forbidden")
        assert b"for the room only" not in got.content
    assert_error(await api.http.get(path), 401, "unauthorized")


async def test_unknown_files_and_files_of_other_rooms_are_404(api: Api, peers: Connect) -> None:
    room_id, (alice,), _ = await in_room(api, peers, 1)
    other_id, (carol,), _ = await in_room(api, peers, 1)
    r = await upload(api.http, alice["token"], room_id, "mine.txt", b"room one's")
    assert r.status_code == 201, r.text
    file_id = r.json()["file"]["id"]
    for path in (
        f"/api/rooms/{room_id}/files/{secrets.token_urlsafe(16)}",
        f"/api/rooms/{room_id}/files/{'f' * 64}",
        f"/api/rooms/{other_id}/files/{file_id}",  # carol is in her room; the file is not of her room
    ):
        token = carol["token"] if other_id in path else alice["token"]
        got = await api.http.get(path, headers=bearer(token))
        assert got.status_code == 404, (path, got.text)
        assert got.json()["error"]["code"] in ("not-found", "room-not-found"), got.text
    got = await api.http.get(f"/api/rooms/NoSuchRoomAtAll0000000/files/{file_id}", headers=bearer(alice["token"]))
    assert got.status_code == 404, got.text


# ---- lifetime ---------------------------------------------------------------------------------------------
async def test_files_are_deleted_when_the_meeting_ends(server: ServerProcess, api: Api, peers: Connect) -> None:
    room_id, (alice, bob), (a, b) = await in_room(api, peers, 2)
    content = b"gone with the meeting " + secrets.token_bytes(4096)
    r = await upload(api.http, bob["token"], room_id, "temp.bin", content)
    assert r.status_code == 201, r.text
    file_id = r.json()["file"]["id"]
    folder = server.data_dir / FILES_FOLDER
    assert copies_on_disk(folder, content), f"the upload's bytes are not under {folder}"

    assert await a.call("leave-room", {"roomId": room_id}) == {"ok": True}
    await b.close()  # the last one leaves by disconnecting: the room is empty, the meeting is over
    assert await eventually(lambda: not copies_on_disk(folder, content)), "the file's bytes are still on disk"

    again = await peers(alice["token"])
    ack = await join(again, room_id)  # a new meeting: no chat, no files
    assert ack["chat"] == []
    got = await api.http.get(f"/api/rooms/{room_id}/files/{file_id}", headers=bearer(alice["token"]))
    assert got.status_code == 404, got.text


async def test_files_of_a_deleted_room_are_gone(server: ServerProcess, api: Api, peers: Connect) -> None:
    room_id, (owner, guest), _ = await in_room(api, peers, 2)
    content = b"deleted with the room " + secrets.token_bytes(512)
    r = await upload(api.http, guest["token"], room_id, "doomed.bin", content)
    assert r.status_code == 201, r.text
    file_id = r.json()["file"]["id"]
    r = await api.http.delete(f"/api/rooms/{room_id}", headers=bearer(owner["token"]))
    assert r.status_code == 204, r.text
    folder = server.data_dir / FILES_FOLDER
    assert await eventually(lambda: not copies_on_disk(folder, content)), "the file's bytes are still on disk"
    got = await api.http.get(f"/api/rooms/{room_id}/files/{file_id}", headers=bearer(guest["token"]))
    assert got.status_code == 404, got.text
    assert_error(await upload(api.http, owner["token"], room_id, "x.txt", b"x"), 404, "room-not-found")


async def test_over_the_size_limit_is_413_and_nothing_is_kept(make_server: Callable[..., ServerProcess]) -> None:
    limit = 200_000  # over the 64 KiB limit of JSON bodies: uploads are not held to it
    server = make_server(env={"NIMEET_MAX_FILE_BYTES": str(limit)})
    url = server.start()
    api = Api(url)
    user = await api.register()
    room = await api.create_room(user["token"])
    uploader = await Peer(url, user["token"]).connect()
    peer = await Peer(url, (await api.register())["token"]).connect()  # watches the room's chat
    try:
        for member in (uploader, peer):
            assert (await join(member, room["roomId"]))["ok"] is True
        at_limit = secrets.token_bytes(limit)
        r = await upload(api.http, user["token"], room["roomId"], "fits.bin", at_limit)
        assert r.status_code == 201, r.text
        folder = server.data_dir / FILES_FOLDER
        assert copies_on_disk(folder, at_limit), f"the upload's bytes are not under {folder}"
        kept = regular_files(folder)
        assert (await peer.log.next("chat-message"))["file"]["size"] == limit

        for size in (limit + 1, 3 * limit):
            r = await upload(api.http, user["token"], room["roomId"], "big.bin", secrets.token_bytes(size))
            assert_error(r, 413, "too-large")
            assert regular_files(folder) == kept  # no partial file left behind
        assert await peer.log.quiet("chat-message", 0.3)
        late = await Peer(url, (await api.register())["token"]).connect()
        ack = await join(late, room["roomId"])
        await late.close()
        assert [m["file"]["name"] for m in ack["chat"]] == ["fits.bin"]
    finally:
        await uploader.close()
        await peer.close()
        await api.aclose()
    server.stop_gracefully()


async def test_leftover_files_are_removed_when_the_server_starts(
    make_server: Callable[..., ServerProcess], tmp_path: Path
) -> None:
    data = tmp_path / "data"
    first = make_server(data_dir=data)
    url = first.start()
    api = Api(url)
    user = await api.register()
    room = await api.create_room(user["token"])
    peer = await Peer(url, user["token"]).connect()
    assert (await join(peer, room["roomId"]))["ok"] is True
    content = b"left behind by a crash " + secrets.token_bytes(2048)
    r = await upload(api.http, user["token"], room["roomId"], "crash.bin", content)
    assert r.status_code == 201, r.text
    await api.aclose()
    first.stop(signal.SIGKILL)  # no shutdown code runs: the meeting never ends, its file stays on disk
    await peer.close()
    folder = data / FILES_FOLDER
    assert copies_on_disk(folder, content), f"the upload's bytes are not under {folder}"
    (folder / "stray.bin").write_bytes(b"from an older run")
    (folder / "stray-dir").mkdir()
    (folder / "stray-dir" / "inner.bin").write_bytes(b"from an older run")

    second = make_server(data_dir=data)
    url = second.start()
    assert regular_files(folder) == set(), regular_files(folder)
    api = Api(url)
    peer = await Peer(url, user["token"]).connect()
    assert (await join(peer, room["roomId"]))["chat"] == []
    got = await api.http.get(
        f"/api/rooms/{room['roomId']}/files/{r.json()['file']['id']}", headers=bearer(user["token"])
    )
    assert got.status_code == 404, got.text
    await peer.close()
    await api.aclose()
    second.stop_gracefully()
