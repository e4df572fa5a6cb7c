"""Files in the chat: a file someone sent (name, size, Save, and while saving a progress bar with Cancel, then
"checked" or what went wrong), and a file of ours on its way up (a progress bar with Cancel).

The rows show what they are told: the transfers themselves, and the SHA-256 check of what was saved, are done by
whoever answers the chat's signals.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QProgressBar, QPushButton, QToolButton, QVBoxLayout, QWidget

from nimeet_desktop.ui import icons
from nimeet_desktop.ui.meeting.texts import file_size
from nimeet_desktop.ui.untrusted import MESSAGE_CHARS, ElidedLabel, clip, plain_label
from signaling_server.protocol import FileInfo

PROGRESS_STEPS = 1000  # the bars' range: a fraction to 0.1 %


def _bar() -> QProgressBar:
    bar = QProgressBar()
    bar.setObjectName("transferProgress")
    bar.setRange(0, PROGRESS_STEPS)
    bar.setTextVisible(False)
    bar.setFixedHeight(6)
    return bar


def _fraction_steps(fraction: float) -> int:
    return round(min(1.0, max(0.0, fraction)) * PROGRESS_STEPS)


def _file_icon() -> QWidget:
    label = plain_label()
    label.setPixmap(icons.icon("file").pixmap(QSize(24, 24), label.devicePixelRatioF()))
    label.setFixedSize(24, 24)
    return label


class FileMessage(QFrame):
    """A file in the chat, with Save; after a save, whether the bytes were checked against the file's SHA-256."""

    save_requested = Signal(object)  # FileInfo
    cancel_requested = Signal(str)  # file id

    def __init__(self, info: FileInfo, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("transferRow")
        self.info = info
        self.downloading = False
        self.name = ElidedLabel(info.name)
        self.name.setObjectName("fileName")
        self.detail = plain_label(file_size(info.size))
        self.detail.setObjectName("fileDetail")
        self.detail.setProperty("role", "secondary")
        self.detail.setWordWrap(True)
        self.save_button = QPushButton(self.tr("Save"))
        self.save_button.setObjectName("saveFileButton")
        self.save_button.setAccessibleName(self.tr("Save {name}").format(name=clip(info.name)))
        self.save_button.clicked.connect(lambda: self.save_requested.emit(self.info))
        self.progress = _bar()
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self.cancel_button.setObjectName("cancelDownloadButton")
        self.cancel_button.clicked.connect(lambda: self.cancel_requested.emit(self.info.id))

        text = QVBoxLayout()
        text.setSpacing(0)
        text.addWidget(self.name)
        text.addWidget(self.detail)
        top = QHBoxLayout()
        top.setSpacing(8)
        top.addWidget(_file_icon())
        top.addLayout(text, 1)
        top.addWidget(self.save_button)
        self.progress_row = QWidget()
        progress = QHBoxLayout(self.progress_row)
        progress.setContentsMargins(0, 0, 0, 0)
        progress.addWidget(self.progress, 1)
        progress.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.setSpacing(4)
        layout.addLayout(top)
        layout.addWidget(self.progress_row)
        self.progress_row.hide()

    def download_started(self) -> None:
        self.downloading = True
        self.progress.setValue(0)
        self.progress_row.show()
        self.save_button.setEnabled(False)
        self.detail.setProperty("role", "secondary")
        self.detail.setText(self.tr("{size} · saving…").format(size=file_size(self.info.size)))
        self._restyle()

    def download_progress(self, fraction: float) -> None:
        if not self.downloading:
            self.download_started()
        self.progress.setValue(_fraction_steps(fraction))

    def download_finished(self, error: str | None) -> None:
        """``error`` None: saved, and its SHA-256 matched; else a sentence saying what went wrong."""
        self.downloading = False
        self.progress_row.hide()
        self.save_button.setEnabled(True)
        size = file_size(self.info.size)
        if error is None:
            self.detail.setProperty("role", "secondary")
            self.detail.setText(self.tr("{size} · saved, checked").format(size=size))
            self.detail.setToolTip(self.tr("What was saved matches the file that was sent (SHA-256)"))
        else:
            self.detail.setProperty("role", "error")
            self.detail.setText(clip(error, MESSAGE_CHARS))
            self.detail.setToolTip("")
        self._restyle()

    def _restyle(self) -> None:
        style = self.detail.style()
        style.unpolish(self.detail)
        style.polish(self.detail)


class UploadRow(QFrame):
    """A file of ours on its way to the meeting: a progress bar and Cancel; if it fails, why, and a Close button."""

    cancel_requested = Signal(str)  # token
    dismissed = Signal(str)  # token: a failed upload's row was closed

    def __init__(self, token: str, name: str, size: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("transferRow")
        self.token = token
        self.file_bytes = size
        self.failed = False
        self.name = ElidedLabel(name)
        self.name.setObjectName("uploadName")
        self.detail = plain_label()
        self.detail.setObjectName("uploadDetail")
        self.detail.setProperty("role", "secondary")
        self.detail.setWordWrap(True)
        self.progress = _bar()
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self.cancel_button.setObjectName("cancelUploadButton")
        self.cancel_button.clicked.connect(lambda: self.cancel_requested.emit(self.token))
        self.close_button = QToolButton()
        self.close_button.setObjectName("dismissUploadButton")
        self.close_button.setAutoRaise(True)
        self.close_button.setIcon(icons.icon("close"))
        self.close_button.setToolTip(self.tr("Close"))
        self.close_button.setAccessibleName(self.tr("Close"))
        self.close_button.clicked.connect(lambda: self.dismissed.emit(self.token))
        self.close_button.hide()

        text = QVBoxLayout()
        text.setSpacing(2)
        text.addWidget(self.name)
        text.addWidget(self.detail)
        text.addWidget(self.progress)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.setSpacing(8)
        layout.addWidget(_file_icon(), 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(text, 1)
        layout.addWidget(self.cancel_button)
        layout.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)
        self.set_progress(0.0)

    def set_progress(self, fraction: float) -> None:
        steps = _fraction_steps(fraction)
        self.progress.setValue(steps)
        self.detail.setText(
            self.tr("Sending… {percent}% of {size}").format(percent=steps // 10, size=file_size(self.file_bytes))
        )

    def fail(self, error: str) -> None:
        self.failed = True
        self.progress.hide()
        self.cancel_button.hide()
        self.close_button.show()
        self.detail.setProperty("role", "error")
        self.detail.setText(clip(error, MESSAGE_CHARS))
        style = self.detail.style()
        style.unpolish(self.detail)
        style.polish(self.detail)
