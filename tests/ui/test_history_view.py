"""The history and statistics screen against the real server: a meeting made by real joins and leaves shows up with
who took part; the chart is painted in the theme's colours in light and dark; Russian plural forms and dates."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from nimeet_desktop.ui import theme
from nimeet_desktop.ui.context import AppContext
from nimeet_desktop.ui.main_window import MainWindow
from nimeet_desktop.ui.usage_chart import DayUsage, UsageChart
from nimeet_desktop.ui.views.history_view import HistoryView
from signaling_server.protocol import MeetingSession, MyStatsResponse, SessionParticipant, UsageDay
from tests.signaling_server.meetings import emptied
from tests.support.clients import Api, Peer
from tests.ui.conftest import AppHarness, new_user, register, until


def texts(item: object, columns: int = 3) -> list[str]:
    return [item.text(column) for column in range(columns)]  # type: ignore[attr-defined]


def test_a_meeting_held_by_real_joins_is_in_the_history(qtbot: QtBot, app: AppHarness) -> None:
    async def flow() -> None:
        window = app.build()
        await window.start()
        register(qtbot, window, new_user())
        await until(lambda: window.current is window.dashboard, what="the dashboard")
        token = window.context.token
        assert token is not None and window.context.user is not None
        api = Api(app.server.url)
        try:
            room_id = (await api.create_room(token, name="Weekly sync"))["roomId"]
            guest = await api.register()
            host, visitor = (
                await Peer(app.server.url, token).connect(),
                await Peer(app.server.url, guest["token"]).connect(),
            )
            try:
                assert (await host.join(room_id))["ok"] and (await visitor.join(room_id))["ok"]
            finally:
                await visitor.close()
                await host.close()
            await emptied(api, room_id)
        finally:
            await api.aclose()

        qtbot.mouseClick(window.dashboard.history_button, Qt.MouseButton.LeftButton)
        view = window.history_view
        assert window.current is view
        await until(lambda: view.selected_room() == room_id, what="the room in the history")
        # The meeting ends a moment after the last one leaves (written in the background): refresh until it has.
        tree = view.sessions

        def ended() -> bool:
            item = tree.topLevelItem(0)
            return item is not None and item.childCount() == 2 and texts(item)[1] != view.tr("going on")

        for _ in range(50):
            if ended():
                break
            qtbot.mouseClick(view.refresh_button, Qt.MouseButton.LeftButton)
            await until(lambda: not view.loading.busy, what="the history loaded")
        assert ended(), [texts(tree.topLevelItem(i)) for i in range(tree.topLevelItemCount())]
        assert tree.topLevelItemCount() == 1
        meeting = tree.topLevelItem(0)
        assert meeting is not None
        assert texts(meeting)[2] == "2 person(s)"
        assert [texts(meeting.child(i))[2] for i in range(2)] == [
            window.context.user.username,
            guest["user"]["username"],
        ]
        assert texts(meeting.child(0))[1].endswith("second(s)")  # a few seconds long

        await until(lambda: view.chart.days != [], what="the statistics")
        assert len(view.chart.days) == 30
        assert view.chart.days[-1].meetings == 1
        assert view.meetings_label.text() == "1 meeting(s)" and view.hosted_label.text() == "1 in your rooms"

        qtbot.mouseClick(view.back_button, Qt.MouseButton.LeftButton)
        await until(lambda: window.current is window.dashboard, what="back on the dashboard")

    app.run(flow())


def test_a_room_nobody_met_in_says_so(qtbot: QtBot, app: AppHarness) -> None:
    async def flow() -> None:
        window: MainWindow = app.build()
        await window.start()
        register(qtbot, window, new_user())
        await until(lambda: window.current is window.dashboard, what="the dashboard")
        token = window.context.token
        assert token is not None
        api = Api(app.server.url)
        try:
            await api.create_room(token, name="Quiet room")
        finally:
            await api.aclose()
        qtbot.mouseClick(window.dashboard.history_button, Qt.MouseButton.LeftButton)
        view = window.history_view
        await until(lambda: view.sessions_status.text() == "No meetings in this room yet.", what="the empty history")
        await until(lambda: view.meetings_label.text() == "0 meeting(s)", what="the statistics")
        assert view.sessions.topLevelItemCount() == 0

    app.run(flow())


def painted(chart: UsageChart) -> QImage:
    chart.resize(600, 200)
    image = QImage(chart.size(), QImage.Format.Format_ARGB32)
    image.fill(chart.palette().color(chart.backgroundRole()))
    painter = QPainter(image)
    chart.render(painter, QPoint(0, 0))
    painter.end()
    return image


@pytest.mark.parametrize("scheme", [Qt.ColorScheme.Light, Qt.ColorScheme.Dark])
def test_the_chart_draws_a_bar_per_day_in_the_theme_colour(qapp: QApplication, scheme: Qt.ColorScheme) -> None:
    chart = UsageChart()
    chart.setPalette(theme.palette_for(scheme))
    today = date(2026, 12, 3)
    days = [DayUsage(today - timedelta(days=29 - i), 0, 0) for i in range(30)]
    days[-1] = DayUsage(today, 40, 2)  # the tallest: reaches the top grid line (40)
    days[10] = DayUsage(days[10].day, 5, 1)
    chart.set_days(days)
    image = painted(chart)
    tall, short, empty = chart._bar(29), chart._bar(10), chart._bar(5)
    assert tall.height() == 8 * short.height() > 0 and empty.height() == 0
    assert tall.top() == chart._plot().top()
    middle = tall.center().toPoint()
    assert QColor(image.pixel(middle)) == theme.CHART_BAR
    assert QColor(image.pixel(empty.center().toPoint() + QPoint(0, -20))) != theme.CHART_BAR
    assert chart.day_text(29).endswith("2 meeting(s), 40 minute(s)")
    assert chart.accessibleDescription() == "45 minute(s) in the last 30 days"
    chart.deleteLater()


@pytest.mark.usefixtures("russian")
def test_russian_plural_forms_and_dates(qapp: QApplication, app: AppHarness) -> None:
    view = HistoryView(app_context(app))
    try:
        days = [UsageDay(date=date(2026, 11, 4) + timedelta(days=i), minutes=0) for i in range(30)]
        view.show_stats(MyStatsResponse(meetings=3, minutes=5, hosted=1, days=days))
        assert (view.meetings_label.text(), view.minutes_label.text()) == ("3 встречи", "5 минут")
        assert view.hosted_label.text() == "1 в ваших комнатах"
        assert view.duration_text(21 * 60) == "21 минута" and view.duration_text(3900) == "1 ч 5 мин"
        assert view.duration_text(7200) == "2 ч"
        assert view.duration_text(12) == "12 секунд"
        start = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
        stay = SessionParticipant(
            user_id="u", username="boris", joined_at=start, left_at=start + timedelta(minutes=2), duration_s=120
        )
        session = MeetingSession(
            session_id="1",
            started_at=start,
            ended_at=start + timedelta(minutes=2),
            peak_participants=1,
            participants=[stay],
        )
        view.show_sessions([session])
        meeting = view.sessions.topLevelItem(0)
        assert meeting is not None
        assert "декабря 2026" in meeting.text(0)  # the month's name in the UI language, in its genitive form
        assert (meeting.text(1), meeting.text(2)) == ("2 минуты", "1 человек")
        assert view.sessions.headerItem().text(0) == "Когда"
    finally:
        view.deleteLater()


def app_context(app: AppHarness) -> AppContext:
    window = app.build()
    return window.context
