"""Recording from the call window (issue 16): a host records, everyone in the room is told (a later joiner too),
pause and resume are told as the notice going off and on, stop finishes a file that plays with both streams, and a
disk that fills up stops the recording with a clear message and keeps the part written. The app against the real
server, with real engine peers in the room; the files are read back with PyAV."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import av
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from nimeet_desktop.call.session import CallSession
from nimeet_desktop.media.recording.recorder import RecordingState
from nimeet_desktop.recordings import list_recordings
from nimeet_desktop.ui import i18n
from nimeet_desktop.ui.meeting.recording import RecordingBar
from nimeet_desktop.ui.meeting.texts import clock_time
from nimeet_desktop.ui.toast import ToastKind
from nimeet_desktop.ui.views.call_view import CallView
from tests.support import recorded
from tests.support.small_disk import small_disk
from tests.ui.conftest import AppHarness, until
from tests.ui.test_call_window import Bots, enter_call, with_bots
from tests.ui.test_joining_meetings import Owner, signed_in

pytestmark = [
    pytest.mark.usefixtures("loopback_media"),
    pytest.mark.qt_log_ignore("This plugin does not support raise", "This plugin does not support grabbing"),
]


def sees_recording(session: CallSession, username: str | None = None) -> bool | None:
    """Whether ``session`` sees someone (``username``, else anyone but itself) recording; None: nobody there yet."""
    others = [p for p in session.meeting.participants.values() if username is None or p.username == username]
    return None if not others else any(p.recording for p in others)


def toasts_of(view: CallView) -> list[tuple[str, ToastKind]]:
    said: list[tuple[str, ToastKind]] = []
    view.toast.connect(lambda text, kind: said.append((text, kind)))
    return said


# ---- the bar on its own ------------------------------------------------------------------------------------


@pytest.fixture
def bar(qtbot: QtBot, qapp: QApplication) -> Iterator[RecordingBar]:
    assert i18n.install(qapp, "en") == "en"  # the English plural forms, as the app loads them
    widget = RecordingBar()
    qtbot.addWidget(widget)
    holder = QWidget()
    widget.setParent(holder)
    holder.show()
    yield widget
    holder.close()
    i18n.uninstall(qapp)


def test_the_bar_says_who_records_and_offers_record_to_hosts_only(bar: RecordingBar) -> None:
    assert not bar.isVisible()  # nobody records and we may not: nothing takes room in the top bar
    bar.show_state(can_record=True, own=RecordingState.IDLE, elapsed_s=0, others=[])
    assert bar.record_button.isVisible() and not bar.notice.isVisible() and not bar.stop_button.isVisible()
    bar.show_state(can_record=False, own=RecordingState.IDLE, elapsed_s=0, others=["ada"])
    assert bar.notice.isVisible() and bar.notice.text() == "REC"
    assert "ada" in bar.who.text() and "is recording" in bar.who.text()
    assert not bar.record_button.isVisible()
    bar.show_state(can_record=False, own=RecordingState.IDLE, elapsed_s=0, others=["ada", "grace", "linus"])
    assert "and 2 others are recording" in bar.who.text()
    bar.show_state(can_record=True, own=RecordingState.RECORDING, elapsed_s=65, others=[])
    assert bar.who.text() == "You are recording · 1:05"
    assert bar.notice.isVisible() and bar.stop_button.isVisible() and not bar.record_button.isVisible()
    assert bar.pause_button.accessibleName() == "Pause recording"
    bar.show_state(can_record=True, own=RecordingState.PAUSED, elapsed_s=3725, others=[])
    assert bar.who.text() == "Recording paused · 1:02:05"
    assert not bar.notice.isVisible()  # paused: nobody is being recorded
    assert bar.pause_button.accessibleName() == "Resume recording"


def test_recorded_time_reads_like_a_recorders_display() -> None:
    assert [clock_time(s) for s in (0, 9.9, 61, 3600, 36000 + 62)] == ["0:00", "0:09", "1:01", "1:00:00", "10:01:02"]


# ---- a real call -------------------------------------------------------------------------------------------


def test_a_host_records_the_room_is_told_and_the_file_plays(
    qtbot: QtBot, app: AppHarness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "Videos" / "NIMeet"  # made by the first recording
    monkeypatch.setenv("NIMEET_RECORDINGS_DIR", str(folder))
    app.run(with_bots(app, qtbot, lambda app, bots, qtbot: record_a_call(app, bots, qtbot, folder)), timeout=150)


async def record_a_call(app: AppHarness, bots: Bots, qtbot: QtBot, folder: Path) -> None:
    window = await enter_call(app, qtbot)
    view = window.call_view
    said = toasts_of(view)
    bar = view.recording_bar
    assert window.context.user is not None
    me = window.context.user.username
    (ada,) = await bots.join(view.room_id, 1)
    await until(lambda: len(view.grid.tiles()) == 2 and bar.record_button.isVisible(), what="a host's Record")
    assert sees_recording(ada) is False

    qtbot.mouseClick(bar.record_button, Qt.MouseButton.LeftButton)
    await until(lambda: sees_recording(ada) is True, what="the room told that we record")
    await until(lambda: bar.stop_button.isVisible() and bar.notice.isVisible(), what="REC and Stop")
    assert any("Everyone in the call sees" in text for text, _ in said)
    await until(lambda: len(list_recordings(folder)) == 1, what="the file")  # made as its first frames are written
    (path,) = list_recordings(folder)
    assert path.name.startswith("NIMeet ") and path.suffix in (".mp4", ".webm")

    # Someone who comes later sees it at once: the join's participants carry it.
    grace = (await bots.join(view.room_id, 1))[-1]
    assert sees_recording(grace, me) is True
    controller = view.recording_controller
    assert controller is not None
    await until(lambda: bar.who.text().startswith("You are recording · 0:"), what="the time recorded shown")

    # Paused: the room sees the notice go, and comes back on resume.
    qtbot.mouseClick(bar.pause_button, Qt.MouseButton.LeftButton)
    await until(lambda: sees_recording(ada) is False and sees_recording(grace) is False, what="paused told")
    await until(lambda: bar.who.text().startswith("Recording paused"), what="paused shown")
    qtbot.mouseClick(bar.pause_button, Qt.MouseButton.LeftButton)
    await until(lambda: sees_recording(ada) is True, what="resumed told")
    # (The time shown is read once a second: a loaded machine may skip a second of it, so the figure is compared.)
    await until(lambda: controller.elapsed_s >= 3 and bar.who.text().startswith("You are"), timeout=15, what="3 s")

    qtbot.mouseClick(bar.stop_button, Qt.MouseButton.LeftButton)
    await until(lambda: sees_recording(ada) is False, what="stop told")
    await until(lambda: any(text.startswith("Recording saved as") for text, _ in said), what="saved said")
    assert bar.record_button.isVisible() and not bar.notice.isVisible()
    got = recorded.read(str(path))
    assert 2.5 < got.video_span_s < 30, got.video_span_s
    assert got.video_frames > 2.5 * 10  # the call's frame rate, well below it on a loaded machine, never a few frames
    assert got.audio.size > 2.5 * 48_000 * 0.9

    # A second recording, left running when the call is left: finished, and said where, on the way out.
    qtbot.mouseClick(bar.record_button, Qt.MouseButton.LeftButton)
    await until(lambda: controller.elapsed_s >= 1, timeout=15, what="a second recorded")
    await until(lambda: len(list_recordings(folder)) == 2, what="a second file")
    await view.leave_async()
    await until(lambda: sees_recording(ada, me) is None, what="we are gone, and our notice with us")
    assert sum(text.startswith("Recording saved as") for text, _ in said) == 2
    second = next(p for p in list_recordings(folder) if p != path)
    assert recorded.read(str(second)).video_frames > 0


def test_a_full_disk_stops_the_recording_says_so_and_keeps_the_file(
    qtbot: QtBot, app: AppHarness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with small_disk(tmp_path / "small-disk", "256k") as folder:
        monkeypatch.setenv("NIMEET_RECORDINGS_DIR", str(folder))
        app.run(with_bots(app, qtbot, lambda app, bots, qtbot: fill_the_disk(app, bots, qtbot, folder)), timeout=120)


async def fill_the_disk(app: AppHarness, bots: Bots, qtbot: QtBot, folder: Path) -> None:
    window = await enter_call(app, qtbot)
    view = window.call_view
    said = toasts_of(view)
    bar = view.recording_bar
    (ada,) = await bots.join(view.room_id, 1)
    await until(lambda: bar.record_button.isVisible(), what="a host's Record")
    qtbot.mouseClick(bar.record_button, Qt.MouseButton.LeftButton)
    await until(lambda: sees_recording(ada) is True, what="recording told")
    await until(lambda: any("disk is full" in text for text, _ in said), timeout=60, what="the disk full said")
    assert [kind for text, kind in said if "disk is full" in text] == [ToastKind.ERROR]
    await until(lambda: sees_recording(ada) is False, what="the room told it stopped")
    await until(lambda: bar.record_button.isVisible() and not bar.notice.isVisible(), what="Record again")
    (path,) = list_recordings(folder)
    assert path.stat().st_size > 0
    assert frames_until_broken(path) > 0  # what was written plays


def frames_until_broken(path: Path) -> int:
    """Video frames decoded up to the end or the first broken packet: the disk filled mid-fragment, and a player
    plays what comes before it."""
    frames = 0
    with av.open(str(path)) as container:
        try:
            for packet in container.demux(video=0):
                frames += len(packet.decode())
        except av.error.InvalidDataError:
            pass
    return frames


def test_a_host_made_a_participant_stops_recording_and_keeps_the_file(
    qtbot: QtBot, app: AppHarness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NIMEET_RECORDINGS_DIR", str(tmp_path))
    app.run(lose_the_role(app, qtbot, tmp_path), timeout=120)


async def lose_the_role(app: AppHarness, qtbot: QtBot, folder: Path) -> None:
    """The app joins another account's room; its owner makes it a host, it records, the owner makes it a
    participant again: the right to record goes with the role."""
    owner = await Owner(app.server.url).sign_up()
    try:
        room = (await owner.api.create_room("Board meeting")).room
        peer = await owner.enter(room.room_id)
        window = await signed_in(app, qtbot)
        window.open_prejoin(room.room_id)
        prejoin = window.prejoin
        await until(lambda: prejoin.join_button.isEnabled() and prejoin.room is not None, what="pre-join")
        qtbot.mouseClick(prejoin.join_button, Qt.MouseButton.LeftButton)
        view = window.call_view
        await until(lambda: view.call is not None and view.call.self_participant is not None, what="in the call")
        said = toasts_of(view)
        bar = view.recording_bar
        assert view.call is not None and view.call.self_participant is not None
        me = view.call.self_participant.socket_id
        assert not bar.record_button.isVisible()  # a participant may not record
        assert (await peer.call("set-role", {"target": me, "role": "host"}))["ok"]
        await until(lambda: bar.record_button.isVisible(), what="a host's Record")
        qtbot.mouseClick(bar.record_button, Qt.MouseButton.LeftButton)
        notice = await peer.log.next("recording-changed", timeout=10)
        assert notice == {"socketId": me, "active": True}
        assert (await peer.call("set-role", {"target": me, "role": "participant"}))["ok"]
        await until(lambda: any("no longer a host" in text for text, _ in said), what="the stop said")
        assert await peer.log.next("recording-changed", timeout=10) == {"socketId": me, "active": False}
        assert not bar.record_button.isVisible() and not bar.stop_button.isVisible()
        (path,) = list_recordings(folder)
        assert frames_until_broken(path) > 0
        await view.leave_async()
    finally:
        await owner.close()
