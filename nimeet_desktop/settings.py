"""The desktop app's settings: typed, declared here only, kept as JSON in the platform config directory.

Every directory can be moved with an environment variable (``NIMEET_CONFIG_DIR``, ``NIMEET_LOG_DIR``) so tests,
portable installs and admins never touch the user's real profile by accident. A settings file that cannot be read
is kept aside (``settings.json.broken``), never silently overwritten: nothing the user chose is lost without a trace.
A file that can be read but holds a wrong value (hand-edited, or from another version of the app) loses only that
value: every field is checked on its own, so one bad setting never resets the others.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Annotated, Any, Literal

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from nimeet_desktop.hotkeys import DEFAULT_HOTKEY, HotkeyText
from nimeet_desktop.net.links import InvalidServerUrl, normalize_server_url
from nimeet_desktop.private_files import private_dir, tighten_tree, write_private

logger = logging.getLogger(__name__)

APP_NAME = "nimeet"
DEFAULT_SERVER_PORT = 8765  # nimeet-server's default too
DEFAULT_SERVER_URL = f"http://127.0.0.1:{DEFAULT_SERVER_PORT}"
RECENT_ROOMS_KEPT = 10  # per server

Language = Literal["system", "en", "ru"]
CloseDuringCall = Literal["ask", "tray", "leave"]
VideoQuality = Literal[360, 720, 1080]
REMINDER_MINUTES_MAX = 10080  # a week: the contract's limit for a reminder's lead (preferences, meetings)
ReminderMinutes = Annotated[int, Field(ge=0, le=REMINDER_MINUTES_MAX)]


def config_dir() -> Path:
    override = os.environ.get("NIMEET_CONFIG_DIR")
    return Path(override) if override else Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def log_dir() -> Path:
    override = os.environ.get("NIMEET_LOG_DIR")
    return Path(override) if override else Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))


def server_key(url: str) -> str:
    """The key a server's own settings are kept under: its normalised URL, so ``HTTP://Host:80/`` and
    ``http://host`` share one entry. Text that is no valid address is kept as it is (it still names something)."""
    try:
        return normalize_server_url(url)
    except InvalidServerUrl:
        return url


class SyncedPreferences(BaseModel):
    """The settings that belong to the person, not to this machine, in the settings' own terms (the server's
    ``preferences`` object translates to and from it: preferences_sync.py)."""

    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)

    join_with_camera: bool = True
    join_with_microphone: bool = True
    video_quality: VideoQuality = 720
    background_blur: bool = False
    notifications: bool = True
    language: Language = "system"
    reminder_minutes: ReminderMinutes | None = 10


def account_key(server_url: str, user_id: str) -> str:
    """The key an account's synced preferences are kept under: one user on one server."""
    return f"{server_key(server_url)} {user_id}"


class Settings(BaseModel):
    # Strict: JSON gives exact types, and True must not pass for a string setting nor 1 for a bool one.
    # validate_assignment: the app's own code is held to the same types as the file.
    model_config = ConfigDict(strict=True, extra="ignore", validate_assignment=True)

    server_url: str = DEFAULT_SERVER_URL
    # Start the bundled nimeet-server when the configured server is this machine's default one and nobody answers.
    start_local_server: bool = True
    camera: str | None = None  # a device id as text (OpenCV index or path); None: the first camera
    microphone: str | None = None  # a sounddevice name; None: the system default
    speaker: str | None = None
    join_with_camera: bool = True
    join_with_microphone: bool = True
    language: Language = "system"
    # ---- Hosting from the app (issue 11, lan) ----
    # The bundled server listens on the local network (others can reach it and join) instead of this computer
    # only. Off by default: opening a port to the network is the user's explicit choice.
    host_on_network: bool = False
    # Room ids joined lately, newest first, per server (``server_key``): a room id means nothing on another server.
    recent_rooms: dict[str, list[str]] = Field(default_factory=dict)

    # ---- the tray (issue 11) ----
    # Closing the window while in a call: "ask" (a dialog, which can store the answer here), "tray" (hide the
    # window, the call goes on with the tray icon), "leave" (leave the call and quit, as before the tray). Without
    # a system tray closing always leaves: a window must never hide into a tray that is not there.
    close_during_call: CloseDuringCall = "ask"

    # ---- audio processing, video quality, notifications (issue 12) ----
    # Each stage of WebRTC's audio processing on its own, on by default; some people have hardware echo
    # cancellation (a conference speakerphone) or a studio microphone and want a stage off.
    echo_cancellation: bool = True
    noise_suppression: bool = True
    auto_gain_control: bool = True
    high_pass_filter: bool = True
    # The height of the video we send (the camera is opened at that mode, 16:9).
    video_quality: VideoQuality = 720
    # Desktop notifications (someone joined while the window is hidden, a device lost): on unless turned off.
    notifications: bool = True

    # ---- the person's, synced through the server's preferences (issue 15; preferences_sync.py) ----
    # Blur (or, with background_image, replace) behind the camera picture in calls (issue 16: media/background.py),
    # chosen in the settings' Video page and in pre-join (ui/background_choice.py).
    background_blur: bool = False
    # A scheduled meeting's reminder this many minutes before it starts when the meeting sets none; None: none.
    reminder_minutes: ReminderMinutes | None = 10
    # What each account's preferences were when this machine last agreed with the server about them (key:
    # ``account_key``): a field that differs from it now was changed here since, and is sent; one that does not
    # takes the server's value. Only the personal fields above (and join_with_*, video_quality, notifications,
    # language) are in it.
    synced_preferences: dict[str, SyncedPreferences] = Field(default_factory=dict)

    # ---- push-to-talk (issue 12) ----
    # While on, the microphone stays muted in a call and is open only while push_to_talk_key is held (in any
    # application where the platform allows it: see nimeet_desktop/hotkeys.py). The key in pynput's HotKey syntax,
    # canonical only (hotkeys.parse_hotkey): never a key that types text on its own.
    push_to_talk: bool = False
    push_to_talk_key: HotkeyText = DEFAULT_HOTKEY

    # ---- background (issue 16) ----
    # A picture (a path on this machine, so not synced) put behind the person instead of blurring, while
    # background_blur is on; None: blur.
    background_image: str | None = None

    # ---- the network (issue 17, TURN) ----
    # Calls send and receive media only through the TURN relay the server names (EngineOptions.relay_only): the
    # others in a call never learn this computer's addresses, and a network that lets only the relay through works.
    # Local to this computer (it is about the network this computer is on), from the next call on.
    relay_only: bool = False

    # ---- recording (issue 16) ----
    # Where the app writes a call's recordings (nimeet_desktop/recordings.py); None: NIMeet in the videos folder.
    recordings_folder: str | None = None

    @property
    def background_mode(self) -> Literal["off", "blur", "replace"]:
        """What the call does behind the person (media/background.py's modes), from the two settings."""
        if not self.background_blur:
            return "off"
        return "blur" if self.background_image is None else "replace"

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Settings:
        """Every known field is validated on its own: a wrong one falls back to its default with a warning, unknown
        keys (a newer app's) are ignored, missing ones (an older app's) take their defaults."""
        data = _migrate(data)
        values: dict[str, Any] = {}
        for name in cls.model_fields:
            if name not in data:
                continue
            try:
                cls.model_validate({name: data[name]})
            except ValidationError as exc:
                reason = exc.errors()[0]["msg"] if exc.errors() else str(exc)
                logger.warning("settings: ignoring %s (%s); using the default", name, reason)
                continue
            values[name] = data[name]
        return cls.model_validate(values)

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def recent_rooms_of(self, server_url: str) -> list[str]:
        return list(self.recent_rooms.get(server_key(server_url), []))

    def remember_room(self, server_url: str, room_id: str) -> None:
        """``room_id`` becomes the newest of ``server_url``'s recent rooms."""
        key = server_key(server_url)
        recent = [room_id, *(r for r in self.recent_rooms.get(key, []) if r != room_id)]
        # Assigned as a new dict so validate_assignment checks it.
        self.recent_rooms = {**self.recent_rooms, key: recent[:RECENT_ROOMS_KEPT]}


def _migrate(data: dict[str, Any]) -> dict[str, Any]:
    """Files of older versions: ``recent_rooms`` was one flat list, of the server the file names."""
    rooms = data.get("recent_rooms")
    if isinstance(rooms, list):
        server = data.get("server_url")
        key = server_key(server if isinstance(server, str) else DEFAULT_SERVER_URL)
        logger.info("settings: recent rooms of an older version kept as %s's", key)
        return {**data, "recent_rooms": {key: rooms}}
    return data


class SettingsStore:
    FILE_NAME = "settings.json"

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory or config_dir()
        self.path = self.directory / self.FILE_NAME

    def load(self) -> Settings:
        # Made private on start too: an older version left the directory 0755 and the file 0644.
        tighten_tree(self.directory, self.FILE_NAME + "*")
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return Settings()
        except OSError as exc:
            logger.warning("settings: cannot read %s: %s; using defaults", self.path, exc)
            return Settings()
        try:
            data = json.loads(text)
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
        except ValueError as exc:
            broken = self.path.with_name(self.FILE_NAME + ".broken")
            logger.warning("settings: %s is unreadable (%s); kept as %s, using defaults", self.path, exc, broken)
            self.path.replace(broken)
            return Settings()
        return Settings.from_json(data)

    def save(self, settings: Settings) -> None:
        """Atomically: a crash while writing leaves the previous file, never half of one. Private (0600 in a 0700
        directory): recent room ids are enough to join those rooms."""
        private_dir(self.directory)
        tmp = self.path.with_name(self.FILE_NAME + ".tmp")
        write_private(tmp, json.dumps(settings.to_json(), indent=2) + "\n")
        tmp.replace(self.path)
