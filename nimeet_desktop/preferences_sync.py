"""The settings that belong to the person kept in step with the server's preferences (contract v1.1,
``GET``/``PUT /api/users/me/preferences``). Qt-free: the UI only starts it, and hears which settings the server
changed.

Which settings: ``SyncedPreferences``' fields (joining with camera and microphone, video quality, background blur,
notifications, language, the reminder's minutes). Devices, audio processing, push-to-talk, the server, the window and
the tray belong to the machine and never leave it.

How the two sides agree, field by field (a three-way merge): ``Settings.synced_preferences`` keeps, per account, what
this machine and the server last agreed on, the base. Each sync reads the server's object; a field that differs here
from the base was changed here since (offline, or while a request failed): ours is kept and sent; every other field
takes the server's value (changed on another machine, or the same). A change is therefore never lost to a failed
request: it stays unlike the base until a sync succeeds, on a retry, after the next sign-in or the next start.

The first sync of an account on this machine has no base, and the server answers its defaults both for "never saved"
and "saved the defaults", so the client cannot ask which. It takes the defaults as the base: what the person changed
here before the app synced (a version without this feature) is sent, and what they never touched takes the server's
value; a field changed on both sides takes the server's (the account's own, already synced from another machine). The
same holds for an account on a second server (the settings here are the person's, from the first): they go along.
On a computer two people share under one login, the second one's new account would get the first one's choices
where it has none of its own; that is the price of never dropping a person's choices on their own computer.

A server without the endpoint (an older v1 server: 404) or a token it refuses (401) turns the sync off until the next
sign-in. Other failures are logged and retried with a growing pause; never a message: the settings work here either
way.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
from collections.abc import Callable
from typing import Any, Final, Protocol

from pydantic import ValidationError

from nimeet_desktop.net.rest import ApiError, RestError
from nimeet_desktop.settings import Settings, SyncedPreferences, VideoQuality
from nimeet_desktop.task_set import TaskSet
from signaling_server.protocol import Preferences

logger = logging.getLogger(__name__)

FIELDS: Final = tuple(SyncedPreferences.model_fields)
# Seconds before trying again after a failure, growing; the last one repeats while the failures go on.
RETRY_DELAYS_S: Final = (5.0, 30.0, 120.0, 600.0)
# Answers meaning "this server keeps no preferences": an older v1 server without the endpoint.
UNSUPPORTED_STATUSES: Final = frozenset({404, 405})

_WIRE_QUALITY: Final[dict[VideoQuality, str]] = {360: "360p", 720: "720p", 1080: "1080p"}
_LOCAL_QUALITY: Final[dict[str, VideoQuality]] = {wire: height for height, wire in _WIRE_QUALITY.items()}


class PreferencesApi(Protocol):
    """What the sync needs of the REST client (``ApiClient``)."""

    async def get_preferences(self) -> Preferences: ...

    async def put_preferences(self, preferences: Preferences) -> Preferences: ...


class SyncState(enum.Enum):
    OFF = "off"  # nobody signed in, or the server refused the token
    SYNCING = "syncing"
    IN_STEP = "in-step"  # the settings here are the server's
    PENDING = "pending"  # the last try failed: the changes here wait for the next
    UNSUPPORTED = "unsupported"  # the server keeps no preferences (v1)


# ---- the mapping and the merge (pure) ---------------------------------------------------------------------


def personal_of(settings: Settings) -> SyncedPreferences:
    """The person's part of the settings."""
    return SyncedPreferences.model_validate({name: getattr(settings, name) for name in FIELDS})


def apply_personal(settings: Settings, personal: SyncedPreferences) -> frozenset[str]:
    """Set the person's part of ``settings`` to ``personal``; the names of the fields that changed."""
    changed = frozenset(name for name in FIELDS if getattr(settings, name) != getattr(personal, name))
    for name in changed:
        setattr(settings, name, getattr(personal, name))
    return changed


def to_wire(personal: SyncedPreferences) -> Preferences:
    values: dict[str, Any] = personal.model_dump()
    values["video_quality"] = _WIRE_QUALITY[personal.video_quality]
    return Preferences.model_validate(values)


def from_wire(preferences: Preferences) -> SyncedPreferences:
    values: dict[str, Any] = preferences.model_dump()
    values["video_quality"] = _LOCAL_QUALITY[preferences.video_quality]
    return SyncedPreferences.model_validate(values)


def merge(base: SyncedPreferences | None, local: SyncedPreferences, remote: SyncedPreferences) -> SyncedPreferences:
    """What both sides should hold: each field changed here since ``base`` keeps ours, every other field takes
    ``remote``'s. Without a base (this account's first sync here, see the module's notes) the defaults stand in for
    it and a field changed on both sides takes ``remote``'s."""
    first = base is None
    agreed = base if base is not None else SyncedPreferences()
    values: dict[str, Any] = {}
    for name in FIELDS:
        mine, theirs, before = getattr(local, name), getattr(remote, name), getattr(agreed, name)
        changed_here = mine != before
        changed_there = theirs != before
        values[name] = mine if changed_here and not (first and changed_there) else theirs
    return SyncedPreferences.model_validate(values)


# ---- the sync ---------------------------------------------------------------------------------------------


class PreferencesSync:
    """Keeps one account's preferences in step while it is signed in: ``start`` at each sign-in (and on start-up
    with a saved session), ``local_changed`` after the settings are saved, ``stop`` at sign-out or a server change.

    ``save()`` writes the settings file (nothing more: it must not call ``local_changed``); ``applied`` hears the
    fields the server changed here, after they are in the settings and saved."""

    def __init__(
        self,
        settings: Settings,
        save: Callable[[], None],
        *,
        retry_delays_s: tuple[float, ...] = RETRY_DELAYS_S,
    ) -> None:
        self.settings = settings
        self._save = save
        self.retry_delays_s = retry_delays_s
        self.applied: Callable[[frozenset[str]], None] | None = None
        self.state = SyncState.OFF
        self._tasks = TaskSet("preferences", log=logger)
        self._runner: asyncio.Task[None] | None = None
        self._account: tuple[PreferencesApi, str] | None = None
        self._wake = asyncio.Event()
        self.rounds = 0  # syncs that reached the server and agreed with it (for tests and logs)

    @property
    def account(self) -> str | None:
        return self._account[1] if self._account is not None else None

    def start(self, api: PreferencesApi, account: str) -> None:
        """Sync ``account`` (``settings.account_key``) through ``api`` now, and whenever the settings change."""
        if self._account is not None and self._account[0] is api and self._account[1] == account:
            self.retry_now()
            return
        self.stop()
        self._account = (api, account)
        self._wake = asyncio.Event()
        self._runner = self._tasks.spawn(self._run(api, account), name="sync")
        if self._runner is None:
            self._account = None

    def stop(self) -> None:
        """No account any more: a sync under way is cancelled (what it had not sent is sent at the next start)."""
        self._account = None
        runner, self._runner = self._runner, None
        if runner is not None:
            runner.cancel()
        self.state = SyncState.OFF

    def local_changed(self) -> None:
        """The settings were saved: send the person's part if it changed since the last agreement."""
        if self._account is None or self.state is SyncState.UNSUPPORTED:
            return
        if personal_of(self.settings) != self.settings.synced_preferences.get(self._account[1]):
            self._wake.set()

    def retry_now(self) -> None:
        """Sync again now, without waiting for the pause after a failure (the connection is back)."""
        if self._account is not None and self.state is not SyncState.UNSUPPORTED:
            self._wake.set()

    async def close(self) -> None:
        self.stop()
        await self._tasks.close()

    async def _run(self, api: PreferencesApi, account: str) -> None:
        failures = 0
        while True:
            self._wake.clear()
            self.state = SyncState.SYNCING
            try:
                again = await self._sync_once(api, account)
            except ApiError as exc:
                if exc.status in UNSUPPORTED_STATUSES:
                    logger.info("the server keeps no preferences (HTTP %s): they stay on this machine", exc.status)
                    self.state = SyncState.UNSUPPORTED
                    return
                if exc.status == 401:
                    logger.info("preferences not synced: the server refused the session")
                    self.state = SyncState.OFF
                    return
                failures += 1
                logger.warning("preferences not synced (%s); kept here, tried again later", exc)
            except RestError as exc:
                failures += 1
                logger.info("preferences not synced (%s); kept here, tried again later", exc)
            except ValidationError:  # the contract's shape with a value the app has no setting for
                failures += 1
                logger.warning("the server's preferences hold a value this app cannot keep; tried again later")
            else:
                failures = 0
                if again:
                    continue
                self.state = SyncState.IN_STEP
                await self._wake.wait()
                continue
            self.state = SyncState.PENDING
            delay = self.retry_delays_s[min(failures, len(self.retry_delays_s)) - 1]
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), delay)

    async def _sync_once(self, api: PreferencesApi, account: str) -> bool:
        """One agreement with the server; True when the settings changed here meanwhile (another round sends it)."""
        remote = from_wire(await api.get_preferences())
        local = personal_of(self.settings)
        base = self.settings.synced_preferences.get(account)
        wanted = merge(base, local, remote)
        if wanted != remote:
            remote = from_wire(await api.put_preferences(to_wire(wanted)))
            logger.info("preferences sent to the server")
        # The person may have changed a setting while the requests were out: that stays, for the next round.
        now = personal_of(self.settings)
        moved = {name for name in FIELDS if getattr(now, name) != getattr(local, name)}
        result = SyncedPreferences.model_validate(
            {name: getattr(now if name in moved else remote, name) for name in FIELDS}
        )
        changed = apply_personal(self.settings, result)
        self.settings.synced_preferences = {**self.settings.synced_preferences, account: remote}
        self._save()
        self.rounds += 1
        if changed:
            logger.info("preferences from the server applied: %s", ", ".join(sorted(changed)))
            if self.applied is not None:
                try:
                    self.applied(changed)
                except Exception:  # the settings hold them already: a listener's failure must not stop the sync
                    logger.exception("applying the preferences from the server failed")
        return bool(moved)
