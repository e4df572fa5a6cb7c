"""Time spent in meetings, per calendar day of a time zone: the arithmetic behind ``/api/stats``.

Days are the zone's calendar days (``zoneinfo`` gives a day of 23 or 25 hours where daylight saving changes), and a
stay that crosses midnight counts in each day for the part of it that falls there. One person's overlapping stays
(two devices in one meeting) count once: time is the union of the stays, not their sum.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

Interval = tuple[datetime, datetime]


def last_days(now: datetime, zone: ZoneInfo, count: int) -> list[date]:
    """The ``count`` calendar days in ``zone`` that end with today, oldest first."""
    today = now.astimezone(zone).date()
    return [today - timedelta(days=back) for back in range(count - 1, -1, -1)]


def day_bounds(day: date, zone: ZoneInfo) -> Interval:
    """Local midnight to the next local midnight, in UTC."""
    start = datetime.combine(day, time(), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(), tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def union(intervals: Iterable[Interval]) -> list[Interval]:
    """Overlapping or touching intervals merged, in order."""
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def seconds_per_day(intervals: Iterable[Interval], days: list[date], zone: ZoneInfo) -> list[float]:
    """Seconds of the union of ``intervals`` that fall on each of ``days``."""
    merged = union(intervals)
    totals: list[float] = []
    for day in days:
        day_start, day_end = day_bounds(day, zone)
        seconds = 0.0
        for start, end in merged:
            overlap = (min(end, day_end) - max(start, day_start)).total_seconds()
            if overlap > 0:
                seconds += overlap
        totals.append(seconds)
    return totals


def sessions_per_day(stays: Iterable[tuple[object, Interval]], days: list[date], zone: ZoneInfo) -> list[int]:
    """How many distinct sessions (``stays``: (session key, interval)) have time on each of ``days``."""
    bounds = [day_bounds(day, zone) for day in days]
    keys: list[set[object]] = [set() for _ in days]
    for key, (start, end) in stays:
        for index, (day_start, day_end) in enumerate(bounds):
            if start < day_end and end > day_start:
                keys[index].add(key)
    return [len(found) for found in keys]


def whole_minutes(seconds: float) -> int:
    """Rounded to the nearest minute, half a minute up: a 40-second call is one minute, a 20-second one none."""
    return int((seconds + 30) // 60)


def peak_concurrent(intervals: Iterable[Interval]) -> int:
    """The most intervals open at one moment; one that ends as another begins does not overlap it."""
    moments: list[tuple[datetime, int]] = []
    for start, end in intervals:
        if end > start:
            moments += [(start, 1), (end, -1)]
    moments.sort()  # at one moment -1 sorts before +1
    peak = current = 0
    for _, step in moments:
        current += step
        peak = max(peak, current)
    return peak
