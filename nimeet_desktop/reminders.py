"""Reminders of scheduled meetings while the app runs (issue 15), Qt-free: which occurrence to remind of, and when.

The lead: a meeting's own ``reminderMinutes`` when it sets one, else the person's preference (``reminder_minutes``,
synced with the account), read at each check so a change in the settings counts at once; None on both: no reminder.
(The server's reminder email follows the meeting's value only: the desktop reminder is the person's, and a meeting
that says nothing gets the one they asked for.)

Meetings the person declined are not reminded of; invitations not answered yet are (they may come).

Each occurrence (a meeting id and a start) is reminded once per run of the app, from ``start - lead`` until it
starts; one whose reminder time passed while the computer slept is reminded when it wakes, if it has not started yet.
Clocks: a laptop's lid stops monotonic clocks and timers with it, so nothing waits for one long timer; the service
looks at the wall clock every ``CHECK_S`` (sooner when a reminder falls due sooner) and fetches the occurrences again
every ``REFRESH_S`` of wall-clock time, after each sign-in and when asked (``refresh_now``, after a meeting is
scheduled or changed here).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import enum
import logging
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Final, Protocol

from nimeet_desktop.net.rest import ApiError, RestError
from nimeet_desktop.net.schedule_api import Meeting, Occurrence
from nimeet_desktop.task_set import TaskSet

logger = logging.getLogger(__name__)

CHECK_S: Final = 20.0  # the longest wait between two looks at the wall clock
REFRESH_S: Final = 300.0  # wall-clock seconds between two fetches of the occurrences
RETRY_S: Final = 60.0  # after a failed fetch
# How far ahead occurrences are fetched: the longest lead the contract allows (a week), and a day more.
HORIZON: Final = dt.timedelta(days=8)

Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def lead_minutes(meeting_minutes: int | None, preference: int | None) -> int | None:
    """Minutes before an occurrence to remind of it: the meeting's own, else the person's; None: not at all."""
    return meeting_minutes if meeting_minutes is not None else preference


@dataclass(frozen=True)
class Planned:
    """An occurrence and its meeting's own reminder minutes (None: the meeting sets none)."""

    occurrence: Occurrence
    meeting_minutes: int | None

    @property
    def key(self) -> tuple[str, dt.datetime]:
        return (self.occurrence.meeting_id, self.occurrence.start)


@dataclass(frozen=True)
class Reminder:
    occurrence: Occurrence
    lead_minutes: int  # the lead it was planned with

    def minutes_left(self, now: dt.datetime) -> int:
        """Whole minutes until the start, rounded up (so "in 5 minutes" at 4 min 59 s, and 0 only once it starts)."""
        seconds = (self.occurrence.start - now).total_seconds()
        return max(0, math.ceil(seconds / 60))


class ReminderPlanner:
    """Pure: the occurrences known now, and which are due at a given time. Reminded ones are remembered across
    ``plan`` (a refresh), by meeting id and start, for as long as the planner lives (one run of the app)."""

    def __init__(self) -> None:
        self._planned: list[Planned] = []
        self._reminded: set[tuple[str, dt.datetime]] = set()

    @property
    def planned(self) -> list[Planned]:
        return list(self._planned)

    def plan(self, planned: Iterable[Planned]) -> None:
        self._planned = sorted(planned, key=lambda p: p.occurrence.start)

    def _at(self, planned: Planned, preference: int | None) -> dt.datetime | None:
        lead = lead_minutes(planned.meeting_minutes, preference)
        if lead is None:
            return None
        return planned.occurrence.start - dt.timedelta(minutes=lead)

    def due(self, now: dt.datetime, preference: int | None) -> list[Reminder]:
        """The reminders due at ``now`` (their time has come, the occurrence has not started), each once."""
        due: list[Reminder] = []
        for planned in self._planned:
            at = self._at(planned, preference)
            if at is None or planned.key in self._reminded:
                continue
            if at <= now < planned.occurrence.start:
                self._reminded.add(planned.key)
                lead = lead_minutes(planned.meeting_minutes, preference)
                assert lead is not None
                due.append(Reminder(planned.occurrence, lead))
        return due

    def next_at(self, now: dt.datetime, preference: int | None) -> dt.datetime | None:
        """When the next reminder not given yet falls due (after ``now``), if any."""
        times = [
            at
            for planned in self._planned
            if planned.key not in self._reminded
            and (at := self._at(planned, preference)) is not None
            and at > now
            and now < planned.occurrence.start
        ]
        return min(times, default=None)


class ScheduleSource(Protocol):
    """What the service needs of ``ScheduleApi``."""

    async def occurrences(self, start: dt.datetime, end: dt.datetime) -> list[Occurrence]: ...

    async def get(self, meeting_id: str) -> Meeting: ...


class ServiceState(enum.Enum):
    OFF = "off"
    RUNNING = "running"
    UNSUPPORTED = "unsupported"  # the server has no scheduling (v1: 404)


class ReminderService:
    """Fetches the signed-in person's occurrences and calls ``on_due`` for each reminder when it falls due.

    ``preference()`` is the person's reminder minutes now; ``clock`` the wall clock (a test moves it and calls
    ``check``)."""

    def __init__(
        self,
        preference: Callable[[], int | None],
        *,
        clock: Clock = utc_now,
        check_s: float = CHECK_S,
        refresh_s: float = REFRESH_S,
    ) -> None:
        self.preference = preference
        self.clock = clock
        self.check_s = check_s
        self.refresh_s = refresh_s
        self.on_due: Callable[[Reminder], None] | None = None
        self.on_stop: Callable[[], None] | None = None  # the account's reminders are no longer for whoever is here
        self.planner = ReminderPlanner()
        self.state = ServiceState.OFF
        self.refreshes = 0  # fetches that succeeded (tests wait for one)
        self._source: ScheduleSource | None = None
        self._user_id: str | None = None  # whose answers to invitations count
        self._next_refresh: dt.datetime | None = None
        self._wake = asyncio.Event()
        self._tasks = TaskSet("reminders", log=logger)
        self._runner: asyncio.Task[None] | None = None

    def start(self, source: ScheduleSource, user_id: str | None = None) -> None:
        """Remind of ``source``'s meetings (a sign-in of ``user_id``); a refresh at once."""
        self._halt()
        self._source = source
        self._user_id = user_id
        self._next_refresh = None
        self._wake = asyncio.Event()
        self.state = ServiceState.RUNNING
        self._runner = self._tasks.spawn(self._run(source), name="loop")
        if self._runner is None:
            self.state = ServiceState.OFF

    def stop(self) -> None:
        """Signed out, or another server: forget its meetings (what was reminded stays reminded), and the reminders
        shown go (``on_stop``)."""
        self._halt()
        if self.on_stop is not None:
            self.on_stop()

    def _halt(self) -> None:
        self._source = None
        self.planner.plan(())
        runner, self._runner = self._runner, None
        if runner is not None:
            runner.cancel()
        self.state = ServiceState.OFF

    def refresh_now(self) -> None:
        """Fetch the occurrences again now (a meeting was scheduled or changed here)."""
        self._next_refresh = None
        self._wake.set()

    async def close(self) -> None:
        self._halt()  # the app is closing: nothing shown needs taking away
        await self._tasks.close()

    def check(self) -> list[Reminder]:
        """Tell ``on_due`` of every reminder due now; the reminders told."""
        due = self.planner.due(self.clock(), self.preference())
        for reminder in due:
            logger.info("reminder of a meeting %d minutes before it", reminder.lead_minutes)
            if self.on_due is not None:
                try:
                    self.on_due(reminder)
                except Exception:  # one reminder's failure must not stop the next ones
                    logger.exception("showing a reminder failed")
        return due

    async def refresh(self, source: ScheduleSource) -> None:
        """Fetch the occurrences of the next ``HORIZON`` and each meeting's own reminder minutes."""
        now = self.clock()
        occurrences = [o for o in await source.occurrences(now, now + HORIZON) if o.start > now]
        minutes: dict[str, int | None] = {}
        for meeting_id in dict.fromkeys(o.meeting_id for o in occurrences):
            try:
                meeting = await source.get(meeting_id)
            except ApiError as exc:
                if exc.status != 404:  # a 404: gone since the list (cancelled, uninvited): no reminder
                    raise
                continue
            attendee = meeting.attendee(self._user_id)
            if attendee is None or attendee.response != "declined":
                minutes[meeting_id] = meeting.reminder_minutes
        self.planner.plan(Planned(o, minutes[o.meeting_id]) for o in occurrences if o.meeting_id in minutes)
        self.refreshes += 1

    async def _run(self, source: ScheduleSource) -> None:
        while True:
            self._wake.clear()
            now = self.clock()
            if self._next_refresh is None or now >= self._next_refresh:
                try:
                    await self.refresh(source)
                    self._next_refresh = self.clock() + dt.timedelta(seconds=self.refresh_s)
                except ApiError as exc:
                    if exc.status in (404, 405):
                        logger.info("the server schedules no meetings (HTTP %s): no reminders", exc.status)
                        self.state = ServiceState.UNSUPPORTED
                        return
                    if exc.status == 401:
                        logger.info("reminders stopped: the server refused the session")
                        self.state = ServiceState.OFF
                        return
                    logger.warning("meetings not fetched for reminders: %s", exc)
                    self._next_refresh = self.clock() + dt.timedelta(seconds=RETRY_S)
                except RestError as exc:
                    logger.info("meetings not fetched for reminders: %s", exc)
                    self._next_refresh = self.clock() + dt.timedelta(seconds=RETRY_S)
            self.check()
            now = self.clock()
            wait = self.check_s
            next_at = self.planner.next_at(now, self.preference())
            if next_at is not None:
                wait = min(wait, max(0.0, (next_at - now).total_seconds()))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait)
