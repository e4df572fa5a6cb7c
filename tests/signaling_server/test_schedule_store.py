"""ScheduleStore against real databases (both backends): the seams other parts build on — which occurrences'
reminders fall due in a window (the reminder mailer), who is invited to a room (the lobby) — and what deleting an
account or a room does to meetings."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import pytest

from signaling_server.db.engine import create_engine, migrate, sessions
from signaling_server.db.schedule_store import Invitee, Plan, ScheduleConflict, ScheduleStore
from signaling_server.db.store import Store
from signaling_server.scheduling.recurrence import parse, zone

START = datetime(2027, 3, 15, 10, 0, tzinfo=zone("Europe/Berlin"))


@pytest.fixture(params=["sqlite", "postgresql"])
async def stores(
    request: pytest.FixtureRequest, database_url_for: Callable[[str], str], tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[Store, ScheduleStore]]:
    url = database_url_for(request.param) or f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'db.sqlite3'}"
    engine = create_engine(url)
    await migrate(engine)
    try:
        yield Store(sessions(engine)), ScheduleStore(sessions(engine))
    finally:
        await engine.dispose()


def plan(start: datetime = START, rule: str | None = None, reminder: int | None = 10, minutes: int = 30) -> Plan:
    tz = zone("Europe/Berlin")
    return Plan(
        "Sync", None, start, start + timedelta(minutes=minutes), tz.key, rule and parse(rule, start, tz), reminder
    )


async def test_reminders_due_in_a_window(stores: tuple[Store, ScheduleStore]) -> None:
    store, schedule = stores
    ada = await store.create_user("ada", "ada@example.test", "hash")
    room = await store.create_room(ada.id, "r", 8, None, False)
    weekly = await schedule.create(ada.id, room.room_id, plan(rule="FREQ=WEEKLY;COUNT=4", reminder=15), [])
    later = START + timedelta(hours=2)
    silent = await schedule.create(ada.id, room.room_id, plan(start=later, reminder=None), [])
    # The third occurrence (29 March, 10:00 CEST = 08:00 UTC) is reminded at 07:45 UTC.
    due = await schedule.reminders_due(datetime(2027, 3, 29, 7, 0, tzinfo=UTC), datetime(2027, 3, 29, 8, 0, tzinfo=UTC))
    assert [
        (d.meeting.meeting_id, d.occurrence_start.isoformat(), d.due_at.astimezone(UTC).isoformat()) for d in due
    ] == [(weekly.meeting_id, "2027-03-29T10:00:00+02:00", "2027-03-29T07:45:00+00:00")]
    # [a, b): a reminder exactly at b is the next window's.
    assert (
        await schedule.reminders_due(datetime(2027, 3, 29, 7, 0, tzinfo=UTC), datetime(2027, 3, 29, 7, 45, tzinfo=UTC))
        == []
    )
    everything = await schedule.reminders_due(START - timedelta(days=1), START + timedelta(days=60))
    assert [d.occurrence_start.day for d in everything] == [15, 22, 29, 5]
    assert silent.meeting_id not in {d.meeting.meeting_id for d in everything}
    # A cancelled meeting reminds nobody.
    await schedule.cancel(weekly.meeting_id)
    assert await schedule.reminders_due(START - timedelta(days=1), START + timedelta(days=60)) == []


async def test_invitations_open_the_room_and_go_with_the_account(stores: tuple[Store, ScheduleStore]) -> None:
    store, schedule = stores
    ada = await store.create_user("ada", "ada@example.test", "hash")
    bob = await store.create_user("bob", "bob@example.test", "hash")
    room = await store.create_room(ada.id, "r", 8, None, True)
    other = await store.create_room(ada.id, "other", 8, None, True)
    meeting = await schedule.create(
        ada.id, room.room_id, plan(), [Invitee(bob.email, bob.id), Invitee("guest@elsewhere.test", None)]
    )
    assert await schedule.is_invited(room.room_id, bob.id)
    assert not await schedule.is_invited(other.room_id, bob.id)
    assert not await schedule.is_invited(room.room_id, ada.id)  # the organizer is the owner, not an attendee
    with pytest.raises(ScheduleConflict) as conflict:
        await schedule.create(ada.id, room.room_id, plan(start=START + timedelta(minutes=29)), [])
    assert conflict.value.meeting_id == meeting.meeting_id
    # Bob deletes his account: his invitation goes with it, the others' stay.
    assert await store.delete_user(bob.id)
    after = await schedule.meeting(meeting.meeting_id)
    assert after is not None and [a.email for a in after.attendees] == ["guest@elsewhere.test"]
    # The room goes: its meetings go with it.
    assert await store.delete_room(room.room_id)
    assert await schedule.meeting(meeting.meeting_id) is None
