"""Every socket the server holds, as whom, from where, with which token; and the caps on how many one account or
one address may hold.

One ``SocketSession`` per socket serialises that socket's connect, events and disconnect (``lock``): handlers await
the database mid-event, and engineio can close a socket at any moment (ping timeout, transport close, a server
disconnect), so without it a join could finish after its socket's disconnect had already cleaned up, leaving a
member no socket backs. ``closed`` is set the moment the disconnect starts; work that takes the lock afterwards
sees it and does nothing.

In-process: with several server nodes each enforces the caps for the sockets it holds (sockets are node-local).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from signaling_server.accounts.tokens import Claims
from signaling_server.signaling.limits import RefusalWindow, SlidingWindow, TokenBucket


@dataclass(frozen=True)
class Identity:
    user_id: str
    username: str


@dataclass(eq=False, slots=True)  # 10,000 of them on a busy node: no per-instance __dict__
class SocketSession:
    sid: str
    claims: Claims
    address: str
    events: TokenBucket
    refusals: RefusalWindow
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # Set once the connect handler accepted the socket (the account exists).
    identity: Identity | None = None
    # Set the moment the socket's disconnect starts; nothing may join or relay for it afterwards.
    closed: bool = False
    # Each kind of abuse is logged once per connection, not once per event (made on first use: most never need it).
    logged: set[str] | None = None
    # Where this socket reached the server (``NIMEET_PUBLIC_URL`` or its request's scheme and Host): the base of the
    # ``inviteUrl`` of rooms sent in events it causes.
    base_url: str = ""
    # The contract's stricter limits for chat messages and reactions (made on first use).
    chat_window: SlidingWindow | None = None
    reaction_window: SlidingWindow | None = None

    @property
    def user_id(self) -> str:
        return self.claims.user_id

    def first_time(self, what: str) -> bool:
        """True the first time ``what`` happens on this socket (log it then, and only then)."""
        if self.logged is None:
            self.logged = set()
        elif what in self.logged:
            return False
        self.logged.add(what)
        return True


class Refusal(StrEnum):
    PER_ADDRESS = "address"
    PER_USER = "user"


class Sessions:
    """The registry. A session counts against its caps from ``admit`` (before the connect handler awaits the
    database, so that concurrent connects cannot all pass the check) until ``remove``."""

    def __init__(self, max_per_user: int, max_per_address: int) -> None:
        self._max_per_user = max_per_user
        self._max_per_address = max_per_address
        self._by_sid: dict[str, SocketSession] = {}
        self._by_user: dict[str, dict[str, SocketSession]] = defaultdict(dict)
        self._per_address: dict[str, int] = defaultdict(int)

    def __len__(self) -> int:
        return len(self._by_sid)

    def get(self, sid: str) -> SocketSession | None:
        return self._by_sid.get(sid)

    def all(self) -> list[SocketSession]:
        return list(self._by_sid.values())

    def of_user(self, user_id: str) -> list[SocketSession]:
        return list(self._by_user.get(user_id, {}).values())

    def admit(self, session: SocketSession) -> Refusal | None:
        """Register ``session`` unless its address or its account holds its cap already."""
        if self._per_address.get(session.address, 0) >= self._max_per_address:  # .get: a refusal adds no entry
            return Refusal.PER_ADDRESS
        if len(self._by_user.get(session.user_id, ())) >= self._max_per_user:
            return Refusal.PER_USER
        self._by_sid[session.sid] = session
        self._by_user[session.user_id][session.sid] = session
        self._per_address[session.address] += 1
        return None

    def remove(self, session: SocketSession) -> None:
        if self._by_sid.get(session.sid) is not session:
            return
        del self._by_sid[session.sid]
        mine = self._by_user[session.user_id]
        del mine[session.sid]
        if not mine:
            del self._by_user[session.user_id]
        self._per_address[session.address] -= 1
        self._forget_address(session.address)

    def _forget_address(self, address: str) -> None:
        if self._per_address.get(address) == 0:
            del self._per_address[address]

    def counts(self) -> dict[str, Any]:
        """For tests and diagnostics: sockets, accounts and addresses held."""
        return {"sockets": len(self._by_sid), "users": len(self._by_user), "addresses": len(self._per_address)}


def peer_address(environ: dict[str, Any]) -> str:
    """The peer address of the socket's HTTP request, from the ASGI scope.

    engineio's ASGI driver fills ``REMOTE_ADDR`` with a constant 127.0.0.1, so the scope's ``client`` is the one to
    use; uvicorn sets it from ``X-Forwarded-For`` only for configured trusted proxies.
    """
    scope = environ.get("asgi.scope")
    client = scope.get("client") if isinstance(scope, dict) else None
    if isinstance(client, (list, tuple)) and client and isinstance(client[0], str):
        return client[0]
    return "unknown"


def socket_base_url(environ: dict[str, Any]) -> str:
    """``http(s)://<Host>`` of the socket's HTTP request: where this client reached the server (the base of invitations
    when ``NIMEET_PUBLIC_URL`` is unset), as REST's ``invitations.base_url`` takes it from a request."""
    scope = environ.get("asgi.scope")
    scheme = scope.get("scheme") if isinstance(scope, dict) else None
    secure = scheme in ("https", "wss")
    host = environ.get("HTTP_HOST") or "localhost"
    return f"{'https' if secure else 'http'}://{host}"
