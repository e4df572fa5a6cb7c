"""When a scheduled meeting is reminded of (nimeet_desktop/reminders.py): the planner on its own, on a clock the test
moves; the service against the real server (SQLite and PostgreSQL) and a server without scheduling."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Callable

import pytest

from nimeet_desktop.net.rest import ApiClient
from nimeet_desktop.net.schedule_api import MeetingDraft, Occurrence, ScheduleApi
from nimeet_desktop.reminders import (
    Planned,
    Reminder,
    ReminderPlanner,
    ReminderService,
    ServiceState,
    lead_minutes,
    utc_now,
)
from tests.support.clients import unique_name
from tests.support.server import ServerProcess
from tests.support.version_1_server import version_1_server

T0 = dt.datetime(2026, 3, 28, 9, 0, tzinfo=dt.UTC)


def occurrence(start: dt.datetime, meeting_id: str = "m1", title: str = "Standup") -> Occurrence:
    return Occurrence(
        meeting_id=meeting_id, room_id="room1", title=title, start=start, end=start + dt.timedelta(hours=1)
    )


def minutes(n: float) -> dt.timedelta:
    return dt.timedelta(minutes=n)


def test_the_meetings_own_minutes_else_the_persons() -> None:
    assert lead_minutes(5, 10) == 5
    assert lead_minutes(0, 10) == 0, "0 is a value (at the start), not 'none'"
    assert lead_minutes(None, 10) == 10
    assert lead_minutes(None, None) is None


def test_due_from_its_time_until_the_start_and_once() -> None:
    planner = ReminderPlanner()
    start = T0 + minutes(30)
    planner.plan([Planned(occurrence(start), 5)])
    assert planner.due(start - minutes(5) - dt.timedelta(seconds=1), 10) == []
    assert planner.next_at(T0, 10) == start - minutes(5), "the meeting's 5 minutes, not the preference's 10"
    due = planner.due(start - minutes(5), 10)
    assert [r.occurrence.start for r in due] == [start]
    assert due[0].lead_minutes == 5
    assert planner.due(start - minutes(4), 10) == [], "once"
    planner.plan([Planned(occurrence(start), 5)])  # a refresh brings the same occurrence again
    assert planner.due(start - minutes(3), 10) == [], "once per run, across refreshes"
    assert planner.next_at(start - minutes(3), 10) is None


def test_the_preference_counts_when_the_meeting_sets_none_and_may_change() -> None:
    planner = ReminderPlanner()
    start = T0 + minutes(60)
    planner.plan([Planned(occurrence(start), None)])
    assert planner.due(start - minutes(15), 10) == []
    assert len(planner.due(start - minutes(15), 20)) == 1, "the preference read at each check"


def test_no_reminder_when_neither_sets_one() -> None:
    planner = ReminderPlanner()
    start = T0 + minutes(10)
    planner.plan([Planned(occurrence(start), None)])
    assert planner.due(start - minutes(1), None) == []
    assert planner.next_at(T0, None) is None


def test_a_reminder_slept_through_is_given_on_waking_unless_the_meeting_started() -> None:
    planner = ReminderPlanner()
    soon, started = T0 + minutes(20), T0 + minutes(5)
    planner.plan([Planned(occurrence(soon, "a"), 30), Planned(occurrence(started, "b"), 30)])
    # The lid was closed at T0 - 1 h and opened at T0 + 6 min: "a" is due, "b" has begun.
    due = planner.due(T0 + minutes(6), 10)
    assert [r.occurrence.meeting_id for r in due] == ["a"]
    assert due[0].minutes_left(T0 + minutes(6)) == 14


def test_each_occurrence_of_a_series_is_its_own() -> None:
    planner = ReminderPlanner()
    monday, tuesday = T0, T0 + dt.timedelta(days=1)
    planner.plan([Planned(occurrence(monday), 10), Planned(occurrence(tuesday), 10)])
    assert len(planner.due(monday - minutes(10), None)) == 1
    assert planner.next_at(monday - minutes(10), None) == tuesday - minutes(10)
    assert len(planner.due(tuesday - minutes(9), None)) == 1


def test_minutes_left_round_up() -> None:
    reminder = Reminder(occurrence(T0), 5)
    assert reminder.minutes_left(T0 - minutes(5)) == 5
    assert reminder.minutes_left(T0 - minutes(4) - dt.timedelta(seconds=59)) == 5
    assert reminder.minutes_left(T0 - dt.timedelta(seconds=1)) == 1
    assert reminder.minutes_left(T0) == 0


# ---- the service against the server ---------------------------------------------------------------------------


async def test_the_service_reminds_of_the_servers_meetings(server: ServerProcess) -> None:
    async with ApiClient(server.url) as api:
        name = unique_name("remind")
        api.token = (await api.register(name, f"{name}@example.test", "correct horse battery")).token
        schedule = ScheduleApi(api)
        start = (utc_now() + dt.timedelta(hours=2)).replace(microsecond=0)
        own = await schedule.create(MeetingDraft("Own", start, start + minutes(30), reminder_minutes=5))
        mine = await schedule.create(MeetingDraft("Mine", start + minutes(60), start + minutes(90)))
        now = [utc_now()]
        told: list[Reminder] = []
        service = ReminderService(lambda: 20, clock=lambda: now[0])
        service.on_due = told.append
        try:
            service.start(schedule)
            await wait_for(lambda: service.refreshes >= 1, "the first fetch")
            planned = {p.occurrence.meeting_id: p.meeting_minutes for p in service.planner.planned}
            assert planned == {own.meeting_id: 5, mine.meeting_id: None}

            now[0] = start - minutes(5)
            assert [r.occurrence.title for r in service.check()] == ["Own"]
            now[0] = start + minutes(40)  # 20 minutes before "Mine": the person's minutes
            assert [r.occurrence.title for r in service.check()] == ["Mine"]
            assert [r.occurrence.meeting_id for r in told] == [own.meeting_id, mine.meeting_id]

            await schedule.cancel(mine.meeting_id)
            service.refresh_now()
            await wait_for(lambda: service.refreshes >= 2, "the fetch asked for")
            assert [p.occurrence.meeting_id for p in service.planner.planned] == [], "cancelled, and Own has begun"
        finally:
            await service.close()


async def test_a_declined_invitation_is_not_reminded_of_an_unanswered_one_is(server: ServerProcess) -> None:
    async with ApiClient(server.url) as organizer, ApiClient(server.url) as guest:
        names = unique_name("org"), unique_name("guest")
        organizer.token = (
            await organizer.register(names[0], f"{names[0]}@example.test", "correct horse battery")
        ).token
        auth = await guest.register(names[1], f"{names[1]}@example.test", "correct horse battery")
        guest.token = auth.token
        start = (utc_now() + dt.timedelta(hours=3)).replace(microsecond=0)
        invited = (names[1],)
        declined = await ScheduleApi(organizer).create(
            MeetingDraft("Declined", start, start + minutes(30), attendees=invited)
        )
        unanswered = await ScheduleApi(organizer).create(
            MeetingDraft("Unanswered", start + minutes(60), start + minutes(90), attendees=invited)
        )
        await ScheduleApi(guest).respond(declined.meeting_id, "declined")
        service = ReminderService(lambda: 10)
        try:
            service.start(ScheduleApi(guest), auth.user.id)
            await wait_for(lambda: service.refreshes >= 1, "the first fetch")
            assert [p.occurrence.meeting_id for p in service.planner.planned] == [unanswered.meeting_id]
        finally:
            await service.close()


async def test_a_server_without_scheduling_turns_reminders_off() -> None:
    async with version_1_server() as url, ApiClient(url, "some-token") as api:
        service = ReminderService(lambda: 10)
        try:
            service.start(ScheduleApi(api))
            await wait_for(lambda: service.state is ServiceState.UNSUPPORTED, "the service to give up")
        finally:
            await service.close()


async def wait_for(predicate: Callable[[], object], what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)
