"""RFC 5545 recurrence of a scheduled meeting, expanded in the meeting's own IANA time zone.

The rule is expanded by ``dateutil.rrule`` from the first occurrence's *local* start, a datetime aware in the
meeting's ``zoneinfo`` zone: dateutil keeps the wall-clock time and the zone computes each date's offset, so a weekly
10:00 Europe/Berlin meeting is at 10:00 local on both sides of a daylight-saving change (09:00 UTC in winter, 08:00
UTC in summer). With an aware DTSTART, dateutil (as RFC
5545 says for a DTSTART with TZID) requires UNTIL in UTC (``…Z``): a floating or date-only UNTIL is refused.

Every series ends (COUNT ≤ 500, or UNTIL within two years of the start) and has at most ``MAX_OCCURRENCES``
occurrences, so any expansion here is bounded; a window expansion stops at the window's end.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from dateutil import parser as date_parser
from dateutil.relativedelta import relativedelta
from dateutil.rrule import rrule, rrulestr

FREQUENCIES = frozenset({"DAILY", "WEEKLY", "MONTHLY"})
MAX_COUNT = 500
MAX_SPAN = relativedelta(years=2)
# Whatever way a series ends: a DAILY rule until two years on has 731 occurrences; more than this takes BYHOUR or
# BYMINUTE tricks, which would make one meeting thousands of rows in a calendar.
MAX_OCCURRENCES = 1000
MAX_DURATION = timedelta(hours=24)


class RecurrenceError(ValueError):
    """The rule is not one the contract accepts; the message says why, in words a form can show."""


@cache
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


def zone(name: str) -> ZoneInfo:
    """The IANA zone of that name; ValueError for anything else (a path, an abbreviation such as ``CEST``)."""
    if name != "UTC" and name not in _zone_names():
        raise ValueError(f"{name!r} is not an IANA time zone name")
    return ZoneInfo(name)


def normalise(text: str) -> str:
    """The rule as stored: one line, without an ``RRULE:`` prefix."""
    rule = text.strip()
    if rule[:6].upper() == "RRULE:":
        rule = rule[6:]
    return rule


def _parts(rule: str) -> dict[str, str]:
    parts: dict[str, str] = {}
    for part in rule.split(";"):
        name, sep, value = part.partition("=")
        if not sep or not name or not value:
            raise RecurrenceError(f"recurrence: {part!r} is not NAME=VALUE")
        name = name.strip().upper()
        if name in parts:
            raise RecurrenceError(f"recurrence: {name} is given twice")
        parts[name] = value.strip()
    return parts


def _build(rule: str, local_start: datetime) -> rrule:
    try:
        with warnings.catch_warnings():
            # dateutil only warns (deprecated) about COUNT with UNTIL; the contract refuses it (checked before).
            warnings.simplefilter("error")
            parsed = rrulestr(rule, dtstart=local_start)
    except (ValueError, TypeError, DeprecationWarning) as exc:
        raise RecurrenceError(f"recurrence: {exc}") from None
    if not isinstance(parsed, rrule):  # a set (EXDATE, RDATE) is not one RRULE
        raise RecurrenceError("recurrence: must be one RRULE")
    return parsed


def parse(text: str, start: datetime, tz: ZoneInfo) -> str:
    """Check ``text`` against the contract for a meeting first starting at ``start``; the rule as stored.

    Raises RecurrenceError: not an RRULE dateutil parses, a FREQ other than DAILY, WEEKLY, MONTHLY, no end (COUNT
    or UNTIL), COUNT over 500, UNTIL more than two years after the start, more than ``MAX_OCCURRENCES`` occurrences,
    or a first occurrence that is not ``start`` (RFC 5545 counts DTSTART as one; calendars differ when it does not
    match the rule, so the server refuses the mismatch rather than guess)."""
    rule = normalise(text)
    if not rule or any(c in rule for c in "\r\n:"):
        raise RecurrenceError("recurrence: must be one RRULE line such as FREQ=WEEKLY;COUNT=10")
    parts = _parts(rule)
    if "DTSTART" in parts:
        raise RecurrenceError("recurrence: DTSTART is the meeting's start, not part of the rule")
    freq = parts.get("FREQ", "").upper()
    if freq not in FREQUENCIES:
        raise RecurrenceError("recurrence: FREQ must be DAILY, WEEKLY or MONTHLY")
    if "COUNT" in parts and "UNTIL" in parts:
        raise RecurrenceError("recurrence: COUNT and UNTIL must not both be given")
    local_start = start.astimezone(tz)
    if "COUNT" in parts:
        if not parts["COUNT"].isdigit() or not 1 <= int(parts["COUNT"]) <= MAX_COUNT:
            raise RecurrenceError(f"recurrence: COUNT must be 1–{MAX_COUNT}")
    elif "UNTIL" in parts:
        try:
            until = date_parser.parse(parts["UNTIL"])
        except (ValueError, OverflowError):
            raise RecurrenceError("recurrence: UNTIL is not a date-time") from None
        if until.tzinfo is not None and until > local_start + MAX_SPAN:
            raise RecurrenceError("recurrence: UNTIL must be within 2 years of the start")
    else:
        raise RecurrenceError("recurrence: must end (COUNT or UNTIL)")
    parsed = _build(rule, local_start)
    first = next(iter(parsed), None)
    if first is None:
        raise RecurrenceError("recurrence: the rule has no occurrence")
    if first != local_start:
        raise RecurrenceError("recurrence: the meeting's start must be the rule's first occurrence")
    if sum(1 for _ in zip(parsed, range(MAX_OCCURRENCES + 1), strict=False)) > MAX_OCCURRENCES:
        raise RecurrenceError(f"recurrence: more than {MAX_OCCURRENCES} occurrences")
    return rule


@dataclass(frozen=True)
class Series:
    """A meeting's occurrences: the first one (``start``, ``end``, any zone), its zone and rule (already parsed)."""

    start: datetime
    end: datetime
    tz: ZoneInfo
    rule: str | None

    @property
    def duration(self) -> timedelta:
        return self.end - self.start

    def _starts(self) -> Iterator[datetime]:
        local_start = self.start.astimezone(self.tz)
        if self.rule is None:
            yield local_start
            return
        # Bounded: every stored rule was checked by ``parse`` (at most MAX_OCCURRENCES).
        yield from _build(self.rule, local_start)

    def _occurrence(self, local_start: datetime) -> tuple[datetime, datetime]:
        # The length is kept in real time (UTC), so a meeting over a clock change still lasts what it lasts.
        end = (local_start.astimezone(UTC) + self.duration).astimezone(self.tz)
        return local_start, end

    def between(self, window_from: datetime, window_to: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Occurrences overlapping ``[window_from, window_to)``, in order, as (start, end) aware in the meeting's
        zone. An occurrence that ends exactly at ``window_from`` does not overlap it."""
        for local_start in self._starts():
            if local_start >= window_to:
                return
            start, end = self._occurrence(local_start)
            if end > window_from:
                yield start, end

    def last_end(self) -> datetime:
        """The end of the last occurrence (UTC)."""
        last = self.start.astimezone(self.tz)
        for last in self._starts():  # noqa: B007 (the loop finds the last one)
            pass
        return self._occurrence(last)[1].astimezone(UTC)


def first_overlap(a: Series, b: Series) -> tuple[datetime, datetime] | None:
    """The first occurrence of ``a`` that overlaps an occurrence of ``b`` (touching, end == start, is not an overlap),
    or None. Both series are expanded only over the span they share, and walked together once."""
    window_from = max(a.start, b.start)
    window_to = min(a.last_end(), b.last_end())
    if window_from >= window_to:
        return None
    theirs = b.between(window_from, window_to)
    other = next(theirs, None)
    for start, end in a.between(window_from, window_to):
        # Skip b's occurrences that end before this one starts: they cannot overlap this or any later one of a.
        while other is not None and other[1] <= start:
            other = next(theirs, None)
        if other is None:
            return None
        if other[0] < end:
            return start, end
    return None
