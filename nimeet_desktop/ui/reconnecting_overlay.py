"""A dimmed cover over the call while the engine connects or reconnects: people see why the pictures froze."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QVBoxLayout, QWidget

from nimeet_desktop.net.signaling import ConnectionState
from nimeet_desktop.ui.untrusted import plain_label


class ReconnectingOverlay(QWidget):
    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("reconnectingOverlay")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)  # the theme's dimming shade
        self.label = plain_label(self.tr("Reconnecting…"))
        self.label.setObjectName("reconnectingTitle")
        self.detail = plain_label(self.tr("Your call will resume when the connection is back."))
        self.detail.setObjectName("reconnectingDetail")
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(self.label, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(self.detail, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(1)
        parent.installEventFilter(self)
        self.hide()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if isinstance(watched, QWidget) and watched is self.parent() and event.type() == QEvent.Type.Resize:
            self.setGeometry(watched.rect())
        return False

    def show_for(self, state: ConnectionState) -> None:
        """The first connection is "Connecting…"; only a connection that was up and dropped is "Reconnecting…"."""
        if state == ConnectionState.CONNECTING:
            self.label.setText(self.tr("Connecting…"))
            self.detail.setText(self.tr("Your call will start when the connection is up."))
        else:
            self.label.setText(self.tr("Reconnecting…"))
            self.detail.setText(self.tr("Your call will resume when the connection is back."))
        self.show_over_parent()

    def show_over_parent(self) -> None:
        parent = self.parentWidget()
        if parent is not None:
            self.setGeometry(parent.rect())
        self.show()
        self.raise_()
