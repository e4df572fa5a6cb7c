"""The question an invitation for another server asks: switch to it, or stay. Never answered for the user.

Both addresses are shown as plain text, clipped: the invitation's comes from a link anyone can write.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QMessageBox, QPushButton, QWidget

from nimeet_desktop.ui.untrusted import ADDRESS_CHARS, clip


class SwitchServerDialog(QMessageBox):
    """Window-modal (``open()``), so the event loop and a call's tasks keep running while it waits; ``answered``
    says True for "switch", False for anything else (the button, Escape, closing it)."""

    answered = Signal(bool)

    def __init__(self, parent: QWidget, server: str, current: str, *, signed_in: bool) -> None:
        super().__init__(parent)
        self.setObjectName("switchServer")
        self.setIcon(QMessageBox.Icon.Question)
        self.setWindowTitle(self.tr("Switch server?"))
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.server = server
        words = {"server": clip(server, ADDRESS_CHARS), "current": clip(current, ADDRESS_CHARS)}
        if signed_in:
            text = self.tr("This invitation is for {server}.\nYou are signed in to {current}.\n\nSwitch to {server}?")
        else:
            text = self.tr("This invitation is for {server}.\nYou are using {current}.\n\nSwitch to {server}?")
        self.setText(text.format(**words))
        self.setInformativeText(self.tr("Your account there may be a different one: you may have to sign in."))
        self.switch_button = QPushButton(self.tr("Switch and join"))
        self.switch_button.setObjectName("switchYes")
        self.stay_button = QPushButton(self.tr("Stay here"))
        self.stay_button.setObjectName("switchNo")
        self.addButton(self.switch_button, QMessageBox.ButtonRole.AcceptRole)
        self.addButton(self.stay_button, QMessageBox.ButtonRole.RejectRole)
        self.setDefaultButton(self.switch_button)
        self.setEscapeButton(self.stay_button)
        self.finished.connect(lambda _result: self.answered.emit(self.clickedButton() is self.switch_button))
