"""The person's settings in step with the server's preferences (nimeet_desktop/preferences_sync.py): the merge on
its own, then the sync against the real server (SQLite and PostgreSQL), a server that stops and comes back, and a
server without the endpoint."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from nimeet_desktop.net.rest import ApiClient
from nimeet_desktop.preferences_sync import (
    PreferencesSync,
    SyncState,
    from_wire,
    merge,
    personal_of,
    to_wire,
)
from nimeet_desktop.settings import Settings, SettingsStore, SyncedPreferences, account_key
from signaling_server.protocol import Preferences
from tests.support.clients import unique_name
from tests.support.server import ServerProcess
from tests.support.version_1_server import version_1_server

PASSWORD = "correct horse battery"
DEFAULTS = SyncedPreferences()


# ---- the merge ----------------------------------------------------------------------------------------------


def test_wire_mapping_round_trips() -> None:
    personal = SyncedPreferences(video_quality=1080, language="ru", reminder_minutes=None, background_blur=True)
    wire = to_wire(personal)
    assert wire.video_quality == "1080p"
    assert wire.reminder_minutes is None
    assert from_wire(wire) == personal
    assert from_wire(Preferences()) == DEFAULTS, "the server's defaults are the settings' defaults"


def test_first_sync_keeps_what_was_changed_here_and_takes_the_rest() -> None:
    local = SyncedPreferences(language="ru", video_quality=360)  # chosen before the app synced
    remote = SyncedPreferences(reminder_minutes=30, notifications=False)  # chosen on another machine
    assert merge(None, local, remote) == SyncedPreferences(
        language="ru", video_quality=360, reminder_minutes=30, notifications=False
    )


def test_first_sync_takes_the_accounts_value_where_both_changed() -> None:
    local = SyncedPreferences(language="ru")
    remote = SyncedPreferences(language="en")
    assert merge(None, local, remote).language == "en"


def test_a_change_here_since_the_last_sync_wins() -> None:
    base = SyncedPreferences(language="en")
    local = SyncedPreferences(language="ru")  # changed here (offline) after agreeing on "en"
    remote = SyncedPreferences(language="en", reminder_minutes=5)  # another machine changed something else
    assert merge(base, local, remote) == SyncedPreferences(language="ru", reminder_minutes=5)


def test_unchanged_here_takes_the_server_s() -> None:
    base = SyncedPreferences(language="ru")
    assert merge(base, base, SyncedPreferences(language="en")).language == "en"


# ---- against the server ---------------------------------------------------------------------------------------


async def new_account(url: str) -> tuple[ApiClient, str]:
    """A new user's client (signed in) and id."""
    api = ApiClient(url)
    name = unique_name("prefs")
    auth = await api.register(name, f"{name}@example.test", PASSWORD)
    api.token = auth.token
    return api, auth.user.id


async def until(predicate: Callable[[], object], what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


class Machine:
    """One computer's settings file and its sync."""

    def __init__(self, directory: Path, settings: Settings | None = None) -> None:
        self.store = SettingsStore(directory)
        self.settings = settings or self.store.load()
        self.applied: list[frozenset[str]] = []
        self.sync = PreferencesSync(self.settings, lambda: self.store.save(self.settings), retry_delays_s=(0.2,))
        self.sync.applied = self.applied.append

    def change(self, **values: object) -> None:
        """What the settings window does: set, save, tell the sync."""
        for name, value in values.items():
            setattr(self.settings, name, value)
        self.store.save(self.settings)
        self.sync.local_changed()

    async def synced(self, rounds: int = 1) -> None:
        target = self.sync.rounds + rounds
        await until(lambda: self.sync.rounds >= target and self.sync.state is SyncState.IN_STEP, "a sync")


async def test_first_sync_sends_the_choices_made_here_before(server: ServerProcess, tmp_path: Path) -> None:
    api, user_id = await new_account(server.url)
    other, _ = await new_account(server.url)
    other.token = api.token  # another client of the same account
    machine = Machine(tmp_path, Settings(language="ru", video_quality=360, notifications=False))
    try:
        machine.sync.start(api, account_key(server.url, user_id))
        await machine.synced()
        on_server = await other.get_preferences()
        assert (on_server.language, on_server.video_quality, on_server.notifications) == ("ru", "360p", False)
        assert on_server.reminder_minutes == 10
        assert machine.applied == [], "nothing came from the server: the settings here stay as they were"
        saved = json.loads(machine.store.path.read_text())
        assert saved["synced_preferences"][account_key(server.url, user_id)]["language"] == "ru"
    finally:
        await machine.sync.close()
        await api.close()
        await other.close()


async def test_another_machines_change_is_applied_and_a_change_here_is_sent(
    server: ServerProcess, tmp_path: Path
) -> None:
    api, user_id = await new_account(server.url)
    elsewhere = ApiClient(server.url, api.token)
    machine = Machine(tmp_path)
    key = account_key(server.url, user_id)
    try:
        machine.sync.start(api, key)
        await machine.synced()
        await elsewhere.put_preferences(to_wire(SyncedPreferences(language="ru", reminder_minutes=None)))
        machine.sync.retry_now()  # what a sign-in or the next start does
        await machine.synced()
        assert (machine.settings.language, machine.settings.reminder_minutes) == ("ru", None)
        assert machine.applied == [frozenset({"language", "reminder_minutes"})]

        machine.change(video_quality=1080)
        await until(lambda: machine.sync.rounds >= 3, "the change sent")
        on_server = await elsewhere.get_preferences()
        assert (on_server.video_quality, on_server.language, on_server.reminder_minutes) == ("1080p", "ru", None)
    finally:
        await machine.sync.close()
        await api.close()
        await elsewhere.close()


async def test_a_change_made_while_the_server_is_down_is_sent_when_it_is_back(
    make_server: Callable[..., ServerProcess], tmp_path: Path
) -> None:
    proc = make_server()
    proc.start()
    api, user_id = await new_account(proc.url)
    machine = Machine(tmp_path / "config")
    try:
        machine.sync.start(api, account_key(proc.url, user_id))
        await machine.synced()
        port = proc.port
        proc.stop()

        machine.change(reminder_minutes=45, join_with_camera=False)
        await until(lambda: machine.sync.state is SyncState.PENDING, "the failed sync")
        assert machine.settings.reminder_minutes == 45, "kept here"
        assert json.loads(machine.store.path.read_text())["reminder_minutes"] == 45

        proc.start(port)  # the same database: the server is back
        await until(lambda: machine.sync.state is SyncState.IN_STEP, "the retry", timeout=20)
        async with ApiClient(proc.url, api.token) as elsewhere:
            on_server = await elsewhere.get_preferences()
        assert (on_server.reminder_minutes, on_server.join_with_camera) == (45, False)
    finally:
        await machine.sync.close()
        await api.close()


async def test_the_next_start_sends_what_a_closed_app_could_not(
    make_server: Callable[..., ServerProcess], tmp_path: Path
) -> None:
    """Changed while offline and the app closed before the server came back: the file remembers it is unsent."""
    proc = make_server()
    proc.start()
    api, user_id = await new_account(proc.url)
    key = account_key(proc.url, user_id)
    first = Machine(tmp_path)
    try:
        first.sync.start(api, key)
        await first.synced()
        port = proc.port
        proc.stop()
        first.change(language="en")
        await until(lambda: first.sync.state is SyncState.PENDING, "the failed sync")
        await first.sync.close()

        proc.start(port)
        again = Machine(tmp_path)  # the next start, from the file
        assert personal_of(again.settings) != again.settings.synced_preferences[key]
        again.sync.start(api, key)
        await again.synced()
        await again.sync.close()
        assert (await api.get_preferences()).language == "en"
    finally:
        await first.sync.close()
        await api.close()


async def test_a_server_without_preferences_turns_the_sync_off(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with version_1_server() as url:
        api = ApiClient(url, "some-token")
        machine = Machine(tmp_path, Settings(language="ru"))
        try:
            machine.sync.start(api, account_key(url, "u1"))
            await until(lambda: machine.sync.state is SyncState.UNSUPPORTED, "the sync to give up")
            machine.change(language="en")
            await asyncio.sleep(0.3)  # more than a retry's pause: nothing is tried again
            assert machine.sync.state is SyncState.UNSUPPORTED
            assert machine.settings.language == "en"
            assert machine.settings.synced_preferences == {}
            assert not [r for r in caplog.records if r.levelname in ("WARNING", "ERROR")]
        finally:
            await machine.sync.close()
            await api.close()


async def test_a_second_server_gets_the_choices_already_made(
    server: ServerProcess, make_server: Callable[..., ServerProcess], tmp_path: Path
) -> None:
    """The person has an account on a second server: the settings synced with the first go along to it."""
    first, first_id = await new_account(server.url)
    other = make_server()
    other.start()
    second, second_id = await new_account(other.url)
    machine = Machine(tmp_path)
    try:
        await first.put_preferences(to_wire(SyncedPreferences(language="ru", reminder_minutes=30)))
        machine.sync.start(first, account_key(server.url, first_id))
        await machine.synced()
        assert (machine.settings.language, machine.settings.reminder_minutes) == ("ru", 30)

        machine.sync.start(second, account_key(other.url, second_id))
        await machine.synced()
        on_second = await second.get_preferences()
        assert (on_second.language, on_second.reminder_minutes) == ("ru", 30)
    finally:
        await machine.sync.close()
        await first.close()
        await second.close()
