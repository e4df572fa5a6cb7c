"""Reminder and invitation mail through a real SMTP server on loopback (aiosmtpd), sent by real server processes:
each reminder once per occurrence and person across a restart and with two servers on one database; invitations,
changes and cancellations with the event attached for calendars."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from icalendar import Calendar

from tests.signaling_server.schedules import person, schedule
from tests.support.clients import Api, bearer
from tests.support.server import ServerProcess
from tests.support.smtp import Received, SmtpSink

POLL_S = "0.2"
GUEST = "guest@example.net"  # invited by email, no account here


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    smtp = SmtpSink()
    smtp.start()
    yield smtp
    smtp.stop()


def mail_env(sink: SmtpSink) -> dict[str, str]:
    return {
        "NIMEET_SMTP_URL": f"smtp://127.0.0.1:{sink.port}",
        "NIMEET_MAIL_POLL_S": POLL_S,
        "NIMEET_PUBLIC_URL": "https://meet.example.org",
    }


def subjects(received: list[Received], prefix: str) -> Counter[str]:
    """How many mails whose subject starts with ``prefix`` each recipient got."""
    return Counter(
        address.lower() for r in received if str(r.message["Subject"]).startswith(prefix) for address in r.envelope_to
    )


def calendar_of(received: Received) -> Calendar:
    (part,) = [p for p in received.message.walk() if p.get_content_type() == "text/calendar"]
    content = part.get_content()
    return Calendar.from_ical(content if isinstance(content, str | bytes) else str(content))


def soon(seconds: int) -> datetime:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).replace(microsecond=0)


async def people(api: Api) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    return await person(api), await person(api), await person(api)


async def settle() -> None:
    """Long enough for ten mail rounds: a duplicate would have gone out by then."""
    await asyncio.sleep(10 * float(POLL_S))


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_each_reminder_goes_out_once_across_a_restart(
    make_server: Callable[..., ServerProcess],
    database_url_for: Callable[[str], str],
    tmp_path: Path,
    sink: SmtpSink,
    backend: str,
) -> None:
    """Scheduled on one server run, due while no server runs, sent by the next run: once to the organizer and each
    attendee who has not declined, and not again by the run after."""
    database, data = database_url_for(backend), tmp_path / "data"
    first = make_server(mail_env(sink), database, data)
    api = Api(first.start())
    try:
        organizer, attendee, decliner = await people(api)
        start = soon(80)  # a reminder one minute ahead falls due 20 s from now
        meeting = await schedule(
            api,
            organizer["token"],
            start=start.isoformat(),
            end=(start + timedelta(minutes=30)).isoformat(),
            attendees=[attendee["username"], decliner["email"], GUEST],
            reminderMinutes=1,
        )
        r = await api.http.post(
            f"/api/meetings/{meeting['meetingId']}/respond",
            json={"response": "declined"},
            headers=bearer(decliner["token"]),
        )
        assert r.status_code == 200, r.text
        invited = await asyncio.to_thread(sink.wait_for, 3)
        assert subjects(invited, "Invitation:") == {attendee["email"]: 1, decliner["email"]: 1, GUEST: 1}
        first.stop_gracefully()
    finally:
        await api.aclose()
    due = start - timedelta(minutes=1)
    assert datetime.now(UTC) < due, "the server had to be stopped before the reminder fell due"
    assert subjects(sink.messages(), "Reminder:") == {}
    await asyncio.sleep((due - datetime.now(UTC)).total_seconds() + 1)

    second = make_server(mail_env(sink), database, data)
    second.start()
    received = await asyncio.to_thread(sink.wait_for, 6)
    await settle()
    reminded = subjects(sink.messages(), "Reminder:")
    assert reminded == {organizer["email"]: 1, attendee["email"]: 1, GUEST: 1}, reminded
    second.stop_gracefully()

    third = make_server(mail_env(sink), database, data)
    third.start()
    await settle()
    assert len(sink.messages()) == 6, [str(r.message["Subject"]) for r in sink.messages()]
    third.stop_gracefully()
    reminder = next(r for r in received if str(r.message["Subject"]).startswith("Reminder:"))
    body = reminder.message.get_body(("plain",))
    assert body is not None and f"https://meet.example.org/join/{meeting['roomId']}" in body.get_content()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_two_servers_on_one_database_send_each_reminder_once(
    make_server: Callable[..., ServerProcess],
    database_url_for: Callable[[str], str],
    tmp_path: Path,
    sink: SmtpSink,
    backend: str,
) -> None:
    database, data = database_url_for(backend), tmp_path / "data"
    one = make_server(mail_env(sink), database, data)
    api = Api(one.start())
    two = make_server(mail_env(sink), database, data)
    two.start()
    try:
        organizers = [await person(api) for _ in range(3)]
        attendee = await person(api)
        start = soon(65)  # due in 5 s, while both servers poll every 0.2 s
        for organizer in organizers:
            await schedule(
                api,
                organizer["token"],
                start=start.isoformat(),
                end=(start + timedelta(minutes=15)).isoformat(),
                attendees=[attendee["username"]],
                reminderMinutes=1,
            )
        await asyncio.to_thread(sink.wait_for, 3 + 6, 30)
        await settle()
        reminded = subjects(sink.messages(), "Reminder:")
        assert reminded == {attendee["email"]: 3, **{o["email"]: 1 for o in organizers}}, reminded
        assert subjects(sink.messages(), "Invitation:") == {attendee["email"]: 3}
        one.stop_gracefully()
        two.stop_gracefully()
    finally:
        await api.aclose()


async def test_invitations_changes_and_cancellations_carry_the_event(
    make_server: Callable[..., ServerProcess], sink: SmtpSink
) -> None:
    server = make_server(mail_env(sink))
    api = Api(server.start())
    try:
        organizer, ada, bob = await people(api)
        meeting = await schedule(
            api, organizer["token"], attendees=[ada["username"]], recurrence="FREQ=WEEKLY;COUNT=4", reminderMinutes=10
        )
        (invitation,) = await asyncio.to_thread(sink.wait_for, 1)
        assert invitation.envelope_to == [ada["email"]]
        assert str(invitation.message["Subject"]) == "Invitation: Standup"
        calendar = calendar_of(invitation)
        assert str(calendar["METHOD"]) == "REQUEST"
        (event,) = calendar.walk("VEVENT")
        assert event["UID"] == f"{meeting['meetingId']}@meet.example.org"
        assert event.decoded("DTSTART") == datetime.fromisoformat(meeting["start"])
        assert str(event["DTSTART"].params["TZID"]) == "Europe/Berlin"

        path = f"/api/meetings/{meeting['meetingId']}"
        r = await api.http.patch(
            path, json={"title": "Standup (team)", "attendees": [bob["username"]]}, headers=bearer(organizer["token"])
        )
        assert r.status_code == 200, r.text
        received = await asyncio.to_thread(sink.wait_for, 3)
        by_subject = {str(r.message["Subject"]): r for r in received[1:]}
        assert set(by_subject) == {"Invitation: Standup (team)", "Cancelled: Standup"}
        assert by_subject["Invitation: Standup (team)"].envelope_to == [bob["email"]]
        removed = by_subject["Cancelled: Standup"]
        assert removed.envelope_to == [ada["email"]] and str(calendar_of(removed)["METHOD"]) == "CANCEL"

        r = await api.http.patch(path, json={"description": "Bring numbers"}, headers=bearer(organizer["token"]))
        assert r.status_code == 200, r.text
        changed = (await asyncio.to_thread(sink.wait_for, 4))[3]
        assert str(changed.message["Subject"]) == "Changed: Standup (team)" and changed.envelope_to == [bob["email"]]

        r = await api.http.delete(path, headers=bearer(organizer["token"]))
        assert r.status_code == 204, r.text
        cancelled = (await asyncio.to_thread(sink.wait_for, 5))[4]
        assert str(cancelled.message["Subject"]) == "Cancelled: Standup (team)"
        calendar = calendar_of(cancelled)
        assert str(calendar["METHOD"]) == "CANCEL"
        assert str(calendar.walk("VEVENT")[0]["STATUS"]) == "CANCELLED"
        await settle()
        assert len(sink.messages()) == 5
        server.stop_gracefully()
    finally:
        await api.aclose()
