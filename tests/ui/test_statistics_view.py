"""The statistics view (issue 13) in a real call: the app, bots on the real server, media on loopback; and its
number formats in English and Russian."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from nimeet_desktop.ui.statistics_view import (
    UNKNOWN,
    StatisticsDialog,
    bitrate_text,
    fps_text,
    loss_text,
    resolution_text,
    round_trip_text,
)
from tests.ui.conftest import AppHarness, until
from tests.ui.test_call_window import Bots, enter_call, with_bots

pytestmark = pytest.mark.usefixtures("loopback_media")

COLUMNS = ["Participant", "Resolution", "Frame rate", "Painted", "Bitrate", "Packet loss", "Round trip"]


def test_numbers_carry_units_and_unknown_is_a_dash() -> None:
    assert resolution_text(640, 360) == "640×360" and resolution_text(None, None) == UNKNOWN
    assert fps_text(29.6) == "30 fps" and fps_text(None) == UNKNOWN
    assert bitrate_text(850_400) == "850 kbit/s" and bitrate_text(1_250_000) == "1.3 Mbit/s"
    assert loss_text(0.0123) == "1.2 %" and loss_text(None) == UNKNOWN
    assert round_trip_text(0.0124) == "12 ms" and round_trip_text(None) == UNKNOWN


@pytest.mark.usefixtures("russian")
def test_in_russian_with_a_decimal_comma() -> None:
    assert fps_text(30) == "30 кадр/с"
    assert bitrate_text(1_250_000) == "1,3 Мбит/с" and bitrate_text(850_000) == "850 кбит/с"
    assert loss_text(0.0123) == "1,2 %" and round_trip_text(0.012) == "12 мс"
    assert StatisticsDialog().windowTitle() == "Статистика звонка"


def test_the_statistics_of_a_real_call(qtbot: QtBot, app: AppHarness) -> None:
    app.run(with_bots(app, qtbot, statistics_in_a_call), timeout=120)


async def statistics_in_a_call(app: AppHarness, bots: Bots, qtbot: QtBot) -> None:
    window = await enter_call(app, qtbot)
    view = window.call_view
    assert view.call is not None
    assert not view.statistics._timer.isActive(), "nobody looks, no --stats: nothing is sampled"
    sessions = await bots.join(view.room_id, 2)
    await until(lambda: len(view.grid.tiles()) == 3, what="three tiles")

    qtbot.keyClick(view, Qt.Key.Key_I, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    dialog = view.statistics_dialog
    assert dialog is not None and dialog.isVisible()
    assert [dialog.table.horizontalHeaderItem(c).text() for c in range(7)] == COLUMNS  # type: ignore[union-attr]
    names = {s.self_participant.username for s in sessions if s.self_participant is not None}

    def complete() -> bool:
        """Every figure known: ours, and each bot's, RTCP's loss and round trip included."""
        if dialog.table.rowCount() != 3:
            return False
        rows = [dialog.row_texts(r) for r in range(3)]
        own, others = rows[0], rows[1:]
        return (
            own[1] == "320×240"
            and own[2] not in (UNKNOWN, "0 fps")
            and own[4] != UNKNOWN
            and {row[0] for row in others} == names
            and all(UNKNOWN not in row and row[2] != "0 fps" and row[3] != "0 fps" for row in others)
        )

    await until(complete, timeout=20, what="every figure in the statistics")
    own = dialog.row_texts(0)
    assert own[0] == "You (sending)" and own[3] == UNKNOWN and own[6] == UNKNOWN
    for row in (dialog.row_texts(r) for r in (1, 2)):
        assert row[1] == "320×240"
        assert row[2].endswith(" fps") and 0 < int(row[2].split()[0]) <= 35, row
        assert row[4].endswith(("kbit/s", "Mbit/s")), row
        assert row[5].endswith(" %") and float(row[5].split()[0]) < 5, row  # loopback: next to nothing lost
        # A round trip on loopback, but through one busy event loop (the app and both bots share it here): seconds
        # at worst, never unknown once reports have gone both ways.
        assert row[6].endswith(" ms") and int(row[6].split()[0]) < 5000, row
    # Refreshed every second: the figures move.
    before = [dialog.row_texts(r) for r in range(3)]
    await until(lambda: [dialog.row_texts(r) for r in range(3)] != before, timeout=5, what="a refresh")

    # A bot turns its camera off: no picture, so no resolution or frame rate (not a stale size, not "0 fps").
    first = sessions[0].self_participant
    assert first is not None
    await sessions[0].set_camera(False)

    def camera_off_row() -> list[str]:
        return next(row for row in map(dialog.row_texts, range(3)) if row[0] == first.username)

    await until(lambda: camera_off_row()[1:4] == [UNKNOWN] * 3, timeout=10, what="the row without video")
    assert camera_off_row()[6] != UNKNOWN, "the round trip is still measured (audio, RTCP)"

    # A bot leaves: its row goes.
    await sessions[1].leave()
    await until(lambda: dialog.table.rowCount() == 2, timeout=10, what="the row of who left gone")

    # The button closes it; nothing is sampled once it is closed.
    view.statistics_button.click()
    await until(lambda: view.statistics_dialog is None, what="the statistics closed")
    assert not view.statistics._timer.isActive()
    view.statistics_button.click()
    assert view.statistics_dialog is not None and view.statistics._timer.isActive()
    # Leaving the call closes it.
    await view.leave_async()
    assert view.statistics_dialog is None and not view.statistics._timer.isActive()
