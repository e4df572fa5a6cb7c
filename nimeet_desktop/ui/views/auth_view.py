"""Sign in and create an account: one card, two modes, errors next to the field they concern."""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from nimeet_desktop.net.error_codes import AnyErrorCode
from nimeet_desktop.net.rest import ApiError, RestError
from nimeet_desktop.task_set import TaskSet
from nimeet_desktop.ui import messages
from nimeet_desktop.ui.context import AppContext
from nimeet_desktop.ui.form import Field, card, centred, error_label, show_error, title
from nimeet_desktop.ui.toast import ToastKind
from nimeet_desktop.ui.untrusted import ADDRESS_CHARS, MESSAGE_CHARS, ElidedLabel, clip, plain_label
from nimeet_desktop.ui.validation import email_error, password_error, username_error
from signaling_server.protocol import ErrorCode

logger = logging.getLogger(__name__)

CARD_WIDTH = 420


def _email_error(text: str) -> str | None:
    return email_error(text.strip())  # people paste addresses with a space around them; the server strips too


# The server's rules for a new account, by the field name its errors carry.
_NEW_ACCOUNT_RULES: dict[str, Callable[[str], str | None]] = {
    "username": username_error,
    "email": _email_error,
    "password": password_error,
}


def _sign_in_password_error(text: str) -> str | None:
    # Signing in, any password may be the right one: the length rules are for new ones.
    return None if text else QCoreApplication.translate("AuthView", "Enter your password")


# A server error that belongs next to one field (older servers do not name the field themselves).
_FIELD_OF_ERROR: dict[AnyErrorCode, str] = {ErrorCode.USERNAME_TAKEN: "username", ErrorCode.EMAIL_TAKEN: "email"}


class AuthView(QWidget):
    signed_in = Signal()
    change_server = Signal()
    toast = Signal(str, ToastKind)

    def __init__(self, context: AppContext) -> None:
        super().__init__()
        self.context = context
        self.tasks = TaskSet("ui.auth", log=logger)
        self.registering = False

        frame, form = card()
        self.heading = title(self.tr("Sign in", "heading"))
        # Someone who opened an invitation while signed out lands here: say why, and that the call follows.
        self.invitation_note = plain_label(
            self.tr("Sign in or create an account to join the call you were invited to.")
        )
        self.invitation_note.setObjectName("invitationNote")
        self.invitation_note.setWordWrap(True)
        self.invitation_note.hide()
        self.username = Field(self.tr("Username"), placeholder=self.tr("e.g. ada"), name="username")
        self.email = Field(self.tr("Email"), placeholder=self.tr("you@example.org"), name="email")
        self.password = Field(self.tr("Password"), password=True, name="password")
        self.error = error_label()
        self.submit = QPushButton(self.tr("Sign in"))
        self.submit.setObjectName("submit")
        self.submit.setProperty("primary", True)
        self.submit.setDefault(True)
        self.switch_mode = QPushButton(self.tr("Create an account"))
        self.switch_mode.setObjectName("switchMode")
        self.switch_mode.setFlat(True)
        self.server_label = ElidedLabel(limit=MESSAGE_CHARS)
        self.server_label.setObjectName("serverLabel")
        self.server_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        change = QPushButton(self.tr("Change server"))
        change.setFlat(True)
        change.clicked.connect(self.change_server)

        form.addWidget(self.heading)
        form.addWidget(self.invitation_note)
        for item in (self.username, self.email, self.password, self.error, self.submit, self.switch_mode):
            form.addWidget(item)
        server_row = QHBoxLayout()
        server_row.addWidget(self.server_label, 1)
        server_row.addWidget(change)
        form.addLayout(server_row)

        outer = QVBoxLayout(self)
        outer.addStretch(1)
        outer.addLayout(centred(frame, CARD_WIDTH))
        outer.addStretch(2)

        self.submit.clicked.connect(self._submit)
        for field in (self.username, self.email, self.password):
            field.edit.returnPressed.connect(self._submit)
        self.switch_mode.clicked.connect(lambda: self.set_registering(not self.registering))
        self.set_registering(False)

    def showEvent(self, event: object) -> None:
        self.show_server()
        super().showEvent(event)  # type: ignore[arg-type]

    def show_server(self) -> None:
        """The server the form signs in to (again when the app moves to another one while this screen shows)."""
        self.server_label.setText(self.tr("Server: {url}").format(url=clip(self.context.server_url, ADDRESS_CHARS)))

    def set_invited(self, invited: bool) -> None:
        """An invitation waits for the sign-in (``MainWindow.pending_room``)."""
        self.invitation_note.setVisible(invited)

    def set_registering(self, registering: bool) -> None:
        self.registering = registering
        self.heading.setText(self.tr("Create your account") if registering else self.tr("Sign in", "heading"))
        self.submit.setText(self._submit_text())
        self.switch_mode.setText(self.tr("I already have an account") if registering else self.tr("Create an account"))
        self.username.setVisible(registering)
        # The server's own rules, checked as people type (each field from its first edit on); a new mode starts
        # with every field untouched.
        self.username.set_check(_NEW_ACCOUNT_RULES["username"])
        self.email.set_check(_NEW_ACCOUNT_RULES["email"])
        self.password.set_check(_NEW_ACCOUNT_RULES["password"] if registering else _sign_in_password_error)
        show_error(self.error, None)
        (self.username if registering else self.email).edit.setFocus()

    def _validate(self) -> bool:
        """On submit every shown field is checked, touched or not."""
        fields = (self.username, self.email, self.password) if self.registering else (self.email, self.password)
        ok = True
        for field in fields:
            assert field.check is not None
            message = field.check(field.text)
            field.set_error(message)
            ok = ok and message is None
        return ok

    def _submit(self) -> None:
        if self.tasks.busy:
            return
        show_error(self.error, None)
        if self._validate():
            self.tasks.spawn(self._send(), name="sign-in")

    def _set_busy(self, busy: bool) -> None:
        for widget in (self.submit, self.switch_mode, self.username.edit, self.email.edit, self.password.edit):
            widget.setEnabled(not busy)
        self.submit.setText(self.tr("Please wait…") if busy else self._submit_text())

    def _submit_text(self) -> str:
        return self.tr("Create account") if self.registering else self.tr("Sign in")

    async def _send(self) -> None:
        self._set_busy(True)
        api = self.context.api
        try:
            if self.registering:
                auth = await api.register(self.username.text, self.email.text.strip(), self.password.text)
            else:
                auth = await api.login(self.email.text.strip(), self.password.text)
            if not await self.context.sign_in(auth.user, auth.token):
                # Never a plain file instead: people are told, and asked again next time.
                self.toast.emit(
                    self.tr("No secure keyring on this computer: you will need to sign in again next time"),
                    ToastKind.INFO,
                )
        except ApiError as exc:
            self._show_api_error(exc)
            return
        except RestError as exc:
            show_error(self.error, messages.rest_error(exc))
            return
        finally:
            self._set_busy(False)
        self.password.edit.clear()
        self.set_registering(False)  # whoever comes back here (after logging out) has an account now
        self.signed_in.emit()

    def show_refused(self, email: str, exc: ApiError | RestError) -> None:
        """A sign-in made without the form (``NIMEET_EMAIL``, ``NIMEET_PASSWORD``) was refused: the form, its email
        filled in (never the password), and the error where it would show for a typed sign-in."""
        self.set_registering(False)
        self.email.edit.setText(email)
        self.password.edit.clear()
        if isinstance(exc, ApiError):
            self._show_api_error(exc)
        else:
            show_error(self.error, messages.rest_error(exc))

    def _show_api_error(self, exc: ApiError) -> None:
        fields = {"username": self.username, "email": self.email, "password": self.password}
        message = messages.api_error(exc)
        if exc.code == ErrorCode.INVALID_CREDENTIALS:
            self.password.set_error(message)
            self.password.edit.selectAll()
            self.password.edit.setFocus()
            return
        field_name = exc.field or _FIELD_OF_ERROR.get(exc.code, "")
        field = fields.get(field_name)
        if field is not None and field.isVisible():
            if exc.code == ErrorCode.INVALID_INPUT:
                # The server's own words are English and name the field; our rule for that field says it better.
                message = _NEW_ACCOUNT_RULES[field_name](field.text) or message
            field.set_error(message)
        else:
            show_error(self.error, message)

    async def shutdown(self) -> None:
        """Stop what this screen started; the window awaits it when it closes."""
        await self.tasks.close()
