"""Closing the window during a call: leave, or keep the call running in the tray, as the setting
``close_during_call`` says ("ask" asks, with a dialog that can remember the answer).

Only when there is a tray to keep the call in: without one, closing leaves the call and quits, as it always did.
The dialog is window-modal and answers through a signal (``open()``, never ``exec()``): closing happens inside a Qt
event, and a nested event loop there would run the call's asyncio tasks re-entrantly under qasync.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from enum import StrEnum

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QCheckBox, QDialog, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from nimeet_desktop.settings import Settings
from nimeet_desktop.ui.untrusted import plain_label

logger = logging.getLogger(__name__)


class CloseChoice(StrEnum):
    LEAVE = "leave"
    TRAY = "tray"
    CANCEL = "cancel"


class CloseDuringCallDialog(QDialog):
    """ "Leave the call or keep it running in the tray?" Leave / Keep in tray / Cancel, and "Remember my choice"."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("closeDuringCall")
        self.setWindowTitle(self.tr("Close NIMeet"))
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.choice = CloseChoice.CANCEL  # Escape and the title bar's close button cancel
        question = plain_label(self.tr("Leave the call or keep it running in the tray?"))
        question.setObjectName("closeQuestion")
        question.setProperty("role", "title")
        explanation = plain_label(
            self.tr("In the tray the call goes on: people still hear and see you. Open NIMeet from the tray icon.")
        )
        explanation.setWordWrap(True)
        self.remember = QCheckBox(self.tr("Remember my choice"))
        self.remember.setObjectName("rememberChoice")
        self.leave_button = QPushButton(self.tr("Leave the call"))
        self.leave_button.setObjectName("closeLeave")
        self.tray_button = QPushButton(self.tr("Keep in tray"))
        self.tray_button.setObjectName("closeToTray")
        self.tray_button.setProperty("primary", True)
        self.tray_button.setDefault(True)  # the choice that loses nothing
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self.cancel_button.setObjectName("closeCancel")
        buttons = QHBoxLayout()
        buttons.addWidget(self.remember)
        buttons.addStretch(1)
        for button in (self.cancel_button, self.leave_button, self.tray_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 16)
        layout.setSpacing(12)
        layout.addWidget(question)
        layout.addWidget(explanation)
        layout.addLayout(buttons)
        self.leave_button.clicked.connect(lambda: self._answer(CloseChoice.LEAVE))
        self.tray_button.clicked.connect(lambda: self._answer(CloseChoice.TRAY))
        self.cancel_button.clicked.connect(self.reject)
        # The remembered choice is a leave or a tray: remembering "cancel" would make the window unclosable.
        self.cancel_button.clicked.connect(lambda: self.remember.setChecked(False))

    def _answer(self, choice: CloseChoice) -> None:
        self.choice = choice
        self.accept()


class CloseGuard(QObject):
    """Installed on the main window by the tray (``MainWindow.close_guard``): decides what closing during a call
    does. ``in_call``: whether there is a call to keep; ``keep_in_tray``: hide the window, the call goes on;
    ``quit``: leave the call and quit (the window's own ``quit``, which never asks again)."""

    def __init__(
        self,
        window: QWidget,
        settings: Settings,
        save_settings: Callable[[], None],
        *,
        in_call: Callable[[], bool],
        keep_in_tray: Callable[[], None],
        quit: Callable[[], None],
    ) -> None:
        super().__init__(window)
        self._window = window
        self._settings = settings
        self._save_settings = save_settings
        self._in_call = in_call
        self._keep_in_tray = keep_in_tray
        self._quit = quit
        self.dialog: CloseDuringCallDialog | None = None

    def intercepts(self, event: QCloseEvent) -> bool:
        """True when this close is not a quit: ``event`` is then ignored and the window stays (shown or hidden)."""
        if not self._in_call():
            return False
        setting = self._settings.close_during_call
        if setting == "leave":
            return False
        event.ignore()
        if setting == "tray":
            self._keep_in_tray()
        elif self.dialog is None:  # a second close while the question is open: it is still being asked
            self._ask()
        return True

    def _ask(self) -> None:
        self.dialog = CloseDuringCallDialog(self._window)
        self.dialog.finished.connect(self._answered)
        self.dialog.open()

    def _answered(self, _result: int) -> None:
        dialog, self.dialog = self.dialog, None
        if dialog is None:
            return
        choice = dialog.choice
        remember = dialog.remember.isChecked()
        dialog.deleteLater()
        if choice is CloseChoice.CANCEL:
            return
        if remember:
            self._settings.close_during_call = "leave" if choice is CloseChoice.LEAVE else "tray"
            self._save_settings()
            logger.info("closing during a call will now %s", choice.value)
        if choice is CloseChoice.LEAVE:
            self._quit()
        elif self._in_call():  # the call may have ended while the question was open: then there is nothing to keep
            self._keep_in_tray()
        else:
            self._quit()
