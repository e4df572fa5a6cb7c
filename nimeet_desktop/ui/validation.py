"""Client-side checks that mirror the server's rules (``signaling_server.protocol``), so people see a problem next
to the field before anything is sent. The server still decides: its errors are shown the same way."""

from __future__ import annotations

import re

from PySide6.QtCore import QCoreApplication, QObject

from signaling_server.protocol import EMAIL_MAX, PASSWORD_MAX, PASSWORD_MIN, USERNAME_MAX, USERNAME_MIN, USERNAME_RE

# Deliberately loose (the server's email-validator is the authority): one @, something on each side, no spaces.
_EMAIL_SHAPE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


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
