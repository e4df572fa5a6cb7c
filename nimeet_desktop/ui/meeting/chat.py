"""The Chat tab: the meeting's messages and files, and what to write and to whom.

Messages are grouped by sender as people write them: one name and time over consecutive messages of one person
(within ``GROUP_S``), private ones marked. The words go through ``ChatText`` (links, never markup); files are
``FileMessage`` rows with Save. Enter sends, Shift+Enter starts a new line; a file goes with the clip button or by
dropping it on the tab. Everything sent is a signal: a message shows when it comes back through ``add_message``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QEvent, QMimeData, QSize, QStandardPaths, Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDragLeaveEvent, QDropEvent, QKeyEvent, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QPlainTextEdit,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from nimeet_desktop.ui import icons
from nimeet_desktop.ui.meeting.chat_text import ChatText
from nimeet_desktop.ui.meeting.texts import local_time
from nimeet_desktop.ui.meeting.transfers import FileMessage, UploadRow
from nimeet_desktop.ui.untrusted import ElidedLabel, clip, isolate, plain_label
from signaling_server.protocol import CHAT_TEXT_MAX, ChatMessage, FileInfo, Participant

GROUP_S = 5 * 60  # messages of one person this close together share a name and time
INPUT_LINES = 5  # the input grows with what is typed up to this many lines, then scrolls
EVERYONE = ""  # the recipient box's value for "everyone"


@dataclass(frozen=True, slots=True)
class _GroupKey:
    sender: str  # socket id
    to: str | None
    mine: bool


class ChatInput(QPlainTextEdit):
    """What you write: Enter sends (``submitted``), Shift+Enter starts a new line; as tall as its lines, up to
    ``INPUT_LINES``."""

    submitted = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("chatInput")
        self.setTabChangesFocus(True)
        self.textChanged.connect(self._fit)
        self._fit()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
                self.insertPlainText("\n")
            else:
                self.submitted.emit()
            event.accept()
            return
        super().keyPressEvent(event)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.StyleChange, QEvent.Type.FontChange):
            self._fit()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._fit()

    def _fit(self) -> None:
        """As tall as the lines typed (up to ``INPUT_LINES``, then a scroll bar): the document's lines, its margin,
        and whatever the frame and the theme's padding take around the viewport."""
        lines = max(1, round(self.document().size().height()))  # QPlainTextEdit's document counts lines
        shown = min(INPUT_LINES, lines)
        chrome = self.height() - self.viewport().height() if self.isVisible() else 2 * self.frameWidth()
        margin = 2 * math.ceil(self.document().documentMargin())
        self.setFixedHeight(shown * self.fontMetrics().lineSpacing() + margin + chrome + 2)
        self.setVerticalScrollBarPolicy(
            Qt.ScrollBarPolicy.ScrollBarAsNeeded if lines > INPUT_LINES else Qt.ScrollBarPolicy.ScrollBarAlwaysOff
        )


class MessageGroup(QWidget):
    """One person's consecutive messages: their name, the time of the first, "privately" if private."""

    def __init__(self, key: _GroupKey, sender: str, sent_at: datetime, private_note: str) -> None:
        super().__init__()
        self.setObjectName("messageGroup")
        self.key = key
        self.last_at = sent_at
        self.name = ElidedLabel(sender)
        self.name.setObjectName("chatSender")
        self.name.setProperty("role", "chatName")
        self.time = plain_label(local_time(sent_at))
        self.time.setObjectName("chatTime")
        self.time.setProperty("role", "secondary")
        self.private = plain_label(private_note)
        self.private.setObjectName("chatPrivate")
        self.private.setProperty("role", "private")
        self.private.setVisible(bool(private_note))
        self.private.setWordWrap(True)
        head = QHBoxLayout()
        head.setSpacing(8)
        head.addWidget(self.name)
        head.addWidget(self.time)
        head.addStretch(1)
        self.body = QVBoxLayout()
        self.body.setSpacing(2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.setSpacing(2)
        layout.addLayout(head)
        layout.addWidget(self.private)
        layout.addLayout(self.body)

    def add(self, widget: QWidget, sent_at: datetime) -> None:
        self.body.addWidget(widget)
        self.last_at = sent_at

    def texts(self) -> list[ChatText]:
        return self.findChildren(ChatText)


class ChatTab(QWidget):
    send_chat = Signal(str, object)  # text, to: a socket id, or None for everyone
    send_file = Signal(str)  # a local file's path
    cancel_upload = Signal(str)  # token
    save_file = Signal(object, str)  # FileInfo, where to save it
    cancel_download = Signal(str)  # file id
    received = Signal(object)  # a ChatMessage from someone else, as it arrives (not history)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("chatTab")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)  # the drop frame
        self.setAcceptDrops(True)
        self.setProperty("dropping", False)
        self.self_socket_id = ""
        self.self_user_id = ""
        self.names: dict[str, str] = {}  # socket id -> username, of everyone here now
        self.groups: list[MessageGroup] = []
        self.files: dict[str, FileMessage] = {}  # file id -> its row
        self.uploads: dict[str, UploadRow] = {}  # token -> its row
        self.file_dialog: QFileDialog | None = None  # the open or save dialog while open

        self.transcript = QWidget()
        self.transcript.setObjectName("chatTranscript")
        self.messages = QVBoxLayout(self.transcript)
        self.messages.setContentsMargins(0, 8, 0, 8)
        self.messages.setSpacing(4)
        self.empty = plain_label(self.tr("Messages here are seen by everyone in the meeting, and go when it ends."))
        self.empty.setObjectName("chatEmpty")
        self.empty.setProperty("role", "secondary")
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.messages.addWidget(self.empty)
        self.messages.addStretch(1)
        self.scroll_area = QScrollArea()
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll_area.setWidget(self.transcript)
        # New messages scroll into view when the view was at the end (not while someone reads back).
        self._stick_to_end = True
        self.scroll_area.verticalScrollBar().valueChanged.connect(self._scrolled)
        self.scroll_area.verticalScrollBar().rangeChanged.connect(self._range_changed)

        self.upload_list = QVBoxLayout()
        self.upload_list.setContentsMargins(8, 0, 8, 0)
        self.upload_list.setSpacing(4)

        self.recipient = QComboBox()
        self.recipient.setObjectName("chatRecipient")
        self.recipient.setAccessibleName(self.tr("Send to"))
        self.recipient.addItem(self.tr("Everyone"), EVERYONE)
        self.recipient.currentIndexChanged.connect(self._recipient_changed)
        to_row = QHBoxLayout()
        to_row.setContentsMargins(8, 0, 8, 0)
        to_label = plain_label(self.tr("To:"))
        to_label.setProperty("role", "secondary")
        to_row.addWidget(to_label)
        to_row.addWidget(self.recipient, 1)

        self.attach_button = QToolButton()
        self.attach_button.setObjectName("attachButton")
        self.attach_button.setAutoRaise(True)
        self.attach_button.setIcon(icons.icon("attach"))
        self.attach_button.setIconSize(QSize(22, 22))
        self.attach_button.setToolTip(self.tr("Send a file (or drop it on the chat)"))
        self.attach_button.setAccessibleName(self.tr("Send a file"))
        self.attach_button.clicked.connect(self.choose_file)
        self.input = ChatInput()
        self.input.submitted.connect(self.send)
        self.input.textChanged.connect(self._input_changed)
        self.send_button = QToolButton()
        self.send_button.setObjectName("sendButton")
        self.send_button.setAutoRaise(True)
        self.send_button.setIcon(icons.icon("send"))
        self.send_button.setIconSize(QSize(22, 22))
        self.send_button.setToolTip(self.tr("Send (Enter)"))
        self.send_button.setAccessibleName(self.tr("Send"))
        self.send_button.clicked.connect(self.send)
        self.too_long = plain_label()
        self.too_long.setObjectName("chatTooLong")
        self.too_long.setProperty("role", "error")
        self.too_long.hide()
        compose = QHBoxLayout()
        compose.setContentsMargins(4, 0, 4, 0)
        compose.setSpacing(2)
        compose.addWidget(self.attach_button, 0, Qt.AlignmentFlag.AlignBottom)
        compose.addWidget(self.input, 1)
        compose.addWidget(self.send_button, 0, Qt.AlignmentFlag.AlignBottom)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 8)
        layout.setSpacing(6)
        layout.addWidget(self.scroll_area, 1)
        layout.addLayout(self.upload_list)
        layout.addLayout(to_row)
        layout.addLayout(compose)
        too_long_row = QHBoxLayout()
        too_long_row.setContentsMargins(8, 0, 8, 0)
        too_long_row.addWidget(self.too_long)
        layout.addLayout(too_long_row)
        self._recipient_changed()
        self._input_changed()

    # ---- people -------------------------------------------------------------------------------------------

    def set_people(self, self_socket_id: str, participants: Sequence[Participant]) -> None:
        """Who is here: names for private messages, and the recipient choice (a recipient who left goes back to
        everyone)."""
        self.self_socket_id = self_socket_id
        self.names = {p.socket_id: p.username for p in participants}
        me = self.names.get(self_socket_id)
        if me is not None:
            self.self_user_id = next(p.user_id for p in participants if p.socket_id == self_socket_id)
        chosen = self.recipient.currentData()
        others = [p for p in participants if p.socket_id != self_socket_id]
        self.recipient.blockSignals(True)
        self.recipient.clear()
        self.recipient.addItem(self.tr("Everyone"), EVERYONE)
        for person in others:
            self.recipient.addItem(clip(person.username), person.socket_id)
        index = self.recipient.findData(chosen)
        self.recipient.setCurrentIndex(max(0, index))
        self.recipient.blockSignals(False)
        self._recipient_changed()

    @property
    def to(self) -> str | None:
        """The chosen recipient's socket id, or None for everyone."""
        data = self.recipient.currentData()
        return data if isinstance(data, str) and data != EVERYONE else None

    def _recipient_changed(self) -> None:
        to = self.to
        if to is None:
            self.input.setPlaceholderText(self.tr("Message everyone"))
        else:
            self.input.setPlaceholderText(
                self.tr("Message {name} privately").format(name=isolate(self.names.get(to, "")))
            )

    # ---- messages -----------------------------------------------------------------------------------------

    def is_mine(self, message: ChatMessage) -> bool:
        return message.from_ == self.self_socket_id or (
            bool(self.self_user_id) and message.user_id == self.self_user_id
        )

    def set_history(self, messages: Sequence[ChatMessage]) -> None:
        """The meeting's messages so far (the join ack's ``chat``), oldest first; what was shown before goes. Call
        ``set_people`` first: your own earlier messages are told by your user id."""
        for group in self.groups:
            self.messages.removeWidget(group)
            group.deleteLater()
        self.groups.clear()
        self.files.clear()
        for message in messages:
            self._show(message, self.is_mine(message))
        self._stick_to_end = True
        self._update_empty()

    def add_message(self, message: ChatMessage, mine: bool) -> None:
        """A new message: one of ours (the ack's ``message``) or someone else's (``chat-message``)."""
        self._show(message, mine)
        if mine:
            self._stick_to_end = True  # what you sent, you see
        else:
            self.received.emit(message)
        self._update_empty()

    def _show(self, message: ChatMessage, mine: bool) -> None:
        key = _GroupKey(message.from_, message.to, mine)
        group = self.groups[-1] if self.groups else None
        if group is None or group.key != key or (message.sent_at - group.last_at).total_seconds() > GROUP_S:
            group = MessageGroup(key, self._sender(message, mine), message.sent_at, self._private_note(message, mine))
            self.groups.append(group)
            self.messages.insertWidget(self.messages.count() - 1, group)  # before the stretch
        if message.text.strip():
            group.add(ChatText(message.text), message.sent_at)
        if message.file is not None:
            row = FileMessage(message.file)
            row.save_requested.connect(self.choose_save_path)
            row.cancel_requested.connect(self.cancel_download)
            self.files[message.file.id] = row
            group.add(row, message.sent_at)

    def _sender(self, message: ChatMessage, mine: bool) -> str:
        return self.tr("You") if mine else clip(message.username)

    def _private_note(self, message: ChatMessage, mine: bool) -> str:
        if message.to is None:
            return ""
        if mine:
            name = self.names.get(message.to)
            if name is None:
                return self.tr("Privately")
            return self.tr("Privately to {name}").format(name=isolate(name))
        return self.tr("Privately to you")

    def _update_empty(self) -> None:
        self.empty.setVisible(not self.groups)

    def _scrolled(self, value: int) -> None:
        self._stick_to_end = value >= self.scroll_area.verticalScrollBar().maximum() - 4

    def _range_changed(self, _minimum: int, maximum: int) -> None:
        if self._stick_to_end:
            self.scroll_area.verticalScrollBar().setValue(maximum)

    # ---- sending ------------------------------------------------------------------------------------------

    def send(self) -> None:
        text = self.input.toPlainText().strip()
        if not text or len(text) > CHAT_TEXT_MAX:
            return
        self.send_chat.emit(text, self.to)
        self.input.clear()

    def _input_changed(self) -> None:
        length = len(self.input.toPlainText().strip())
        over = length > CHAT_TEXT_MAX
        self.too_long.setVisible(over)
        if over:
            self.too_long.setText(
                self.tr("Too long to send: {count} of {limit} characters").format(count=length, limit=CHAT_TEXT_MAX)
            )
        self.send_button.setEnabled(0 < length <= CHAT_TEXT_MAX)

    # ---- files --------------------------------------------------------------------------------------------

    def choose_file(self) -> None:
        """Ask which file to send (non-blocking: the call goes on while the dialog is open)."""
        dialog = self._dialog(self.tr("Send a file"), QFileDialog.AcceptMode.AcceptOpen)
        dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
        dialog.filesSelected.connect(self._send_files)
        dialog.open()

    def _send_files(self, paths: list[str]) -> None:
        for path in paths:
            self.send_file.emit(path)

    def choose_save_path(self, info: FileInfo) -> None:
        """Ask where to save ``info`` (its own name in the downloads folder, to begin with)."""
        dialog = self._dialog(self.tr("Save file"), QFileDialog.AcceptMode.AcceptSave)
        folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DownloadLocation)
        dialog.setDirectory(folder)
        dialog.selectFile(_base_name(info.name))
        dialog.fileSelected.connect(lambda path: self._save_chosen(info, path))
        dialog.open()

    def _dialog(self, title: str, mode: QFileDialog.AcceptMode) -> QFileDialog:
        if self.file_dialog is not None:
            self.file_dialog.close()
        dialog = QFileDialog(self, title)
        dialog.setObjectName("chatFileDialog")
        dialog.setAcceptMode(mode)
        dialog.finished.connect(lambda _result: self._dialog_closed(dialog))
        self.file_dialog = dialog
        return dialog

    def _dialog_closed(self, dialog: QFileDialog) -> None:
        if self.file_dialog is dialog:
            self.file_dialog = None
        dialog.deleteLater()

    def _save_chosen(self, info: FileInfo, path: str) -> None:
        row = self.files.get(info.id)
        if row is not None:
            row.download_started()
        self.save_file.emit(info, path)

    def download_progress(self, file_id: str, fraction: float) -> None:
        row = self.files.get(file_id)
        if row is not None:
            row.download_progress(fraction)

    def download_finished(self, file_id: str, error: str | None) -> None:
        """``error`` None: saved, and its SHA-256 matched ("checked"); else a sentence saying what went wrong."""
        row = self.files.get(file_id)
        if row is not None:
            row.download_finished(error)

    def upload_started(self, token: str, name: str, size: int) -> None:
        row = UploadRow(token, name, size)
        row.cancel_requested.connect(self.cancel_upload)
        row.dismissed.connect(self._remove_upload)
        self.uploads[token] = row
        self.upload_list.addWidget(row)

    def upload_progress(self, token: str, fraction: float) -> None:
        row = self.uploads.get(token)
        if row is not None:
            row.set_progress(fraction)

    def upload_finished(self, token: str, error: str | None) -> None:
        """``error`` None: the file is up (its message arrives through ``add_message``) and the row goes; else the
        row says why, until closed."""
        row = self.uploads.get(token)
        if row is None:
            return
        if error is None:
            self._remove_upload(token)
        else:
            row.fail(error)

    def _remove_upload(self, token: str) -> None:
        row = self.uploads.pop(token, None)
        if row is not None:
            self.upload_list.removeWidget(row)
            row.deleteLater()

    # ---- drag and drop --------------------------------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if _dropped_files(event.mimeData()):
            event.acceptProposedAction()
            self._set_dropping(True)
            return
        event.ignore()

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        self._set_dropping(False)
        super().dragLeaveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        self._set_dropping(False)
        files = _dropped_files(event.mimeData())
        if not files:
            event.ignore()
            return
        event.acceptProposedAction()
        for path in files:
            self.send_file.emit(path)

    def _set_dropping(self, dropping: bool) -> None:
        self.setProperty("dropping", dropping)
        style = self.style()
        style.unpolish(self)
        style.polish(self)

    # ---- the meeting ends ---------------------------------------------------------------------------------

    def clear(self) -> None:
        self.set_history([])
        for token in list(self.uploads):
            self._remove_upload(token)
        self.input.clear()
        self.set_people("", [])


def _dropped_files(mime: QMimeData | None) -> list[str]:
    """The local regular files a drag carries (folders and remote addresses are not sent)."""
    if mime is None or not mime.hasUrls():
        return []
    paths = [url.toLocalFile() for url in mime.urls() if url.isLocalFile()]
    return [path for path in paths if path and Path(path).is_file()]


def _base_name(name: str) -> str:
    """A sent file's name as a file name here: no folders, nothing empty."""
    base = Path(name.replace("\\", "/")).name.strip()
    return base if base not in ("", ".", "..") else "file"
