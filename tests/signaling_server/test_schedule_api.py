"""/api/meetings (contract v1.1 "Scheduling") on both databases: create, read, change, cancel, respond, and every
error row of the contract's table, including 404 for people the meeting is not theirs."""

from __future__ import annotations

from typing import Any

import pytest

from tests.signaling_server.schedules import BERLIN_END, BERLIN_START, error, occurrences, person, schedule
from tests.support.clients import Api, bearer

MEETING_FIELDS = {
    "meetingId",
    "roomId",
    "title",
    "description",
    "start",
    "end",
    "timezone",
    "recurrence",
    "organizerId",
    "attendees",
    "reminderMinutes",
    "status",
    "createdAt",
    "updatedAt",
}


async def test_schedule_in_a_new_room_and_read_it_back(api: Api) -> None:
    ada, bob = await person(api), await person(api)
    meeting = await schedule(
        api,
        ada["token"],
        title="  Planning  ",
        description="Q2 goals",
        recurrence="FREQ=WEEKLY;COUNT=10",
        attendees=[bob["username"], "guest@elsewhere.test"],
        reminderMinutes=15,
    )
    assert set(meeting) == MEETING_FIELDS
    assert meeting["title"] == "Planning" and meeting["description"] == "Q2 goals"
    assert (meeting["start"], meeting["end"]) == (BERLIN_START, BERLIN_END)
    assert meeting["timezone"] == "Europe/Berlin" and meeting["recurrence"] == "FREQ=WEEKLY;COUNT=10"
    assert meeting["organizerId"] == ada["id"] and meeting["status"] == "scheduled"
    assert meeting["reminderMinutes"] == 15
    assert meeting["attendees"] == [
        {"email": bob["email"], "userId": bob["id"], "username": bob["username"], "response": "needs-action"},
        {"email": "guest@elsewhere.test", "userId": None, "username": None, "response": "needs-action"},
    ]
    # A new room, the organizer's, named after the meeting.
    r = await api.http.get(f"/api/rooms/{meeting['roomId']}", headers=bearer(ada["token"]))
    assert r.json()["room"]["ownerId"] == ada["id"] and r.json()["room"]["name"] == "Planning"
    for who in (ada, bob):
        r = await api.http.get(f"/api/meetings/{meeting['meetingId']}", headers=bearer(who["token"]))
        assert r.status_code == 200 and r.json() == {"meeting": meeting}


async def test_defaults_and_an_email_of_an_account_becomes_that_account(api: Api) -> None:
    ada, bob = await person(api), await person(api)
    meeting = await schedule(
        api,
        ada["token"],
        timezone="UTC",
        start="2027-01-10T09:00:00Z",
        end="2027-01-10T09:30:00Z",
        attendees=[bob["email"].upper(), bob["username"], ada["username"]],  # duplicates and the organizer drop out
    )
    assert meeting["timezone"] == "UTC" and meeting["recurrence"] is None and meeting["reminderMinutes"] is None
    assert meeting["description"] is None
    assert [(a["userId"], a["username"]) for a in meeting["attendees"]] == [(bob["id"], bob["username"])]
    r = await api.http.post(
        "/api/meetings",
        json={"title": "t", "start": "2027-01-10T09:00:00Z", "end": "2027-01-10T09:30:00Z"},
        headers=bearer(ada["token"]),
    )
    assert r.status_code == 201 and r.json()["meeting"]["timezone"] == "UTC"


async def test_in_an_own_room_and_not_in_someone_elses(api: Api) -> None:
    ada, bob = await person(api), await person(api)
    room = await api.create_room(ada["token"], name="Ada's room")
    meeting = await schedule(api, ada["token"], roomId=room["roomId"])
    assert meeting["roomId"] == room["roomId"]
    body = {"title": "t", "start": BERLIN_START, "end": BERLIN_END, "roomId": room["roomId"]}
    error(await api.http.post("/api/meetings", json=body, headers=bearer(bob["token"])), 403, "forbidden")
    body["roomId"] = "no-such-room"
    error(await api.http.post("/api/meetings", json=body, headers=bearer(ada["token"])), 404, "room-not-found")


async def test_change_it(api: Api) -> None:
    ada, bob, cy = await person(api), await person(api), await person(api)
    meeting = await schedule(api, ada["token"], attendees=[bob["username"]], reminderMinutes=5, description="x")
    url = f"/api/meetings/{meeting['meetingId']}"
    await api.http.post(f"{url}/respond", json={"response": "accepted"}, headers=bearer(bob["token"]))
    # A change that keeps the time keeps the answers; attendees given replace the list.
    r = await api.http.patch(
        url,
        json={
            "title": "Retro",
            "description": None,
            "reminderMinutes": None,
            "attendees": [bob["email"], cy["username"]],
        },
        headers=bearer(ada["token"]),
    )
    assert r.status_code == 200, r.text
    changed = r.json()["meeting"]
    assert changed["title"] == "Retro" and changed["description"] is None and changed["reminderMinutes"] is None
    assert [(a["userId"], a["response"]) for a in changed["attendees"]] == [
        (bob["id"], "accepted"),
        (cy["id"], "needs-action"),
    ]
    assert changed["start"] == meeting["start"] and changed["updatedAt"] >= meeting["updatedAt"]
    # A new time asks everyone again.
    r = await api.http.patch(
        url,
        json={
            "start": "2027-03-16T10:00:00+01:00",
            "end": "2027-03-16T12:00:00+01:00",
            "recurrence": "FREQ=DAILY;COUNT=3",
        },
        headers=bearer(ada["token"]),
    )
    assert r.status_code == 200, r.text
    moved = r.json()["meeting"]
    assert moved["start"] == "2027-03-16T10:00:00+01:00" and moved["recurrence"] == "FREQ=DAILY;COUNT=3"
    assert {a["response"] for a in moved["attendees"]} == {"needs-action"}
    assert (await api.http.get(url, headers=bearer(cy["token"]))).json() == {"meeting": moved}
    # Null is refused where a meeting must have a value.
    for field in ("title", "start", "end", "timezone", "attendees", "roomId"):
        detail = error(
            await api.http.patch(url, json={field: None}, headers=bearer(ada["token"])), 422, "invalid-input"
        )
        assert detail["field"] == field


async def test_cancel_it(api: Api) -> None:
    ada, bob = await person(api), await person(api)
    meeting = await schedule(api, ada["token"], attendees=[bob["username"]])
    url = f"/api/meetings/{meeting['meetingId']}"
    window = ("2027-03-01T00:00:00Z", "2027-04-01T00:00:00Z")
    assert len(await occurrences(api, bob["token"], *window)) == 1
    error(await api.http.delete(url, headers=bearer(bob["token"])), 403, "forbidden")
    r = await api.http.delete(url, headers=bearer(ada["token"]))
    assert r.status_code == 204 and r.content == b""
    for who in (ada, bob):
        assert (await api.http.get(url, headers=bearer(who["token"]))).json()["meeting"]["status"] == "cancelled"
        assert await occurrences(api, who["token"], *window) == []  # cancelled ones are left out
    assert (await api.http.delete(url, headers=bearer(ada["token"]))).status_code == 204  # again: still cancelled


async def test_respond(api: Api) -> None:
    ada, bob, eve = await person(api), await person(api), await person(api)
    meeting = await schedule(api, ada["token"], attendees=[bob["username"], "x@elsewhere.test"])
    url = f"/api/meetings/{meeting['meetingId']}/respond"
    r = await api.http.post(url, json={"response": "declined"}, headers=bearer(bob["token"]))
    assert r.status_code == 200, r.text
    assert [a["response"] for a in r.json()["meeting"]["attendees"]] == ["declined", "needs-action"]
    r = await api.http.post(url, json={"response": "accepted"}, headers=bearer(bob["token"]))
    assert r.json()["meeting"]["attendees"][0]["response"] == "accepted"
    error(await api.http.post(url, json={"response": "accepted"}, headers=bearer(ada["token"])), 403, "forbidden")
    error(await api.http.post(url, json={"response": "accepted"}, headers=bearer(eve["token"])), 404, "not-found")
    for bad in ({"response": "needs-action"}, {"response": "maybe"}, {}, {"response": True}):
        error(await api.http.post(url, json=bad, headers=bearer(bob["token"])), 422, "invalid-input")


async def test_others_are_told_it_does_not_exist(api: Api) -> None:
    ada, bob, eve = await person(api), await person(api), await person(api)
    meeting = await schedule(api, ada["token"], attendees=[bob["username"]])
    url = f"/api/meetings/{meeting['meetingId']}"
    calls: list[tuple[str, str, dict[str, Any] | None]] = [
        ("GET", url, None),
        ("GET", f"{url}/ics", None),
        ("PATCH", url, {"title": "mine now"}),
        ("DELETE", url, None),
        ("POST", f"{url}/respond", {"response": "accepted"}),
    ]
    for method, path, body in calls:
        error(await api.http.request(method, path, json=body, headers=bearer(eve["token"])), 404, "not-found")
        missing = path.replace(meeting["meetingId"], "0" * 32)
        error(await api.http.request(method, missing, json=body, headers=bearer(ada["token"])), 404, "not-found")
        error(await api.http.request(method, path, json=body), 401, "unauthorized")
    # An attendee reads but does not change.
    error(await api.http.patch(url, json={"title": "mine"}, headers=bearer(bob["token"])), 403, "forbidden")
    error(await api.http.post("/api/meetings", json={"title": "t"}), 401, "unauthorized")
    error(
        await api.http.get("/api/meetings", params={"from": "2027-01-01T00:00:00Z", "to": "2027-02-01T00:00:00Z"}),
        401,
        "unauthorized",
    )
    assert await occurrences(api, eve["token"], "2027-03-01T00:00:00Z", "2027-04-01T00:00:00Z") == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"end": BERLIN_START}, "end"),
        ({"end": "2027-03-15T09:59:00+01:00"}, "end"),
        ({"end": "2027-03-16T10:00:01+01:00"}, "end"),  # 24 h and 1 s
        ({"start": "2027-03-15T10:00:00"}, "start"),  # no offset
        ({"start": "next monday"}, "start"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"timezone": "CEST"}, "timezone"),
        ({"reminderMinutes": -1}, "reminderMinutes"),
        ({"reminderMinutes": 10081}, "reminderMinutes"),
        ({"reminderMinutes": "10"}, "reminderMinutes"),
        ({"recurrence": "FREQ=HOURLY;COUNT=3"}, "recurrence"),
        ({"recurrence": "FREQ=WEEKLY;COUNT=501"}, "recurrence"),
        ({"recurrence": "FREQ=WEEKLY"}, "recurrence"),
        ({"recurrence": "FREQ=DAILY;UNTIL=20290316T090000Z"}, "recurrence"),  # 2 years + 1 day
        ({"recurrence": "not a rule"}, "recurrence"),
        ({"attendees": ["nobody_by_that_name"]}, "attendees"),
        ({"attendees": ["not an email@"]}, "attendees"),
        ({"attendees": ["a b"]}, "attendees"),
        ({"attendees": "someone"}, "attendees"),
        ({"roomId": "../x"}, "roomId"),
    ],
)
async def test_validation(api: Api, change: dict[str, Any], field: str) -> None:
    ada = await person(api)
    body = {"title": "Standup", "start": BERLIN_START, "end": BERLIN_END, "timezone": "Europe/Berlin", **change}
    detail = error(await api.http.post("/api/meetings", json=body, headers=bearer(ada["token"])), 422, "invalid-input")
    assert detail["field"] == field, detail
    # The same rules hold for a change, and a refused change changes nothing.
    meeting = await schedule(api, ada["token"])
    url = f"/api/meetings/{meeting['meetingId']}"
    detail = error(await api.http.patch(url, json=change, headers=bearer(ada["token"])), 422, "invalid-input")
    assert detail["field"] == field, detail
    assert (await api.http.get(url, headers=bearer(ada["token"]))).json() == {"meeting": meeting}


async def test_the_limits_themselves_are_accepted(api: Api) -> None:
    ada = await person(api)
    await schedule(api, ada["token"], title="x" * 200, end="2027-03-16T10:00:00+01:00", reminderMinutes=10080)
    await schedule(api, ada["token"], reminderMinutes=0, recurrence="FREQ=DAILY;COUNT=500")
    await schedule(api, ada["token"], recurrence="FREQ=MONTHLY;UNTIL=20290315T090000Z")  # exactly 2 years


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2027-01-01T00:00:00Z"}, "to"),
        ({"from": "2027-01-01T00:00:00Z", "to": "2027-01-01T00:00:00Z"}, "to"),
        ({"from": "2027-02-01T00:00:00Z", "to": "2027-01-01T00:00:00Z"}, "to"),
        ({"from": "2027-01-01T00:00:00Z", "to": "2028-01-02T00:00:01Z"}, "to"),  # 366 days and 1 s
        ({"from": "2027-01-01T00:00:00", "to": "2027-02-01T00:00:00Z"}, "from"),
        ({"from": "yesterday", "to": "2027-02-01T00:00:00Z"}, "from"),
    ],
)
async def test_the_range_of_a_listing(api: Api, params: dict[str, str], field: str) -> None:
    ada = await person(api)
    r = await api.http.get("/api/meetings", params=params, headers=bearer(ada["token"]))
    assert error(r, 422, "invalid-input")["field"] == field


async def test_a_listing_of_366_days_is_accepted(api: Api) -> None:
    ada = await person(api)
    await schedule(api, ada["token"], recurrence="FREQ=DAILY;COUNT=500")
    found = await occurrences(api, ada["token"], "2027-01-01T00:00:00+01:00", "2028-01-02T00:00:00+01:00")
    # 15 March 2027 to 1 January 2028 inclusive, every day.
    assert len(found) == 293 and found == sorted(found, key=lambda o: o["start"])


async def test_deleting_the_room_deletes_its_meetings(api: Api) -> None:
    ada, bob = await person(api), await person(api)
    meeting = await schedule(api, ada["token"], attendees=[bob["username"]])
    assert (await api.http.delete(f"/api/rooms/{meeting['roomId']}", headers=bearer(ada["token"]))).status_code == 204
    r = await api.http.get(f"/api/meetings/{meeting['meetingId']}", headers=bearer(bob["token"]))
    error(r, 404, "not-found")
