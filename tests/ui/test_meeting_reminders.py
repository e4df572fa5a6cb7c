"""Reminders of scheduled meetings in the app (issue 15), against the real server: a meeting scheduled through REST
is reminded of when the reminder service's clock (moved by the test, not waited for) reaches its reminder time, as a
banner with Join and, with the window hidden, a desktop notification whose click joins; the call starts from it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QDate, Qt, QTime
from PySide6.QtWidgets import QApplication, QSystemTrayIcon
from pytestqt.qtbot import QtBot

from nimeet_desktop.net.rest import ApiClient
from nimeet_desktop.net.schedule_api import Meeting, MeetingDraft, ScheduleApi
from nimeet_desktop.reminders import utc_now
from nimeet_desktop.ui import i18n, tray
from nimeet_desktop.ui.calendar.schedule_dialog import ScheduleDialog
from nimeet_desktop.ui.main_window import MainWindow
from tests.ui.conftest import AppHarness, new_user, register, until

# Join brings the window to the front (raise_): the offscreen platform cannot, and says so.
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support raise")


@pytest.fixture
def english(qapp: QApplication) -> Iterator[None]:
    yield
    i18n.uninstall(qapp)


async def signed_in(app: AppHarness, qtbot: QtBot, window: MainWindow) -> None:
    await window.start()
    register(qtbot, window, new_user())
    await until(lambda: window.current is window.dashboard, what="the dashboard")
    await until(lambda: window.context.reminders.refreshes >= 1, what="the first fetch of meetings")


async def schedule(window: MainWindow, title: str, lead: int, reminder_minutes: int | None) -> Meeting:
    """A meeting starting ``lead`` minutes (and a little) from now, scheduled by its organizer through REST; the app
    hears of it (as after scheduling in its calendar)."""
    start = (utc_now() + dt.timedelta(minutes=lead, seconds=30)).replace(microsecond=0)
    async with ApiClient(window.context.server_url, window.context.token) as rest:
        meeting = await ScheduleApi(rest).create(
            MeetingDraft(
                title=title, start=start, end=start + dt.timedelta(minutes=30), reminder_minutes=reminder_minutes
            )
        )
    service = window.context.reminders
    service.refresh_now()
    await until(
        lambda: any(p.occurrence.meeting_id == meeting.meeting_id for p in service.planner.planned),
        what="the meeting among the planned reminders",
    )
    return meeting


@pytest.mark.usefixtures("loopback_media")
def test_a_reminder_with_the_window_hidden_joins_from_its_notification(qtbot: QtBot, app: AppHarness) -> None:
    app.run(reminded_while_hidden(app, qtbot), timeout=90)


async def reminded_while_hidden(app: AppHarness, qtbot: QtBot) -> None:
    window = app.build()
    icon = QSystemTrayIcon(window)  # the real icon, never shown: offscreen has no tray host
    notified: list[str] = []
    tray.Tray(window, icon, notify=lambda _title, text: notified.append(text))
    await signed_in(app, qtbot, window)
    meeting = await schedule(window, "Standup", 6, reminder_minutes=5)
    service = window.context.reminders
    service.check()
    assert window.reminders.banners == [], "not yet: six minutes and a half before it starts"

    window.hide()  # in the tray
    service.clock = lambda: meeting.start - dt.timedelta(minutes=5)
    service.check()
    assert notified == ["\u2068Standup\u2069 starts in 5 minutes"]
    (banner,) = window.reminders.banners
    assert banner.text.text() == "\u2068Standup\u2069 starts in 5 minutes", "the window says it too, once shown"
    service.check()
    assert len(notified) == 1, "once"

    icon.messageClicked.emit()  # the notification clicked
    await until(lambda: window.current is window.prejoin, what="pre-join for the meeting's room")
    assert window.isVisible()
    prejoin = window.prejoin
    assert prejoin.room_id == meeting.room_id
    await until(lambda: prejoin.join_button.isEnabled(), what="pre-join ready")
    qtbot.mouseClick(prejoin.join_button, Qt.MouseButton.LeftButton)
    await until(lambda: window.call_view.call is not None, what="the call")
    assert window.call_view.room_id == meeting.room_id
    # The call is left as the window closes (the harness), as in the other call tests.


@pytest.mark.usefixtures("english")
def test_the_banner_in_russian_with_the_persons_minutes_joins(qtbot: QtBot, app: AppHarness) -> None:
    app.run(banner_in_russian(app, qtbot), timeout=60)


async def banner_in_russian(app: AppHarness, qtbot: QtBot) -> None:
    window = app.build()
    notified: list[str] = []
    tray.Tray(window, notify=lambda _title, text: notified.append(text))
    await signed_in(app, qtbot, window)
    window.open_settings("general")
    general = window.settings_window.general
    picker = general.language
    picker.setCurrentIndex(picker.findData("ru"))
    picker.activated.emit(picker.currentIndex())
    general = window.settings_window.general  # rebuilt in Russian
    general.reminder.setCurrentIndex(general.reminder.findData(15))
    general.reminder.activated.emit(general.reminder.currentIndex())
    window.settings_window.hide()
    window.activateWindow()
    await until(lambda: window.isActiveWindow(), what="the window active")

    meeting = await schedule(window, "Планёрка", 20, reminder_minutes=None)  # the meeting sets none: 15 is mine
    service = window.context.reminders
    service.clock = lambda: meeting.start - dt.timedelta(minutes=16)
    service.check()
    assert window.reminders.banners == []
    service.clock = lambda: meeting.start - dt.timedelta(minutes=15)
    service.check()
    (banner,) = window.reminders.banners
    assert banner.text.text() == "\u2068Планёрка\u2069 начнётся через 15 минут"
    assert banner.join_button.text() == "Присоединиться"
    assert notified == [], "the window is in front: the banner says it, no desktop notification"
    service.clock = lambda: meeting.start - dt.timedelta(minutes=1, seconds=30)
    window.reminders.tick()
    assert banner.text.text() == "\u2068Планёрка\u2069 начнётся через 2 минуты"

    qtbot.mouseClick(banner.join_button, Qt.MouseButton.LeftButton)
    await until(lambda: window.current is window.prejoin, what="pre-join for the meeting's room")
    assert window.prejoin.room_id == meeting.room_id
    assert window.reminders.banners == []


def test_logging_out_takes_the_accounts_reminders_away(qtbot: QtBot, app: AppHarness) -> None:
    app.run(reminders_go_with_the_account(app, qtbot), timeout=60)


async def reminders_go_with_the_account(app: AppHarness, qtbot: QtBot) -> None:
    window = app.build()
    await signed_in(app, qtbot, window)
    meeting = await schedule(window, "Standup", 12, reminder_minutes=None)  # the person's 10 minutes
    service = window.context.reminders
    service.clock = lambda: meeting.start - dt.timedelta(minutes=10)
    service.check()
    assert len(window.reminders.banners) == 1
    qtbot.mouseClick(window.dashboard.logout_button, Qt.MouseButton.LeftButton)
    await until(lambda: window.current is window.auth_view, what="the sign-in screen")
    assert window.reminders.banners == [], "the next person to sign in is not reminded of someone else's meeting"
    assert window.reminders.isHidden()


@pytest.mark.usefixtures("loopback_media", "english")
def test_scheduled_in_the_calendar_then_reminded_then_joined(qtbot: QtBot, app: AppHarness) -> None:
    """The whole way a person goes: the dashboard's Calendar, Schedule, the dialog filled in and saved; the reminder
    five minutes before (the reminder service's clock moved there, not waited for); its Join; pre-join; the call in
    the meeting's room."""
    app.run(scheduled_reminded_joined(app, qtbot), timeout=90)


async def scheduled_reminded_joined(app: AppHarness, qtbot: QtBot) -> None:
    window = app.build()
    await signed_in(app, qtbot, window)
    qtbot.mouseClick(window.dashboard.calendar_button, Qt.MouseButton.LeftButton)
    view = window.calendar_view
    await until(lambda: window.current is view and not view.loading.busy, what="the calendar")
    qtbot.mouseClick(view.schedule_button, Qt.MouseButton.LeftButton)
    dialog = view.dialog
    assert isinstance(dialog, ScheduleDialog) and dialog.isVisible()
    saved: list[Meeting] = []
    dialog.saved.connect(saved.append)
    await until(lambda: not dialog.loading.busy, what="the rooms in the dialog")
    day = dt.datetime.now(view.zone).date() + dt.timedelta(days=1)  # tomorrow 10:00: in the future at any hour
    qtbot.keyClicks(dialog.title.edit, "Design review")
    dialog.date.setDate(QDate(day.year, day.month, day.day))
    dialog.start.setTime(QTime(10, 0))
    dialog.end.setTime(QTime(10, 45))
    dialog.reminder.setValue(5)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    await until(lambda: bool(saved), what="the meeting saved")
    (meeting,) = saved
    assert meeting.start == dt.datetime.combine(day, dt.time(10, 0), view.zone)
    assert meeting.reminder_minutes == 5
    service = window.context.reminders
    await until(
        lambda: any(p.occurrence.meeting_id == meeting.meeting_id for p in service.planner.planned),
        what="the meeting among the planned reminders, with no fetch waited for",
    )
    view.back.emit()
    await until(lambda: window.current is window.dashboard, what="the dashboard again")

    service.clock = lambda: meeting.start - dt.timedelta(minutes=6)
    service.check()
    assert window.reminders.banners == [], "not yet"
    service.clock = lambda: meeting.start - dt.timedelta(minutes=5)
    service.check()
    (banner,) = window.reminders.banners
    assert banner.text.text() == "\u2068Design review\u2069 starts in 5 minutes"
    qtbot.mouseClick(banner.join_button, Qt.MouseButton.LeftButton)
    await until(lambda: window.current is window.prejoin, what="pre-join for the meeting's room")
    prejoin = window.prejoin
    assert prejoin.room_id == meeting.room_id
    await until(lambda: prejoin.join_button.isEnabled(), what="pre-join ready")
    qtbot.mouseClick(prejoin.join_button, Qt.MouseButton.LeftButton)
    await until(
        lambda: window.call_view.call is not None and window.call_view.call.self_participant is not None,
        what="in the call",
    )
    assert window.call_view.room_id == meeting.room_id
