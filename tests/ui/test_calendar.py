"""The calendar and scheduling UI (issue 15) against the real server: scheduling through the dialog shows the meeting
on the right day and time in the month, week and day pages; a weekly meeting across a DST change keeps its local
time; a conflict names the meeting in the way; edit and cancel; an invited second user accepts and declines; .ics out
and in; the dashboard's upcoming meeting joins the call.

The calendar is given Europe/Berlin explicitly (its widgets take the zone as a parameter), whatever the machine's.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
from dateutil.relativedelta import MO, SU, relativedelta
from PySide6.QtCore import QCoreApplication, QDate, QPoint, Qt, QTime
from PySide6.QtGui import QFileOpenEvent
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from nimeet_desktop.net.rest import ApiClient
from nimeet_desktop.net.schedule_api import Meeting, MeetingDraft, Occurrence, ScheduleApi
from nimeet_desktop.ui import i18n
from nimeet_desktop.ui.calendar.calendar_view import CalendarView, Page
from nimeet_desktop.ui.calendar.meeting_details import MeetingDetails
from nimeet_desktop.ui.calendar.month_view import MonthView
from nimeet_desktop.ui.calendar.recurrence import Repeat
from nimeet_desktop.ui.calendar.schedule_dialog import NO_REMINDER, ScheduleDialog
from nimeet_desktop.ui.calendar.upcoming import UpcomingRow
from nimeet_desktop.ui.calendar.week_view import HOUR_HEIGHT
from nimeet_desktop.ui.file_open import FileOpenLinks
from nimeet_desktop.ui.form import show_error
from nimeet_desktop.ui.main_window import MainWindow
from nimeet_desktop.ui.single_instance import ACTIVATE, InstanceServer, forward, ics_message
from tests.ui.conftest import AppHarness, new_user, register, until
from tests.ui.layout_checks import clipped_widgets, squashed_widgets

pytestmark = pytest.mark.usefixtures("loopback_media")

BERLIN = ZoneInfo("Europe/Berlin")
PASSWORD = "correct horse battery"


async def signed_in(app: AppHarness, qtbot: QtBot) -> MainWindow:
    window = app.build()
    await window.start()
    register(qtbot, window, new_user())
    await until(lambda: window.current is window.dashboard, what="the dashboard")
    return window


class Calendars:
    """Calendar screens of the test's own, in Berlin, closed at the end."""

    def __init__(self) -> None:
        self.views: list[CalendarView] = []

    def open(self, window: MainWindow, now: dt.datetime | None = None) -> CalendarView:
        view = CalendarView(window.context, BERLIN, now=now)
        view.resize(980, 700)
        view.show()
        self.views.append(view)
        return view


@pytest.fixture
def calendars(app: AppHarness) -> Iterator[Calendars]:
    made = Calendars()
    yield made
    for view in made.views:
        app.run(view.shutdown())
        view.close()
        view.deleteLater()


@pytest.fixture
def other_user(app: AppHarness) -> Iterator[tuple[ApiClient, str]]:
    """A second account (its REST client and username), as the organizer or the invitee the app is not. On the app's
    loop (``app.run``), as everything in these tests."""
    api = ApiClient(app.server.url)
    name = f"cal{secrets.token_hex(4)}"
    api.token = app.run(api.register(name, f"{name}@example.org", PASSWORD)).token
    yield api, name
    app.run(api.close())


def future_day(weekday: int = 0) -> dt.date:
    """A day of that weekday (0 = Monday) 8 to 14 days ahead: never in the past, never today."""
    return dt.date.today() + relativedelta(days=8) + relativedelta(weekday=weekday)


async def schedule_in_dialog(
    qtbot: QtBot, view: CalendarView, title: str, day: dt.date, start: dt.time, end: dt.time
) -> tuple[ScheduleDialog, list[Meeting]]:
    qtbot.mouseClick(view.schedule_button, Qt.MouseButton.LeftButton)
    dialog = view.dialog
    assert isinstance(dialog, ScheduleDialog) and dialog.isVisible()
    saved: list[Meeting] = []
    dialog.saved.connect(saved.append)
    await until(lambda: not dialog.loading.busy, what="the rooms in the dialog")
    qtbot.keyClicks(dialog.title.edit, title)
    dialog.date.setDate(QDate(day.year, day.month, day.day))
    dialog.start.setTime(QTime(start.hour, start.minute))
    dialog.end.setTime(QTime(end.hour, end.minute))
    return dialog, saved


def save(qtbot: QtBot, dialog: ScheduleDialog) -> None:
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)


def click(qtbot: QtBot, widget: object, point: QPoint) -> None:
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=point)


async def details_opened(view: CalendarView) -> MeetingDetails:
    """The details a click on a block opened, once the meeting has loaded."""
    details = view.dialog
    assert isinstance(details, MeetingDetails) and details.isVisible()
    await until(lambda: details.meeting is not None, what="the meeting's details")
    return details


def test_scheduled_meeting_shows_on_its_day_and_time_in_month_week_and_day(
    qtbot: QtBot, app: AppHarness, calendars: Calendars
) -> None:
    async def flow() -> None:
        window = await signed_in(app, qtbot)
        # Reachable from the dashboard, and back.
        qtbot.mouseClick(window.dashboard.calendar_button, Qt.MouseButton.LeftButton)
        assert window.current is window.calendar_view
        qtbot.mouseClick(window.calendar_view.back_button, Qt.MouseButton.LeftButton)
        assert window.current is window.dashboard  # type: ignore[comparison-overlap]  # mypy narrowed it above

        day = future_day(2)
        view = calendars.open(window)
        dialog, saved = await schedule_in_dialog(qtbot, view, "Design review", day, dt.time(14, 30), dt.time(15, 15))
        assert dialog.zone_note.text() == "Times in Europe/Berlin"
        save(qtbot, dialog)
        await until(lambda: bool(saved) and view.dialog is None, what="the meeting saved")
        meeting = saved[0]
        assert meeting.start == dt.datetime.combine(day, dt.time(14, 30), BERLIN)
        assert meeting.timezone == "Europe/Berlin" and meeting.recurrence is None
        assert meeting.reminder_minutes == 10, "the default reminder"

        # The calendar moved to the meeting's day: the month page shows it there.
        await until(lambda: view.month.block_of(meeting.meeting_id) is not None, what="the block in the month")
        block = view.month.block_of(meeting.meeting_id)
        assert block is not None and view.month.day_at(block.rect.center()) == day

        view.go_to(day, Page.WEEK)
        await until(lambda: view.week.block_of(meeting.meeting_id, day) is not None, what="the block in the week")
        week_block = view.week.block_of(meeting.meeting_id, day)
        assert week_block is not None
        assert week_block.rect.top() == pytest.approx(14.5 * HOUR_HEIGHT + 1)
        assert week_block.rect.height() == pytest.approx(0.75 * HOUR_HEIGHT - 2)
        column = view.week.grid.column(view.week.days.index(day))
        assert column.contains(week_block.rect.center())

        view.show_page(Page.DAY)
        await until(lambda: view.day.block_of(meeting.meeting_id, day) is not None, what="the block in the day")
        day_block = view.day.block_of(meeting.meeting_id, day)
        assert day_block is not None and day_block.rect.top() == pytest.approx(14.5 * HOUR_HEIGHT + 1)
        assert view.day.days == [day]

        # Another day has nothing.
        view.step(1)
        await until(lambda: not view.loading.busy, what="the next day loaded")
        assert view.day.block_of(meeting.meeting_id) is None

    app.run(flow(), timeout=90)


def test_weekly_meeting_across_dst_keeps_its_local_time(qtbot: QtBot, app: AppHarness, calendars: Calendars) -> None:
    async def flow() -> None:
        window = await signed_in(app, qtbot)
        # Two Mondays before Berlin's autumn change (the last Sunday of October) and two after.
        year = dt.date.today().year + 1
        change = dt.date(year, 10, 31) + relativedelta(weekday=SU(-1))
        first = change + relativedelta(weeks=-2, weekday=MO(+1))
        view = calendars.open(window)
        dialog, saved = await schedule_in_dialog(qtbot, view, "Weekly sync", first, dt.time(10, 0), dt.time(10, 30))
        dialog.repeat.setCurrentIndex(dialog.repeat.findData(Repeat.WEEKLY))
        assert dialog.weekdays.isVisible() and dialog.ends.isVisible()
        monday = next(box for box in dialog.weekday_boxes if box.property("weekday") == 0)
        assert monday.isChecked(), "the start's weekday is chosen to begin with"
        dialog.count.setValue(4)
        save(qtbot, dialog)
        await until(lambda: bool(saved), what="the meeting saved")
        meeting = saved[0]
        assert meeting.recurrence is not None and "FREQ=WEEKLY" in meeting.recurrence

        offsets = set()
        for week in range(4):
            day = first + relativedelta(weeks=week)
            view.go_to(day, Page.WEEK)
            await until(lambda d=day: view.week.block_of(meeting.meeting_id, d) is not None, what=f"week {week}")  # type: ignore[misc]
            block = view.week.block_of(meeting.meeting_id, day)
            assert block is not None
            assert block.rect.top() == pytest.approx(10 * HOUR_HEIGHT + 1), f"10:00 in Berlin in week {week}"
            offsets.add(block.occurrence.start.astimezone(BERLIN).utcoffset())
        assert offsets == {dt.timedelta(hours=2), dt.timedelta(hours=1)}, "summer and winter time both seen"

    app.run(flow(), timeout=90)


def test_conflict_names_the_meeting_in_the_way(qtbot: QtBot, app: AppHarness, calendars: Calendars) -> None:
    async def flow() -> None:
        window = await signed_in(app, qtbot)
        day = future_day(3)
        start = dt.datetime.combine(day, dt.time(9), BERLIN)
        first = await ScheduleApi(window.context.api).create(
            MeetingDraft("Board meeting", start, start + dt.timedelta(hours=1), timezone="Europe/Berlin")
        )
        view = calendars.open(window)
        dialog, saved = await schedule_in_dialog(qtbot, view, "Overlapping", day, dt.time(9, 30), dt.time(10, 30))
        index = dialog.room.findData(first.room_id)
        assert index > 0, "the user's own rooms are offered"
        dialog.room.setCurrentIndex(index)
        save(qtbot, dialog)
        await until(lambda: dialog.conflict.isVisible(), what="the conflict")
        assert "Board meeting" in dialog.conflict.text() and "already in this room" in dialog.conflict.text()
        assert dialog.isVisible() and not saved, "the dialog stays open with what was typed"
        assert dialog.title.text == "Overlapping"

        # A new room instead: no conflict.
        dialog.room.setCurrentIndex(0)
        save(qtbot, dialog)
        await until(lambda: bool(saved), what="scheduled in a new room")
        assert saved[0].room_id != first.room_id

    app.run(flow(), timeout=90)


def test_validation_shows_at_the_field(qtbot: QtBot, app: AppHarness, calendars: Calendars) -> None:
    async def flow() -> None:
        window = await signed_in(app, qtbot)
        view = calendars.open(window)
        dialog, saved = await schedule_in_dialog(qtbot, view, "", future_day(), dt.time(11), dt.time(10))
        save(qtbot, dialog)
        assert dialog.title.error == "Give the meeting a title"
        assert dialog.when_error.isVisible() and dialog.when_error.text() == "The meeting must end after it starts"
        # The server's 422 goes next to its field too: an attendee that is neither an email nor a username.
        qtbot.keyClicks(dialog.title.edit, "Checked")
        dialog.end.setTime(QTime(12, 0))
        dialog.attendees.edit.setPlainText("a" * 400)
        save(qtbot, dialog)
        await until(lambda: dialog.attendees.error is not None, what="the attendees' error")
        assert not saved and dialog.isVisible()

    app.run(flow(), timeout=90)


def test_edit_and_cancel_from_the_details(qtbot: QtBot, app: AppHarness, calendars: Calendars) -> None:
    async def flow() -> None:
        window = await signed_in(app, qtbot)
        day = future_day(1)
        start = dt.datetime.combine(day, dt.time(16), BERLIN)
        meeting = await ScheduleApi(window.context.api).create(
            MeetingDraft("Retro", start, start + dt.timedelta(hours=1), timezone="Europe/Berlin")
        )
        view = calendars.open(window)
        view.go_to(day, Page.WEEK)
        await until(lambda: view.week.block_of(meeting.meeting_id) is not None, what="the block")
        block = view.week.block_of(meeting.meeting_id)
        assert block is not None
        click(qtbot, view.week.grid, block.rect.center().toPoint())
        details = await details_opened(view)
        assert details.edit_button.isVisible() and details.cancel_meeting_button.isVisible()
        assert not details.accept_button.isVisible(), "the organizer does not answer their own invitation"

        qtbot.mouseClick(details.edit_button, Qt.MouseButton.LeftButton)
        await until(lambda: isinstance(view.dialog, ScheduleDialog), what="the edit dialog")
        editor = view.dialog
        assert isinstance(editor, ScheduleDialog)
        assert editor.title.text == "Retro" and editor.start.time() == QTime(16, 0)
        saved: list[Meeting] = []
        editor.saved.connect(saved.append)
        editor.title.edit.selectAll()
        qtbot.keyClicks(editor.title.edit, "Retro, later")
        editor.start.setTime(QTime(17, 0))
        editor.end.setTime(QTime(18, 0))
        assert editor.reminder.value() == NO_REMINDER, "the meeting had none"
        assert editor.reminder.text() == "No reminder"
        editor.reminder.setValue(30)
        save(qtbot, editor)
        await until(lambda: bool(saved), what="the edit saved")
        assert saved[0].meeting_id == meeting.meeting_id and saved[0].title == "Retro, later"
        assert saved[0].reminder_minutes == 30
        view.go_to(day, Page.WEEK)
        await until(
            lambda: (b := view.week.block_of(meeting.meeting_id)) is not None and b.occurrence.title == "Retro, later",
            what="the edited block",
        )
        block = view.week.block_of(meeting.meeting_id)
        assert block is not None and block.rect.top() == pytest.approx(17 * HOUR_HEIGHT + 1)

        click(qtbot, view.week.grid, block.rect.center().toPoint())
        details = await details_opened(view)
        qtbot.mouseClick(details.cancel_meeting_button, Qt.MouseButton.LeftButton)
        question = details.cancel_question
        assert isinstance(question, QMessageBox)
        yes = next(b for b in question.buttons() if b.objectName() == "confirmCancelMeeting")
        qtbot.mouseClick(yes, Qt.MouseButton.LeftButton)
        await until(lambda: view.week.block_of(meeting.meeting_id) is None, what="the block gone")
        assert (await ScheduleApi(window.context.api).get(meeting.meeting_id)).status == "cancelled"

    app.run(flow(), timeout=90)


def test_an_invited_user_accepts_on_the_dashboard_and_declines_in_the_calendar(
    qtbot: QtBot, app: AppHarness, calendars: Calendars, other_user: tuple[ApiClient, str]
) -> None:
    organizer_api, organizer_name = other_user

    async def flow() -> None:
        window = await signed_in(app, qtbot)
        user = window.context.user
        assert user is not None
        day = future_day(4)
        start = dt.datetime.combine(day, dt.time(11), BERLIN)
        meeting = await ScheduleApi(organizer_api).create(
            MeetingDraft(
                "Invitation test",
                start,
                start + dt.timedelta(hours=1),
                timezone="Europe/Berlin",
                attendees=(user.username,),
            )
        )
        upcoming = window.dashboard.upcoming
        window.dashboard.refresh()
        await until(lambda: len(upcoming.invitation_rows) == 1, what="the invitation on the dashboard")
        assert upcoming.invitations_title.text() == "Awaiting your answer: 1"
        row = upcoming.invitation_rows[0]
        assert row.title.full_text == "Invitation test"
        qtbot.mouseClick(row.accept_button, Qt.MouseButton.LeftButton)
        await until(lambda: not upcoming.invitation_rows, what="the invitation answered")
        answered = (await ScheduleApi(organizer_api).get(meeting.meeting_id)).attendee(user.id)
        assert answered is not None and answered.response == "accepted"

        view = calendars.open(window)
        view.go_to(day, Page.DAY)
        await until(lambda: view.day.block_of(meeting.meeting_id) is not None, what="the invited meeting's block")
        block = view.day.block_of(meeting.meeting_id)
        assert block is not None
        click(qtbot, view.day.grid, block.rect.center().toPoint())
        details = await details_opened(view)
        assert not details.edit_button.isVisible() and not details.cancel_meeting_button.isVisible()
        assert details.decline_button.isVisible() and not details.accept_button.isEnabled()
        names = [details.attendees.item(i).text() for i in range(details.attendees.count())]
        assert names == [f"\u2068{user.username}\u2069: accepted"]
        qtbot.mouseClick(details.decline_button, Qt.MouseButton.LeftButton)
        await until(lambda: details.accept_button.isEnabled(), what="declined")
        answered = (await ScheduleApi(organizer_api).get(meeting.meeting_id)).attendee(user.id)
        assert answered is not None and answered.response == "declined"
        assert organizer_name not in names

    app.run(flow(), timeout=90)


def test_ics_export_parses_back_and_import_prefills_the_dialog(
    qtbot: QtBot, app: AppHarness, calendars: Calendars, tmp_path: Path
) -> None:
    async def flow() -> None:
        window = await signed_in(app, qtbot)
        day = future_day(0)
        start = dt.datetime.combine(day, dt.time(8, 15), BERLIN)
        meeting = await ScheduleApi(window.context.api).create(
            MeetingDraft(
                "Exported",
                start,
                start + dt.timedelta(minutes=30),
                description="Bring notes",
                timezone="Europe/Berlin",
                recurrence="FREQ=WEEKLY;COUNT=3;BYDAY=MO",
                attendees=("guest@example.org",),
            )
        )
        view = calendars.open(window)
        view.go_to(day, Page.MONTH)
        await until(lambda: view.month.block_of(meeting.meeting_id, day) is not None, what="the block")
        block = view.month.block_of(meeting.meeting_id, day)
        assert block is not None
        click(qtbot, view.month, block.rect.center().toPoint())
        details = await details_opened(view)
        path = tmp_path / "exported.ics"
        assert await details.save_ics(path)
        calendar = icalendar.Calendar.from_ical(path.read_bytes())
        event = next(e for e in calendar.walk("VEVENT") if isinstance(e, icalendar.Event))
        assert event.summary == "Exported"
        assert event.start == start
        assert [rule.get("COUNT") for rule in event.rrules] == [[3]]
        assert await details.copy_ics()
        clipboard = QApplication.clipboard()
        assert "BEGIN:VEVENT" in clipboard.text()
        details.reject()
        await until(lambda: view.dialog is None, what="the details closed")

        assert await view.open_ics(path)
        dialog = view.dialog
        assert isinstance(dialog, ScheduleDialog) and dialog.meeting is None
        assert dialog.title.text == "Exported"
        assert dialog.description.text == "Bring notes"
        assert dialog.date.date() == QDate(day.year, day.month, day.day)
        assert (dialog.start.time(), dialog.end.time()) == (QTime(8, 15), QTime(8, 45))
        assert dialog.repeat.currentData() == Repeat.WEEKLY and dialog.count.value() == 3
        assert "guest@example.org" in dialog.attendees.text
        bad = tmp_path / "not.ics"
        bad.write_text("hello")
        dialog.reject()
        await until(lambda: view.dialog is None, what="the dialog closed")
        assert not await view.open_ics(bad)
        assert view.error.isVisible()

    app.run(flow(), timeout=90)


def test_upcoming_meeting_join_turns_prominent_and_starts_the_call(qtbot: QtBot, app: AppHarness) -> None:
    async def flow() -> None:
        window = await signed_in(app, qtbot)
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        schedule = ScheduleApi(window.context.api)
        soon = await schedule.create(
            MeetingDraft("Starts soon", now + dt.timedelta(minutes=3), now + dt.timedelta(minutes=33))
        )
        later = await schedule.create(
            MeetingDraft("Later today", now + dt.timedelta(hours=2), now + dt.timedelta(hours=3))
        )
        upcoming = window.dashboard.upcoming
        window.dashboard.refresh()
        await until(lambda: len(upcoming.rows) >= 1, what="the upcoming meetings")
        rows = {row.occurrence.meeting_id: row for row in upcoming.rows}
        assert rows[soon.meeting_id].prominent, "Join is prominent from five minutes before"
        assert rows[soon.meeting_id].when.full_text.startswith(("In 3 min, ", "In 2 min, "))
        if later.meeting_id in rows:  # "later today" may be tomorrow near midnight: the card shows both days
            assert not rows[later.meeting_id].prominent
        qtbot.mouseClick(rows[soon.meeting_id].join_button, Qt.MouseButton.LeftButton)
        await until(
            lambda: window.current is window.prejoin and window.prejoin.join_button.isEnabled(), what="pre-join"
        )
        assert window.prejoin.room_id == soon.room_id
        qtbot.mouseClick(window.prejoin.join_button, Qt.MouseButton.LeftButton)
        await until(lambda: window.current is window.call_view and window.in_call, what="the call")
        assert window.call_view.room_id == soon.room_id

    app.run(flow(), timeout=90)


@pytest.fixture(params=["en", "ru"])
def language(request: pytest.FixtureRequest, qapp: QApplication) -> Iterator[str]:
    """The UI language for the whole test, installed before the window is built (as the app does)."""
    assert i18n.install(qapp, request.param) == request.param
    yield request.param
    i18n.uninstall(qapp)


def test_calendar_screens_fit_their_text(qtbot: QtBot, language: str, app: AppHarness, calendars: Calendars) -> None:
    """The window's default size (1100 × 720), in English and Russian: the calendar's pages, the scheduling dialog
    with every option and error shown, the details, and the dashboard with meetings and an invitation."""

    async def flow() -> None:
        window = await signed_in(app, qtbot)
        window.resize(1100, 720)
        user = window.context.user
        assert user is not None
        problems: list[str] = []

        async def check(screen: str, root: QWidget) -> None:
            await asyncio.sleep(0.2)  # layouts settle in the loop
            problems.extend(f"{screen}: {p}" for p in [*clipped_widgets(root), *squashed_widgets(root)])

        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        schedule = ScheduleApi(window.context.api)
        soon = await schedule.create(
            MeetingDraft("Standup", now + dt.timedelta(minutes=3), now + dt.timedelta(minutes=20))
        )
        async with ApiClient(app.server.url) as other:
            name = f"fit{secrets.token_hex(4)}"
            other.token = (await other.register(name, f"{name}@example.org", PASSWORD)).token
            await ScheduleApi(other).create(
                MeetingDraft(
                    "Invited",
                    now + dt.timedelta(days=2),
                    now + dt.timedelta(days=2, hours=1),
                    attendees=(user.username,),
                )
            )
        window.dashboard.refresh()
        upcoming = window.dashboard.upcoming
        await until(lambda: upcoming.rows and upcoming.invitation_rows, what="the dashboard's meetings")
        await check("dashboard", window)

        qtbot.mouseClick(window.dashboard.calendar_button, Qt.MouseButton.LeftButton)
        view = window.calendar_view
        for page in Page:
            view.show_page(page)
            view.go_to(soon.start.astimezone(view.zone).date())
            await until(lambda: not view.loading.busy, what=f"the {page.value} page")
            await check(f"calendar {page.value}", window)

        view.open_schedule()
        dialog = view.dialog
        assert isinstance(dialog, ScheduleDialog)
        dialog.repeat.setCurrentIndex(dialog.repeat.findData(Repeat.WEEKLY))
        save(qtbot, dialog)  # no title: its error shows
        dialog.end.setTime(dialog.start.time().addSecs(-1800))
        save(qtbot, dialog)
        show_error(
            dialog.conflict, dialog.tr("Another meeting in this room overlaps this time. Choose another time or room.")
        )
        await check("scheduling dialog", dialog)
        dialog.reject()
        await until(lambda: view.dialog is None, what="the dialog closed")

        view.show_page(Page.WEEK)
        await until(lambda: view.week.block_of(soon.meeting_id) is not None, what="the block")
        block = view.week.block_of(soon.meeting_id)
        assert block is not None
        view.open_occurrence(block.occurrence)
        details = await details_opened(view)
        await check("meeting details", details)
        details.reject()
        assert not problems, "\n".join(problems)

    app.run(flow(), timeout=90)


def write_ics(path: Path, title: str, start: dt.datetime) -> Path:
    """A calendar file as another calendar app writes one: a VEVENT with a TZID, an RRULE and a mailto: attendee."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//another calendar//EN")
    calendar.add("version", "2.0")
    event = icalendar.Event()
    event.add("uid", f"{secrets.token_hex(8)}@example.org")
    event.add("summary", title)
    event.add("dtstart", start)
    event.add("dtend", start + dt.timedelta(minutes=50))
    event.add("rrule", {"freq": "weekly", "count": 2})
    event.add("attendee", "mailto:ada@example.org")
    calendar.add_component(event)
    path.write_bytes(calendar.to_ical())
    return path


def test_an_ics_file_opened_before_signing_in_is_scheduled_after(qtbot: QtBot, app: AppHarness, tmp_path: Path) -> None:
    """``nimeet --ics FILE`` (window.open_ics, as app.py calls it): held until signed in, then the calendar and the
    dialog filled in from the file."""
    start = dt.datetime.combine(future_day(2), dt.time(13, 10), BERLIN)
    path = write_ics(tmp_path / "Встреча.ics", "From another calendar", start)

    async def flow() -> None:
        window = app.build()
        await window.start()
        await until(lambda: window.current is window.auth_view, what="sign-in")
        window.open_ics(path)
        assert window.calendar_view.dialog is None, "nothing to schedule with until signed in"
        assert window.stack.currentWidget() is window.auth_view
        register(qtbot, window, new_user())
        await until(lambda: isinstance(window.calendar_view.dialog, ScheduleDialog), what="the dialog from the file")
        assert window.current is window.calendar_view
        dialog = window.calendar_view.dialog
        assert isinstance(dialog, ScheduleDialog)
        local = start.astimezone(dialog.zone)
        assert dialog.title.text == "From another calendar"
        assert dialog.start.time() == QTime(local.hour, local.minute)
        assert dialog.repeat.currentData() == Repeat.WEEKLY and dialog.count.value() == 2
        assert dialog.attendees.text == "ada@example.org"

    app.run(flow(), timeout=60)


def test_a_later_launch_and_the_os_hand_an_ics_file_to_the_running_app(
    qtbot: QtBot, qapp: QApplication, tmp_path: Path
) -> None:
    opened: list[Path] = []
    name = f"nimeet-test-{secrets.token_hex(6)}"
    server = InstanceServer(name, lambda _t: None, lambda: None, lambda _e: None, on_ics=opened.append)
    path = tmp_path / "Планёрка 1:1.ics"
    try:
        message = ics_message(path)
        assert message is not None
        assert forward(name, message)
        qtbot.waitUntil(lambda: opened == [path.resolve()])
        for junk in ("ics:relative.ics", "ics:/etc/passwd", "ics:"):
            assert forward(name, junk)
        assert forward(name, ACTIVATE)  # after the junk: once it is handled, so is the junk
        qtbot.wait(200)
        assert opened == [path.resolve()], "only an absolute path to an .ics file"
    finally:
        server.close()

    links = FileOpenLinks(on_link=lambda _t: None, on_bad=lambda _e: None, on_ics=opened.append)
    qapp.installEventFilter(links)
    try:
        QCoreApplication.postEvent(qapp, QFileOpenEvent(str(tmp_path / "invite.ics")))
        qtbot.waitUntil(lambda: len(opened) == 2)
    finally:
        qapp.removeEventFilter(links)
    assert opened[1] == tmp_path / "invite.ics"


def test_join_turns_prominent_five_minutes_before_and_back_after_the_end(qtbot: QtBot) -> None:
    start = dt.datetime(2030, 3, 4, 9, 0, tzinfo=BERLIN)
    occurrence = Occurrence("m1", "room1", "Standup", start, start + dt.timedelta(minutes=15))
    row = UpcomingRow(occurrence, BERLIN)
    qtbot.addWidget(row)
    seen = []
    for minutes in (-60, -6, -5, -1, 0, 14, 15):
        row.update_for(start + dt.timedelta(minutes=minutes))
        seen.append((minutes, row.prominent, row.when.full_text))
    assert [(m, p) for m, p, _ in seen] == [
        (-60, False),
        (-6, False),
        (-5, True),
        (-1, True),
        (0, True),
        (14, True),
        (15, False),
    ]
    assert seen[1][2] == "In 6 min, 09:00–09:15"
    assert seen[4][2] == "Now, 09:00–09:15"


def test_hostile_titles_stay_inside_their_blocks(qtbot: QtBot) -> None:
    """A title with direction overrides and control characters: isolated and cleaned in the painted label, the
    time stays before it."""
    day = dt.date(2030, 3, 4)
    start = dt.datetime.combine(day, dt.time(9), BERLIN)
    title = "\u202egpj.exe\u202c\n<b>x</b>" + "W" * 500
    view = MonthView(BERLIN)
    qtbot.addWidget(view)
    view.resize(900, 600)
    view.show_month(day, day)
    view.set_occurrences([Occurrence("m1", "room1", title, start, start + dt.timedelta(hours=1))])
    block = view.block_of("m1", day)
    assert block is not None and view.cell(view.days.index(day)).contains(block.rect)
    view.grab()  # paints without a warning (a Qt warning fails the test)


def test_join_from_a_meetings_details_opens_pre_join_for_its_room(qtbot: QtBot, app: AppHarness) -> None:
    async def flow() -> None:
        window = await signed_in(app, qtbot)
        view = window.calendar_view
        day = future_day(2)
        start = dt.datetime.combine(day, dt.time(12), view.zone)
        meeting = await ScheduleApi(window.context.api).create(
            MeetingDraft("Lunch talk", start, start + dt.timedelta(hours=1), timezone=view.zone.key)
        )
        qtbot.mouseClick(window.dashboard.calendar_button, Qt.MouseButton.LeftButton)
        assert window.current is view
        view.go_to(day, Page.DAY)
        await until(lambda: view.day.block_of(meeting.meeting_id) is not None, what="the block")
        block = view.day.block_of(meeting.meeting_id)
        assert block is not None
        view.day.scroll_to(11 * 60)
        await asyncio.sleep(0.1)
        point = view.day.grid.mapTo(view.day.scroller.viewport(), block.rect.center().toPoint())
        assert view.day.scroller.viewport().rect().contains(point), "the block is in sight"
        click(qtbot, view.day.grid, block.rect.center().toPoint())
        details = await details_opened(view)
        qtbot.mouseClick(details.join_button, Qt.MouseButton.LeftButton)
        await until(lambda: window.current is window.prejoin, what="pre-join")
        assert window.prejoin.room_id == meeting.room_id
        await window.prejoin.close_preview()

    app.run(flow(), timeout=60)


def test_the_calendar_follows_the_clock(qtbot: QtBot, app: AppHarness, calendars: Calendars) -> None:
    """The line at the current time moves, and at midnight today's mark moves to the next day."""

    async def flow() -> None:
        window = await signed_in(app, qtbot)
        evening = dt.datetime(2030, 3, 4, 23, 59, tzinfo=BERLIN)
        view = calendars.open(window, now=evening)
        view.show_page(Page.WEEK)
        assert view.week.grid.now == evening and view.week.grid.today == evening.date()
        view._fixed_now = evening + dt.timedelta(minutes=2)  # the clock moves on past midnight
        view._tick()
        assert view.week.grid.now == evening + dt.timedelta(minutes=2)
        assert view.week.grid.today == dt.date(2030, 3, 5), "today's mark moved"

    app.run(flow(), timeout=60)
