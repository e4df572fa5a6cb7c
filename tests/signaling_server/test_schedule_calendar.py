"""Scheduling in time (contract v1.1), on both databases: a weekly meeting keeps its local time across a clock
change in GET /api/meetings and in its .ics (parsed back with icalendar), and meetings of one room may not overlap."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from dateutil.rrule import rrulestr
from icalendar import Calendar, Event, Timezone

from tests.signaling_server.schedules import BERLIN_END, BERLIN_START, error, occurrences, person, schedule
from tests.support.clients import Api, bearer

# Berlin moves to summer time on 28 March 2027; Moscow has had no clock change since 2014.
MARCH_2027 = ("2027-03-01T00:00:00Z", "2027-04-19T00:00:00Z")


@pytest.mark.parametrize(
    ("zone", "offsets"), [("Europe/Berlin", ["+01:00"] * 2 + ["+02:00"] * 3), ("Europe/Moscow", ["+03:00"] * 5)]
)
async def test_a_weekly_meeting_keeps_its_local_time(api: Api, zone: str, offsets: list[str]) -> None:
    ada, bob = await person(api), await person(api)
    offset = offsets[0]
    meeting = await schedule(
        api,
        ada["token"],
        start=f"2027-03-15T10:00:00{offset}",
        end=f"2027-03-15T11:00:00{offset}",
        timezone=zone,
        recurrence="FREQ=WEEKLY;COUNT=10",
        attendees=[bob["username"]],
    )
    for who in (ada, bob):
        found = await occurrences(api, who["token"], *MARCH_2027)
        assert [o["start"] for o in found] == [
            f"2027-{day}T10:00:00{off}"
            for day, off in zip(["03-15", "03-22", "03-29", "04-05", "04-12"], offsets, strict=True)
        ]
        assert [o["end"][11:19] for o in found] == ["11:00:00"] * 5
        assert {(o["meetingId"], o["roomId"], o["title"]) for o in found} == {
            (meeting["meetingId"], meeting["roomId"], "Standup")
        }
    # In UTC, Berlin's meeting moved an hour earlier on 28 March; Moscow's did not.
    utc_hours = [datetime.fromisoformat(o["start"]).astimezone(UTC).hour for o in found]
    assert utc_hours == ([9, 9, 8, 8, 8] if zone == "Europe/Berlin" else [7] * 5)


async def test_a_listing_sorts_meetings_by_start_and_cuts_at_the_window(api: Api) -> None:
    ada = await person(api)
    weekly = await schedule(api, ada["token"], recurrence="FREQ=WEEKLY;COUNT=10")
    # A one-off on the Tuesday in UTC, in a room of its own.
    once = await schedule(
        api, ada["token"], title="Once", start="2027-03-16T06:00:00Z", end="2027-03-16T07:00:00Z", timezone="UTC"
    )
    found = await occurrences(api, ada["token"], "2027-03-15T09:30:00Z", "2027-03-22T09:00:00Z")
    # The first weekly one is under way at the window's start (overlaps), the second starts at its end (does not).
    assert [(o["meetingId"], o["start"]) for o in found] == [
        (weekly["meetingId"], BERLIN_START),
        (once["meetingId"], "2027-03-16T06:00:00Z"),
    ]


async def test_the_ics_reads_back_with_its_zone_rule_alarm_attendees_and_link(api: Api) -> None:
    ada, bob = await person(api), await person(api)
    meeting = await schedule(
        api,
        ada["token"],
        description="Weekly sync",
        recurrence="FREQ=WEEKLY;UNTIL=20270412T080000Z",
        attendees=[bob["username"], "guest@elsewhere.test"],
        reminderMinutes=15,
    )
    url = f"/api/meetings/{meeting['meetingId']}/ics"
    await api.http.post(
        f"/api/meetings/{meeting['meetingId']}/respond", json={"response": "accepted"}, headers=bearer(bob["token"])
    )
    r = await api.http.get(url, headers=bearer(bob["token"]))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/calendar")
    calendar = Calendar.from_ical(r.content)
    (event,) = calendar.walk("VEVENT")
    assert isinstance(event, Event)
    (vtimezone,) = calendar.walk("VTIMEZONE")
    assert str(vtimezone["TZID"]) == "Europe/Berlin"
    assert str(event["UID"]).startswith(meeting["meetingId"] + "@")
    assert str(event["SUMMARY"]) == "Standup" and str(event["DESCRIPTION"]) == "Weekly sync"
    assert event["DTSTART"].params["TZID"] == "Europe/Berlin" and event["DTEND"].params["TZID"] == "Europe/Berlin"
    start, end = event.decoded("DTSTART"), event.decoded("DTEND")
    assert start.isoformat() == BERLIN_START and end.isoformat() == BERLIN_END
    room = (await api.http.get(f"/api/rooms/{meeting['roomId']}", headers=bearer(ada["token"]))).json()["room"]
    assert str(event["URL"]) == room["inviteUrl"]
    assert str(event["ORGANIZER"]) == f"mailto:{ada['email']}"
    attendees = {str(a): a.params["PARTSTAT"] for a in event.attendees}
    assert attendees == {f"mailto:{bob['email']}": "ACCEPTED", "mailto:guest@elsewhere.test": "NEEDS-ACTION"}
    (alarm,) = event.walk("VALARM")
    assert alarm.decoded("TRIGGER") == -timedelta(minutes=15) and str(alarm["ACTION"]) == "DISPLAY"
    # The occurrences a calendar computes from the file are the server's.
    (recur,) = event.rrules
    rule = recur.to_ical().decode()
    assert rule == "FREQ=WEEKLY;UNTIL=20270412T080000Z"
    from_ics = [s.isoformat() for s in rrulestr(rule, dtstart=start)]
    from_server = [o["start"] for o in await occurrences(api, bob["token"], *MARCH_2027)]
    assert (
        from_ics
        == from_server
        == [
            "2027-03-15T10:00:00+01:00",
            "2027-03-22T10:00:00+01:00",
            "2027-03-29T10:00:00+02:00",
            "2027-04-05T10:00:00+02:00",
            "2027-04-12T10:00:00+02:00",
        ]
    )
    # A calendar that knows no zone rules reads the file's VTIMEZONE: the same instants.
    (vtimezone_only,) = calendar.walk("VTIMEZONE")
    assert isinstance(vtimezone_only, Timezone)
    own_rules = vtimezone_only.to_tz(lookup_tzid=False)
    from_vtimezone = rrulestr(rule, dtstart=start.replace(tzinfo=own_rules))
    assert [s.astimezone(UTC) for s in from_vtimezone] == [
        datetime.fromisoformat(s).astimezone(UTC) for s in from_server
    ]
    assert {s.utcoffset() for s in from_vtimezone} == {timedelta(hours=1), timedelta(hours=2)}


async def test_the_ics_of_a_one_off_meeting_without_reminder(api: Api) -> None:
    ada = await person(api)
    meeting = await schedule(api, ada["token"])
    r = await api.http.get(f"/api/meetings/{meeting['meetingId']}/ics", headers=bearer(ada["token"]))
    (event,) = Calendar.from_ical(r.content).walk("VEVENT")
    assert "RRULE" not in event and event.walk("VALARM") == [] and "ATTENDEE" not in event


def _body(room_id: str, start: str, end: str, **more: Any) -> dict[str, Any]:
    return {"title": "t", "start": start, "end": end, "timezone": "Europe/Berlin", "roomId": room_id, **more}


async def test_conflicts_in_one_room(api: Api) -> None:
    ada = await person(api)
    room = (await api.create_room(ada["token"]))["roomId"]
    weekly = await schedule(api, ada["token"], roomId=room, recurrence="FREQ=WEEKLY;COUNT=10")
    post = lambda body: api.http.post("/api/meetings", json=body, headers=bearer(ada["token"]))  # noqa: E731
    # A one-off in week 3 (after the clock change) at 10:30 local overlaps.
    r = await post(_body(room, "2027-03-29T10:30:00+02:00", "2027-03-29T11:30:00+02:00"))
    assert error(r, 409, "schedule-conflict")["conflictsWith"] == weekly["meetingId"]
    # Touching (end == start, before and after) is not a conflict.
    await schedule(api, ada["token"], roomId=room, start="2027-03-29T09:00:00+02:00", end="2027-03-29T10:00:00+02:00")
    await schedule(api, ada["token"], roomId=room, start="2027-03-29T11:00:00+02:00", end="2027-03-29T12:00:00+02:00")
    # Recurring vs recurring: a fortnightly series at 10:30 starting in week 5 meets the weekly one there.
    r = await post(
        _body(
            room, "2027-04-12T10:30:00+02:00", "2027-04-12T11:00:00+02:00", recurrence="FREQ=WEEKLY;INTERVAL=2;COUNT=3"
        )
    )
    assert error(r, 409, "schedule-conflict")["conflictsWith"] == weekly["meetingId"]
    # A daily series at 10:00 on Tuesdays-to-Sundays only never meets the Monday series.
    daily = await schedule(
        api,
        ada["token"],
        roomId=room,
        start="2027-03-16T10:00:00+01:00",
        end="2027-03-16T11:00:00+01:00",
        recurrence="FREQ=DAILY;BYDAY=TU,WE,TH,FR,SA,SU;COUNT=60",
    )
    # The same times in another room are no conflict.
    await schedule(api, ada["token"], recurrence="FREQ=WEEKLY;COUNT=10")
    # A change is checked too, against everyone but itself; cancelled meetings block nothing.
    url = f"/api/meetings/{daily['meetingId']}"
    r = await api.http.patch(url, json={"recurrence": "FREQ=DAILY;COUNT=60"}, headers=bearer(ada["token"]))
    assert error(r, 409, "schedule-conflict")["conflictsWith"] == weekly["meetingId"]
    r = await api.http.patch(url, json={"title": "moved nothing"}, headers=bearer(ada["token"]))
    assert r.status_code == 200, r.text
    assert (
        await api.http.delete(f"/api/meetings/{weekly['meetingId']}", headers=bearer(ada["token"]))
    ).status_code == 204
    r = await api.http.patch(url, json={"recurrence": "FREQ=DAILY;COUNT=60"}, headers=bearer(ada["token"]))
    assert r.status_code == 200, r.text
    # Moving a meeting into a room is checked against that room's meetings.
    other_room = (await api.create_room(ada["token"]))["roomId"]
    blocker = await schedule(
        api, ada["token"], roomId=other_room, start="2027-03-20T10:00:00+01:00", end="2027-03-20T10:05:00+01:00"
    )
    r = await api.http.patch(url, json={"roomId": other_room}, headers=bearer(ada["token"]))
    assert error(r, 409, "schedule-conflict")["conflictsWith"] == blocker["meetingId"]
