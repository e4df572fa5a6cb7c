"""GET and PUT /api/users/me/preferences (contract v1.1), on both databases: defaults, the whole object, validation."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.clients import Api, bearer

DEFAULTS = {
    "joinWithCamera": True,
    "joinWithMicrophone": True,
    "videoQuality": "720p",
    "backgroundBlur": False,
    "notifications": True,
    "language": "system",
    "reminderMinutes": 10,
}
MINE = {
    "joinWithCamera": False,
    "joinWithMicrophone": True,
    "videoQuality": "1080p",
    "backgroundBlur": True,
    "notifications": False,
    "language": "ru",
    "reminderMinutes": None,
}


async def test_defaults_until_saved_then_what_was_saved(api: Api) -> None:
    me, other = (await api.register())["token"], (await api.register())["token"]
    r = await api.http.get("/api/users/me/preferences", headers=bearer(me))
    assert r.status_code == 200 and r.json() == {"preferences": DEFAULTS}
    r = await api.http.put("/api/users/me/preferences", json=MINE, headers=bearer(me))
    assert r.status_code == 200 and r.json() == {"preferences": MINE}
    r = await api.http.get("/api/users/me/preferences", headers=bearer(me))
    assert r.json() == {"preferences": MINE}
    # Another person's are their own.
    r = await api.http.get("/api/users/me/preferences", headers=bearer(other))
    assert r.json() == {"preferences": DEFAULTS}
    # Saved again: replaced whole.
    again = {**MINE, "language": "en", "reminderMinutes": 10080}
    assert (await api.http.put("/api/users/me/preferences", json=again, headers=bearer(me))).json() == {
        "preferences": again
    }
    assert (await api.http.get("/api/users/me/preferences", headers=bearer(me))).json() == {"preferences": again}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"videoQuality": "4k"}, "videoQuality"),
        ({"language": "de"}, "language"),
        ({"joinWithCamera": "yes"}, "joinWithCamera"),
        ({"notifications": 1}, "notifications"),
        ({"reminderMinutes": -1}, "reminderMinutes"),
        ({"reminderMinutes": 10081}, "reminderMinutes"),
        ({"reminderMinutes": "10"}, "reminderMinutes"),
        ({"backgroundBlur": None}, "backgroundBlur"),
    ],
)
async def test_bad_values_are_refused_and_nothing_changes(api: Api, change: dict[str, Any], field: str) -> None:
    token = (await api.register())["token"]
    body = json.dumps({**DEFAULTS, **change})
    r = await api.http.put(
        "/api/users/me/preferences", content=body, headers={**bearer(token), "content-type": "application/json"}
    )
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "invalid-input" and r.json()["error"]["field"] == field
    assert (await api.http.get("/api/users/me/preferences", headers=bearer(token))).json() == {"preferences": DEFAULTS}


async def test_the_whole_object_is_required(api: Api) -> None:
    token = (await api.register())["token"]
    partial = {k: v for k, v in MINE.items() if k != "language"}
    r = await api.http.put("/api/users/me/preferences", json=partial, headers=bearer(token))
    assert r.status_code == 422 and r.json()["error"]["field"] == "language"


async def test_preferences_need_a_token(api: Api) -> None:
    for method in ("GET", "PUT"):
        r = await api.http.request(method, "/api/users/me/preferences", json=DEFAULTS if method == "PUT" else None)
        assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"
