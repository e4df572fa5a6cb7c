"""The user's time zone as an IANA name and a ``ZoneInfo``: what the calendar shows times in and what a new meeting's
recurrence is expanded in (``timezone`` in the contract). The calendar's widgets take the zone as a parameter, so a
test can show Europe/Berlin whatever the machine's zone is."""

from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from PySide6.QtCore import QDate, QLocale, QTime, QTimeZone

logger = logging.getLogger(__name__)


def local_zone() -> ZoneInfo:
    """The system's zone (Qt reads it from the OS on every platform), or UTC when it has no IANA name here."""
    name = bytes(QTimeZone.systemTimeZoneId().data()).decode("ascii", "replace")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name that is a folder of the database
        logger.info("the system's time zone %r has no IANA entry here: showing UTC", name)
        return ZoneInfo("UTC")


def at(day: dt.date, time: dt.time, zone: ZoneInfo) -> dt.datetime:
    """``time`` on ``day`` in ``zone``, aware (zoneinfo picks the offset, DST included)."""
    return dt.datetime.combine(day, time, zone)


def qdate(day: dt.date) -> QDate:
    return QDate(day.year, day.month, day.day)


def qtime(time: dt.time) -> QTime:
    return QTime(time.hour, time.minute)


def time_text(moment: dt.datetime, zone: ZoneInfo) -> str:
    """A time of day as the UI language writes it (``14:30``, ``2:30 PM``), in ``zone``."""
    local = moment.astimezone(zone)
    return QLocale().toString(qtime(local.time()), QLocale.FormatType.ShortFormat)


def day_text(day: dt.date) -> str:
    """A day in a calendar's heading: short weekday, day and month in the UI language ("Thu 3 Dec", "чт 3 дек.")."""
    return QLocale().toString(qdate(day), "ddd d MMM")


def date_text(day: dt.date, long: bool = False) -> str:
    """A date as the UI language writes it (Russian month and day names in a Russian UI)."""
    kind = QLocale.FormatType.LongFormat if long else QLocale.FormatType.ShortFormat
    return QLocale().toString(qdate(day), kind)
