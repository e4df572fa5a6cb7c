"""Client-side checks that mirror the server's rules (``signaling_server.protocol``), so people see a problem next
to the field before anything is sent. The server still decides: its errors are shown the same way."""

from __future__ import annotations

import re

from signaling_server.protocol import EMAIL_MAX, PASSWORD_MAX, PASSWORD_MIN, USERNAME_MAX, USERNAME_MIN, USERNAME_RE

# Deliberately loose (the server's email-validator is the authority): one @, something on each side, no spaces.
_EMAIL_SHAPE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def username_error(text: str) -> str | None:
    if not USERNAME_MIN <= len(text) <= USERNAME_MAX or not USERNAME_RE.fullmatch(text):
        return f"{USERNAME_MIN}–{USERNAME_MAX} letters, digits, '_', '.' or '-'"
    return None


def email_error(text: str) -> str | None:
    if not text:
        return "Enter your email address"
    if len(text) > EMAIL_MAX or not _EMAIL_SHAPE.fullmatch(text):
        return "That does not look like an email address"
    return None


def password_error(text: str) -> str | None:
    if len(text) < PASSWORD_MIN:
        return f"At least {PASSWORD_MIN} characters"
    if len(text) > PASSWORD_MAX:
        return f"At most {PASSWORD_MAX} characters"
    return None
