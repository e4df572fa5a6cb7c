"""``nimeet-server delete-user <email>``: remove an account from the database the server uses.

The deletion is recorded as a revocation of every token the user holds; a running server picks it up within
``NIMEET_REVOCATION_POLL_S`` and disconnects that user's sockets (REST refuses the tokens at once: the user is gone).
"""

from __future__ import annotations

import time

from signaling_server import datadir
from signaling_server.accounts.emails import normalized_email
from signaling_server.accounts.revocation import Revocations
from signaling_server.config import Settings
from signaling_server.db.engine import create_engine, migrate, sessions
from signaling_server.db.store import Store


async def delete_user(settings: Settings, email: str) -> str | None:
    """Delete the account with ``email``; its id, or None when there is none (InvalidEmail for a bad address)."""
    key = normalized_email(email)
    if not settings.database_url:
        datadir.secure(settings.data_dir)
    engine = create_engine(settings.resolved_database_url(), settings.db_busy_timeout_s)
    try:
        await migrate(engine)
        store = Store(sessions(engine))
        user = await store.user_by_email(key)
        if user is None:
            return None
        # Revoked first: were the deletion to fail half-way, the tokens are dead and the command can be rerun.
        await Revocations(store, settings.token_ttl_s).revoke_user(user.id, int(time.time()))
        await store.delete_user(user.id)
        return user.id
    finally:
        await engine.dispose()
