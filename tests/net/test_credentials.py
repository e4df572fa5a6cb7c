"""CredentialStore over the real keyring API, with backends chosen through ``keyring.set_keyring()``."""

from __future__ import annotations

import logging
from pathlib import Path

import keyring
import keyring.core
import pytest
from keyring import errors
from keyring.backend import KeyringBackend
from keyring.backends import chainer, fail, null
from keyring.testing.backend import BackendBasicTests

from nimeet_desktop.net.credentials import SERVICE_NAME, CredentialStore
from nimeet_desktop.net.links import InvalidServerUrl
from tests.support.memory_keyring import MemoryKeyring

TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ0ZXN0In0.SECRET-signature-4f2a"
OTHER_TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJvdGhlciJ9.OTHER-signature-9c1d"
SERVER = "http://127.0.0.1:8000"
LOGGER = "nimeet_desktop.net.credentials"


class PlaintextFileKeyring(MemoryKeyring):
    """Keyring kept in a file with no encryption (named and prioritised like keyrings.alt's)."""

    priority = 0.5  # type: ignore[assignment]


class UnencryptedVault(MemoryKeyring):
    """A high-priority backend whose name alone says it does not encrypt."""


class LowPriorityKeyring(MemoryKeyring):
    """Not recommended by keyring's own rule (priority below 1)."""

    priority = 0.9  # type: ignore[assignment]


class FlakyKeyring(MemoryKeyring):
    """A keyring that fails at run time the way a locked or unreachable Secret Service does."""

    def __init__(self) -> None:
        super().__init__()
        self.fail_get: Exception | None = None
        self.fail_set: Exception | None = None
        self.fail_delete: Exception | None = None

    def get_password(self, service: str, username: str) -> str | None:
        if self.fail_get is not None:
            raise self.fail_get
        return super().get_password(service, username)

    def set_password(self, service: str, username: str, password: str) -> None:
        if self.fail_set is not None:
            raise self.fail_set
        super().set_password(service, username, password)

    def delete_password(self, service: str, username: str) -> None:
        if self.fail_delete is not None:
            raise self.fail_delete
        super().delete_password(service, username)


class ChosenChainer(chainer.ChainerBackend):
    """keyring's chainer over a fixed list of backends (instead of every installed one)."""

    viable = False
    backends: list[KeyringBackend] = []  # noqa: RUF012


def chain(*backends: KeyringBackend) -> ChosenChainer:
    chained = ChosenChainer()
    chained.backends = list(backends)
    return chained


class TestMemoryKeyringIsARealBackend(BackendBasicTests):
    """keyring's conformance tests, so the double the store is tested with behaves like a real backend."""

    def init_keyring(self) -> KeyringBackend:
        return MemoryKeyring()


@pytest.fixture(autouse=True)
def _restore_global_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test sets its backend with keyring.set_keyring(); the process-wide choice is put back after."""
    monkeypatch.setattr(keyring.core, "_keyring_backend", keyring.core._keyring_backend)


def records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == LOGGER and r.levelno >= logging.INFO]


def test_tokens_go_to_the_keyring(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    store = CredentialStore()
    assert store.is_persistent
    assert "MemoryKeyring" in store.backend_description

    assert store.load(SERVER) is None
    assert store.save("HTTP://127.0.0.1:8000/", TOKEN) is True
    # One entry per server under its normalised URL, service "nimeet".
    assert backend.secrets == {(SERVICE_NAME, SERVER): TOKEN}
    assert store.load(SERVER) == TOKEN
    assert store.load("http://127.0.0.1:8001") is None

    # Another store (the next start of the app) finds it.
    assert CredentialStore().load(f"{SERVER}/") == TOKEN

    store.save(SERVER, OTHER_TOKEN)
    assert store.load(SERVER) == OTHER_TOKEN
    store.clear(SERVER)
    assert store.load(SERVER) is None
    assert backend.secrets == {}
    store.clear(SERVER)  # nothing stored: no error
    assert records(caplog) == []
    assert TOKEN not in caplog.text
    assert OTHER_TOKEN not in caplog.text


def test_backend_can_be_passed_in() -> None:
    keyring.set_keyring(fail.Keyring())
    backend = MemoryKeyring()
    store = CredentialStore(backend=backend)
    assert store.save(SERVER, TOKEN)
    assert backend.secrets == {(SERVICE_NAME, SERVER): TOKEN}


@pytest.mark.parametrize(
    ("backend", "reason"),
    [
        (fail.Keyring(), "no keyring backend"),
        (null.Keyring(), "disabled"),
        (chain(), "no keyring backend"),
    ],
    ids=["fail", "null", "empty-chainer"],
)
def test_no_backend_keeps_the_token_in_memory(
    caplog: pytest.LogCaptureFixture, backend: KeyringBackend, reason: str
) -> None:
    caplog.set_level(logging.DEBUG)
    keyring.set_keyring(backend)
    store = CredentialStore()
    assert store.load(SERVER) is None
    assert store.save(SERVER, TOKEN) is False
    assert store.load(SERVER) == TOKEN
    assert store.load("https://meet.example.com") is None
    assert not store.is_persistent
    assert "memory" in store.backend_description
    assert reason in store.backend_description
    store.clear(SERVER)
    assert store.load(SERVER) is None
    store.save(SERVER, OTHER_TOKEN)

    # Exactly one clear line, however many calls, and never the token.
    lines = records(caplog)
    assert len(lines) == 1, [r.getMessage() for r in lines]
    assert "memory for this session only" in lines[0].getMessage()
    assert reason in lines[0].getMessage()
    assert TOKEN not in caplog.text
    assert OTHER_TOKEN not in caplog.text
    # Memory is per store (per process): a new store (the next start) has nothing.
    assert CredentialStore().load(SERVER) is None


def plaintext_backends() -> list[tuple[str, MemoryKeyring]]:
    return [
        ("named-plaintext", PlaintextFileKeyring()),
        ("named-unencrypted", UnencryptedVault()),
        ("not-recommended", LowPriorityKeyring()),
    ]


@pytest.fixture
def keyrings_alt_plaintext(tmp_path: Path) -> KeyringBackend:
    alt_file = pytest.importorskip(
        "keyrings.alt.file", reason="keyrings.alt is not installed (the named test doubles cover the rule)"
    )
    backend: KeyringBackend = alt_file.PlaintextKeyring()
    # file_path is a NonDataProperty in keyrings.alt: an instance attribute points it into the test's directory.
    backend.file_path = str(tmp_path / "keyring_pass.cfg")  # type: ignore[attr-defined]
    return backend


@pytest.mark.parametrize(("kind", "backend"), plaintext_backends(), ids=[k for k, _ in plaintext_backends()])
def test_plaintext_backends_are_refused_unless_allowed(
    caplog: pytest.LogCaptureFixture, kind: str, backend: MemoryKeyring
) -> None:
    caplog.set_level(logging.DEBUG)
    keyring.set_keyring(backend)
    store = CredentialStore()
    assert not store.is_persistent
    assert store.save(SERVER, TOKEN) is False
    assert store.load(SERVER) == TOKEN
    assert backend.secrets == {}, "a refused backend must not be written to"
    lines = records(caplog)
    assert len(lines) == 1
    assert "not used unless plaintext storage is allowed" in lines[0].getMessage()
    assert TOKEN not in caplog.text

    allowed = CredentialStore(allow_plaintext=True)
    assert allowed.is_persistent
    assert allowed.save(SERVER, TOKEN) is True
    assert backend.secrets == {(SERVICE_NAME, SERVER): TOKEN}
    assert allowed.load(SERVER) == TOKEN


def test_keyrings_alt_plaintext_is_refused_unless_allowed(keyrings_alt_plaintext: KeyringBackend) -> None:
    keyring.set_keyring(keyrings_alt_plaintext)
    store = CredentialStore()
    assert not store.is_persistent
    store.save(SERVER, TOKEN)
    assert keyrings_alt_plaintext.get_password(SERVICE_NAME, SERVER) is None
    allowed = CredentialStore(allow_plaintext=True)
    assert allowed.is_persistent
    allowed.save(SERVER, TOKEN)
    assert keyrings_alt_plaintext.get_password(SERVICE_NAME, SERVER) == TOKEN


def test_chainer_uses_its_best_secure_backend(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    plain, secure = PlaintextFileKeyring(), MemoryKeyring()
    plain.secrets[(SERVICE_NAME, SERVER)] = "stale-plaintext-token"
    keyring.set_keyring(chain(plain, secure))
    store = CredentialStore()
    assert store.is_persistent
    assert "MemoryKeyring" in store.backend_description
    # The plaintext file is neither read nor written.
    assert store.load(SERVER) is None
    assert store.save(SERVER, TOKEN)
    assert secure.secrets == {(SERVICE_NAME, SERVER): TOKEN}
    assert plain.secrets == {(SERVICE_NAME, SERVER): "stale-plaintext-token"}
    assert records(caplog) == []


def test_chainer_of_plaintext_only_is_refused() -> None:
    plain = PlaintextFileKeyring()
    keyring.set_keyring(chain(plain))
    store = CredentialStore()
    assert not store.is_persistent
    store.save(SERVER, TOKEN)
    assert plain.secrets == {}
    assert CredentialStore(allow_plaintext=True).is_persistent


@pytest.mark.parametrize(
    "error",
    [
        errors.PasswordSetError(f"cannot store {TOKEN}"),
        errors.KeyringLocked("the collection is locked"),
        errors.KeyringError("org.freedesktop.DBus.Error.ServiceUnknown"),
        RuntimeError(f"jeepney failure while sending {TOKEN}"),
    ],
    ids=["set-error", "locked", "dbus", "other"],
)
def test_runtime_failure_on_save_falls_back_to_memory(caplog: pytest.LogCaptureFixture, error: Exception) -> None:
    caplog.set_level(logging.DEBUG)
    backend = FlakyKeyring()
    keyring.set_keyring(backend)
    store = CredentialStore()
    backend.fail_set = error
    assert store.save(SERVER, TOKEN) is False
    assert store.load(SERVER) == TOKEN
    assert backend.secrets == {}
    lines = records(caplog)
    assert len(lines) == 1
    assert lines[0].levelno == logging.WARNING
    assert "memory for this session only" in lines[0].getMessage()
    assert type(error).__name__ in lines[0].getMessage()
    assert TOKEN not in caplog.text
    assert all(r.exc_info is None for r in caplog.records)

    # Once the keyring works again the token goes there and the memory copy is dropped.
    backend.fail_set = None
    assert store.save(SERVER, OTHER_TOKEN) is True
    assert backend.secrets == {(SERVICE_NAME, SERVER): OTHER_TOKEN}
    assert store.load(SERVER) == OTHER_TOKEN
    assert OTHER_TOKEN not in caplog.text


def test_runtime_failure_on_load_gives_none(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    backend = FlakyKeyring()
    backend.secrets[(SERVICE_NAME, SERVER)] = TOKEN
    keyring.set_keyring(backend)
    backend.fail_get = errors.KeyringLocked("the collection is locked")
    store = CredentialStore()
    assert store.load(SERVER) is None
    assert len(records(caplog)) == 1
    backend.fail_get = None
    assert store.load(SERVER) == TOKEN
    assert TOKEN not in caplog.text


def test_runtime_failure_on_clear_still_signs_out(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    backend = FlakyKeyring()
    keyring.set_keyring(backend)
    store = CredentialStore()
    store.save(SERVER, TOKEN)
    backend.fail_delete = errors.KeyringError("D-Bus connection lost")
    store.clear(SERVER)
    # The keyring still holds it, but this session signed out: it is not handed out again.
    assert backend.secrets == {(SERVICE_NAME, SERVER): TOKEN}
    assert store.load(SERVER) is None
    assert len(records(caplog)) == 1
    # Signing in again replaces it.
    backend.fail_delete = None
    store.save(SERVER, OTHER_TOKEN)
    assert store.load(SERVER) == OTHER_TOKEN
    assert TOKEN not in caplog.text


def test_keyring_initialisation_failure_falls_back(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.DEBUG)

    def broken() -> KeyringBackend:
        raise errors.InitError("cannot initialise the keyring")

    monkeypatch.setattr(keyring, "get_keyring", broken)
    store = CredentialStore()
    assert store.save(SERVER, TOKEN) is False
    assert store.load(SERVER) == TOKEN
    assert len(records(caplog)) == 1


def test_bad_arguments_are_refused() -> None:
    keyring.set_keyring(MemoryKeyring())
    store = CredentialStore()
    with pytest.raises(InvalidServerUrl):
        store.save("ftp://example.com", TOKEN)
    with pytest.raises(InvalidServerUrl):
        store.load("not a url")
    with pytest.raises(ValueError, match="token"):
        store.save(SERVER, "")
