"""One session on Janus's HTTP API: requests, handles, keepalives and the long-poll that brings Janus's events.

Janus answers a plugin message in one of two ways: at once (``{"janus": "success", "plugindata": ...}``, e.g. the
VideoRoom's ``create``) or with an ``ack`` followed by an ``event`` carrying the same ``transaction`` on the
session's long-poll (``GET /janus/<session>``; e.g. ``join``, ``publish``, ``start``). ``JanusHandle.message`` hides
the difference: it returns the reply either way, or raises ``JanusError``. Everything else Janus sends on its own
(other participants publishing or leaving, ``webrtcup``, ``media``, ``hangup``, ``slowlink``...) is delivered to the
handle it concerns, in order, as a ``JanusEvent`` (on its queue, or to its callback).

Janus ends a session after ``session_timeout`` (60 s) without a request. A long-poll counts as one only when it
starts (Janus's HTTP transport passes a keepalive to the core then) and may wait 30 s for events, so on a quiet
session it is the explicit ``keepalive``, every 25 s, that keeps the session: it must come more often than Janus's
``session_timeout``. A server that dies leaves its sessions, and so its participants in the rooms, behind for at most
that timeout.

Bodies are never logged: they carry the rooms' secrets and pins, and the admin key.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

logger = logging.getLogger(__name__)

JSON = dict[str, Any]

KEEPALIVE_S = 25.0
# Janus holds a long-poll for up to 30 s before answering with a keepalive.
POLL_TIMEOUT_S = 40.0
REQUEST_TIMEOUT_S = 15.0
# Consecutive failed long-polls (Janus down or restarting) before the session counts as lost.
POLL_FAILURES_BEFORE_LOST = 3

# Codes of Janus's own (janus/apierror.h) this module acts on.
SESSION_NOT_FOUND = 458
HANDLE_NOT_FOUND = 459
# Ours, for what Janus could not say itself: it did not answer, or answered something this module cannot read.
UNREACHABLE = -1
BAD_REPLY = -2


class JanusError(Exception):
    """An error Janus reported: the core's (``{"janus": "error", "error": {"code", "reason"}}``), a plugin's
    (``error_code`` and ``error`` in its data, e.g. 433 for a wrong pin), or ours (``UNREACHABLE``, ``BAD_REPLY``)."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"Janus error {code}: {reason}")
        self.code = code
        self.reason = reason


@dataclass(frozen=True)
class Jsep:
    """A session description as Janus carries it next to a message."""

    type: str  # "offer" or "answer"
    sdp: str

    def to_json(self) -> JSON:
        return {"type": self.type, "sdp": self.sdp}

    @classmethod
    def from_json(cls, raw: Any) -> Jsep | None:
        if not isinstance(raw, dict) or not isinstance(raw.get("sdp"), str) or not isinstance(raw.get("type"), str):
            return None
        return cls(raw["type"], raw["sdp"])


@dataclass(frozen=True)
class JanusEvent:
    """Something Janus sent a handle on its own.

    ``kind`` is Janus's ``janus`` field: ``"event"`` (the plugin's: ``data`` is its ``plugindata.data``, e.g.
    ``{"videoroom": "event", "publishers": [...]}``), ``"webrtcup"``, ``"media"``, ``"slowlink"``, ``"hangup"``,
    ``"detached"``; and ``"gone"`` (ours), sent to every handle once when the session is lost (timed out, destroyed
    or Janus unreachable), with ``data = {"code", "reason"}``. For the others ``data`` is the whole message."""

    kind: str
    data: JSON
    jsep: Jsep | None = None


@dataclass(frozen=True)
class PluginReply:
    """A plugin's answer to a message: its ``plugindata.data`` and, for negotiation, a JSEP."""

    data: JSON
    jsep: Jsep | None = None


EventCallback = Callable[[JanusEvent], None]


def _transaction() -> str:
    return secrets.token_hex(8)


def _raise_core_error(reply: JSON) -> None:
    if reply.get("janus") == "error":
        error = reply.get("error") or {}
        raise JanusError(int(error.get("code", BAD_REPLY)), str(error.get("reason", "unknown error")))


def _plugin_reply(reply: JSON) -> PluginReply:
    _raise_core_error(reply)
    data = (reply.get("plugindata") or {}).get("data")
    if not isinstance(data, dict):
        raise JanusError(BAD_REPLY, f"no plugin data in a {reply.get('janus')!r} reply")
    if "error_code" in data:
        raise JanusError(int(data["error_code"]), str(data.get("error", "")))
    return PluginReply(data, Jsep.from_json(reply.get("jsep")))


@dataclass
class JanusHandle:
    """One attachment to a plugin. Events for it arrive on ``events`` unless an ``on_event`` callback was given."""

    session: JanusSession
    id: int
    plugin: str
    on_event: EventCallback | None = None
    events: asyncio.Queue[JanusEvent] = field(default_factory=asyncio.Queue)

    def deliver(self, event: JanusEvent) -> None:
        if self.on_event is None:
            self.events.put_nowait(event)
            return
        try:
            self.on_event(event)
        except Exception:
            # A callback's bug must not end the long-poll that serves every handle of the session.
            logger.exception("handling Janus %s on handle %s failed", event.kind, self.id)

    async def message(self, body: JSON, jsep: Jsep | None = None, *, wait_s: float = REQUEST_TIMEOUT_S) -> PluginReply:
        """Send ``body`` (and ``jsep``) to the plugin and return its reply, synchronous or not."""
        return await self.session.message(self.id, body, jsep, wait_s=wait_s)

    async def trickle(self, candidate: JSON | None) -> None:
        """One ICE candidate (``{"sdpMid", "sdpMLineIndex", "candidate"}``), or ``None`` for the end of them."""
        await self.session.request(
            f"/{self.id}", {"janus": "trickle", "candidate": candidate if candidate else {"completed": True}}
        )

    async def hangup(self) -> None:
        """Close this handle's PeerConnection (the plugin hears of it; the handle stays)."""
        await self.session.request(f"/{self.id}", {"janus": "hangup"})

    async def detach(self) -> None:
        await self.session.request(f"/{self.id}", {"janus": "detach"})
        self.session.forget(self.id)


class JanusSession:
    """A Janus session (``create`` it), its handles, and the two tasks that keep it: keepalive and long-poll."""

    def __init__(self, client: httpx.AsyncClient, url: str, session_id: int, *, owns_client: bool) -> None:
        self.url = url.rstrip("/")
        self.id = session_id
        self._client = client
        self._owns_client = owns_client
        self._handles: dict[int, JanusHandle] = {}
        self._pending: dict[str, asyncio.Future[JSON]] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self.lost: JanusError | None = None

    @classmethod
    async def create(
        cls,
        url: str,
        *,
        client: httpx.AsyncClient | None = None,
        keepalive_s: float | None = KEEPALIVE_S,
    ) -> JanusSession:
        """A new session at Janus's API ``url`` (e.g. ``http://127.0.0.1:8088/janus``), polling and kept alive.

        ``client``: share one ``httpx.AsyncClient`` between sessions (its pool needs one connection per session for
        the long-poll, plus one per concurrent request); without it the session has a client of its own.
        ``keepalive_s``: how often to send a keepalive, below Janus's ``session_timeout``; ``None`` sends none, and
        the session then dies within that timeout unless other requests come (the long-poll alone does not keep it:
        tests/signaling_server/test_janus_videoroom.py)."""
        own = client is None
        http = client or httpx.AsyncClient(timeout=REQUEST_TIMEOUT_S)
        try:
            reply = await _post(http, url.rstrip("/"), {"janus": "create", "transaction": _transaction()})
            _raise_core_error(reply)
            session_id = int(reply["data"]["id"])
        except BaseException:
            if own:
                await http.aclose()
            raise
        session = cls(http, url, session_id, owns_client=own)
        session._start(keepalive_s)
        return session

    def _start(self, keepalive_s: float | None) -> None:
        loop = asyncio.get_running_loop()
        self._tasks.append(loop.create_task(self._poll(), name=f"janus-poll-{self.id}"))
        if keepalive_s is not None:
            self._tasks.append(loop.create_task(self._keepalives(keepalive_s), name=f"janus-keepalive-{self.id}"))
        for task in self._tasks:
            task.add_done_callback(_log_failure)

    async def attach(self, plugin: str, on_event: EventCallback | None = None) -> JanusHandle:
        reply = await self.request("", {"janus": "attach", "plugin": plugin})
        handle = JanusHandle(self, int(reply["data"]["id"]), plugin, on_event)
        self._handles[handle.id] = handle
        return handle

    def forget(self, handle_id: int) -> None:
        self._handles.pop(handle_id, None)

    async def keepalive(self) -> None:
        await self.request("", {"janus": "keepalive"})

    async def request(self, path: str, body: JSON) -> JSON:
        """POST ``body`` to the session (``path`` ``""``) or one of its handles (``"/<handle>"``); raises
        ``JanusError`` when Janus answers with an error."""
        if self.lost is not None:
            raise self.lost
        reply = await _post(self._client, f"{self.url}/{self.id}{path}", {**body, "transaction": _transaction()})
        _raise_core_error(reply)
        return reply

    async def message(self, handle_id: int, body: JSON, jsep: Jsep | None, *, wait_s: float) -> PluginReply:
        if self.lost is not None:
            raise self.lost
        transaction = _transaction()
        # Registered before sending: the event may come back on the long-poll before the POST's ``ack`` does.
        future: asyncio.Future[JSON] = asyncio.get_running_loop().create_future()
        self._pending[transaction] = future
        message: JSON = {"janus": "message", "body": body, "transaction": transaction}
        if jsep is not None:
            message["jsep"] = jsep.to_json()
        try:
            reply = await _post(self._client, f"{self.url}/{self.id}/{handle_id}", message)
            if reply.get("janus") == "ack":
                try:
                    reply = await asyncio.wait_for(future, wait_s)
                except TimeoutError:
                    raise JanusError(UNREACHABLE, f"no reply to {body.get('request')!r} in {wait_s} s") from None
            return _plugin_reply(reply)
        finally:
            self._pending.pop(transaction, None)
            if future.done() and not future.cancelled():
                future.exception()  # a loss that failed it while the POST failed too: retrieved, not reported late

    async def destroy(self) -> None:
        """End the session in Janus (its handles detach, their participants leave their rooms) and stop. Idempotent."""
        lost = self.lost
        await self._stop(JanusError(SESSION_NOT_FOUND, "session destroyed"))
        if lost is None:
            with contextlib.suppress(JanusError):
                reply = await _post(
                    self._client, f"{self.url}/{self.id}", {"janus": "destroy", "transaction": _transaction()}
                )
                _raise_core_error(reply)
        if self._owns_client:
            await self._client.aclose()

    async def abandon(self) -> None:
        """Stop polling and keeping alive without telling Janus, as a server that died would: Janus ends the
        session after its ``session_timeout``."""
        await self._stop(JanusError(SESSION_NOT_FOUND, "session abandoned"))
        if self._owns_client:
            await self._client.aclose()

    async def _stop(self, reason: JanusError) -> None:
        self._lose(reason)
        current = asyncio.current_task()
        tasks = [t for t in self._tasks if t is not current]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()

    def _lose(self, reason: JanusError) -> None:
        """The session is over: fail what waits for a reply and tell every handle, once."""
        if self.lost is not None:
            return
        self.lost = reason
        for future in self._pending.values():
            if not future.done():
                future.set_exception(reason)
        for handle in list(self._handles.values()):
            handle.deliver(JanusEvent("gone", {"code": reason.code, "reason": reason.reason}))

    async def _keepalives(self, interval_s: float) -> None:
        while self.lost is None:
            await asyncio.sleep(interval_s)
            try:
                await self.keepalive()
            except JanusError as exc:
                if exc.code == SESSION_NOT_FOUND:
                    self._lose(exc)
                    return
                # Janus unreachable: the long-poll decides when the session counts as lost.
                logger.warning("Janus keepalive of session %s failed: %s", self.id, exc)

    async def _poll(self) -> None:
        failures = 0
        while self.lost is None:
            try:
                response = await self._client.get(
                    f"{self.url}/{self.id}", params={"maxev": "10", "rid": _transaction()}, timeout=POLL_TIMEOUT_S
                )
                if response.status_code == 404:  # Janus's answer (empty) to a long-poll of a session it does not know
                    self._lose(JanusError(SESSION_NOT_FOUND, f"no session {self.id} in Janus (timed out?)"))
                    return
                payload = response.json()
            except (httpx.HTTPError, ValueError) as exc:
                failures += 1
                logger.warning("Janus long-poll of session %s failed (%d): %s", self.id, failures, exc)
                if failures >= POLL_FAILURES_BEFORE_LOST:
                    self._lose(JanusError(UNREACHABLE, f"long-poll failed {failures} times: {exc}"))
                    return
                await asyncio.sleep(1.0)
                continue
            failures = 0
            for message in payload if isinstance(payload, list) else [payload]:
                if isinstance(message, dict):
                    self._dispatch(message)

    def _dispatch(self, message: JSON) -> None:
        kind = str(message.get("janus"))
        if kind == "keepalive":
            return
        if kind == "error":
            error = message.get("error") or {}
            self._lose(JanusError(int(error.get("code", BAD_REPLY)), str(error.get("reason", "unknown error"))))
            return
        if kind == "timeout":
            self._lose(JanusError(SESSION_NOT_FOUND, "session timed out"))
            return
        future = self._pending.get(str(message.get("transaction")))
        if kind == "event" and future is not None and not future.done():
            future.set_result(message)
            return
        handle = self._handles.get(int(message.get("sender") or 0))
        if handle is None:
            logger.debug("Janus %s for no handle of session %s", kind, self.id)
            return
        if kind == "event":
            data = (message.get("plugindata") or {}).get("data") or {}
            handle.deliver(JanusEvent(kind, data, Jsep.from_json(message.get("jsep"))))
        else:
            # A ``detached`` we did not ask for keeps the handle filed: Janus clears a timed-out session's handles
            # before it sends ``timeout``, and under load their ``detached`` can arrive first, so forgetting the
            # handle here would leave its owner never told the session is gone (only ``detach()`` forgets).
            handle.deliver(JanusEvent(kind, message))


async def _post(client: httpx.AsyncClient, url: str, body: JSON) -> JSON:
    try:
        response = await client.post(url, json=body)
        reply = response.json()
    except httpx.HTTPError as exc:
        raise JanusError(UNREACHABLE, f"{type(exc).__name__}: {exc}") from exc
    except ValueError as exc:
        raise JanusError(BAD_REPLY, f"HTTP {response.status_code} without JSON") from exc
    if not isinstance(reply, dict):
        raise JanusError(BAD_REPLY, "a reply that is not a JSON object")
    return reply


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        logger.error("%s failed", task.get_name(), exc_info=task.exception())
