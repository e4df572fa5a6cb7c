"""Where the bundled server can be reached from: the address others on the network must use, or a plain word that
only this computer can reach it. Shown on the dashboard and the server screen, whenever this app runs the server."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QPushButton, QVBoxLayout, QWidget

from nimeet_desktop.ui import icons
from nimeet_desktop.ui.context import AppContext
from nimeet_desktop.ui.untrusted import plain_label


class NetworkHostingPanel(QWidget):
    """Hidden unless this app runs the server the user is connected to. The address is a read-only line edit:
    selectable and copyable by hand as well as with the button."""

    toast = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("networkHosting")
        self.text = plain_label()
        self.text.setWordWrap(True)
        self.address = QLineEdit()
        self.address.setObjectName("lanAddress")
        self.address.setReadOnly(True)
        self.address.setAccessibleName(self.tr("Address for other computers"))
        self.copy_button = QPushButton(icons.icon("copy"), self.tr("Copy address"))
        self.copy_button.setObjectName("copyLanAddress")
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.address, 1)
        row.addWidget(self.copy_button)
        self.address_row = QWidget()
        self.address_row.setLayout(row)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.text)
        layout.addWidget(self.address_row)
        self.copy_button.clicked.connect(self._copy)
        self.hide()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            self.copy_button.setIcon(icons.icon("copy"))
        super().changeEvent(event)

    def update_from(self, context: AppContext) -> None:
        server = context.local_server
        if server is None or not server.running or server.url != context.server_url:
            self.hide()
            return
        if server.lan_url is not None:
            self.text.setText(
                self.tr(
                    "This computer runs the server for your network: other computers on it can reach the server "
                    "and join its calls. They use this address (invitations carry it):"
                )
            )
            self.address.setText(server.lan_url)
            self.address_row.show()
        elif context.settings.host_on_network:
            self.text.setText(
                self.tr("No local network was found, so only this computer can reach the server it runs.")
            )
            self.address_row.hide()
        else:
            self.text.setText(self.tr("This computer runs the server; only this computer can reach it."))
            self.address_row.hide()
        self.show()

    def _copy(self) -> None:
        QGuiApplication.clipboard().setText(self.address.text())
        self.toast.emit(self.tr("Address copied"))
