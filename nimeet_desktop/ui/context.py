"""What every screen of the app shares: settings, the saved session, the server's API, the devices."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nimeet_desktop.call.engine_loop import EngineLoop
from nimeet_desktop.local_server import LocalServer
from nimeet_desktop.media.provider import MediaProvider
from nimeet_desktop.net.credentials import CredentialStore
from nimeet_desktop.net.rest import ApiClient, RestError
from nimeet_desktop.net.schedule_api import ScheduleApi
from nimeet_desktop.preferences_sync import PreferencesSync
from nimeet_desktop.reminders import ReminderService
from nimeet_desktop.settings import Settings, SettingsStore, account_key, server_key
from signaling_server.protocol import RoomInfoResponse, User

logger = logging.getLogger(__name__)


@dataclass
class AppContext:
    settings_store: SettingsStore
    settings: Settings
    credentials: CredentialStore
    provider: MediaProvider
    api: ApiClient = field(init=False)
    # The person's settings kept in step with the server's preferences while signed in (issue 15).
    preferences: PreferencesSync = field(init=False)
    # Reminders of the signed-in person's scheduled meetings while the app runs (issue 15).
    reminders: ReminderService = field(init=False)
    user: User | None = None
    local_server: LocalServer | None = None
    stats_path: Path | None = None  # ``nimeet --stats FILE``: every call appends its figures there
    _engine: EngineLoop | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.api = ApiClient(self.settings.server_url)
        self.preferences = PreferencesSync(self.settings, self._write_settings)
        self.reminders = ReminderService(lambda: self.settings.reminder_minutes)

    @property
    def engine(self) -> EngineLoop:
        """The calls' own loop and thread (call/engine_loop.py): started with the first call, closed with the app."""
        if self._engine is None or self._engine.closed:
            self._engine = EngineLoop(exception_handler=_engine_exception)
            logger.info("call engine on its own thread (%s loop)", self._engine.kind)
        return self._engine

    @property
    def server_url(self) -> str:
        return self.settings.server_url

    def is_current_server(self, url: str) -> bool:
        """``url`` names the server in use (both normalised: ``http://Host:80/`` is ``http://host``).

        A server this app hosts for the network has two names: the loopback one the app uses and the LAN one its
        invitations carry. The host opening their own invitation must not be asked to switch to it."""
        key = server_key(url)
        if key == server_key(self.server_url):
            return True
        hosted = self.local_server
        return (
            hosted is not None
            and hosted.running
            and hosted.lan_url is not None
            and hosted.url is not None
            and key == server_key(hosted.lan_url)
            and server_key(hosted.url) == server_key(self.server_url)
        )

    @property
    def token(self) -> str | None:
        return self.api.token

    async def use_server(self, url: str) -> None:
        """Point at another server (a normalised URL); the signed-in user belongs to the old one."""
        if url == self.settings.server_url:
            return
        old, self.api = self.api, ApiClient(url)
        self._stop_account_services()
        await old.close()
        self.user = None
        self.settings.server_url = url
        self.save_settings()

    async def sign_in(self, user: User, token: str, *, remember: bool = True) -> bool:
        """True when the session was kept in the OS keyring (it survives a restart), False when only in memory.

        ``remember=False`` (an unattended sign-in from the environment, ``unattended.py``): memory only, the
        keyring is not touched."""
        self.user = user
        self.api.token = token
        if not remember:
            return False
        # The keyring may block on a D-Bus round trip or an unlock prompt: never on the UI thread.
        return await asyncio.to_thread(self.credentials.save, self.server_url, token)

    def start_account_services(self) -> None:
        """Signed in (a sign-in, or a saved session on start-up): the person's settings follow the account, and
        their meetings are reminded of."""
        if self.user is not None and self.api.token is not None:
            self.preferences.start(self.api, account_key(self.server_url, self.user.id))
            self.reminders.start(ScheduleApi(self.api), self.user.id)

    def _stop_account_services(self) -> None:
        self.preferences.stop()
        self.reminders.stop()

    async def sign_out(self) -> None:
        self._stop_account_services()
        self.user = None
        self.api.token = None
        await asyncio.to_thread(self.credentials.clear, self.server_url)

    async def log_out(self, everywhere: bool = False) -> None:
        """Log out: the session is forgotten here first (memory and keyring), then the server is asked to revoke
        the token, for at most ``ApiClient.LOGOUT_TIMEOUT_S``. A server that is down, slow or too old for it (404)
        is logged, not shown: this app is logged out either way, and the token still expires on its own. The API's
        HTTP connection goes with the session: whoever signs in next gets a new one."""
        token = self.api.token
        self._stop_account_services()
        old, self.api = self.api, ApiClient(self.server_url)
        try:
            await self.sign_out()
        finally:
            try:
                if token is not None:
                    await old.logout(token, everywhere)
            except RestError as exc:  # never the token: the message names the server only
                logger.info("the server did not confirm the logout: %s", exc)
            finally:
                await old.close()

    async def saved_token(self) -> str | None:
        return await asyncio.to_thread(self.credentials.load, self.server_url)

    async def room_info(self, room_id: str) -> RoomInfoResponse | None:
        """The room's name and head count for a title; None when the server cannot say (a title is not worth an
        error message: the id is shown instead)."""
        try:
            return await self.api.get_room(room_id)
        except (RestError, ValueError):
            return None

    def remember_room(self, room_id: str) -> None:
        self.settings.remember_room(self.server_url, room_id)
        self.save_settings()

    def recent_rooms(self) -> list[str]:
        """The rooms joined lately on the current server, newest first."""
        return self.settings.recent_rooms_of(self.server_url)

    def save_settings(self) -> None:
        """Write the settings, and send the person's part to the server when it changed (in the background)."""
        self._write_settings()
        self.preferences.local_changed()

    def _write_settings(self) -> None:
        try:
            self.settings_store.save(self.settings)
        except OSError as exc:  # a full disk or a read-only profile must not break the call
            logger.warning("settings not saved: %s", exc)

    async def close(self) -> None:
        await self.preferences.close()
        await self.reminders.close()
        await self.api.close()
        if self.local_server is not None:
            await self.local_server.stop()
        engine, self._engine = self._engine, None
        if engine is not None:
            await asyncio.to_thread(engine.close)  # joins the thread: not on the UI thread


def _engine_exception(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    exc = context.get("exception")
    logger.error("engine loop: %s", context.get("message"), exc_info=exc if isinstance(exc, BaseException) else None)
