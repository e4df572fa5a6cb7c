"""The server this app uses, and how calls reach the others through the network. Changing the server is the
window's own server screen (``MainWindow.change_server``), the same one "Change server" on the sign-in screen opens:
never in the middle of a call."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QPushButton

from nimeet_desktop.settings import Settings
from nimeet_desktop.ui.settings.page import Page, note
from nimeet_desktop.ui.untrusted import ADDRESS_CHARS, ElidedLabel


class ServerPage(Page):
    change_requested = Signal()
    changed = Signal()  # relay-only: the settings hold it, to be saved

    def __init__(self, settings: Settings) -> None:
        super().__init__(self.tr("Server"))
        self.settings = settings
        self.subtitle(self.tr("Connected to"))
        self.address = ElidedLabel(limit=ADDRESS_CHARS)  # an address the user or a link typed: plain text, elided
        self.address.setObjectName("serverAddress")
        self.change_button = QPushButton(self.tr("Change server…"))
        self.change_button.setObjectName("changeServer")
        row = QHBoxLayout()
        row.addWidget(self.address, 1)
        row.addWidget(self.change_button)
        self.body.addLayout(row)
        self.body.addWidget(note(self.tr("Your rooms and your account belong to this server.")))
        self.in_call_note = note(self.tr("Leave the call to change the server."))
        self.in_call_note.setObjectName("serverInCall")
        self.body.addWidget(self.in_call_note)

        self.subtitle(self.tr("Network"))
        self.relay_only = QCheckBox(self.tr("Relay only: send calls through the server's relay (TURN)"))
        self.relay_only.setObjectName("relayOnly")
        self.relay_only.setChecked(settings.relay_only)
        self.option(
            self.relay_only,
            self.tr(
                "The others in a call never see this computer's network address, and calls work on a network that "
                "lets only the relay through; video may lag a little more. It needs a server with a relay: without "
                "one, nobody can be reached. From the next call on."
            ),
        )
        self.change_button.clicked.connect(self.change_requested)
        self.relay_only.toggled.connect(self._relay_only_toggled)
        self.show_server("", in_call=False)

    def show_server(self, url: str, *, in_call: bool) -> None:
        self.address.setText(url)
        self.change_button.setEnabled(not in_call)
        self.in_call_note.setVisible(in_call)

    def _relay_only_toggled(self, on: bool) -> None:
        self.settings.relay_only = on
        self.changed.emit()
