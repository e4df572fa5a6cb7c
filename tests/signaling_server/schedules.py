"""What the scheduling tests share: people, and a meeting scheduled through the real API."""

from __future__ import annotations

from typing import Any

from tests.support.clients import Api, bearer

# Monday 15 March 2027, 10:00–11:00 in Berlin (CET); Berlin moves to CEST on Sunday 28 March 2027.
BERLIN_START, BERLIN_END = "2027-03-15T10:00:00+01:00", "2027-03-15T11:00:00+01:00"


async def person(api: Api) -> dict[str, Any]:
    """A registered user: ``{token, id, username, email}``."""
    body = await api.register()
    return {"token": body["token"], **body["user"]}


async def schedule(api: Api, token: str, **body: Any) -> dict[str, Any]:
    """POST /api/meetings that must succeed: the meeting."""
    body = {"title": "Standup", "start": BERLIN_START, "end": BERLIN_END, "timezone": "Europe/Berlin", **body}
    r = await api.http.post("/api/meetings", json=body, headers=bearer(token))
    assert r.status_code == 201, r.text
    meeting: dict[str, Any] = r.json()["meeting"]
    return meeting


def error(r: Any, status: int, code: str) -> dict[str, Any]:
    """The error body of a refused request, checked for its status, code and the one error shape."""
    assert r.status_code == status, r.text
    detail: dict[str, Any] = r.json()["error"]
    assert detail["code"] == code and detail["message"], detail
    return detail


async def occurrences(api: Api, token: str, start: str, end: str) -> list[dict[str, Any]]:
    r = await api.http.get("/api/meetings", params={"from": start, "to": end}, headers=bearer(token))
    assert r.status_code == 200, r.text
    found: list[dict[str, Any]] = r.json()["occurrences"]
    return found
