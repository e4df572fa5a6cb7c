"""A real keyring backend (keyring's API, checked with keyring's own tests in tests/net) that keeps secrets in a dict:
what the tests use where a desktop has its OS keyring."""

from __future__ import annotations

from keyring import errors
from keyring.backend import KeyringBackend


class MemoryKeyring(KeyringBackend):
    """A complete keyring backend that keeps secrets in a dict (checked below with keyring's own tests)."""

    priority = 5  # as high as the OS keyrings
    # Test backends opt out of keyring's auto-detection, so defining them never changes which backend other
    # code in this process would get from keyring.get_keyring().
    viable = False

    def __init__(self) -> None:
        super().__init__()
        self.secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.secrets.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.secrets[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        try:
            del self.secrets[(service, username)]
        except KeyError:
            raise errors.PasswordDeleteError("no such password") from None
