"""Register, login and "who am I" against the real server."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from tests.support.clients import Api, bearer, unique_name


async def test_register_login_me(api: Api) -> None:
    name = unique_name("alice")
    r = await api.http.post(
        "/api/auth/register",
        json={"username": name, "email": f"{name}@Example.TEST", "password": "s3cret-enough"},
    )
    assert r.status_code == 201
    body = r.json()
    user = body["user"]
    assert set(user) == {"id", "username", "email", "createdAt"}
    assert user["username"] == name
    assert datetime.fromisoformat(user["createdAt"]).utcoffset() == timedelta(0)
    assert "password" not in r.text and "hash" not in r.text

    # Emails compare case-insensitively.
    r = await api.http.post(
        "/api/auth/login", json={"email": f"{name.upper()}@example.test", "password": "s3cret-enough"}
    )
    assert r.status_code == 200, r.text
    login = r.json()
    assert login["user"] == user
    assert login["token"] != body["token"]  # every token has its own jti

    for token in (body["token"], login["token"]):
        r = await api.http.get("/api/auth/me", headers=bearer(token))
        assert r.status_code == 200
        assert r.json() == {"user": user}


async def test_duplicate_username_and_email(api: Api) -> None:
    first = await api.register()
    name = first["user"]["username"]
    email = first["user"]["email"]
    cases = [
        ({"username": name, "email": f"other_{name}@example.test"}, "username-taken", "username"),
        ({"username": name.upper(), "email": f"other2_{name}@example.test"}, "username-taken", "username"),
        ({"username": unique_name(), "email": email}, "email-taken", "email"),
        ({"username": unique_name(), "email": email.upper()}, "email-taken", "email"),
    ]
    for body, code, field in cases:
        r = await api.http.post("/api/auth/register", json={**body, "password": "password123"})
        assert r.status_code == 409, (body, r.text)
        assert r.json()["error"]["code"] == code
        assert r.json()["error"]["field"] == field


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"username": "ab", "email": "ok@example.test", "password": "password123"}, "username"),
        ({"username": "x" * 33, "email": "ok@example.test", "password": "password123"}, "username"),
        ({"username": "has space", "email": "ok@example.test", "password": "password123"}, "username"),
        ({"username": "émile", "email": "ok@example.test", "password": "password123"}, "username"),
        ({"username": "okname", "email": "not-an-email", "password": "password123"}, "email"),
        ({"username": "okname", "email": "a@", "password": "password123"}, "email"),
        ({"username": "okname", "email": "two@@example.test", "password": "password123"}, "email"),
        ({"username": "okname", "email": "ok\x00@example.test", "password": "password123"}, "email"),
        ({"username": "okname", "email": "ok@example.test", "password": "short"}, "password"),
        ({"username": "okname", "email": "ok@example.test", "password": "p" * 129}, "password"),
        ({"username": "okname", "email": "ok@example.test", "password": "\ud800" * 9}, "password"),
        ({"username": "okname", "email": "ok@example.test", "password": 12345678}, "password"),
        ({"username": "okname", "email": "ok@example.test"}, "password"),
        ({"email": "ok@example.test", "password": "password123"}, "username"),
    ],
)
async def test_register_rejects_bad_input(api: Api, body: dict[str, object], field: str) -> None:
    # json.dumps escapes lone surrogates as \ud800, as a careless client would send them.
    r = await api.http.post(
        "/api/auth/register", content=json.dumps(body), headers={"content-type": "application/json"}
    )
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["code"] == "invalid-input"
    assert error["field"] == field
    assert error["message"]


@pytest.mark.parametrize("raw", [b"", b"{not json", b"[]", b'"text"', b"null", b'{"username": null}'])
async def test_malformed_bodies_get_invalid_input(api: Api, raw: bytes) -> None:
    r = await api.http.post("/api/auth/register", content=raw, headers={"content-type": "application/json"})
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "invalid-input"


async def test_limits_are_inclusive(api: Api) -> None:
    name = "u" + unique_name()[:30].replace("_", "x")
    name = (name + "y" * 32)[:32]
    r = await api.http.post(
        "/api/auth/register", json={"username": name, "email": f"{name}@example.test", "password": "p" * 128}
    )
    assert r.status_code == 201, r.text
    r = await api.http.post("/api/auth/login", json={"email": f"{name}@example.test", "password": "p" * 128})
    assert r.status_code == 200


async def test_wrong_password_and_unknown_email(api: Api) -> None:
    user = (await api.register(password="the right one"))["user"]
    for body in (
        {"email": user["email"], "password": "the wrong one"},
        {"email": "nobody-" + user["email"], "password": "the right one"},
    ):
        r = await api.http.post("/api/auth/login", json=body)
        assert r.status_code == 401
        # One answer for both, so responses do not reveal which emails are registered.
        assert r.json() == {"error": {"code": "invalid-credentials", "message": "wrong email or password"}}


@pytest.mark.parametrize(
    "header",
    [None, "", "Bearer", "Basic dXNlcjpwYXNz", "Bearer not.a.jwt", "Bearer " + "a" * 5000, "Token abc"],
)
async def test_me_requires_a_valid_token(api: Api, header: str | None) -> None:
    headers = {} if header is None else {"Authorization": header}
    r = await api.http.get("/api/auth/me", headers=headers)
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "unauthorized"


async def test_unknown_path_and_method_keep_the_error_shape(api: Api) -> None:
    r = await api.http.get("/api/nothing-here")
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "not-found"
    r = await api.http.delete("/api/auth/me")
    assert r.status_code == 405
    assert r.json()["error"]["code"] == "method-not-allowed"


async def test_healthz(api: Api) -> None:
    r = await api.http.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}
