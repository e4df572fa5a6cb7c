"""Which server to use: the one on this computer (started for the user if need be) or a URL someone gave them."""

from __future__ import annotations

import logging

from PySide6.QtCore import Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from nimeet_desktop.local_server import LocalServerError
from nimeet_desktop.net.links import InvalidServerUrl, normalize_server_url
from nimeet_desktop.task_set import TaskSet
from nimeet_desktop.ui import messages
from nimeet_desktop.ui.context import AppContext
from nimeet_desktop.ui.form import Field, card, centred, error_label, show_error, title
from nimeet_desktop.ui.local_server_start import server_answers, start_local_server
from nimeet_desktop.ui.network_hosting import NetworkHostingPanel
from nimeet_desktop.ui.untrusted import plain_label

logger = logging.getLogger(__name__)

CARD_WIDTH = 480
MIN_FIELD_WIDTH = 300


class ServerView(QWidget):
    connected = Signal()
    toast = Signal(str)

    def __init__(self, context: AppContext) -> None:
        super().__init__()
        self.context = context
        self.tasks = TaskSet("ui.server", log=logger)
        frame, form = card()
        intro = plain_label(
            self.tr(
                "NIMeet talks to a NIMeet server. Use the one your organisation gave you, or run one on this computer."
            )
        )
        intro.setWordWrap(True)
        self.url = Field(self.tr("Server address"), placeholder="https://meet.example.org", name="serverUrl")
        self.url.edit.setMinimumWidth(MIN_FIELD_WIDTH)  # an address must be readable, not a sliver
        self.error = error_label()
        self.connect_button = QPushButton(self.tr("Connect"))
        self.connect_button.setObjectName("connectServer")
        self.connect_button.setProperty("primary", True)
        self.connect_button.setDefault(True)
        self.local_button = QPushButton(self.tr("Start a server on this computer"))
        self.local_button.setObjectName("startLocalServer")
        # Opening a port to the network is the user's explicit choice, and what it means is said next to it.
        self.network_check = QCheckBox(self.tr("Let people on my network join"))
        self.network_check.setObjectName("hostOnNetwork")
        self.network_check.setChecked(context.settings.host_on_network)
        self.network_note = plain_label()
        self.network_note.setObjectName("hostOnNetworkNote")
        self.network_note.setWordWrap(True)
        self.hosting = NetworkHostingPanel()
        buttons = QHBoxLayout()
        buttons.addWidget(self.local_button)
        buttons.addStretch(1)
        buttons.addWidget(self.connect_button)
        form.addWidget(title(self.tr("Choose a server")))
        form.addWidget(intro)
        form.addWidget(self.url)
        form.addWidget(self.error)
        form.addLayout(buttons)
        form.addWidget(self.network_check)
        form.addWidget(self.network_note)
        form.addWidget(self.hosting)
        self._describe_hosting()
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        outer.addLayout(centred(frame, CARD_WIDTH))
        outer.addStretch(2)
        self.connect_button.clicked.connect(self._connect)
        self.url.edit.returnPressed.connect(self._connect)
        self.local_button.clicked.connect(self._start_local)
        self.network_check.toggled.connect(self._host_on_network_toggled)
        self.hosting.toast.connect(self.toast)

    def showEvent(self, event: QShowEvent) -> None:
        self.hosting.update_from(self.context)
        super().showEvent(event)

    def _describe_hosting(self) -> None:
        if self.network_check.isChecked():
            note = self.tr(
                "A server started here can be reached by other computers on your network, and anyone on it who "
                "has an invitation can join its calls. The address they must use is shown once it runs."
            )
        else:
            note = self.tr("A server started here can be reached from this computer only.")
        self.network_note.setText(note)

    def _host_on_network_toggled(self, checked: bool) -> None:
        self.context.settings.host_on_network = checked
        self.context.save_settings()
        self._describe_hosting()

    def show_problem(self, message: str | None) -> None:
        self.url.edit.setText(self.context.server_url)
        show_error(self.error, message)

    def _set_busy(self, busy: bool, what: str = "") -> None:
        self.connect_button.setEnabled(not busy)
        self.local_button.setEnabled(not busy)
        self.network_check.setEnabled(not busy)
        self.url.edit.setEnabled(not busy)
        self.local_button.setText(what if busy and what else self.tr("Start a server on this computer"))

    def _connect(self) -> None:
        if self.tasks.busy:
            return
        try:
            url = normalize_server_url(self.url.text.strip())
        except InvalidServerUrl as exc:
            self.url.set_error(messages.server_url_error(exc))
            return
        self.tasks.spawn(self._try(url), name="connect-server")

    async def _try(self, url: str) -> None:
        self._set_busy(True)
        show_error(self.error, None)
        try:
            if not await server_answers(url):
                self.url.set_error(self.tr("No NIMeet server answers at this address"))
                return
        finally:
            self._set_busy(False)
        await self.context.use_server(url)
        self.connected.emit()

    def _start_local(self) -> None:
        if not self.tasks.busy:
            self.tasks.spawn(self._start(), name="start-local-server")

    async def _start(self) -> None:
        self._set_busy(True, self.tr("Starting…"))
        show_error(self.error, None)
        try:
            url = await start_local_server(self.context)
        except LocalServerError as exc:
            show_error(self.error, messages.local_server_error(exc))
            return
        finally:
            self._set_busy(False)
        await self.context.use_server(normalize_server_url(url))
        self.connected.emit()

    async def shutdown(self) -> None:
        """Stop what this screen started; the window awaits it when it closes."""
        await self.tasks.close()
