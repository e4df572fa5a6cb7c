"""The recordings screen with real recordings: files written by the app's own recording container (PyAV) into a
temporary folder (``NIMEET_RECORDINGS_DIR``), their lengths read back off the GUI thread, newest first; Open and
Open folder caught where the app hands a URL to the desktop (``QDesktopServices.setUrlHandler``); Delete asks,
moves to a real trash (``XDG_DATA_HOME`` in the test's folder), and a file on a read-only filesystem (a real tmpfs)
stays listed with a message; another folder chosen in the folder dialog, and the default again."""

from __future__ import annotations

import asyncio
import os
import subprocess
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import av
import numpy as np
import pytest
from PySide6.QtCore import QLocale, QObject, Qt, QTime, QUrl, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton
from pytestqt.qtbot import QtBot

from nimeet_desktop.media.base import AUDIO_SAMPLE_RATE
from nimeet_desktop.media.provider import SyntheticMediaProvider
from nimeet_desktop.media.recording.container import RecordingFile
from nimeet_desktop.net.credentials import CredentialStore
from nimeet_desktop.settings import Settings, SettingsStore
from nimeet_desktop.ui.context import AppContext
from nimeet_desktop.ui.views.recordings_view import DURATION, NAME, RESCAN_DELAY_MS, SIZE, WHEN, RecordingsView
from tests.support.memory_keyring import MemoryKeyring
from tests.support.small_disk import small_disk
from tests.ui.conftest import AppHarness, Run, new_user, register, until
from tests.ui.layout_checks import clipped_widgets, squashed_widgets

FPS = 10


def at(year: int, month: int, day: int, hour: int, minute: int) -> float:
    """A local date and time as a file's modification time."""
    return datetime(year, month, day, hour, minute).timestamp()


def record(path: Path, seconds: int, modified: float | None = None) -> Path:
    """A real recording of ``seconds`` seconds (a moving bar and silence) in the app's own container."""
    recording = RecordingFile(path, 160, 96, FPS)
    try:
        for index in range(seconds * FPS):
            luma = np.full((96 * 3 // 2, 160), 90, dtype=np.uint8)
            luma[:96, (index * 4) % 140 :][:, :20] = 230
            recording.write_video(av.VideoFrame.from_ndarray(luma, format="yuv420p"), index)
        for block in range(seconds * 50):  # 20 ms blocks
            audio = av.AudioFrame.from_ndarray(np.zeros((1, 960), np.int16), format="s16", layout="mono")
            audio.sample_rate = AUDIO_SAMPLE_RATE
            audio.pts = block * 960
            recording.write_audio(audio)
    finally:
        recording.close()
    if modified is not None:
        os.utime(path, (modified, modified))
    return path


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The default recordings folder, and a trash of the test's own (Qt's moveToTrash uses $XDG_DATA_HOME/Trash)."""
    recordings = tmp_path / "Videos" / "NIMeet"
    recordings.mkdir(parents=True)
    monkeypatch.setenv("NIMEET_RECORDINGS_DIR", str(recordings))
    (tmp_path / "data").mkdir()
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    return recordings


@pytest.fixture
def view(tmp_path: Path, folder: Path, run: Run, qtbot: QtBot) -> Iterator[RecordingsView]:
    """The screen on its own (it needs no server): the app's context, its settings in the test's folder."""
    store = SettingsStore(tmp_path / "config")
    context = AppContext(
        store,
        Settings(server_url="http://127.0.0.1:9", start_local_server=False),
        CredentialStore(backend=MemoryKeyring()),
        SyntheticMediaProvider(160, 96),
    )
    screen = RecordingsView(context)
    # Not given to qtbot.addWidget: pytest-qt closes and deletes its widgets (deleteLater) before the fixtures'
    # teardown, and the event loop that ``run`` turns could then delete the screen under ``shutdown`` (a CI run).
    screen.resize(1000, 640)
    screen.show()
    yield screen
    run(screen.shutdown())
    run(context.close())
    screen.close()
    screen.deleteLater()


class UrlCatcher(QObject):
    """Where the desktop would get the URLs the app opens: Qt's own hook for a scheme (no file manager here)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[QUrl] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.urls.append(url)


@pytest.fixture
def opened() -> Iterator[UrlCatcher]:
    catcher = UrlCatcher()
    # The stubs say bytes; PySide6 6.x takes the method's name only as str at run time.
    QDesktopServices.setUrlHandler("file", catcher, "open")  # type: ignore[arg-type]
    yield catcher
    QDesktopServices.unsetUrlHandler("file")


def rows(view: RecordingsView) -> list[list[str]]:
    tree = view.tree
    items = [tree.topLevelItem(i) for i in range(tree.topLevelItemCount())]
    return [[item.text(c) for c in (NAME, WHEN, DURATION, SIZE)] for item in items if item is not None]


def select(view: RecordingsView, name: str) -> None:
    for index in range(view.tree.topLevelItemCount()):
        item = view.tree.topLevelItem(index)
        if item is not None and item.text(NAME) == name:
            view.tree.setCurrentItem(item)
            return
    raise AssertionError(f"{name} is not listed: {rows(view)}")


def test_the_dashboard_opens_the_recordings_newest_first_with_their_lengths(
    qtbot: QtBot, app: AppHarness, folder: Path
) -> None:
    older = record(folder / "NIMeet Weekly sync 2026-12-01 10.00.00.mp4", 2, modified=at(2026, 12, 1, 10, 2))
    newer = record(folder / "NIMeet Design review 2026-12-02 15.30.00.webm", 4, modified=at(2026, 12, 2, 15, 34))
    broken = folder / "NIMeet Cut short 2026-12-02 11.00.00.mkv"
    broken.write_bytes(b"\x1a\x45\xdf\xa3" + b"\x00" * 100)  # Matroska's magic, then nothing a reader can use
    os.utime(broken, (at(2026, 12, 2, 11, 0), at(2026, 12, 2, 11, 0)))
    (folder / "notes.txt").write_text("not a recording")

    async def flow() -> None:
        window = app.build()
        await window.start()
        register(qtbot, window, new_user())
        await until(lambda: window.current is window.dashboard, what="the dashboard")
        qtbot.mouseClick(window.dashboard.recordings_button, Qt.MouseButton.LeftButton)
        view = window.recordings_view
        assert window.current is view
        await until(lambda: view.tree.topLevelItemCount() == 3 and not view.probing, what="the lengths read")
        listed = rows(view)
        assert [row[0] for row in listed] == [newer.name, broken.name, older.name]
        assert [row[2] for row in listed] == ["0:04", "—", "0:02"]
        assert listed[0][3] == f"{newer.stat().st_size / 1000:.1f} kB"
        when = QLocale().toString(QTime(15, 34), QLocale.FormatType.ShortFormat)
        assert listed[0][1] == f"2 December 2026, {when}"  # when it was last written, this computer's time
        assert view.count_label.text() == "3 recording(s)"
        assert view.folder_label.full_text == str(folder)

        # A recording finished while the screen shows: the folder's watcher brings it in, its length read too.
        newest = record(folder / "NIMeet Standup 2026-12-03 09.00.00.mp4", 3)
        await until(lambda: view.tree.topLevelItemCount() == 4 and not view.probing, what="the new recording")
        assert rows(view)[0][0] == newest.name and rows(view)[0][2] == "0:03"

        qtbot.mouseClick(view.back_button, Qt.MouseButton.LeftButton)
        await until(lambda: window.current is window.dashboard, what="back on the dashboard")
        # Hidden, the screen leaves the folder alone (a recording ending in a call); shown again, it lists it.
        record(folder / "NIMeet Later 2026-12-03 11.00.00.webm", 1)
        await asyncio.sleep(RESCAN_DELAY_MS / 1000 + 0.3)
        assert view.tree.topLevelItemCount() == 4
        qtbot.mouseClick(window.dashboard.recordings_button, Qt.MouseButton.LeftButton)
        assert view.tree.topLevelItemCount() == 5

    app.run(flow())


def test_the_reading_of_lengths_never_holds_the_window(view: RecordingsView, folder: Path, run: Run) -> None:
    """The lengths come from the pool's thread: the list shows at once with "…", the lengths arrive after."""
    for index in range(3):
        record(folder / f"NIMeet Room {index}.webm", 1, modified=1_764_000_000 + index)
    (folder / "NIMeet Just started.mp4").touch()  # the recorder has opened it, nothing written yet
    view.refresh()
    assert [row[2] for row in rows(view)] == ["…"] * 4  # nothing read on the window's thread
    run(until(lambda: not view.probing, what="the lengths"))
    assert [row[2] for row in rows(view)] == ["—", "0:01", "0:01", "0:01"]
    view.refresh()  # unchanged files are not read again
    assert not view.probing and [row[2] for row in rows(view)] == ["—", "0:01", "0:01", "0:01"]


def test_open_and_open_folder_hand_the_desktop_the_file_and_its_folder(
    view: RecordingsView, folder: Path, opened: UrlCatcher, qtbot: QtBot
) -> None:
    """(Show in folder asks the file manager first: test_show_in_folder.py.)"""
    recording = record(folder / "NIMeet Weekly sync.mp4", 1)
    view.refresh()
    select(view, recording.name)
    qtbot.mouseClick(view.open_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(view.open_folder_button, Qt.MouseButton.LeftButton)
    assert [url.toLocalFile() for url in opened.urls] == [str(recording), str(folder)]
    item = view.tree.topLevelItem(0)
    assert item is not None
    centre = view.tree.visualItemRect(item).center()
    qtbot.mouseClick(view.tree.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    qtbot.mouseDClick(view.tree.viewport(), Qt.MouseButton.LeftButton, pos=centre)  # a double click plays it too
    assert [url.toLocalFile() for url in opened.urls][2:] == [str(recording)]


def test_a_file_name_is_shown_as_the_text_it_is(view: RecordingsView, folder: Path) -> None:
    """Anybody can put a file in the folder: markup, a line break or a right-to-left override in its name is shown
    literally (a tooltip escaped, a line break as U+FFFD), never read as markup or allowed to reorder the row."""
    hostile = folder / '<img src="x.png"><i>x\n\u202egpj.webm'
    hostile.write_bytes(b"")
    view.refresh()
    item = view.tree.topLevelItem(0)
    assert item is not None
    assert item.text(NAME) == '<img src="x.png"><i>x\ufffd\u202egpj.webm'
    assert item.toolTip(NAME).startswith("<qt>&lt;img src=&quot;x.png&quot;&gt;&lt;i&gt;")


def _answer(view: RecordingsView, qtbot: QtBot, button: str) -> None:
    qtbot.waitUntil(lambda: view.delete_question is not None and view.delete_question.isVisible())
    question = view.delete_question
    assert isinstance(question, QMessageBox)
    assert "NIMeet Weekly sync.mp4" in question.text()
    clicked = question.findChild(QPushButton, button)
    assert clicked is not None
    qtbot.mouseClick(clicked, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.delete_question is None)


def test_delete_asks_then_moves_the_recording_to_the_trash(
    view: RecordingsView, folder: Path, tmp_path: Path, qtbot: QtBot
) -> None:
    recording = record(folder / "NIMeet Weekly sync.mp4", 1)
    kept = record(folder / "NIMeet Other.webm", 1, modified=1_700_000_000)
    view.refresh()
    select(view, recording.name)
    qtbot.mouseClick(view.delete_button, Qt.MouseButton.LeftButton)
    _answer(view, qtbot, "cancelDeleteRecording")
    assert recording.exists() and view.tree.topLevelItemCount() == 2

    toasts: list[str] = []
    view.toast.connect(toasts.append)
    qtbot.mouseClick(view.delete_button, Qt.MouseButton.LeftButton)
    _answer(view, qtbot, "confirmDeleteRecording")
    assert not recording.exists()
    assert (tmp_path / "data" / "Trash" / "files" / recording.name).is_file()  # restorable
    assert [row[0] for row in rows(view)] == [kept.name]
    assert toasts == ["Recording moved to the trash"]


def test_a_recording_that_cannot_be_deleted_says_so_and_stays_listed(
    view: RecordingsView, tmp_path: Path, qtbot: QtBot
) -> None:
    with small_disk(tmp_path / "disk", "4m") as disk:
        recording = record(disk / "NIMeet Weekly sync.mp4", 1)
        remounted = subprocess.run(["mount", "-o", "remount,ro", str(disk)], capture_output=True)
        if remounted.returncode != 0:
            pytest.skip(f"cannot make the tmpfs read-only: {remounted.stderr.decode(errors='replace').strip()}")
        view.set_folder(str(disk))
        assert [row[0] for row in rows(view)] == [recording.name]
        errors: list[str] = []
        view.error_toast.connect(errors.append)
        qtbot.mouseClick(view.delete_button, Qt.MouseButton.LeftButton)
        _answer(view, qtbot, "confirmDeleteRecording")
        assert recording.exists()
        assert [row[0] for row in rows(view)] == [recording.name]
        assert len(errors) == 1 and errors[0].startswith("Could not delete")
        assert "NIMeet Weekly sync.mp4" in errors[0] and "Read-only file system" in errors[0], errors


def test_another_folder_is_chosen_kept_in_the_settings_and_the_default_comes_back(
    view: RecordingsView, folder: Path, tmp_path: Path, qtbot: QtBot
) -> None:
    record(folder / "NIMeet In the default.webm", 1)
    elsewhere = tmp_path / "Elsewhere"
    elsewhere.mkdir()
    there = record(elsewhere / "NIMeet Elsewhere.webm", 1)
    view.refresh()
    assert view.default_folder_button.isHidden()

    qtbot.mouseClick(view.change_folder_button, Qt.MouseButton.LeftButton)
    dialog = view.folder_dialog
    assert dialog is not None
    qtbot.waitUntil(dialog.isVisible)
    dialog.setDirectory(str(elsewhere))
    dialog.selectFile(str(elsewhere))
    dialog.accept()
    qtbot.waitUntil(lambda: view.folder_dialog is None)
    assert [row[0] for row in rows(view)] == [there.name]
    assert view.folder_label.full_text == str(elsewhere)
    assert SettingsStore(tmp_path / "config").load().recordings_folder == str(elsewhere)  # saved, not just shown
    assert view.default_folder_button.isVisible()

    qtbot.mouseClick(view.default_folder_button, Qt.MouseButton.LeftButton)
    assert [row[0] for row in rows(view)] == ["NIMeet In the default.webm"]
    assert SettingsStore(tmp_path / "config").load().recordings_folder is None
    assert view.default_folder_button.isHidden()


def test_the_empty_list_says_where_recordings_will_go(view: RecordingsView, folder: Path) -> None:
    folder.rmdir()  # not even made yet: the first recording makes it
    view.refresh()
    assert view.tree.isHidden() and view.empty_label.isVisible()
    assert str(folder) in view.empty_label.text()
    assert not view.open_button.isEnabled() and not view.delete_button.isEnabled()
    assert view.count_label.text() == "0 recording(s)"
    folder.mkdir()
    record(folder / "NIMeet First.webm", 1)
    view.refresh()
    assert view.empty_label.isHidden() and view.tree.isVisible()
    assert view.open_button.isEnabled() and view.delete_button.isEnabled()  # the newest is selected


@pytest.mark.usefixtures("russian")
def test_in_russian_with_plural_forms_and_nothing_cut_off(
    tmp_path: Path, folder: Path, run: Run, qtbot: QtBot, qapp: QApplication
) -> None:
    for index in range(2):
        record(folder / f"NIMeet Планёрка {index}.webm", 1)
    store = SettingsStore(tmp_path / "config")
    context = AppContext(
        store,
        Settings(server_url="http://127.0.0.1:9", start_local_server=False),
        CredentialStore(backend=MemoryKeyring()),
        SyntheticMediaProvider(160, 96),
    )
    view = RecordingsView(context)  # built in Russian, as the window rebuilds its screens
    qtbot.addWidget(view)
    view.resize(1100, 720)
    view.show()
    try:
        view.refresh()
        run(until(lambda: not view.probing, what="the lengths"))
        assert view.count_label.text() == "2 записи"
        assert view.open_button.text() == "Открыть"
        assert all(row[3].endswith(" кБ") for row in rows(view)), rows(view)  # sizes in Russian words too
        assert [*clipped_widgets(view), *squashed_widgets(view)] == []
    finally:
        run(view.shutdown())
        run(context.close())
