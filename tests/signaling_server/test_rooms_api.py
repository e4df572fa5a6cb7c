"""Rooms over REST: create, look up, recent rooms; validation and auth."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import pytest

from tests.support.clients import Api, Peer, bearer

Connect = Callable[[str | None], Awaitable[Peer]]


async def test_create_with_defaults_and_with_fields(api: Api) -> None:
    owner = await api.register()
    r = await api.http.post("/api/rooms/create", headers=bearer(owner["token"]))  # no body at all
    assert r.status_code == 201, r.text
    body = r.json()
    room = body["room"]
    assert set(room) >= {"roomId", "name", "ownerId", "createdAt", "maxParticipants"}
    assert room["ownerId"] == owner["user"]["id"]
    assert room["maxParticipants"] == 8
    assert room["name"] == f"{owner['user']['username']}'s room"
    assert body["joinUrl"] == f"nimeet://join/{room['roomId']}"
    # >= 128 bits of URL-safe base64: 22 characters of [A-Za-z0-9_-].
    assert re.fullmatch(r"[A-Za-z0-9_-]{22,}", room["roomId"])
    assert datetime.fromisoformat(room["createdAt"]).utcoffset() == timedelta(0)

    r = await api.http.post(
        "/api/rooms/create",
        json={"name": "  Standup  ", "maxParticipants": 2, "description": "daily", "isPrivate": True},
        headers=bearer(owner["token"]),
    )
    assert r.status_code == 201
    room = r.json()["room"]
    assert (room["name"], room["maxParticipants"], room["description"], room["isPrivate"]) == (
        "Standup",
        2,
        "daily",
        True,
    )
    r = await api.http.post("/api/rooms/create", json={}, headers=bearer(owner["token"]))
    assert r.status_code == 201


async def test_room_ids_are_unique(api: Api) -> None:
    token = (await api.register())["token"]
    ids = {(await api.create_room(token))["roomId"] for _ in range(20)}
    assert len(ids) == 20


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"maxParticipants": 1}, "maxParticipants"),
        ({"maxParticipants": 17}, "maxParticipants"),
        ({"maxParticipants": "8"}, "maxParticipants"),
        ({"maxParticipants": 8.5}, "maxParticipants"),
        ({"maxParticipants": True}, "maxParticipants"),
        ({"name": "n" * 101}, "name"),
        ({"name": "bad\x00name"}, "name"),
        ({"name": "line\nbreak"}, "name"),
        ({"name": 5}, "name"),
        ({"description": "d" * 501}, "description"),
        ({"isPrivate": "yes"}, "isPrivate"),
    ],
)
async def test_create_rejects_bad_input(api: Api, body: dict[str, object], field: str) -> None:
    token = (await api.register())["token"]
    r = await api.http.post(
        "/api/rooms/create", content=json.dumps(body), headers={**bearer(token), "content-type": "application/json"}
    )
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "invalid-input"
    assert r.json()["error"]["field"] == field


async def test_limits_at_the_edges_are_accepted(api: Api) -> None:
    token = (await api.register())["token"]
    for body in ({"maxParticipants": 2}, {"maxParticipants": 16}, {"name": "n" * 100}, {"name": "é" * 100}):
        r = await api.http.post("/api/rooms/create", json=body, headers=bearer(token))
        assert r.status_code == 201, (body, r.text)


async def test_rooms_need_a_token(api: Api) -> None:
    for method, path in (
        ("POST", "/api/rooms/create"),
        ("GET", "/api/rooms"),
        ("GET", "/api/rooms/abc"),
        ("GET", "/api/ice-servers"),
    ):
        r = await api.http.request(method, path)
        assert r.status_code == 401, path
        assert r.json()["error"]["code"] == "unauthorized"


async def test_lookup_and_not_found(api: Api, peers: Connect) -> None:
    owner = await api.register()
    room = await api.create_room(owner["token"], name="Look me up")
    other = await api.register()
    r = await api.http.get(f"/api/rooms/{room['roomId']}", headers=bearer(other["token"]))
    assert r.status_code == 200
    assert r.json() == {"room": room, "participantCount": 0}
    peer = await peers(other["token"])
    await peer.join(room["roomId"])
    r = await api.http.get(f"/api/rooms/{room['roomId']}", headers=bearer(other["token"]))
    assert r.json()["participantCount"] == 1
    for missing in ("NoSuchRoomAtAll0000000", "..", "a%20b", "x" * 300, "%00"):
        r = await api.http.get(f"/api/rooms/{missing}", headers=bearer(other["token"]))
        assert r.status_code == 404, missing
        assert r.json()["error"]["code"] in ("room-not-found", "not-found")


async def test_recent_rooms_own_and_joined_newest_first(api: Api, peers: Connect) -> None:
    me = await api.register()
    friend = await api.register()
    mine_old = await api.create_room(me["token"], name="mine old")
    theirs = await api.create_room(friend["token"], name="theirs")
    never = await api.create_room(friend["token"], name="never joined")
    mine_new = await api.create_room(me["token"], name="mine new")
    peer = await peers(me["token"])
    await peer.join(theirs["roomId"])  # joined after every creation above: the most recent activity
    r = await api.http.get("/api/rooms", headers=bearer(me["token"]))
    assert r.status_code == 200
    names = [room["name"] for room in r.json()["rooms"]]
    assert names == ["theirs", "mine new", "mine old"]
    assert never["roomId"] not in {room["roomId"] for room in r.json()["rooms"]}
    assert mine_old["roomId"] != mine_new["roomId"]
    r = await api.http.get("/api/rooms", headers=bearer(friend["token"]))
    assert [room["name"] for room in r.json()["rooms"]] == ["never joined", "theirs"]


async def test_ice_servers_empty_by_default(api: Api) -> None:
    token = (await api.register())["token"]
    r = await api.http.get("/api/ice-servers", headers=bearer(token))
    assert r.status_code == 200
    assert r.json() == {"iceServers": [], "ttl": 0}
