"""Which tokens no longer work, and who has to hear of it at once.

REST checks ``is_revoked`` on every authenticated request and the socket layer on connect; the socket layer also
``subscribe``s, so that a logout, a "log out everywhere" or a deleted user disconnects the sockets opened with those
tokens immediately (PROTOCOL v1.1, "Sessions and limits").

Checks are answered from memory (no query per request). With a store, every revocation is also written to the
database: loaded on start, so a revoked token stays revoked across a restart, and polled every few seconds, so a
revocation written by another process (another server node, ``nimeet-server delete-user``) reaches this one's
sockets. Rows are purged once every token they concern has expired by itself.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from signaling_server.accounts.tokens import Claims
from signaling_server.tasks import cancel_and_wait

if TYPE_CHECKING:
    from signaling_server.db.models import RevocationRow
    from signaling_server.db.store import Store

logger = logging.getLogger(__name__)

# Another node's row may commit a little after its ``revoked_at`` (and clocks differ a little): each poll looks this
# far back and skips the rows it has already applied.
POLL_OVERLAP = timedelta(seconds=30)
PURGE_EVERY_S = 600.0


@dataclass(frozen=True)
class Revoked:
    """What was revoked: one token (``token_id`` set) or every token of the user issued up to now (``None``)."""

    user_id: str
    token_id: str | None


Listener = Callable[[Revoked], Awaitable[None]]


class Revocations:
    def __init__(self, store: Store | None = None, token_ttl_s: int = 7 * 24 * 3600, poll_s: float = 2.0) -> None:
        self._tokens: dict[str, int] = {}  # token id -> its expiry (unix seconds): forgotten after that
        # user id -> tokens issued at or before this second (``iat``) are revoked ("log out everywhere", deletion)
        self._users_before: dict[str, int] = {}
        self._user_expiry: dict[str, int] = {}  # user id -> when every token of ``_users_before`` has expired
        self._listeners: list[Listener] = []
        self._store = store
        self._token_ttl_s = token_ttl_s
        self._poll_s = poll_s
        self._applied: dict[int, datetime] = {}  # stored row ids already applied here -> their revoked_at
        self._task: asyncio.Task[None] | None = None
        self._failing = False

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def is_revoked(self, claims: Claims) -> bool:
        if claims.token_id in self._tokens:
            return True
        before = self._users_before.get(claims.user_id)
        return before is not None and claims.issued_at <= before

    async def revoke_token(self, claims: Claims) -> None:
        self._tokens[claims.token_id] = claims.expires_at
        await self._record(Revoked(claims.user_id, claims.token_id), None, claims.expires_at)

    async def revoke_user(self, user_id: str, issued_up_to: int) -> None:
        expires_at = issued_up_to + self._token_ttl_s
        self._apply_user(user_id, issued_up_to, expires_at)
        await self._record(Revoked(user_id, None), issued_up_to, expires_at)

    async def _record(self, revoked: Revoked, issued_up_to: int | None, expires_at: int) -> None:
        """Store a revocation already applied in memory, then tell the listeners."""
        try:
            if self._store is not None:
                row_id = await self._store.add_revocation(
                    revoked.user_id, revoked.token_id, issued_up_to, _utc(expires_at)
                )
                self._applied[row_id] = datetime.now(UTC)
        finally:
            # Revoked here at once either way; a failed write is the caller's error (503) to report.
            await self._tell(revoked)

    # ---- persistence ----
    async def start(self) -> None:
        """Load what is revoked (before the first request is served) and follow other processes' revocations."""
        if self._store is None:
            return
        for row in await self._store.revocations():
            self._apply_row(row)
        self._task = asyncio.create_task(self._follow(), name="revocations")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None

    async def poll(self) -> None:
        """Apply revocations other processes recorded since the last look, telling the listeners."""
        assert self._store is not None
        since = datetime.now(UTC) - POLL_OVERLAP
        for row in await self._store.revocations(since=since):
            if row.id in self._applied:
                continue
            self._apply_row(row)
            logger.info("revocation recorded elsewhere applied", extra={"userId": row.user_id})
            await self._tell(Revoked(user_id=row.user_id, token_id=row.token_id))
        self._applied = {k: v for k, v in self._applied.items() if v >= since - POLL_OVERLAP}

    async def _follow(self) -> None:
        assert self._store is not None
        last_purge = time.monotonic()
        while True:
            await asyncio.sleep(self._poll_s)
            try:
                await self.poll()
                if time.monotonic() - last_purge > PURGE_EVERY_S:
                    last_purge = time.monotonic()
                    await self._store.purge_revocations()
                    self._forget_expired()
            except Exception:
                # Logged once per outage, not every few seconds: /healthz reports the database itself.
                if not self._failing:
                    logger.warning("cannot read revocations from the database; retrying", exc_info=True)
                self._failing = True
            else:
                if self._failing:
                    logger.info("revocations are read from the database again")
                self._failing = False

    def _apply_row(self, row: RevocationRow) -> None:
        self._applied[row.id] = row.revoked_at
        expiry = int(row.expires_at.timestamp())
        if row.token_id is not None:
            self._tokens[row.token_id] = expiry
        elif row.issued_up_to is not None:
            self._apply_user(row.user_id, row.issued_up_to, expiry)

    def _apply_user(self, user_id: str, issued_up_to: int, expiry: int) -> None:
        self._users_before[user_id] = max(issued_up_to, self._users_before.get(user_id, issued_up_to))
        self._user_expiry[user_id] = max(expiry, self._user_expiry.get(user_id, expiry))

    def _forget_expired(self) -> None:
        now = int(time.time())
        self._tokens = {token: expiry for token, expiry in self._tokens.items() if expiry > now}
        for user_id in [user for user, expiry in self._user_expiry.items() if expiry <= now]:
            del self._user_expiry[user_id]
            self._users_before.pop(user_id, None)

    async def _tell(self, revoked: Revoked) -> None:
        for listener in self._listeners:
            try:
                await listener(revoked)
            except Exception:
                # A listener's failure must not make the logout itself fail: the token is revoked either way.
                logger.exception("a revocation listener failed")


def _utc(unix_s: int) -> datetime:
    return datetime.fromtimestamp(unix_s, UTC)
