"""Client-side checks that mirror the server's rules (``signaling_server.protocol``), so people see a problem next
to the field before anything is sent. The server still decides: its errors are shown the same way."""

from __future__ import annotations

import re

from pydantic import TypeAdapter, ValidationError
from PySide6.QtCore import QCoreApplication, QObject

from signaling_server.protocol import (
    EMAIL_MAX,
    PASSWORD_MAX,
    PASSWORD_MIN,
    ROOM_DESCRIPTION_MAX,
    ROOM_NAME_MAX,
    ROOM_PASSWORD_MAX,
    ROOM_PASSWORD_MIN,
    USERNAME_MAX,
    USERNAME_MIN,
    USERNAME_RE,
    RoomDescription,
    RoomName,
)

# Deliberately loose (the server's email-validator is the authority): one @, something on each side, no spaces.
_EMAIL_SHAPE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
# The server's own field types: what they refuse besides the length (control, invisible and text-direction
# characters) is refused here by the very same rules.
_ROOM_NAME: TypeAdapter[str] = TypeAdapter(RoomName)
_ROOM_DESCRIPTION: TypeAdapter[str] = TypeAdapter(RoomDescription)


def _accepted(adapter: TypeAdapter[str], text: str) -> bool:
    try:
        adapter.validate_python(text)
    except ValidationError:
        return False
    return True


class ValidationPlurals(QObject):
    """Sentences with a number: see ``ui/messages.py``'s ``MessagePlurals`` for why a class."""

    def at_least(self, count: int) -> str:
        return self.tr("At least %n character(s)", "", count)

    def at_most(self, count: int) -> str:
        return self.tr("At most %n character(s)", "", count)


def username_error(text: str) -> str | None:
    if not USERNAME_MIN <= len(text) <= USERNAME_MAX or not USERNAME_RE.fullmatch(text):
        return QCoreApplication.translate("Validation", "{min}–{max} Latin letters, digits, '_', '.' or '-'").format(
            min=USERNAME_MIN, max=USERNAME_MAX
        )
    return None


def email_error(text: str) -> str | None:
    if not text:
        return QCoreApplication.translate("Validation", "Enter your email address")
    if len(text) > EMAIL_MAX or not _EMAIL_SHAPE.fullmatch(text):
        return QCoreApplication.translate("Validation", "That does not look like an email address")
    return None


def password_error(text: str) -> str | None:
    if len(text) < PASSWORD_MIN:
        return ValidationPlurals().at_least(PASSWORD_MIN)
    if len(text) > PASSWORD_MAX:
        return ValidationPlurals().at_most(PASSWORD_MAX)
    return None


def room_name_error(text: str) -> str | None:
    if not text.strip():
        return QCoreApplication.translate("Validation", "Give the room a name")
    if len(text) > ROOM_NAME_MAX:
        return ValidationPlurals().at_most(ROOM_NAME_MAX)
    if not _accepted(_ROOM_NAME, text):
        return QCoreApplication.translate("Validation", "A name cannot contain invisible or control characters")
    return None


def room_description_error(text: str) -> str | None:
    if len(text) > ROOM_DESCRIPTION_MAX:
        return ValidationPlurals().at_most(ROOM_DESCRIPTION_MAX)
    if not _accepted(_ROOM_DESCRIPTION, text):
        return QCoreApplication.translate("Validation", "The description cannot contain control characters")
    return None


def room_password_error(text: str) -> str | None:
    """A new password for a room (4–64 characters): the rule for setting one, not for typing one to join."""
    if len(text) < ROOM_PASSWORD_MIN:
        return ValidationPlurals().at_least(ROOM_PASSWORD_MIN)
    if len(text) > ROOM_PASSWORD_MAX:
        return ValidationPlurals().at_most(ROOM_PASSWORD_MAX)
    return None
