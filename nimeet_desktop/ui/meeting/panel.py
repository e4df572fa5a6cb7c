"""The meeting's side panel, right of the video grid: the People and Chat tabs, and the count of chat messages that
came while the Chat tab was not in view.

The panel is the one object the call window's owner talks to about the meeting: its setters take the protocol's
models (``Participant``, ``LobbyEntry``, ``ChatMessage``, ``FileInfo``) and its signals carry what the person asked
for (every signal of ``PeopleTab`` and ``ChatTab``, relayed under the same name).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QHBoxLayout, QStackedWidget, QTabBar, QToolButton, QVBoxLayout, QWidget

from nimeet_desktop.ui import icons
from nimeet_desktop.ui.meeting.chat import ChatTab
from nimeet_desktop.ui.meeting.people import PeopleTab
from signaling_server.protocol import ChatMessage, LobbyEntry, Participant

PANEL_WIDTH = 340  # logical px, as Meet's and Teams' panels: a name, four icons and a menu button fit
Tab = Literal["people", "chat"]
TABS: tuple[Tab, ...] = ("people", "chat")


class MeetingPanel(QWidget):
    # People (hosts' actions), relayed from PeopleTab.
    admit = Signal(str)
    deny = Signal(str)
    admit_all = Signal()
    mute = Signal(str, str)  # socket id, "microphone" or "camera"
    set_role = Signal(str, str)  # socket id, "host" or "participant"
    lower_hand = Signal(str)
    remove = Signal(str)  # after the person confirmed it
    mute_all = Signal()
    lock = Signal(bool)
    # Chat, relayed from ChatTab.
    send_chat = Signal(str, object)  # text, to: a socket id or None for everyone
    send_file = Signal(str)  # path
    cancel_upload = Signal(str)  # token
    save_file = Signal(object, str)  # FileInfo, path
    cancel_download = Signal(str)  # file id
    received = Signal(object)  # a ChatMessage from someone else, as it arrives
    # The panel itself.
    unread_changed = Signal(int)
    waiting_changed = Signal(int)  # people in the lobby, for hosts
    tab_changed = Signal(str)  # "people" or "chat"
    close_requested = Signal()
    edit_room = Signal()  # the room's owner asked for its settings

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("meetingPanel")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self.setFixedWidth(PANEL_WIDTH)
        self.unread = 0
        self.people = PeopleTab()
        self.chat = ChatTab()
        self.tabs = QTabBar()
        self.tabs.setObjectName("meetingTabs")
        self.tabs.setDocumentMode(True)
        self.tabs.setExpanding(False)
        self.tabs.setDrawBase(False)
        self.tabs.addTab(icons.icon("people"), self.tr("People"))
        self.tabs.addTab(icons.icon("chat"), self.tr("Chat"))
        self.tabs.setIconSize(QSize(18, 18))
        self.close_button = QToolButton()
        self.close_button.setObjectName("closePanelButton")
        self.close_button.setAutoRaise(True)
        self.close_button.setIcon(icons.icon("close"))
        self.close_button.setIconSize(QSize(20, 20))
        self.close_button.setToolTip(self.tr("Close the panel"))
        self.close_button.setAccessibleName(self.tr("Close the panel"))
        self.close_button.clicked.connect(self.close_requested)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.people)
        self.stack.addWidget(self.chat)
        head = QHBoxLayout()
        head.setContentsMargins(8, 8, 8, 0)
        head.addWidget(self.tabs)
        head.addStretch(1)
        head.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(head)
        layout.addWidget(self.stack, 1)
        self.tabs.currentChanged.connect(self._tab_changed)

        for signal in (
            "admit",
            "deny",
            "admit_all",
            "mute",
            "set_role",
            "lower_hand",
            "remove",
            "mute_all",
            "lock",
            "edit_room",
        ):
            getattr(self.people, signal).connect(getattr(self, signal))
        self.people.waiting_changed.connect(self.waiting_changed)
        for signal in ("send_chat", "send_file", "cancel_upload", "save_file", "cancel_download", "received"):
            getattr(self.chat, signal).connect(getattr(self, signal))
        self.chat.received.connect(self._received)

    # ---- tabs ---------------------------------------------------------------------------------------------

    @property
    def current_tab(self) -> Tab:
        return TABS[self.stack.currentIndex()]

    def show_tab(self, tab: Tab) -> None:
        self.tabs.setCurrentIndex(TABS.index(tab))

    def _tab_changed(self, index: int) -> None:
        self.stack.setCurrentIndex(index)
        self._read_if_seen()
        self.tab_changed.emit(TABS[index])

    @property
    def chat_in_view(self) -> bool:
        return self.isVisible() and self.stack.currentWidget() is self.chat

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._read_if_seen()

    def _received(self, _message: ChatMessage) -> None:
        if not self.chat_in_view:
            self._set_unread(self.unread + 1)

    def _read_if_seen(self) -> None:
        if self.chat_in_view:
            self._set_unread(0)

    def _set_unread(self, count: int) -> None:
        if count != self.unread:
            self.unread = count
            self.unread_changed.emit(count)

    # ---- people -------------------------------------------------------------------------------------------

    def set_people(self, self_socket_id: str, participants: Sequence[Participant], am_host: bool) -> None:
        """Everyone in the meeting, you included, in the order they joined; ``am_host``: whether you are a host."""
        self.people.set_people(self_socket_id, participants, am_host)
        self.chat.set_people(self_socket_id, participants)

    def set_lobby(self, entries: Sequence[LobbyEntry]) -> None:
        self.people.set_lobby(entries)

    def set_locked(self, locked: bool) -> None:
        self.people.set_locked(locked)

    @property
    def waiting(self) -> int:
        return self.people.waiting

    # ---- chat ---------------------------------------------------------------------------------------------

    def add_message(self, message: ChatMessage, mine: bool) -> None:
        self.chat.add_message(message, mine)

    def set_history(self, messages: Sequence[ChatMessage]) -> None:
        self.chat.set_history(messages)

    def upload_started(self, token: str, name: str, size: int) -> None:
        self.chat.upload_started(token, name, size)

    def upload_progress(self, token: str, fraction: float) -> None:
        self.chat.upload_progress(token, fraction)

    def upload_finished(self, token: str, error: str | None) -> None:
        self.chat.upload_finished(token, error)

    def download_progress(self, file_id: str, fraction: float) -> None:
        self.chat.download_progress(file_id, fraction)

    def download_finished(self, file_id: str, error: str | None) -> None:
        self.chat.download_finished(file_id, error)

    # ---- the meeting ends ---------------------------------------------------------------------------------

    def clear(self) -> None:
        """Back to an empty meeting (the call ended): no people, lobby, messages or transfers, nothing unread."""
        self.people.set_lobby([])
        self.people.set_people("", [], False)
        self.people.set_locked(False)
        self.chat.clear()
        self._set_unread(0)
