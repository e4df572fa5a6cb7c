"""Unattended start (tests, kiosks, room systems): who signs in, taken from the environment.

``NIMEET_EMAIL`` and ``NIMEET_PASSWORD`` sign in without the form. They are held in memory only, for the one sign-in:
never written anywhere (not to the settings, not to the keyring, never logged; ``Credentials`` does not even show
the password in its repr), and taken out of this process's environment as soon as they are read, so that nothing
we start (the bundled server, a helper process) inherits the password.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass, field

ENV_EMAIL = "NIMEET_EMAIL"
ENV_PASSWORD = "NIMEET_PASSWORD"  # noqa: S105  (the variable's name, not a password)


@dataclass(frozen=True, slots=True)
class Credentials:
    email: str
    password: str = field(repr=False)


def credentials_from_env(environ: MutableMapping[str, str]) -> Credentials | None:
    """The sign-in the environment asks for, or None; both variables are removed from ``environ`` either way."""
    email = environ.pop(ENV_EMAIL, None)
    password = environ.pop(ENV_PASSWORD, None)
    if not email or not email.strip() or password is None:
        return None
    return Credentials(email=email.strip(), password=password)
