"""JWT access tokens: HS256 pinned, ``sub``/``iat``/``exp``/``jti`` required."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import jwt

ALGORITHM = "HS256"
_REQUIRED = ["sub", "iat", "exp", "jti"]
KEY_FILE = "jwt-signing.key"


class InvalidToken(Exception):
    """Missing, malformed, forged or expired: callers answer ``unauthorized`` and never say which."""


@dataclass(frozen=True)
class Claims:
    user_id: str
    issued_at: int
    expires_at: int
    token_id: str


class Tokens:
    def __init__(self, key: bytes, ttl_s: int) -> None:
        if len(key) < 32:
            raise ValueError("the JWT signing key must be at least 32 bytes")
        self._key = key
        self._ttl_s = ttl_s

    def derived_key(self, purpose: str) -> bytes:
        """A key for ``purpose`` derived from the signing key (HMAC-SHA256): the same on every node sharing the
        key, and telling nothing about it (the SFU's room secrets, ``sfu/relay.py``)."""
        return hmac.new(self._key, f"nimeet-derived:{purpose}".encode(), hashlib.sha256).digest()

    def issue(self, user_id: str, now: float | None = None) -> str:
        issued = int(time.time() if now is None else now)
        claims = {"sub": user_id, "iat": issued, "exp": issued + self._ttl_s, "jti": uuid.uuid4().hex}
        return jwt.encode(claims, self._key, algorithm=ALGORITHM)

    def verify(self, token: object) -> Claims:
        if not isinstance(token, str) or not token or len(token) > 4096:
            raise InvalidToken
        try:
            # The algorithm list is pinned: a token saying ``alg: none`` or RS256 is refused.
            data = jwt.decode(token, self._key, algorithms=[ALGORITHM], options={"require": _REQUIRED})
        except jwt.PyJWTError:
            raise InvalidToken from None
        sub, jti = data.get("sub"), data.get("jti")
        if not isinstance(sub, str) or not sub or not isinstance(jti, str):
            raise InvalidToken
        return Claims(user_id=sub, issued_at=int(data["iat"]), expires_at=int(data["exp"]), token_id=jti)


def load_or_create_key(data_dir: Path) -> bytes:
    """The generated signing key: made once, kept in the data dir readable by the owner only."""
    path = data_dir / KEY_FILE
    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        return _read_key(path)
    except FileNotFoundError:
        pass
    key = secrets.token_bytes(64)
    # O_EXCL: if two servers start at once on one data dir, exactly one key wins and both read it.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_key(path)
    with os.fdopen(fd, "wb") as f:
        f.write(key.hex().encode())
    return key


def _read_key(path: Path) -> bytes:
    key = bytes.fromhex(path.read_text().strip())
    if os.name == "posix" and path.stat().st_mode & 0o077:
        os.chmod(path, 0o600)
    return key
