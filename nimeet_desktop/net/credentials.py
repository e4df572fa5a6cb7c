"""The session token per server, kept in the OS keyring (service ``nimeet``, user name = the server's URL).

Where there is no secure keyring (a headless Linux box: keyring's ``fail`` backend or a chainer with nothing to
chain, or only keyrings.alt's plaintext file), the token lives in this process's memory for this session only,
and one log line says so. A plaintext store is used only when the user opted in (``allow_plaintext=True``).
When the keyring fails at run time (locked, D-Bus gone), the call falls back to session memory with a log
line; nothing here raises because of the keyring, and the token is never logged.

Keyring calls block (D-Bus, maybe an unlock prompt): from a coroutine, run them with ``asyncio.to_thread``.
"""

from __future__ import annotations

import logging
import re
from typing import Final

import keyring
import keyring.errors
from keyring.backend import KeyringBackend
from keyring.backends import chainer, fail, null

from nimeet_desktop.net.links import normalize_server_url

__all__ = ["SERVICE_NAME", "CredentialStore"]

logger = logging.getLogger(__name__)

SERVICE_NAME: Final = "nimeet"
# keyring's own threshold (``keyring.core.recommended``): below 1 a backend is not recommended for secrets.
RECOMMENDED_PRIORITY: Final = 1.0
_PLAINTEXT_CLASSES: Final = frozenset({"keyrings.alt.file.PlaintextKeyring", "keyrings.alt.pyfs.PlaintextKeyring"})
_PLAINTEXT_WORDS: Final = re.compile(r"plain[\s_-]?text|unencrypted|not encrypted|no encryption", re.IGNORECASE)


class CredentialStore:
    """Session tokens per server URL. The keyring backend is looked up on first use (``keyring.get_keyring()``
    unless one is passed) and kept for the life of the store.

    Server URLs are normalised (``normalize_server_url``), so ``https://Host/`` and ``https://host`` are one
    entry; an invalid URL raises ``InvalidServerUrl`` (a ValueError).
    """

    def __init__(self, *, allow_plaintext: bool = False, backend: KeyringBackend | None = None) -> None:
        self._allow_plaintext = allow_plaintext
        self._given = backend
        self._resolved = False
        self._backend: KeyringBackend | None = None
        self._memory_reason = ""
        # Tokens of this session that are not (or no longer) in the keyring; None marks a sign-out whose
        # keyring delete failed, so that a stale stored token is not handed out again.
        self._memory: dict[str, str | None] = {}

    # ---- what is in use ----------------------------------------------------------------------------------
    @property
    def is_persistent(self) -> bool:
        """True when tokens go to a keyring (they survive a restart), False when only kept in memory."""
        return self._resolve() is not None

    @property
    def backend_description(self) -> str:
        backend = self._resolve()
        if backend is None:
            return f"memory, for this session only ({self._memory_reason})"
        return f"{_name(backend)} ({_class_path(backend)})"

    # ---- tokens -------------------------------------------------------------------------------------------
    def load(self, server_url: str) -> str | None:
        """The token saved for this server, or None."""
        key = normalize_server_url(server_url)
        if key in self._memory:
            return self._memory[key]
        backend = self._resolve()
        if backend is None:
            return None
        try:
            return backend.get_password(SERVICE_NAME, key)
        except Exception as exc:
            _log_failure("read the sign-in from the keyring", exc, "signing in again is needed")
            return None

    def save(self, server_url: str, token: str) -> bool:
        """Keep ``token`` for this server; True when it went to the keyring, False when only to memory."""
        if not isinstance(token, str) or not token:
            raise ValueError("a token is non-empty text")
        key = normalize_server_url(server_url)
        backend = self._resolve()
        if backend is not None:
            try:
                backend.set_password(SERVICE_NAME, key, token)
            except Exception as exc:
                _log_failure("save the sign-in in the keyring", exc, _IN_MEMORY, secret=token)
            else:
                self._memory.pop(key, None)
                return True
        self._memory[key] = token
        return False

    def clear(self, server_url: str) -> None:
        """Forget the token for this server (sign-out); nothing happens when none is kept."""
        key = normalize_server_url(server_url)
        self._memory.pop(key, None)
        backend = self._resolve()
        if backend is None:
            return
        try:
            backend.delete_password(SERVICE_NAME, key)
        except keyring.errors.PasswordDeleteError:
            pass  # nothing stored (backends report a missing entry this way)
        except Exception as exc:
            _log_failure("remove the sign-in from the keyring", exc, "it is ignored for the rest of this session")
            self._memory[key] = None

    # ---- backend choice -----------------------------------------------------------------------------------
    def _resolve(self) -> KeyringBackend | None:
        if self._resolved:
            return self._backend
        self._resolved = True
        try:
            candidate = self._given if self._given is not None else keyring.get_keyring()
        except Exception as exc:
            self._backend, reason = None, f"the keyring could not be initialised: {type(exc).__name__}"
        else:
            self._backend, reason = self._choose(candidate)
        if self._backend is None:
            self._memory_reason = reason
            logger.warning(
                "No secure keyring is available (%s): the sign-in is kept in memory for this session only "
                "and will be asked for again after a restart.",
                reason,
            )
        else:
            logger.debug("session tokens are kept in %s", _class_path(self._backend))
        return self._backend

    def _choose(self, candidate: KeyringBackend) -> tuple[KeyringBackend | None, str]:
        if isinstance(candidate, chainer.ChainerBackend):
            try:
                chained: list[KeyringBackend] = list(candidate.backends)
            except Exception as exc:
                return None, f"the keyring backends could not be listed: {type(exc).__name__}"
            if not chained:
                return None, "no keyring backend is installed"
            # The chainer writes to its first backend and reads from all: use the best acceptable one alone,
            # so a token is never read from (or written to) a store we refuse.
            reasons: list[str] = []
            for backend in chained:
                refusal = self._refusal(backend)
                if refusal is None:
                    return backend, ""
                reasons.append(refusal)
            return None, reasons[0]
        refusal = self._refusal(candidate)
        return (candidate, "") if refusal is None else (None, refusal)

    def _refusal(self, backend: KeyringBackend) -> str | None:
        """Why ``backend`` must not hold tokens, or None when it may."""
        if isinstance(backend, fail.Keyring):
            return "no keyring backend is installed"
        if isinstance(backend, null.Keyring):
            return "the keyring is disabled"
        if isinstance(backend, chainer.ChainerBackend):
            return "nested keyring chainers are not supported"
        try:
            priority = float(type(backend).priority)
        except Exception as exc:  # a backend says it is unusable here by raising from ``priority``
            return f"{_name(backend)} is not usable here: {type(exc).__name__}"
        if priority <= 0:
            return f"{_name(backend)} is not usable here"
        if self._allow_plaintext:
            return None
        if _is_plaintext(backend):
            return f"{_name(backend)} stores secrets unencrypted (not used unless plaintext storage is allowed)"
        if priority < RECOMMENDED_PRIORITY:
            return f"{_name(backend)} is not a recommended keyring (not used unless plaintext storage is allowed)"
        return None


def _is_plaintext(backend: KeyringBackend) -> bool:
    kind = type(backend)
    if _class_path(backend) in _PLAINTEXT_CLASSES:
        return True
    text = " ".join((kind.__module__, kind.__qualname__, _name(backend), (kind.__doc__ or "").split("\n\n")[0]))
    return bool(_PLAINTEXT_WORDS.search(text))


def _name(backend: KeyringBackend) -> str:
    try:
        return str(type(backend).name)
    except Exception:
        return type(backend).__qualname__


def _class_path(backend: KeyringBackend) -> str:
    kind = type(backend)
    return f"{kind.__module__}.{kind.__qualname__}"


_IN_MEMORY: Final = "it is kept in memory for this session only"


def _log_failure(action: str, exc: Exception, consequence: str, secret: str | None = None) -> None:
    """One warning line: what failed and why, without a traceback and without the token."""
    detail = str(exc)
    if secret:
        detail = detail.replace(secret, "<token>")
    detail = " ".join(detail.split())[:200]
    logger.warning("Could not %s (%s%s); %s.", action, type(exc).__name__, f": {detail}" if detail else "", consequence)
