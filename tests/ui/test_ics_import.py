"""Reading a meeting out of an .ics file someone sent: whatever the file holds, the answer is a draft or IcsError."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from nimeet_desktop.ui.calendar.ics_import import IcsError, draft_from_ics

BERLIN = ZoneInfo("Europe/Berlin")


def event(tzid: str) -> str:
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//test//EN",
        "BEGIN:VEVENT",
        "UID:1@test",
        "SUMMARY:Review",
        f"DTSTART;TZID={tzid}:20270315T100000",
        f"DTEND;TZID={tzid}:20270315T110000",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "\r\n".join(lines) + "\r\n"


def test_a_known_zone_is_kept() -> None:
    draft = draft_from_ics(event("America/New_York"), BERLIN)
    assert draft.timezone == "America/New_York" and draft.start.hour == 10 and draft.title == "Review"


@pytest.mark.parametrize("tzid", ["America", "Europe"])
def test_a_tzid_naming_a_folder_of_the_zone_database_is_an_ics_error(tzid: str) -> None:
    """Regression: icalendar looked the TZID up with ZoneInfo, which raised IsADirectoryError (an OSError), not the
    IcsError the function promises."""
    with pytest.raises(IcsError):
        draft_from_ics(event(tzid), BERLIN)
