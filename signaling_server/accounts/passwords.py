"""argon2id password hashing. Hashing is CPU- and memory-heavy, so it runs off the event loop."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Verdict:
    ok: bool
    # A new hash to store when the stored one was made with other parameters (argon2 cost changed).
    rehash: str | None = None


class Passwords:
    def __init__(self, time_cost: int, memory_kib: int, parallelism: int) -> None:
        self._hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism)
        # Compared against when the account does not exist, so a wrong email costs as much as a wrong password
        # and response times do not tell which emails are registered.
        self._decoy = self._hasher.hash("decoy password, never matches")

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, stored_hash: str | None, password: str) -> Verdict:
        return await asyncio.to_thread(self._verify, stored_hash, password)

    def _verify(self, stored_hash: str | None, password: str) -> Verdict:
        try:
            self._hasher.verify(stored_hash or self._decoy, password)
        except VerifyMismatchError:
            return Verdict(ok=False)
        except (VerificationError, InvalidHashError):
            logger.warning("stored password hash could not be checked")
            return Verdict(ok=False)
        if stored_hash is None:
            return Verdict(ok=False)
        if self._hasher.check_needs_rehash(stored_hash):
            return Verdict(ok=True, rehash=self._hasher.hash(password))
        return Verdict(ok=True)
