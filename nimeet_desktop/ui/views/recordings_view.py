"""The recordings screen: the calls recorded into the recordings folder, newest first, with each one's date, length
and size, and what a person does with them: open, show in the folder, delete (to the trash where there is one).

The list is the folder's files (nimeet_desktop/recordings.py), read again whenever the screen shows and whenever
the folder changes (a recording started or finished, a file deleted in the file manager). A recording's length is
read from its container with PyAV on a worker thread: a file on a slow or network disk never stalls the window, and
a file still being written or broken shows "—".
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from PySide6.QtCore import (
    QFile,
    QFileSystemWatcher,
    QLocale,
    QObject,
    QRunnable,
    Qt,
    QThreadPool,
    QTimer,
    QUrl,
    Signal,
)
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QMessageBox,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from nimeet_desktop.media.recording.probe import duration_s
from nimeet_desktop.recordings import list_recordings, recordings_folder
from nimeet_desktop.ui.context import AppContext
from nimeet_desktop.ui.delete_question import Names, ask_to_delete
from nimeet_desktop.ui.form import card, title
from nimeet_desktop.ui.meeting.texts import clock_time
from nimeet_desktop.ui.show_in_folder import show_in_folder
from nimeet_desktop.ui.untrusted import ADDRESS_CHARS, ElidedLabel, clip, isolate, plain_label, tooltip
from nimeet_desktop.ui.views.history_view import when_text

logger = logging.getLogger(__name__)

PATH_ROLE = Qt.ItemDataRole.UserRole
STAMP_ROLE = Qt.ItemDataRole.UserRole + 1  # the file's _Stamp when listed: a length read of another one is stale
NAME, WHEN, DURATION, SIZE = range(4)
NO_VALUE = "—"  # a length that cannot be told (a file being written, a broken one)
RESCAN_DELAY_MS = 300
"""The folder changed: read it again this long after the last change (a recording being written changes it often)."""


@dataclass(frozen=True, slots=True)
class _Stamp:
    """What a file was when its length was read: a file that has changed since is read again."""

    size: int
    mtime_ns: int


def _stamp(path: Path) -> _Stamp | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return _Stamp(stat.st_size, stat.st_mtime_ns)


class _Probed(QObject):
    done = Signal(str, object, object)  # path, its _Stamp, the length in seconds or None


class _Probe(QRunnable):
    """One file's length, read on the pool's thread; the answer comes back to the window's thread as a signal
    (``signals`` lives there: the view owns it, and the view's pool is gone, all probes done, before it)."""

    def __init__(self, path: Path, stamp: _Stamp, signals: _Probed) -> None:
        super().__init__()
        self.path, self.stamp, self.signals = path, stamp, signals

    def run(self) -> None:
        self.signals.done.emit(str(self.path), self.stamp, duration_s(self.path))


def duration_text(seconds: float | None) -> str:
    """ "4:05" or "1:02:03"; "—" without a length."""
    return NO_VALUE if seconds is None else clock_time(round(seconds))


def size_text(size: int) -> str:
    """ "164.9 kB", "1.5 GB": powers of 1000 as GNOME's Files and the Finder count, in the UI language's words (its
    IEC "KiB" is not translated: Russian would read "KiB" among Cyrillic)."""
    return QLocale().formattedDataSize(size, 1, QLocale.DataSizeFormat.DataSizeSIFormat)


class RecordingsView(QWidget):
    back = Signal()
    toast = Signal(str)
    error_toast = Signal(str)

    def __init__(self, context: AppContext) -> None:
        super().__init__()
        self.context = context
        # One thread: a length is a few milliseconds to read, and the machine runs a call besides. The pool is the
        # view's first child, so it is destroyed (waiting for its probes) before the object they report through.
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)
        self.probed = _Probed(self)
        self.probed.done.connect(self._probed)
        self._lengths: dict[str, tuple[_Stamp, float | None]] = {}  # read lengths, kept while the file is unchanged
        self._probing: set[tuple[str, _Stamp]] = set()
        self.delete_question: QMessageBox | None = None
        self.folder_dialog: QFileDialog | None = None
        self.watcher = QFileSystemWatcher(self)
        self.rescan = QTimer(self)
        self.rescan.setSingleShot(True)
        self.rescan.setInterval(RESCAN_DELAY_MS)

        self.back_button = QPushButton(self.tr("Back"))
        self.back_button.setObjectName("recordingsBack")
        self.open_folder_button = QPushButton(self.tr("Open folder"))
        self.open_folder_button.setObjectName("openRecordingsFolder")
        self.change_folder_button = QPushButton(self.tr("Change folder…"))
        self.change_folder_button.setObjectName("changeRecordingsFolder")
        self.default_folder_button = QPushButton(self.tr("Use default"))
        self.default_folder_button.setObjectName("defaultRecordingsFolder")
        self.default_folder_button.setToolTip(self.tr("Save recordings in the NIMeet folder of your videos again"))
        header = QHBoxLayout()
        heading = title(self.tr("Recordings"))
        heading.setObjectName("recordingsTitle")
        header.addWidget(heading, 1)
        header.addWidget(self.back_button, 0, Qt.AlignmentFlag.AlignTop)

        folder_card, folder_layout = card()
        self.folder_label = ElidedLabel(limit=ADDRESS_CHARS)  # a path the person chose: elided, never wider
        self.folder_label.setObjectName("recordingsFolder")
        folder_row = QHBoxLayout()
        saved_in = plain_label(self.tr("Saved in:"))
        folder_row.addWidget(saved_in)
        folder_row.addWidget(self.folder_label, 1)
        folder_buttons = QHBoxLayout()
        folder_buttons.addWidget(self.open_folder_button)
        folder_buttons.addWidget(self.change_folder_button)
        folder_buttons.addWidget(self.default_folder_button)
        folder_buttons.addStretch(1)
        folder_layout.addLayout(folder_row)
        folder_layout.addLayout(folder_buttons)

        list_card, list_layout = card()
        self.count_label = plain_label()
        self.count_label.setObjectName("recordingsCount")
        self.count_label.setProperty("role", "secondary")
        self.tree = QTreeWidget()
        self.tree.setObjectName("recordingsList")
        self.tree.setColumnCount(4)
        self.tree.setHeaderLabels([self.tr("Name"), self.tr("Date"), self.tr("Duration"), self.tr("Size")])
        self.tree.setRootIsDecorated(False)
        self.tree.setAlternatingRowColors(True)
        self.tree.setUniformRowHeights(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # the date in the name and the extension stay
        for column in (DURATION, SIZE):  # numbers: right-aligned, their headings too
            self.tree.headerItem().setTextAlignment(column, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        header_view = self.tree.header()
        header_view.setStretchLastSection(False)
        header_view.setSectionResizeMode(NAME, QHeaderView.ResizeMode.Stretch)
        for column in (WHEN, DURATION, SIZE):
            header_view.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.empty_label = plain_label()
        self.empty_label.setObjectName("recordingsEmpty")
        self.empty_label.setWordWrap(True)
        self.open_button = QPushButton(self.tr("Open"))
        self.open_button.setObjectName("openRecording")
        self.reveal_button = QPushButton(self.tr("Show in folder"))
        self.reveal_button.setObjectName("showRecording")
        self.delete_button = QPushButton(self.tr("Delete"))
        self.delete_button.setObjectName("deleteRecording")
        actions = QHBoxLayout()
        actions.addWidget(self.delete_button)
        actions.addStretch(1)
        actions.addWidget(self.reveal_button)
        actions.addWidget(self.open_button)
        list_layout.addWidget(self.count_label)
        list_layout.addWidget(self.tree, 1)
        list_layout.addWidget(self.empty_label)
        list_layout.addLayout(actions)

        outer = QVBoxLayout(self)
        outer.setContentsMargins(32, 24, 32, 24)
        outer.setSpacing(16)
        outer.addLayout(header)
        outer.addWidget(folder_card)
        outer.addWidget(list_card, 1)

        self.back_button.clicked.connect(self.back)
        self.open_folder_button.clicked.connect(self.open_folder)
        self.change_folder_button.clicked.connect(self.choose_folder)
        self.default_folder_button.clicked.connect(self.use_default_folder)
        self.open_button.clicked.connect(lambda: self.open_recording(self.selected()))
        self.reveal_button.clicked.connect(lambda: self.reveal(self.selected()))
        self.delete_button.clicked.connect(lambda: self.ask_delete(self.selected()))
        self.tree.itemActivated.connect(lambda item, _column: self.open_recording(_item_path(item)))
        self.tree.currentItemChanged.connect(lambda *_: self._update_buttons())
        self.watcher.directoryChanged.connect(lambda _path: self.rescan.start())
        self.rescan.timeout.connect(self._folder_changed)
        self._update_buttons()

    # ---- the list ---------------------------------------------------------------------------------------

    @property
    def folder(self) -> Path:
        return recordings_folder(self.context.settings.recordings_folder)

    def refresh(self) -> None:
        """Read the folder again: the files newest first, their lengths from what was read before or on the pool."""
        folder = self.folder
        self._watch(folder)
        self.folder_label.setText(str(folder))
        self.default_folder_button.setVisible(bool(self.context.settings.recordings_folder))
        selected = self.selected()
        files = list_recordings(folder)
        listed = {str(path) for path in files}
        self._lengths = {key: known for key, known in self._lengths.items() if key in listed}  # deleted: forgotten
        self.tree.clear()
        for path in files:
            stamp = _stamp(path)
            if stamp is None:  # gone between the listing and now
                continue
            item = QTreeWidgetItem()
            item.setData(NAME, PATH_ROLE, str(path))
            item.setData(NAME, STAMP_ROLE, stamp)
            item.setText(NAME, clip(path.name))  # whatever the file is called: capped, controls shown
            item.setToolTip(NAME, tooltip(path.name))
            moment = datetime.fromtimestamp(stamp.mtime_ns / 1e9, UTC)
            item.setText(WHEN, when_text(moment))
            item.setText(SIZE, size_text(stamp.size))
            for column in (DURATION, SIZE):
                item.setTextAlignment(column, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            known = self._lengths.get(str(path))
            if known is not None and known[0] == stamp:
                item.setText(DURATION, duration_text(known[1]))
            else:
                item.setText(DURATION, "…")
                self._probe(path, stamp)
            self.tree.addTopLevelItem(item)
            if path == selected:
                self.tree.setCurrentItem(item)
        count = self.tree.topLevelItemCount()
        first = self.tree.topLevelItem(0)
        if first is not None and self.tree.currentItem() is None:
            self.tree.setCurrentItem(first)  # Open and Delete then work at once on the newest
        self.count_label.setText(self.tr("%n recording(s)", "", count))
        self.empty_label.setText(
            ""
            if count
            else self.tr("No recordings yet. When you record a call, the recording is saved in {folder}.").format(
                folder=isolate(str(folder), ADDRESS_CHARS)
            )
        )
        self.empty_label.setVisible(not count)
        self.tree.setVisible(bool(count))
        self._update_buttons()

    def _folder_changed(self) -> None:
        # Only for the screen on show: showing it lists the folder anyway, and in a call nobody looks at it.
        if self.isVisible():
            self.refresh()

    def _watch(self, folder: Path) -> None:
        """Watch the folder (a file added, renamed or removed), or while it does not exist its parent (it appears
        with the first recording)."""
        target = folder if folder.is_dir() else folder.parent
        watched = self.watcher.directories()
        if watched == [str(target)]:
            return
        if watched:
            self.watcher.removePaths(watched)
        if target.is_dir():
            self.watcher.addPath(str(target))

    def _probe(self, path: Path, stamp: _Stamp) -> None:
        key = (str(path), stamp)
        if key in self._probing:
            return
        self._probing.add(key)
        self.pool.start(_Probe(path, stamp, self.probed))

    def _probed(self, path: str, stamp: _Stamp, seconds: float | None) -> None:
        self._probing.discard((path, stamp))
        self._lengths[path] = (stamp, seconds)
        item = self._item(path)
        if item is not None and item.data(NAME, STAMP_ROLE) == stamp:
            item.setText(DURATION, duration_text(seconds))

    @property
    def probing(self) -> bool:
        """Lengths still being read (tests wait for it)."""
        return bool(self._probing)

    def _item(self, path: str) -> QTreeWidgetItem | None:
        for index in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(index)
            if item is not None and item.data(NAME, PATH_ROLE) == path:
                return item
        return None

    def selected(self) -> Path | None:
        item = self.tree.currentItem()
        return None if item is None else _item_path(item)

    def _update_buttons(self) -> None:
        chosen = self.selected() is not None
        for button in (self.open_button, self.reveal_button, self.delete_button):
            button.setEnabled(chosen)

    # ---- actions ----------------------------------------------------------------------------------------

    def open_recording(self, path: Path | None) -> None:
        """The recording in the system's player."""
        if path is not None and not QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))):
            self.error_toast.emit(self.tr("No application could open the recording"))

    def reveal(self, path: Path | None) -> None:
        if path is not None:
            show_in_folder(path, self, lambda: self.error_toast.emit(self.tr("Could not open the folder")))

    def open_folder(self) -> None:
        folder = self.folder
        try:  # the folder the empty list names: made, so that the file manager has something to show
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            logger.info("recordings: cannot make %s: %s", folder, exc)
        if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder))):
            self.error_toast.emit(self.tr("Could not open the folder"))

    def ask_delete(self, path: Path | None) -> None:
        if path is None or self.delete_question is not None:
            return
        self.delete_question = ask_to_delete(
            self,
            Names("deleteRecordingQuestion", "confirmDeleteRecording", "cancelDeleteRecording"),
            title=self.tr("Delete recording?"),
            text=self.tr("Delete “{name}”?").format(name=isolate(path.name, ADDRESS_CHARS)),
            detail=self.tr(
                "It goes to the trash, where you can restore it; where there is no trash, it is deleted for good."
            ),
            answered=lambda question, yes: self._delete_answered(question, path, yes),
        )

    def _delete_answered(self, question: QMessageBox, path: Path, yes: bool) -> None:
        if self.delete_question is question:
            self.delete_question = None
        question.deleteLater()
        if yes:
            self.delete(path)

    def delete(self, path: Path) -> None:
        """To the trash where the system has one for it, else deleted; a file that cannot go stays listed."""
        if QFile(str(path)).moveToTrash():
            self.toast.emit(self.tr("Recording moved to the trash"))
        else:
            try:
                path.unlink()
            except FileNotFoundError:
                pass  # gone already (deleted in the file manager): the list catches up
            except OSError as exc:
                logger.warning("recordings: cannot delete %s: %s", path, exc)
                self.error_toast.emit(
                    self.tr("Could not delete “{name}”: {reason}").format(
                        name=isolate(path.name, ADDRESS_CHARS), reason=exc.strerror or str(exc)
                    )
                )
                self.refresh()
                return
            else:
                self.toast.emit(self.tr("Recording deleted"))
        self.refresh()

    # ---- the folder -------------------------------------------------------------------------------------

    def choose_folder(self) -> None:
        if self.folder_dialog is not None:
            return
        dialog = QFileDialog(self, self.tr("Folder for recordings"))
        dialog.setObjectName("recordingsFolderDialog")
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
        folder = self.folder
        dialog.setDirectory(str(folder if folder.is_dir() else folder.parent))
        dialog.fileSelected.connect(self.set_folder)
        dialog.finished.connect(lambda _result: self._folder_dialog_closed(dialog))
        self.folder_dialog = dialog
        dialog.open()

    def _folder_dialog_closed(self, dialog: QFileDialog) -> None:
        if self.folder_dialog is dialog:
            self.folder_dialog = None
        dialog.deleteLater()

    def set_folder(self, folder: str) -> None:
        """Recordings go to ``folder`` from now on (the settings keep it); the list shows what is there."""
        if not folder:
            return
        self.context.settings.recordings_folder = folder
        self.context.save_settings()
        self.refresh()

    def use_default_folder(self) -> None:
        self.context.settings.recordings_folder = None
        self.context.save_settings()
        self.refresh()

    async def shutdown(self) -> None:
        """Stop what this screen started; the window awaits it when it closes."""
        self.rescan.stop()
        self.pool.clear()  # lengths not started yet: nobody will look at them
        self.pool.waitForDone(2000)  # one header read at most: milliseconds


def _item_path(item: QTreeWidgetItem) -> Path:
    return Path(str(item.data(NAME, PATH_ROLE)))
