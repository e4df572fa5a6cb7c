"""Which days a calendar page shows, and where each occurrence falls on them, in the zone the calendar shows.

Date arithmetic through dateutil's ``relativedelta`` and ``zoneinfo``: a day's bounds are its local midnights, so a
day with a daylight-saving change is 23 or 25 hours long and a meeting keeps its wall-clock place on it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta, weekday

from nimeet_desktop.net.schedule_api import Occurrence

MONTH_WEEKS = 6  # a month page always shows six weeks: its height does not jump from month to month


def week_start(day: dt.date, first_weekday: int) -> dt.date:
    """The first day of ``day``'s week (``first_weekday``: 0 = Monday … 6 = Sunday)."""
    result: dt.date = day + relativedelta(weekday=weekday(first_weekday)(-1))
    return result


def month_days(anchor: dt.date, first_weekday: int) -> list[dt.date]:
    """The six weeks a month page shows: from the start of the week of the month's first day."""
    first = week_start(anchor + relativedelta(day=1), first_weekday)
    return [first + relativedelta(days=i) for i in range(7 * MONTH_WEEKS)]


def week_days(anchor: dt.date, first_weekday: int) -> list[dt.date]:
    first = week_start(anchor, first_weekday)
    return [first + relativedelta(days=i) for i in range(7)]


def day_bounds(day: dt.date, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """``day``'s local midnight and the next one, aware in ``zone``."""
    start = dt.datetime.combine(day, dt.time(0), zone)
    end = dt.datetime.combine(day + relativedelta(days=1), dt.time(0), zone)
    return start, end


def span(days: list[dt.date], zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """The instants from the first day's local midnight to the one after the last day: what to ask the server for."""
    return day_bounds(days[0], zone)[0], day_bounds(days[-1], zone)[1]


@dataclass(frozen=True)
class Piece:
    """The part of an occurrence on one day, in wall-clock minutes from that day's midnight (0–1440)."""

    occurrence: Occurrence
    day: dt.date
    start_minute: int
    end_minute: int
    lane: int = 0
    lanes: int = 1


def _minute(moment: dt.datetime) -> int:
    return moment.hour * 60 + moment.minute


def pieces_on(day: dt.date, occurrences: Iterable[Occurrence], zone: ZoneInfo) -> list[Piece]:
    """The occurrences that overlap ``day`` (local), each cut to the day, side by side where they overlap each other
    (``lane`` of ``lanes``), earliest first."""
    start_of_day, end_of_day = day_bounds(day, zone)
    found: list[Piece] = []
    for occurrence in occurrences:
        if occurrence.end <= start_of_day or occurrence.start >= end_of_day:
            continue
        local_start = occurrence.start.astimezone(zone)
        local_end = occurrence.end.astimezone(zone)
        first = _minute(local_start) if local_start.date() == day else 0
        last = _minute(local_end) if local_end.date() == day else 24 * 60
        found.append(Piece(occurrence, day, first, max(last, first + 1)))
    found.sort(key=lambda p: (p.start_minute, -p.end_minute, p.occurrence.title))
    return _lanes(found)


def _lanes(pieces: list[Piece]) -> list[Piece]:
    """Overlapping pieces side by side: each takes the first lane free at its start; a cluster of pieces that overlap
    one another shares its number of lanes."""
    result: list[Piece] = []
    cluster: list[Piece] = []
    lane_ends: list[int] = []
    cluster_end = -1

    def close() -> None:
        result.extend(Piece(p.occurrence, p.day, p.start_minute, p.end_minute, p.lane, len(lane_ends)) for p in cluster)

    for piece in pieces:
        if piece.start_minute >= cluster_end and cluster:
            close()
            cluster, lane_ends = [], []
        lane = next((i for i, end in enumerate(lane_ends) if end <= piece.start_minute), len(lane_ends))
        if lane == len(lane_ends):
            lane_ends.append(piece.end_minute)
        else:
            lane_ends[lane] = piece.end_minute
        cluster.append(Piece(piece.occurrence, piece.day, piece.start_minute, piece.end_minute, lane))
        cluster_end = max(cluster_end, piece.end_minute)
    if cluster:
        close()
    return result
