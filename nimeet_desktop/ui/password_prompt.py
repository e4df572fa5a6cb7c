"""The question a room with a password asks before it lets anyone in: its password, typed, never stored.

Asked by pre-join before joining a room that says it has one (``hasPassword``, and the user is not its owner), and
again whenever ``join-room`` answers ``password-required``, ``wrong-password`` or, after wrong tries, ``rate-limited``:
the prompt then says what went wrong. Window-modal (``open()``), like the app's other questions.
"""

from __future__ import annotations

from enum import StrEnum

from PySide6.QtCore import QCoreApplication, QEvent, Qt
from PySide6.QtWidgets import QDialog, QVBoxLayout, QWidget

from nimeet_desktop.ui.form import Field, dialog_buttons, error_label, grow_to_fit, show_error
from nimeet_desktop.ui.untrusted import NAME_CHARS, isolate, plain_label
from signaling_server.protocol import ROOM_PASSWORD_MAX

DIALOG_WIDTH = 400


class PasswordProblem(StrEnum):
    """Why the prompt shows again (None the first time)."""

    REQUIRED = "required"  # the server asked for one we had not given
    WRONG = "wrong"
    RATE_LIMITED = "rate-limited"  # too many wrong ones: the server refuses every try for a while


def problem_text(problem: PasswordProblem) -> str:
    sentences = {
        PasswordProblem.REQUIRED: QCoreApplication.translate("PasswordPrompt", "This meeting needs a password"),
        PasswordProblem.WRONG: QCoreApplication.translate("PasswordPrompt", "Wrong password: try again"),
        PasswordProblem.RATE_LIMITED: QCoreApplication.translate(
            "PasswordPrompt", "Too many wrong passwords: wait a minute, then try again"
        ),
    }
    return sentences[problem]


def typed_password_error(text: str) -> str | None:
    # Any password may be the right one: only an empty one, or one no room can have, is not worth sending.
    if not text:
        return QCoreApplication.translate("PasswordPrompt", "Enter the meeting's password")
    if len(text) > ROOM_PASSWORD_MAX:
        return QCoreApplication.translate("PasswordPrompt", "Wrong password: try again")
    return None


class PasswordPrompt(QDialog):
    """``password`` once accepted (Join); Cancel, Escape or closing it reject."""

    def __init__(self, parent: QWidget | None, room_name: str | None, problem: PasswordProblem | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("passwordPrompt")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.setWindowTitle(self.tr("Password required"))
        self.setMinimumWidth(DIALOG_WIDTH)
        heading = plain_label(self.tr("Enter the meeting's password"))
        heading.setProperty("role", "title")
        if room_name:
            # The room's name is the server's words: isolated, so that its direction marks stay inside it.
            text = self.tr("“{room}” is protected by a password. Ask the person who invited you for it.")
            explanation = plain_label(text.format(room=isolate(room_name, NAME_CHARS)))
        else:
            explanation = plain_label(
                self.tr("This meeting is protected by a password. Ask the person who invited you for it.")
            )
        explanation.setObjectName("passwordExplanation")
        explanation.setWordWrap(True)
        self.field = Field(self.tr("Password"), password=True, name="meetingPassword")
        self.field.set_check(typed_password_error)
        self.problem = error_label()
        self.problem.setObjectName("passwordProblem")
        show_error(self.problem, problem_text(problem) if problem is not None else None)
        self.cancel_button, self.join_button, buttons = dialog_buttons(self.tr("Cancel"), self.tr("Join"), "password")
        self.join_button.setObjectName("passwordJoin")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 16)
        layout.setSpacing(10)
        layout.addWidget(heading)
        layout.addWidget(explanation)
        layout.addWidget(self.problem)
        layout.addWidget(self.field)
        layout.addStretch(1)  # any height to spare goes here, not between a field and its label
        layout.addSpacing(6)
        layout.addLayout(buttons)
        self.field.edit.textEdited.connect(lambda _text: show_error(self.problem, None))  # a new try: old news
        self.field.edit.returnPressed.connect(self._join)
        self.join_button.clicked.connect(self._join)
        self.cancel_button.clicked.connect(self.reject)
        self.field.edit.setFocus()

    def event(self, event: QEvent) -> bool:
        handled = super().event(event)
        if event.type() == QEvent.Type.LayoutRequest:  # an error line came or went
            grow_to_fit(self)
        return handled

    @property
    def password(self) -> str:
        return self.field.text

    def _join(self) -> None:
        error = typed_password_error(self.password)
        self.field.set_error(error)
        if error is None:
            self.accept()
