"""The recurrence module on its own: the contract's rules for an RRULE, expansion in the meeting's zone across
daylight-saving changes, bounded windows, and overlaps between two series."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from signaling_server.scheduling.recurrence import (
    MAX_OCCURRENCES,
    RecurrenceError,
    Series,
    first_overlap,
    parse,
    zone,
)

BERLIN, MOSCOW = zone("Europe/Berlin"), zone("Europe/Moscow")
# Monday 15 March 2027, 10:00 in Berlin (CET, UTC+1); Berlin moves to CEST (UTC+2) on Sunday 28 March 2027.
START = datetime(2027, 3, 15, 10, 0, tzinfo=BERLIN)
HOUR = timedelta(hours=1)


def test_a_weekly_meeting_stays_at_ten_local_across_the_clock_change() -> None:
    series = Series(START, START + HOUR, BERLIN, parse("FREQ=WEEKLY;COUNT=4", START, BERLIN))
    got = list(series.between(datetime(2027, 1, 1, tzinfo=UTC), datetime(2028, 1, 1, tzinfo=UTC)))
    assert [(s.isoformat(), e.isoformat()) for s, e in got] == [
        ("2027-03-15T10:00:00+01:00", "2027-03-15T11:00:00+01:00"),
        ("2027-03-22T10:00:00+01:00", "2027-03-22T11:00:00+01:00"),
        ("2027-03-29T10:00:00+02:00", "2027-03-29T11:00:00+02:00"),
        ("2027-04-05T10:00:00+02:00", "2027-04-05T11:00:00+02:00"),
    ]
    # In UTC the meeting moved an hour earlier: that is what keeping the local time means.
    assert [s.astimezone(UTC).hour for s, _ in got] == [9, 9, 8, 8]
    assert series.last_end() == datetime(2027, 4, 5, 9, 0, tzinfo=UTC)


def test_moscow_has_no_clock_change_and_stays_at_ten_too() -> None:
    start = datetime(2027, 3, 15, 10, 0, tzinfo=MOSCOW)
    series = Series(start, start + HOUR, MOSCOW, parse("FREQ=WEEKLY;COUNT=4", start, MOSCOW))
    got = [s for s, _ in series.between(start, start + timedelta(days=60))]
    assert [(s.hour, s.utcoffset()) for s in got] == [(10, timedelta(hours=3))] * 4


def test_until_in_utc_is_inclusive_and_a_floating_until_is_refused() -> None:
    rule = parse("RRULE:FREQ=WEEKLY;UNTIL=20270329T080000Z", START, BERLIN)
    assert rule == "FREQ=WEEKLY;UNTIL=20270329T080000Z"  # the prefix is dropped
    series = Series(START, START + HOUR, BERLIN, rule)
    assert len(list(series.between(START, START + timedelta(days=365)))) == 3
    # RFC 5545: with a DTSTART in a zone, UNTIL is UTC; dateutil refuses the other forms, and so do we.
    for floating in ("FREQ=WEEKLY;UNTIL=20270329T100000", "FREQ=WEEKLY;UNTIL=20270329"):
        with pytest.raises(RecurrenceError, match="UTC"):
            parse(floating, START, BERLIN)


@pytest.mark.parametrize(
    ("rule", "why"),
    [
        ("FREQ=HOURLY;COUNT=3", "FREQ"),
        ("FREQ=YEARLY;COUNT=3", "FREQ"),
        ("FREQ=DAILY;COUNT=501", "COUNT"),
        ("FREQ=DAILY;COUNT=0", "COUNT"),
        ("FREQ=DAILY", "must end"),
        ("FREQ=DAILY;UNTIL=20290315T090001Z", "2 years"),  # two years and one second after the start
        ("FREQ=DAILY;UNTIL=20290316T090000Z", "2 years"),  # two years and a day
        ("FREQ=DAILY;COUNT=3;UNTIL=20270401T000000Z", "both"),
        ("FREQ=WEEKLY;BYDAY=TU;COUNT=3", "first occurrence"),  # 15 March 2027 is a Monday
        ("FREQ=DAILY;UNTIL=20270301T000000Z", "no occurrence"),
        ("FREQ=DAILY;COUNT=3\nEXDATE:20270316T090000Z", "one RRULE"),
        ("DTSTART:20270101T000000Z", "one RRULE"),
        ("FREQ=WEEKLY;BYDAY=XX;COUNT=2", "BYDAY"),
        ("FREQ=DAILY;COUNT=2;COUNT=3", "twice"),
        ("FREQ=DAILY;NOPE=1;COUNT=2", "NOPE"),
        ("not a rule", "NAME=VALUE"),
        ("", "one RRULE"),
    ],
)
def test_rules_the_contract_refuses(rule: str, why: str) -> None:
    with pytest.raises(RecurrenceError, match=why):
        parse(rule, START, BERLIN)


def test_the_limits_themselves_are_accepted() -> None:
    assert parse("FREQ=DAILY;COUNT=500", START, BERLIN) == "FREQ=DAILY;COUNT=500"
    assert parse("FREQ=DAILY;UNTIL=20290315T090000Z", START, BERLIN)  # exactly two years
    assert parse("freq=monthly;count=12", START, BERLIN)


def test_a_series_of_more_occurrences_than_the_cap_is_refused() -> None:
    midnight = datetime(2027, 3, 15, 0, 0, tzinfo=BERLIN)
    hours = ",".join(str(h) for h in range(24))
    with pytest.raises(RecurrenceError, match=str(MAX_OCCURRENCES)):
        parse(f"FREQ=DAILY;BYHOUR={hours};UNTIL=20280101T000000Z", midnight, BERLIN)


def test_a_window_expands_only_what_it_needs() -> None:
    series = Series(START, START + HOUR, BERLIN, parse("FREQ=DAILY;COUNT=500", START, BERLIN))
    window = list(series.between(datetime(2027, 6, 1, tzinfo=UTC), datetime(2027, 6, 3, tzinfo=UTC)))
    assert [s.date().isoformat() for s, _ in window] == ["2027-06-01", "2027-06-02"]
    # An occurrence that ends exactly where the window starts is not in it; one that starts before and ends in it is.
    first_end = START + HOUR
    assert list(series.between(first_end, first_end + timedelta(minutes=1))) == []
    assert [s for s, _ in series.between(START + timedelta(minutes=30), first_end)] == [START]


def test_zone_names_are_iana_names_only() -> None:
    assert zone("UTC").key == "UTC" and zone("America/New_York").key == "America/New_York"
    for bad in ("CEST", "Mars/Olympus", "../../etc/passwd", "europe/berlin", ""):
        with pytest.raises(ValueError, match="IANA"):
            zone(bad)


def test_overlaps_between_series() -> None:
    weekly = Series(START, START + HOUR, BERLIN, parse("FREQ=WEEKLY;COUNT=10", START, BERLIN))
    # Daily at 11:00 Berlin: touches the weekly one (end == start) every Monday, never overlaps.
    eleven = START + HOUR
    daily = Series(eleven, eleven + HOUR, BERLIN, parse("FREQ=DAILY;COUNT=60", eleven, BERLIN))
    assert first_overlap(weekly, daily) is None and first_overlap(daily, weekly) is None
    # Daily at 10:30 UTC-fixed (a UTC meeting): 11:30 Berlin in winter, 12:30 in summer: no overlap either.
    utc_start = datetime(2027, 3, 16, 9, 30, tzinfo=UTC)
    utc_daily = Series(utc_start, utc_start + HOUR, zone("UTC"), "FREQ=DAILY;COUNT=60")
    assert first_overlap(weekly, utc_daily) is not None  # 09:30 UTC is 10:30 Berlin in winter
    summer = datetime(2027, 3, 29, 9, 30, tzinfo=UTC)  # 11:30 Berlin in summer: after the weekly one
    assert first_overlap(weekly, Series(summer, summer + HOUR, zone("UTC"), "FREQ=DAILY;COUNT=60")) is None
    # Recurring vs recurring: a fortnightly Monday 10:30–11:30 series starting in week 5 overlaps week 5.
    week5 = START + timedelta(weeks=4, minutes=30)
    fortnightly = Series(week5, week5 + HOUR, BERLIN, parse("FREQ=WEEKLY;INTERVAL=2;COUNT=3", week5, BERLIN))
    hit = first_overlap(fortnightly, weekly)
    assert hit is not None and hit[0] == week5
    # A one-off after the weekly series ended does not.
    later = START + timedelta(weeks=20)
    assert first_overlap(Series(later, later + HOUR, BERLIN, None), weekly) is None
