"""A meeting's "repeat" choice and the RFC 5545 RRULE that says it, both ways.

Written with icalendar's ``vRecur`` (it writes UNTIL in UTC with its ``Z``, as RFC 5545 wants beside a DTSTART with a
TZID, which dateutil's own ``str()`` does not) and checked with dateutil's ``rrulestr`` against the meeting's real
start, which is what the server expands it with. Read back (editing a meeting, importing an ``.ics``) with ``vRecur``
too. No Qt here: the dialog shows and collects the choice.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field
from typing import Final

from dateutil import rrule
from icalendar.prop import vRecur

__all__ = ["MAX_COUNT", "MAX_UNTIL_DAYS", "RecurrenceError", "Repeat", "RepeatRule", "parse_rrule", "to_rrule"]

# The contract's limits: a recurrence ends after at most 500 times, or within 2 years.
MAX_COUNT: Final = 500
MAX_UNTIL_DAYS: Final = 2 * 366

# RFC 5545 weekday codes, Monday first (Python's ``date.weekday()`` numbering).
WEEKDAY_CODES: Final = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


class Repeat(enum.StrEnum):
    NONE = "none"
    DAILY = "DAILY"
    WEEKLY = "WEEKLY"
    MONTHLY = "MONTHLY"


class RecurrenceError(ValueError):
    """A rule this app cannot show or the server would refuse; ``reason`` says which part."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class RepeatRule:
    """``weekdays``: 0 = Monday … 6 = Sunday (weekly only; empty means the start's weekday). Exactly one of ``count``
    and ``until`` for a repeating meeting: the contract wants every recurrence to end. ``until``: the last day (in the
    meeting's zone) an occurrence may start on."""

    repeat: Repeat = Repeat.NONE
    weekdays: frozenset[int] = field(default_factory=frozenset)
    count: int | None = None
    until: dt.date | None = None


def to_rrule(rule: RepeatRule, start: dt.datetime) -> str | None:
    """The RRULE value (without ``RRULE:``) for ``rule`` starting at ``start`` (aware, in the meeting's zone); None
    for no repetition. Raises RecurrenceError for a rule that does not end or ends too late."""
    if rule.repeat is Repeat.NONE:
        return None
    if start.tzinfo is None:
        raise ValueError("a meeting's start carries its zone")
    parts: dict[str, object] = {"FREQ": rule.repeat.value}
    if rule.repeat is Repeat.WEEKLY:
        days = sorted(rule.weekdays) or [start.weekday()]
        parts["BYDAY"] = [WEEKDAY_CODES[day] for day in days]
    if rule.count is not None and rule.until is None:
        if not 1 <= rule.count <= MAX_COUNT:
            raise RecurrenceError("count")
        parts["COUNT"] = rule.count
    elif rule.until is not None and rule.count is None:
        if rule.until < start.date():
            raise RecurrenceError("until")
        # The end of that day in the meeting's zone, written in UTC (RFC 5545 §3.3.10 beside a TZID).
        last = dt.datetime.combine(rule.until, dt.time(23, 59, 59), start.tzinfo)
        if last - start > dt.timedelta(days=MAX_UNTIL_DAYS):
            raise RecurrenceError("until")
        parts["UNTIL"] = last.astimezone(dt.UTC)
    else:
        raise RecurrenceError("end")
    text: str = vRecur(parts).to_ical().decode("ascii")  # type: ignore[no-untyped-call]
    check(text, start)
    return text


def check(text: str, start: dt.datetime) -> None:
    """RecurrenceError unless dateutil expands ``text`` from ``start`` into occurrences, ``start`` the first."""
    try:
        expanded = rrule.rrulestr(text, dtstart=start)
        first = next(iter(expanded), None)
    except (ValueError, TypeError, OverflowError):
        raise RecurrenceError("rule") from None
    if first is None:
        raise RecurrenceError("rule")
    if first != start:  # the server wants the meeting's start to be the first occurrence (a weekly on other days)
        raise RecurrenceError("start")


def parse_rrule(text: str | None, zone: dt.tzinfo) -> RepeatRule:
    """The choice a stored or imported RRULE stands for. RecurrenceError for what the dialog cannot show (another
    FREQ, an INTERVAL, BYMONTHDAY…): the caller says so rather than silently changing the meeting."""
    if not text:
        return RepeatRule()
    try:
        parts = vRecur.from_ical(text.removeprefix("RRULE:"))
    except (ValueError, TypeError):
        raise RecurrenceError("rule") from None
    known = {"FREQ", "BYDAY", "COUNT", "UNTIL", "WKST"}
    if set(parts) - known or parts.get("INTERVAL", [1]) != [1]:
        raise RecurrenceError("rule")
    freq = (parts.get("FREQ") or [""])[0]
    try:
        repeat = Repeat(freq)
    except ValueError:
        raise RecurrenceError("freq") from None
    weekdays: set[int] = set()
    for code in parts.get("BYDAY", []):
        if repeat is not Repeat.WEEKLY or code not in WEEKDAY_CODES:
            raise RecurrenceError("byday")  # "1MO" (the first Monday) and the like: not a choice the dialog has
        weekdays.add(WEEKDAY_CODES.index(code))
    count = parts.get("COUNT", [None])[0]
    until_value = parts.get("UNTIL", [None])[0]
    until: dt.date | None = None
    if isinstance(until_value, dt.datetime):
        until = (until_value.astimezone(zone) if until_value.tzinfo else until_value).date()
    elif isinstance(until_value, dt.date):
        until = until_value
    return RepeatRule(repeat, frozenset(weekdays), int(count) if count is not None else None, until)
