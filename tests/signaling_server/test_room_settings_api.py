"""Room settings over REST (contract v1.1, "Room settings"): passwords kept only as hashes, PATCH by the owner with
``room-updated`` to everyone in the room, DELETE by the owner with ``meeting-ended {reason: "room-deleted"}`` to
everyone in it and in its lobby, then 404 everywhere."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from signaling_server.protocol import Room
from tests.support.clients import Api, Peer, bearer
from tests.support.server import ServerProcess

Connect = Callable[[str | None], Awaitable[Peer]]
MEDIA_OFF = {"camera": False, "microphone": False, "screen": False}
PASSWORD = "Tr0ub4dor&3-kept-secret"  # distinctive: looked for, byte for byte, in answers and in the database file
ROOM_FIELDS = {
    "roomId",
    "name",
    "ownerId",
    "createdAt",
    "maxParticipants",
    "description",
    "isPrivate",
    "hasPassword",
    "locked",
    "inviteUrl",
    "mode",
}


async def join(peer: Peer, room_id: str, password: str | None = None) -> dict[str, Any]:
    payload: dict[str, Any] = {"roomId": room_id, "mediaState": MEDIA_OFF}
    if password is not None:
        payload["password"] = password
    ack: dict[str, Any] = await peer.call("join-room", payload)
    return ack


def error_code(ack: dict[str, Any]) -> str | None:
    return None if ack.get("ok") else str(ack["error"]["code"])


async def get_room(api: Api, token: str, room_id: str) -> dict[str, Any]:
    r = await api.http.get(f"/api/rooms/{room_id}", headers=bearer(token))
    assert r.status_code == 200, r.text
    room: dict[str, Any] = r.json()["room"]
    return room


async def patch(api: Api, token: str, room_id: str, body: Any) -> Any:
    return await api.http.patch(
        f"/api/rooms/{room_id}",
        content=json.dumps(body),
        headers={**bearer(token), "content-type": "application/json"},
    )


def stored_row_values(db_file: Path, room_id: str) -> list[object]:
    """Every value of every row, in any table of the SQLite file, that holds ``room_id``: the room's own row (and
    any other row about it), found without knowing the schema."""
    values: list[object] = []
    with sqlite3.connect(f"file:{db_file}?mode=ro", uri=True, timeout=5) as db:
        tables = [name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            for row in db.execute(f'SELECT * FROM "{table}"'):  # noqa: S608 (names from the file's own catalogue)
                if room_id in row:
                    values.extend(row)
    return values


# ---- create -----------------------------------------------------------------------------------------------
async def test_a_new_room_carries_the_settings_fields(api: Api) -> None:
    token = (await api.register())["token"]
    room = await api.create_room(token)
    assert set(room) == ROOM_FIELDS
    assert (room["description"], room["isPrivate"], room["hasPassword"], room["locked"]) == (None, False, False, False)
    Room.model_validate(room)


async def test_every_room_object_says_its_media_runs_in_a_mesh_without_an_sfu(api: Api, peers: Connect) -> None:
    """Contract 1.1, "Large rooms": every room object carries ``mode``; a server with no SFU configured keeps every
    room a ``"mesh"`` (and the version-1 limit of 16), whatever its size."""
    token = (await api.register())["token"]
    small, large = await api.create_room(token, maxParticipants=2), await api.create_room(token, maxParticipants=16)
    assert (small["mode"], large["mode"]) == ("mesh", "mesh")
    assert (await get_room(api, token, large["roomId"]))["mode"] == "mesh"
    listed = (await api.http.get("/api/rooms", headers=bearer(token))).json()["rooms"]
    assert {room["mode"] for room in listed} == {"mesh"}
    r = await patch(api, token, large["roomId"], {"name": "All hands"})
    assert r.json()["room"]["mode"] == "mesh"
    owner = await peers(token)
    assert (await join(owner, large["roomId"]))["ok"]
    await patch(api, token, large["roomId"], {"description": "told"})
    assert (await owner.log.next("room-updated"))["room"]["mode"] == "mesh"


async def test_a_password_is_never_returned_and_is_stored_as_an_argon2id_hash(server: ServerProcess, api: Api) -> None:
    owner = await api.register()
    token = owner["token"]
    r = await api.http.post(
        "/api/rooms/create",
        json={"name": "Board", "description": "Q3\nnumbers", "isPrivate": True, "password": PASSWORD},
        headers=bearer(token),
    )
    assert r.status_code == 201, r.text
    room = r.json()["room"]
    assert set(room) == ROOM_FIELDS
    assert (room["name"], room["description"], room["isPrivate"], room["hasPassword"], room["locked"]) == (
        "Board",
        "Q3\nnumbers",
        True,
        True,
        False,
    )
    other = (await api.register())["token"]
    answers = [
        r,
        await api.http.get(f"/api/rooms/{room['roomId']}", headers=bearer(token)),
        await api.http.get(f"/api/rooms/{room['roomId']}", headers=bearer(other)),
        await api.http.get("/api/rooms", headers=bearer(token)),
        await patch(api, token, room["roomId"], {"name": "Board 2"}),
    ]
    for answer in answers:
        assert answer.status_code in (200, 201), answer.text
        assert PASSWORD not in answer.text
        # No hash and no password field either: "hasPassword" is the only mention.
        assert "password" not in answer.text.lower().replace('"haspassword":', ""), answer.text
    assert answers[3].json()["rooms"][0]["hasPassword"] is True

    if server.database_url:
        return  # PostgreSQL: the schema-free check below reads the SQLite file; the REST answers were checked
    db_file = server.data_dir / "nimeet.sqlite3"
    for path in (db_file, db_file.with_name(db_file.name + "-wal")):
        if path.exists():
            assert PASSWORD.encode() not in path.read_bytes(), path
    values = [str(v) for v in stored_row_values(db_file, room["roomId"])]
    assert values, "the room's row was not found in the database file"
    assert any(v.startswith("$argon2id$") for v in values), values
    assert not any(PASSWORD in v for v in values)


@pytest.mark.parametrize("password", ["abc", "p" * 65, "", 1234, True, ["abcd"]])
async def test_create_refuses_bad_passwords(api: Api, password: object) -> None:
    token = (await api.register())["token"]
    r = await api.http.post("/api/rooms/create", json={"password": password}, headers=bearer(token))
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "invalid-input"
    assert r.json()["error"]["field"] == "password"


async def test_passwords_of_4_and_64_characters_are_accepted(api: Api) -> None:
    token = (await api.register())["token"]
    for password in ("abcd", "é" * 64):  # characters, not bytes: 64 of them are 128 bytes of UTF-8
        r = await api.http.post("/api/rooms/create", json={"password": password}, headers=bearer(token))
        assert r.status_code == 201, (password, r.text)
        assert r.json()["room"]["hasPassword"] is True


# ---- PATCH ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"name": "Renamed"}, {"name": "Renamed"}),
        ({"description": "Agenda:\n1. numbers"}, {"description": "Agenda:\n1. numbers"}),
        ({"description": None}, {"description": None}),
        ({"maxParticipants": 2}, {"maxParticipants": 2}),
        ({"maxParticipants": 16}, {"maxParticipants": 16}),
        ({"isPrivate": True}, {"isPrivate": True}),
        ({"isPrivate": False}, {"isPrivate": False}),
        ({"password": "abcd"}, {"hasPassword": True}),
        ({"password": None}, {"hasPassword": False}),
        ({}, {}),
        (
            {"name": "All", "description": "d", "maxParticipants": 3, "isPrivate": False, "password": "12345678"},
            {"name": "All", "description": "d", "maxParticipants": 3, "isPrivate": False, "hasPassword": True},
        ),
    ],
)
async def test_patch_changes_exactly_the_fields_sent(api: Api, body: dict[str, Any], expected: dict[str, Any]) -> None:
    token = (await api.register())["token"]
    before = await api.create_room(
        token, name="Original", description="old", maxParticipants=5, isPrivate=True, password="old-pass"
    )
    r = await patch(api, token, before["roomId"], body)
    assert r.status_code == 200, r.text
    assert set(r.json()) == {"room"}
    after = r.json()["room"]
    assert after == {**before, **expected}
    assert await get_room(api, token, before["roomId"]) == after


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "n" * 101}, "name"),
        ({"name": "bad\x00name"}, "name"),
        ({"name": "line\nbreak"}, "name"),
        ({"name": "gpj\u202eexe.txt"}, "name"),
        ({"name": 5}, "name"),
        ({"description": "d" * 501}, "description"),
        ({"description": "bell\x07"}, "description"),
        ({"description": 5}, "description"),
        ({"maxParticipants": 1}, "maxParticipants"),
        ({"maxParticipants": 17}, "maxParticipants"),
        ({"maxParticipants": "8"}, "maxParticipants"),
        ({"maxParticipants": 8.5}, "maxParticipants"),
        ({"maxParticipants": True}, "maxParticipants"),
        ({"isPrivate": "yes"}, "isPrivate"),
        ({"isPrivate": 1}, "isPrivate"),
        ({"password": "abc"}, "password"),
        ({"password": "p" * 65}, "password"),
        ({"password": 1234}, "password"),
    ],
)
async def test_patch_refuses_bad_input_and_names_the_field(api: Api, body: dict[str, Any], field: str) -> None:
    token = (await api.register())["token"]
    before = await api.create_room(token, name="Untouched")
    r = await patch(api, token, before["roomId"], body)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "invalid-input"
    assert r.json()["error"]["field"] == field
    assert await get_room(api, token, before["roomId"]) == before


@pytest.mark.parametrize("body", [[], "name", 5, None])
async def test_patch_refuses_a_body_that_is_not_an_object(api: Api, body: object) -> None:
    token = (await api.register())["token"]
    room = await api.create_room(token)
    r = await patch(api, token, room["roomId"], body)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "invalid-input"


async def test_only_the_owner_may_patch_or_delete(api: Api, peers: Connect) -> None:
    owner = await api.register()
    room = await api.create_room(owner["token"], name="Mine")
    # Someone in the room is not the owner either (in the room, not even a host: hosts moderate, owners configure).
    member = await api.register()
    peer = await peers(member["token"])
    assert (await join(peer, room["roomId"]))["ok"] is True
    for token in (member["token"], (await api.register())["token"]):
        r = await patch(api, token, room["roomId"], {"name": "Taken over"})
        assert r.status_code == 403, r.text
        assert r.json()["error"]["code"] == "forbidden"
        r = await api.http.delete(f"/api/rooms/{room['roomId']}", headers=bearer(token))
        assert r.status_code == 403, r.text
        assert r.json()["error"]["code"] == "forbidden"
    assert await get_room(api, owner["token"], room["roomId"]) == room
    assert await peer.log.quiet("room-updated", 0.2)
    assert peer.log.events["meeting-ended"] == []


async def test_unknown_rooms_answer_404_and_a_token_is_needed(api: Api) -> None:
    owner = await api.register()
    room = await api.create_room(owner["token"])
    for missing in ("NoSuchRoomAtAll0000000", "x" * 300, "a%20b"):
        r = await patch(api, owner["token"], missing, {"name": "x"})
        assert r.status_code == 404, (missing, r.text)
        assert r.json()["error"]["code"] in ("room-not-found", "not-found")
        r = await api.http.delete(f"/api/rooms/{missing}", headers=bearer(owner["token"]))
        assert r.status_code == 404, (missing, r.text)
        assert r.json()["error"]["code"] in ("room-not-found", "not-found")
    r = await patch(api, owner["token"], "NoSuchRoomAtAll0000000", {"name": "x"})
    assert r.json()["error"]["code"] == "room-not-found"  # a well-formed id: the room's own 404
    for method in ("PATCH", "DELETE"):
        r = await api.http.request(method, f"/api/rooms/{room['roomId']}", json={"name": "x"})
        assert r.status_code == 401, method
        assert r.json()["error"]["code"] == "unauthorized"
    assert await get_room(api, owner["token"], room["roomId"]) == room


# ---- what the settings do ---------------------------------------------------------------------------------
async def test_a_password_set_at_creation_is_asked_of_everyone_but_the_owner_until_removed(
    api: Api, peers: Connect
) -> None:
    owner = await api.register()
    room = await api.create_room(owner["token"], password=PASSWORD)
    guest = await peers((await api.register())["token"])
    assert error_code(await join(guest, room["roomId"])) == "password-required"
    assert error_code(await join(guest, room["roomId"], "not the password")) == "wrong-password"
    host = await peers(owner["token"])
    assert (await join(host, room["roomId"]))["ok"] is True  # the owner needs none
    assert (await join(guest, room["roomId"], PASSWORD))["ok"] is True

    r = await patch(api, owner["token"], room["roomId"], {"password": None})
    assert r.status_code == 200, r.text
    assert r.json()["room"]["hasPassword"] is False
    late = await peers((await api.register())["token"])
    assert (await join(late, room["roomId"]))["ok"] is True


async def test_a_password_set_by_patch_is_asked_of_later_joiners(api: Api, peers: Connect) -> None:
    owner = await api.register()
    room = await api.create_room(owner["token"])
    r = await patch(api, owner["token"], room["roomId"], {"password": "abcd"})
    assert r.json()["room"]["hasPassword"] is True
    guest = await peers((await api.register())["token"])
    assert error_code(await join(guest, room["roomId"])) == "password-required"
    assert error_code(await join(guest, room["roomId"], "abce")) == "wrong-password"
    assert (await join(guest, room["roomId"], "abcd"))["ok"] is True


async def test_max_participants_and_is_private_set_by_patch_take_effect(api: Api, peers: Connect) -> None:
    owner = await api.register()
    room = await api.create_room(owner["token"])
    host = await peers(owner["token"])
    assert (await join(host, room["roomId"]))["ok"] is True
    r = await patch(api, owner["token"], room["roomId"], {"maxParticipants": 2})
    assert r.json()["room"]["maxParticipants"] == 2
    second = await peers((await api.register())["token"])
    assert (await join(second, room["roomId"]))["ok"] is True
    third = await peers((await api.register())["token"])
    assert error_code(await join(third, room["roomId"])) == "room-full"

    await patch(api, owner["token"], room["roomId"], {"maxParticipants": 3, "isPrivate": True})
    ack = await join(third, room["roomId"])
    assert (ack["ok"], ack.get("waiting")) == (True, True)  # a lobby now: a host must admit
    assert ack["self"]["socketId"] == third.sid


async def test_room_updated_reaches_everyone_in_the_room_and_no_one_else(api: Api, peers: Connect) -> None:
    owner = await api.register()
    room = await api.create_room(owner["token"], name="Weekly")
    host = await peers(owner["token"])
    member = await peers((await api.register())["token"])
    for peer in (host, member):
        assert (await join(peer, room["roomId"]))["ok"] is True
    elsewhere = await peers((await api.register())["token"])
    other_room = await api.create_room((await api.register())["token"])
    assert (await join(elsewhere, other_room["roomId"]))["ok"] is True
    bystander = await peers((await api.register())["token"])  # connected, in no room

    r = await patch(api, owner["token"], room["roomId"], {"isPrivate": True})
    assert r.status_code == 200, r.text
    for peer in (host, member):
        assert await peer.log.next("room-updated") == {"room": r.json()["room"]}

    waiting = await peers((await api.register())["token"])
    ack = await join(waiting, room["roomId"])
    assert ack.get("waiting") is True  # in the lobby: not in the room, so no room events
    r = await patch(api, owner["token"], room["roomId"], {"name": "Weekly (moved)", "description": "now Tuesdays"})
    assert r.status_code == 200, r.text
    updated = r.json()["room"]
    assert (updated["name"], updated["description"], updated["isPrivate"]) == ("Weekly (moved)", "now Tuesdays", True)
    for peer in (host, member):
        assert await peer.log.next("room-updated") == {"room": updated}
    for peer in (elsewhere, bystander, waiting):
        assert await peer.log.quiet("room-updated", 0.2)
        assert peer.log.events["room-updated"] == []


async def test_a_patch_of_an_empty_room_tells_no_one(api: Api, peers: Connect) -> None:
    owner = await api.register()
    room = await api.create_room(owner["token"])
    host = await peers(owner["token"])
    assert (await join(host, room["roomId"]))["ok"] is True
    assert await host.call("leave-room", {"roomId": room["roomId"]}) == {"ok": True}
    r = await patch(api, owner["token"], room["roomId"], {"name": "Later"})
    assert r.status_code == 200
    assert r.json()["room"]["locked"] is False
    assert await host.log.quiet("room-updated", 0.3)


# ---- DELETE -----------------------------------------------------------------------------------------------
async def test_delete_ends_the_meeting_for_the_room_and_its_lobby_then_404_everywhere(api: Api, peers: Connect) -> None:
    owner = await api.register()
    room = await api.create_room(owner["token"], name="Doomed")
    room_id = room["roomId"]
    host = await peers(owner["token"])
    member_user = await api.register()
    member = await peers(member_user["token"])
    for peer in (host, member):
        assert (await join(peer, room_id))["ok"] is True
    await patch(api, owner["token"], room_id, {"isPrivate": True})
    waiting = await peers((await api.register())["token"])
    assert (await join(waiting, room_id)).get("waiting") is True
    elsewhere = await peers((await api.register())["token"])
    other_room = await api.create_room((await api.register())["token"])
    assert (await join(elsewhere, other_room["roomId"]))["ok"] is True

    r = await api.http.delete(f"/api/rooms/{room_id}", headers=bearer(owner["token"]))
    assert r.status_code == 204, r.text
    assert r.content == b""
    for peer in (host, member, waiting):
        ended = await peer.log.next("meeting-ended")
        assert ended["reason"] == "room-deleted", ended
    assert await elsewhere.log.quiet("meeting-ended", 0.2)

    # Everyone was taken out: the room's sockets are in no room now, and may join another one.
    for peer in (host, member):
        assert error_code(await peer.call("toggle-media", {"mediaType": "camera", "enabled": True})) == "not-in-room"
    for peer in (host, member, waiting):
        assert (await join(peer, other_room["roomId"]))["ok"] is True

    # 404 everywhere.
    for token in (owner["token"], member_user["token"]):
        r = await api.http.get(f"/api/rooms/{room_id}", headers=bearer(token))
        assert (r.status_code, r.json()["error"]["code"]) == (404, "room-not-found")
        r = await api.http.get("/api/rooms", headers=bearer(token))
        assert room_id not in {listed["roomId"] for listed in r.json()["rooms"]}
    r = await patch(api, owner["token"], room_id, {"name": "Back"})
    assert (r.status_code, r.json()["error"]["code"]) == (404, "room-not-found")
    r = await api.http.delete(f"/api/rooms/{room_id}", headers=bearer(owner["token"]))
    assert (r.status_code, r.json()["error"]["code"]) == (404, "room-not-found")
    assert (await api.http.get(f"/join/{room_id}")).status_code == 404
    late = await peers(owner["token"])
    assert error_code(await join(late, room_id)) == "room-not-found"


async def test_delete_of_an_empty_room(api: Api, peers: Connect) -> None:
    owner = await api.register()
    room = await api.create_room(owner["token"], password="abcd")
    r = await api.http.delete(f"/api/rooms/{room['roomId']}", headers=bearer(owner["token"]))
    assert r.status_code == 204, r.text
    r = await api.http.get(f"/api/rooms/{room['roomId']}", headers=bearer(owner["token"]))
    assert (r.status_code, r.json()["error"]["code"]) == (404, "room-not-found")
    peer = await peers(owner["token"])
    assert error_code(await join(peer, room["roomId"], "abcd")) == "room-not-found"
