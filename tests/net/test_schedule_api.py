"""net/schedule_api.py against the real server (both databases): every endpoint of the contract's "Scheduling"
section through the typed client, the conflict's ``conflicts_with``, and a weekly meeting across a DST change."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from zoneinfo import ZoneInfo

import icalendar
import pytest
from dateutil.relativedelta import MO, relativedelta

from nimeet_desktop.net.rest import ApiClient, ApiError
from nimeet_desktop.net.schedule_api import MeetingDraft, ScheduleApi
from nimeet_desktop.ui.calendar.recurrence import Repeat, RepeatRule, to_rrule
from signaling_server.protocol import AuthResponse, ErrorCode
from tests.support.clients import unique_name
from tests.support.server import ServerProcess

PASSWORD = "correct horse battery"
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
async def clients(server: ServerProcess) -> AsyncIterator[tuple[ApiClient, ApiClient]]:
    first, second = ApiClient(server.url), ApiClient(server.url)
    yield first, second
    await first.close()
    await second.close()


async def signed_in(api: ApiClient) -> AuthResponse:
    name = unique_name("sched")
    auth = await api.register(name, f"{name}@example.test", PASSWORD)
    api.token = auth.token
    return auth


def future_monday(hour: int = 10) -> dt.datetime:
    """A Monday ten to seventeen days ahead, at ``hour`` in Berlin: far enough that nothing is in the past."""
    day = dt.date.today() + dt.timedelta(days=10)
    day += dt.timedelta(days=(7 - day.weekday()) % 7)
    return dt.datetime.combine(day, dt.time(hour), BERLIN)


async def test_create_read_list_respond_update_cancel(clients: tuple[ApiClient, ApiClient]) -> None:
    organizer_api, guest_api = clients
    organizer = await signed_in(organizer_api)
    guest = await signed_in(guest_api)
    schedule, guest_schedule = ScheduleApi(organizer_api), ScheduleApi(guest_api)
    start = future_monday()
    draft = MeetingDraft(
        title="Planning",
        start=start,
        end=start + dt.timedelta(minutes=45),
        description="Q3",
        timezone="Europe/Berlin",
        attendees=(guest.user.username, "nobody@example.test"),
        reminder_minutes=15,
    )
    meeting = await schedule.create(draft)
    assert meeting.title == "Planning" and meeting.description == "Q3"
    assert meeting.start == start and meeting.start.utcoffset() is not None
    assert meeting.is_organizer(organizer.user.id) and meeting.status == "scheduled"
    me = meeting.attendee(guest.user.id)
    assert me is not None and me.response == "needs-action" and me.username == guest.user.username
    assert any(a.email == "nobody@example.test" and a.user_id is None for a in meeting.attendees)

    seen = await guest_schedule.occurrences(start - dt.timedelta(days=1), start + dt.timedelta(days=1))
    assert [(o.meeting_id, o.start) for o in seen] == [(meeting.meeting_id, start)]

    answered = await guest_schedule.respond(meeting.meeting_id, "accepted")
    mine = answered.attendee(guest.user.id)
    assert mine is not None and mine.response == "accepted"

    moved = await schedule.update(meeting.meeting_id, title="Planning, moved", description=None)
    assert moved.title == "Planning, moved" and moved.description is None

    with pytest.raises(ApiError) as refused:
        await guest_schedule.update(meeting.meeting_id, title="Mine now")
    assert refused.value.status == 403

    await schedule.cancel(meeting.meeting_id)
    assert (await schedule.get(meeting.meeting_id)).status == "cancelled"
    assert await schedule.occurrences(start - dt.timedelta(days=1), start + dt.timedelta(days=1)) == []


async def test_conflict_names_the_meeting_in_the_way(clients: tuple[ApiClient, ApiClient]) -> None:
    api, _ = clients
    await signed_in(api)
    schedule = ScheduleApi(api)
    start = future_monday(14)
    first = await schedule.create(MeetingDraft("First", start, start + dt.timedelta(hours=1), timezone="Europe/Berlin"))
    with pytest.raises(ApiError) as conflict:
        await schedule.create(
            MeetingDraft(
                "Second",
                start + dt.timedelta(minutes=30),
                start + dt.timedelta(hours=2),
                timezone="Europe/Berlin",
                room_id=first.room_id,
            )
        )
    assert conflict.value.status == 409
    assert conflict.value.code == ErrorCode.SCHEDULE_CONFLICT
    assert conflict.value.conflicts_with == first.meeting_id


async def test_validation_error_names_its_field(clients: tuple[ApiClient, ApiClient]) -> None:
    api, _ = clients
    await signed_in(api)
    start = future_monday()
    with pytest.raises(ApiError) as refused:
        await ScheduleApi(api).create(MeetingDraft("Backwards", start, start - dt.timedelta(hours=1)))
    assert refused.value.status == 422
    assert refused.value.field == "end"


async def test_weekly_across_dst_keeps_local_time_and_exports_ics(clients: tuple[ApiClient, ApiClient]) -> None:
    api, _ = clients
    await signed_in(api)
    schedule = ScheduleApi(api)
    # Berlin leaves summer time on the last Sunday of October: Mondays 10:00 before and after it.
    year = dt.date.today().year + 1
    monday = dt.date(year, 10, 1) + relativedelta(weekday=MO(+2))
    start = dt.datetime.combine(monday, dt.time(10), BERLIN)
    rule = to_rrule(RepeatRule(Repeat.WEEKLY, frozenset({0}), count=4), start)
    meeting = await schedule.create(
        MeetingDraft("Weekly", start, start + dt.timedelta(hours=1), timezone="Europe/Berlin", recurrence=rule)
    )
    found = await schedule.occurrences(start - dt.timedelta(days=1), start + dt.timedelta(weeks=5))
    local = [o.start.astimezone(BERLIN) for o in found]
    assert len(local) == 4
    assert {(t.hour, t.minute) for t in local} == {(10, 0)}
    assert {t.utcoffset() for t in local} == {dt.timedelta(hours=2), dt.timedelta(hours=1)}, "it crosses the change"

    text = await schedule.ics(meeting.meeting_id)
    event = next(e for e in icalendar.Calendar.from_ical(text).walk("VEVENT") if isinstance(e, icalendar.Event))
    assert event.summary == "Weekly"
    assert event.start == start
    assert [rule.get("FREQ") for rule in event.rrules] == [["WEEKLY"]]


async def test_malformed_meeting_id_never_reaches_the_url(clients: tuple[ApiClient, ApiClient]) -> None:
    api, _ = clients
    with pytest.raises(ValueError, match="not a meeting id"):
        await ScheduleApi(api).get("../rooms")
