"""A room's settings: name, description, maximum participants, lobby, password. For a new call (the room is created
when they are saved) and for a room the user owns (changed in place).

The dialog sends the request itself and closes only once the server has said yes: a refusal keeps it open with
everything that was typed, the reason next to the field it concerns (or under the form). The password is never shown
back: the server only says whether one is set (``hasPassword``).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QHBoxLayout,
    QPlainTextEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from nimeet_desktop.net.rest import UNCHANGED, ApiError, RestError, Unchanged
from nimeet_desktop.task_set import TaskSet
from nimeet_desktop.ui import messages
from nimeet_desktop.ui.context import AppContext
from nimeet_desktop.ui.form import Check, Field, dialog_buttons, error_label, grow_to_fit, show_error
from nimeet_desktop.ui.untrusted import cap, plain_label
from nimeet_desktop.ui.validation import room_description_error, room_name_error, room_password_error
from signaling_server.protocol import (
    MESH_PARTICIPANTS_MAX,
    PARTICIPANTS_DEFAULT,
    PARTICIPANTS_MAX,
    PARTICIPANTS_MIN,
    ROOM_DESCRIPTION_MAX,
    ROOM_NAME_MAX,
    SFU_PARTICIPANTS_MAX,
    ErrorCode,
    Room,
)

logger = logging.getLogger(__name__)

DIALOG_WIDTH = 460
DESCRIPTION_LINES = 3


class TextBox(QWidget):
    """A labelled multi-line edit with an error line under it, checked as the user types (as ``Field`` is)."""

    def __init__(self, label: str, check: Check, *, name: str = "") -> None:
        super().__init__()
        self.setObjectName(name)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        self.label = plain_label(label)
        self.edit = QPlainTextEdit()
        self.edit.setObjectName(f"{name}Edit" if name else "")
        self.edit.setTabChangesFocus(True)  # Tab moves on, as in every other field of a form
        line = self.edit.fontMetrics().lineSpacing()
        self.edit.setFixedHeight(line * DESCRIPTION_LINES + 16)
        self.label.setBuddy(self.edit)
        self.error_label = error_label()
        layout.addWidget(self.label)
        layout.addWidget(self.edit)
        layout.addWidget(self.error_label)
        self.check = check
        self.edit.textChanged.connect(self._edited)

    @property
    def text(self) -> str:
        return self.edit.toPlainText()

    @property
    def error(self) -> str | None:
        return self.error_label.text() if not self.error_label.isHidden() else None

    def set_error(self, message: str | None) -> None:
        show_error(self.error_label, message)

    def _edited(self) -> None:
        self.set_error(self.check(self.text))


class RoomDialog(QDialog):
    """Window-modal (``open()``: the event loop and its tasks keep running while it shows). ``saved`` carries the
    room as the server now has it; Cancel, Escape or closing it change nothing."""

    saved = Signal(object)  # Room

    def __init__(
        self, context: AppContext, parent: QWidget | None = None, *, room: Room | None = None, default_name: str = ""
    ) -> None:
        super().__init__(parent)
        self.context = context
        self.room = room  # None: a new room
        self.tasks = TaskSet("ui.room-dialog", log=logger)
        self._request: asyncio.Task[Any] | None = None
        self.setObjectName("roomDialog")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.setWindowTitle(self.tr("New call") if room is None else self.tr("Room settings"))
        self.setMinimumWidth(DIALOG_WIDTH)
        had_password = room is not None and room.has_password

        heading = plain_label(self.tr("Start a new call") if room is None else self.tr("Room settings"))
        heading.setProperty("role", "title")
        self.name = Field(self.tr("Name"), name="roomName")
        self.name.set_check(room_name_error)
        self.description = TextBox(self.tr("Description (optional)"), room_description_error, name="roomDescription")
        self.participants = QSpinBox()
        self.participants.setObjectName("maxParticipants")
        # Up to the contract's most: a server with an SFU takes it; one without says its own limit on Save.
        self.participants.setRange(PARTICIPANTS_MIN, SFU_PARTICIPANTS_MAX)
        # As tall as the other fields: Fusion's own spin box is a few pixels shorter than a styled line edit, and the
        # digits inside it were cut off at the bottom.
        self.participants.setMinimumHeight(self.name.edit.sizeHint().height())
        self.participants.setMinimumWidth(self.participants.sizeHint().width() + 16)
        participants_label = plain_label(self.tr("Maximum participants"))
        participants_label.setBuddy(self.participants)
        self.participants_error = error_label()
        self.participants_note = plain_label(
            self.tr("More than {mesh} people: the call goes through the server's media router (SFU).").format(
                mesh=MESH_PARTICIPANTS_MAX
            )
        )
        self.participants_note.setObjectName("participantsNote")
        self.participants_note.setWordWrap(True)
        self.participants_note.setProperty("role", "secondary")
        participants_row = QHBoxLayout()
        participants_row.addWidget(participants_label, 1)
        participants_row.addWidget(self.participants)
        self.lobby = QCheckBox(self.tr("Lobby: people wait until a host lets them in"))
        self.lobby.setObjectName("lobby")
        self.password_check = QCheckBox(self.tr("Require a password to join"))
        self.password_check.setObjectName("requirePassword")
        self.password = Field(self.tr("Password"), password=True, name="roomPassword")
        self.password.set_check(self._password_error)
        self.password_note = plain_label()
        self.password_note.setObjectName("passwordNote")
        self.password_note.setWordWrap(True)
        self.error = error_label()
        self.error.setObjectName("roomError")

        self.cancel_button, self.save_button, buttons = dialog_buttons(self.tr("Cancel"), self._save_text(), "room")
        self.save_button.setObjectName("roomSave")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 16)
        layout.setSpacing(10)
        layout.addWidget(heading)
        layout.addWidget(self.name)
        layout.addWidget(self.description)
        layout.addLayout(participants_row)
        layout.addWidget(self.participants_note)
        layout.addWidget(self.participants_error)
        layout.addWidget(self.lobby)
        layout.addWidget(self.password_check)
        layout.addWidget(self.password)
        layout.addWidget(self.password_note)
        layout.addWidget(self.error)
        layout.addStretch(1)  # any height to spare goes here, not between a field and its label
        layout.addSpacing(6)
        layout.addLayout(buttons)

        # What the room is now. The server's words, capped before any widget measures them (ui/untrusted.py), but
        # above its own limits: a name it should not have sent is then refused on Save, never cut silently.
        if room is not None:
            self.name.edit.setText(cap(room.name, 2 * ROOM_NAME_MAX))
            self.description.edit.setPlainText(cap(room.description or "", 2 * ROOM_DESCRIPTION_MAX))
            self.participants.setValue(min(max(room.max_participants, PARTICIPANTS_MIN), SFU_PARTICIPANTS_MAX))
            self.lobby.setChecked(room.is_private)
        else:
            self.name.edit.setText(default_name)
            self.participants.setValue(PARTICIPANTS_DEFAULT)
        self.description.set_error(None)  # setting the text is not an edit: nobody is told off before they start
        self.password_check.setChecked(had_password)
        if had_password:
            # Never shown back (the server does not have it either): an empty field leaves it as it is.
            self.password.edit.setPlaceholderText(self.tr("Set", "a room's password"))
        self._password_toggled()

        self._participants_changed()
        self.participants.valueChanged.connect(lambda _value: self._participants_changed())
        self.password_check.toggled.connect(lambda _on: self._password_toggled())
        self.password.edit.textEdited.connect(lambda _text: self._update_password_note())
        self.participants.valueChanged.connect(lambda _value: show_error(self.participants_error, None))
        self.name.edit.returnPressed.connect(self.save)
        self.password.edit.returnPressed.connect(self.save)
        self.save_button.clicked.connect(self.save)
        self.cancel_button.clicked.connect(self.reject)
        self.name.edit.setFocus()
        if room is None:
            self.name.edit.selectAll()  # the name the app made up: typing replaces it

    def event(self, event: QEvent) -> bool:
        handled = super().event(event)
        if event.type() == QEvent.Type.LayoutRequest:  # an error line came or went
            grow_to_fit(self)
        return handled

    # ---- the password's three states: none, set (unchanged or changed), removed ------------------------------

    @property
    def had_password(self) -> bool:
        return self.room is not None and self.room.has_password

    def _password_error(self, text: str) -> str | None:
        if self.had_password and not text:
            return None  # left as it is
        return room_password_error(text)

    def _participants_changed(self) -> None:
        self.participants_note.setVisible(self.participants.value() > MESH_PARTICIPANTS_MAX)
        show_error(self.participants_error, None)

    def _password_toggled(self) -> None:
        on = self.password_check.isChecked()
        self.password.setVisible(on)
        if not on:
            self.password.set_error(None)  # what was typed stays, should the box be ticked again
        elif not self.had_password and not self.password.text:
            self.password.edit.setFocus()
        self._update_password_note()

    def _update_password_note(self) -> None:
        on, typed = self.password_check.isChecked(), bool(self.password.text)
        if self.had_password and not on:
            note = self.tr("The password will be removed: anyone with the link can join.")
        elif on and self.had_password and not typed:
            note = self.tr("A password is set. Type a new one to change it.")
        elif on:
            note = self.tr("People need this password to join: tell it to the people you invite.")
        else:
            note = ""
        self.password_note.setText(note)
        self.password_note.setVisible(bool(note))

    # ---- saving -------------------------------------------------------------------------------------------

    def _save_text(self) -> str:
        return self.tr("Start call") if self.room is None else self.tr("Save")

    def _validate(self) -> bool:
        """On Save every field is checked, edited or not."""
        problems: list[tuple[Field | TextBox, str | None]] = [
            (self.name, room_name_error(self.name.text)),
            (self.description, room_description_error(self.description.text)),
        ]
        if self.password_check.isChecked():
            problems.append((self.password, self._password_error(self.password.text)))
        for field, problem in problems:
            field.set_error(problem)
        first = next((field for field, problem in problems if problem is not None), None)
        if first is not None:
            first.edit.setFocus()
        return first is None

    def save(self) -> None:
        if self.tasks.busy:
            return
        show_error(self.error, None)
        if self._validate():
            self._request = self.tasks.spawn(self._send(), name="save-room")

    def _password_to_send(self) -> str | Unchanged | None:
        """The new password, None to remove it, or UNCHANGED."""
        if self.password_check.isChecked():
            return self.password.text if self.password.text else UNCHANGED
        return None if self.had_password else UNCHANGED

    async def _send(self) -> None:
        self._set_busy(True)
        api = self.context.api
        name, description = self.name.text.strip(), self.description.text.strip()
        password = self._password_to_send()
        try:
            if self.room is None:
                created = await api.create_room(
                    name,
                    self.participants.value(),
                    description=description or None,
                    is_private=self.lobby.isChecked(),
                    password=password if isinstance(password, str) else None,
                )
                room = created.room
            else:
                old = self.room
                room = await api.update_room(
                    old.room_id,
                    name=name if name != old.name else UNCHANGED,
                    description=(description or None) if description != (old.description or "") else UNCHANGED,
                    max_participants=(
                        self.participants.value() if self.participants.value() != old.max_participants else UNCHANGED
                    ),
                    is_private=self.lobby.isChecked() if self.lobby.isChecked() != old.is_private else UNCHANGED,
                    password=password,
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
        self.saved.emit(room)
        self.accept()

    def _set_busy(self, busy: bool) -> None:
        for widget in (
            self.name.edit,
            self.description.edit,
            self.participants,
            self.lobby,
            self.password_check,
            self.password.edit,
            self.save_button,
        ):
            widget.setEnabled(not busy)
        self.save_button.setText(self.tr("Please wait…") if busy else self._save_text())

    def _show_api_error(self, exc: ApiError) -> None:
        if exc.status == 403 and exc.code == ErrorCode.FORBIDDEN:
            show_error(self.error, self.tr("Only the room's owner can change its settings"))
            return
        if exc.status == 404:
            show_error(self.error, messages.error_code(ErrorCode.ROOM_NOT_FOUND))
            return
        message = messages.api_error(exc)
        field = exc.field
        if field == "name":
            self.name.set_error(room_name_error(self.name.text) or message)
        elif field == "description":
            self.description.set_error(room_description_error(self.description.text) or message)
        elif field == "password" and self.password_check.isChecked():
            self.password.set_error(self._password_error(self.password.text) or message)
        elif field == "maxParticipants" and self.participants.value() > PARTICIPANTS_MAX:
            show_error(
                self.participants_error,
                QCoreApplication.translate(
                    "RoomDialog",
                    "This server allows at most {max} participants: larger rooms need a server with an SFU",
                ).format(max=PARTICIPANTS_MAX),
            )
        elif field == "maxParticipants":
            show_error(
                self.participants_error,
                QCoreApplication.translate(
                    "RoomDialog", "This server allows {min}–{max} participants in a room"
                ).format(min=PARTICIPANTS_MIN, max=PARTICIPANTS_MAX),
            )
        else:
            show_error(self.error, message)

    def done(self, result: int) -> None:
        # Closed while a request is out (Cancel, Escape): it is abandoned; whatever it did, nothing here follows it.
        if self._request is not None:
            self._request.cancel()
        super().done(result)

    async def shutdown(self) -> None:
        await self.tasks.close()
