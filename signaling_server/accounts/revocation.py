"""Which tokens no longer work, and who has to hear of it at once.

REST checks ``is_revoked`` on every authenticated request and the socket layer on connect; the socket layer also
``subscribe``s, so that a logout, a "log out everywhere" or a deleted user disconnects the sockets opened with those
tokens immediately (PROTOCOL v1.1, "Sessions and limits").

This in-memory registry is the interface; persistence (so that a revoked token stays revoked across a restart and
between server nodes) is filled in behind the same methods.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from signaling_server.accounts.tokens import Claims

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Revoked:
    """What was revoked: one token (``token_id`` set) or every token of the user issued up to now (``None``)."""

    user_id: str
    token_id: str | None


Listener = Callable[[Revoked], Awaitable[None]]


class Revocations:
    def __init__(self) -> None:
        self._tokens: set[str] = set()
        # user id -> tokens issued at or before this second (``iat``) are revoked ("log out everywhere", deletion)
        self._users_before: dict[str, int] = {}
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def is_revoked(self, claims: Claims) -> bool:
        if claims.token_id in self._tokens:
            return True
        before = self._users_before.get(claims.user_id)
        return before is not None and claims.issued_at <= before

    async def revoke_token(self, claims: Claims) -> None:
        self._tokens.add(claims.token_id)
        await self._tell(Revoked(user_id=claims.user_id, token_id=claims.token_id))

    async def revoke_user(self, user_id: str, issued_up_to: int) -> None:
        self._users_before[user_id] = max(issued_up_to, self._users_before.get(user_id, issued_up_to))
        await self._tell(Revoked(user_id=user_id, token_id=None))

    async def _tell(self, revoked: Revoked) -> None:
        for listener in self._listeners:
            try:
                await listener(revoked)
            except Exception:
                # A listener's failure must not make the logout itself fail: the token is revoked either way.
                logger.exception("a revocation listener failed")
