"""Issue 10, item 18 (server side): an address registered in decomposed Unicode (NFD) could not log in, because login
did not normalise it as registration does; room names accepted bidi overrides, zero-width and C1 control characters,
and descriptions NUL and ESC."""

from __future__ import annotations

import unicodedata

import pytest

from tests.support.clients import Api, bearer, unique_name


async def test_an_nfd_address_that_registered_logs_in(api: Api) -> None:
    name = unique_name("nfd")
    nfd = unicodedata.normalize("NFD", f"jos\u00e9.{name}@exampl\u00e9.test")
    r = await api.http.post("/api/auth/register", json={"username": name, "email": nfd, "password": "password123"})
    assert r.status_code == 201, r.text
    nfc = unicodedata.normalize("NFC", nfd)
    for typed in (nfd, nfc, nfc.upper(), f"  {nfd} "):
        r = await api.http.post("/api/auth/login", json={"email": typed, "password": "password123"})
        assert r.status_code == 200, (typed, r.text)
        assert r.json()["user"]["username"] == name


@pytest.mark.parametrize("email", ["not-an-email", "a@", "@example.test", "a b@example.test", "x@[300.1.1.1]"])
async def test_an_address_that_is_not_one_gets_invalid_credentials_at_login(api: Api, email: str) -> None:
    r = await api.http.post("/api/auth/login", json={"email": email, "password": "password123"})
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "invalid-credentials"


HOSTILE_NAMES = {
    "right-to-left override": "invoice\u202egpj.exe",
    "left-to-right embedding": "a\u202ab",
    "first strong isolate": "a\u2068b",
    "pop directional isolate": "a\u2069",
    "zero-width space": "ro\u200bom",
    "zero-width joiner": "a\u200db",
    "right-to-left mark": "a\u200fb",
    "word joiner": "a\u2060b",
    "byte order mark": "\ufeffroom",
    "NUL": "a\x00b",
    "ESC": "a\x1b[31mred",
    "newline": "line\nbreak",
    "DEL": "a\x7fb",
    "C1 CSI": "a\x9b31mb",
    "C1 NEL": "a\x85b",
}


@pytest.mark.parametrize("what", list(HOSTILE_NAMES))
async def test_room_names_refuse_invisible_direction_and_control_characters(api: Api, what: str) -> None:
    token = (await api.register())["token"]
    r = await api.http.post("/api/rooms/create", json={"name": HOSTILE_NAMES[what]}, headers=bearer(token))
    assert r.status_code == 422, what
    error = r.json()["error"]
    assert error["code"] == "invalid-input"
    assert error["field"] == "name"
    assert "must not contain" in error["message"]


@pytest.mark.parametrize("text", ["a\x00b", "a\x1b[2J", "bell\x07", "cr\rlf", "a\x9bb"])
async def test_descriptions_refuse_control_characters(api: Api, text: str) -> None:
    token = (await api.register())["token"]
    r = await api.http.post("/api/rooms/create", json={"description": text}, headers=bearer(token))
    assert r.status_code == 422
    assert r.json()["error"]["field"] == "description"


async def test_names_and_descriptions_people_write_are_kept(api: Api) -> None:
    token = (await api.register())["token"]
    body = {"name": "Планёрка — 東京 🎉", "description": "Agenda:\n\t1. status\n\t2. مرحبا"}
    room = await api.create_room(token, **body)
    assert room["name"] == body["name"]
    assert room["description"] == body["description"]
