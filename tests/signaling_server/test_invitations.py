"""Invitations that carry the server (contract v1.1): every room object has ``inviteUrl`` = ``<base>/join/<roomId>``,
and ``GET /join/<roomId>`` is a page for a person with a browser: an "Open in NIMeet" link that names the server,
the room's name and nothing more, no script, English or Russian; 404 for an unknown or malformed id."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

import pytest
from pydantic import ValidationError

from signaling_server.api.invitations import page_language
from signaling_server.config import Settings
from tests.support.clients import Api, bearer
from tests.support.server import ServerProcess

HOSTILE_NAME = '<img src="file:///dev/zero"><script>alert(1)</script>'


async def test_every_room_object_carries_its_invite_url(server: ServerProcess, api: Api) -> None:
    token = (await api.register())["token"]
    created = await api.http.post("/api/rooms/create", json={"name": "Standup"}, headers=bearer(token))
    room = created.json()["room"]
    expected = f"{server.public_url}/join/{room['roomId']}"
    assert room["inviteUrl"] == expected
    assert created.json()["joinUrl"] == f"nimeet://join/{room['roomId']}"  # version 1's link is still there
    one = await api.http.get(f"/api/rooms/{room['roomId']}", headers=bearer(token))
    assert one.json()["room"]["inviteUrl"] == expected
    listed = await api.http.get("/api/rooms", headers=bearer(token))
    assert [r["inviteUrl"] for r in listed.json()["rooms"]] == [expected]


async def test_the_public_url_setting_is_the_base(make_server: Callable[..., ServerProcess]) -> None:
    server = make_server(env={"NIMEET_PUBLIC_URL": "https://meet.example.org/nimeet/"})
    url = server.start()
    api = Api(url)
    token = (await api.register())["token"]
    room = await api.create_room(token)
    assert room["inviteUrl"] == f"https://meet.example.org/nimeet/join/{room['roomId']}"
    page = await api.http.get(f"/join/{room['roomId']}")
    assert f"nimeet://join/{room['roomId']}?server={quote('https://meet.example.org/nimeet', safe='')}" in page.text
    await api.aclose()
    server.stop_gracefully()


async def test_the_join_page_opens_the_app_on_this_server_and_shows_only_the_name(
    server: ServerProcess, api: Api
) -> None:
    token = (await api.register())["token"]
    room = await api.create_room(token, name=HOSTILE_NAME, description="secret agenda")
    page = await api.http.get(f"/join/{room['roomId']}")  # no token: the person may have no account yet
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    link = f"nimeet://join/{room['roomId']}?server={quote(server.public_url, safe='')}"
    assert f'href="{link}"' in page.text
    assert "&lt;img src=&quot;file:///dev/zero&quot;&gt;&lt;script&gt;" in page.text  # the name, literally
    assert "<script" not in page.text and "<img" not in page.text
    assert "secret agenda" not in page.text and room["ownerId"] not in page.text
    assert "script-src" not in page.headers["content-security-policy"]  # default-src 'none' covers scripts
    assert page.headers["content-security-policy"].startswith("default-src 'none'")
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "Open in NIMeet" in page.text


async def test_the_join_page_speaks_russian_to_a_russian_browser(server: ServerProcess, api: Api) -> None:
    token = (await api.register())["token"]
    room = await api.create_room(token, name="Планёрка")
    page = await api.http.get(f"/join/{room['roomId']}", headers={"Accept-Language": "fr-FR, ru;q=0.8, en;q=0.5"})
    assert '<html lang="ru">' in page.text
    assert "Открыть в NIMeet" in page.text and "«Планёрка»" in page.text


@pytest.mark.parametrize("room_id", ["AAAAAAAAAAAAAAAAAAAAAA", "not a room", "x" * 200, "..%2F..%2Fetc"])
async def test_an_unknown_or_malformed_invitation_is_a_404_page(api: Api, room_id: str) -> None:
    page = await api.http.get(f"/join/{room_id}", headers={"Accept-Language": "ru"})
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "Это приглашение не работает" in page.text


@pytest.mark.parametrize(
    ("header", "language"),
    [(None, "en"), ("ru-RU", "ru"), ("en-US,ru;q=0.9", "en"), ("de;q=0.9, ru;q=0.8", "ru"), ("ru;q=x, en", "en")],
)
def test_the_page_language_follows_the_browsers_preference(header: str | None, language: str) -> None:
    assert page_language(header) == language


@pytest.mark.parametrize("url", ["ftp://meet.example.org", "meet.example.org", "https://meet.example.org/?a=1"])
def test_a_public_url_must_be_a_plain_http_url(url: str) -> None:
    with pytest.raises(ValidationError, match="must be an http:// or https:// URL"):
        Settings(public_url=url)
