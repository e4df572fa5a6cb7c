"""The desktop app's settings: typed, declared here only, kept as JSON in the platform config directory.

Every directory can be moved with an environment variable (``NIMEET_CONFIG_DIR``, ``NIMEET_LOG_DIR``) so tests,
portable installs and admins never touch the user's real profile by accident. A settings file that cannot be read
is kept aside (``settings.json.broken``), never silently overwritten: nothing the user chose is lost without a trace.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import platformdirs

logger = logging.getLogger(__name__)

APP_NAME = "nimeet"
DEFAULT_SERVER_PORT = 8765  # nimeet-server's default too
DEFAULT_SERVER_URL = f"http://127.0.0.1:{DEFAULT_SERVER_PORT}"


def config_dir() -> Path:
    override = os.environ.get("NIMEET_CONFIG_DIR")
    return Path(override) if override else Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def log_dir() -> Path:
    override = os.environ.get("NIMEET_LOG_DIR")
    return Path(override) if override else Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))


@dataclass
class Settings:
    server_url: str = DEFAULT_SERVER_URL
    # Start the bundled nimeet-server when the configured server is this machine's default one and nobody answers.
    start_local_server: bool = True
    camera: str | None = None  # a device id as text (OpenCV index or path); None: the first camera
    microphone: str | None = None  # a sounddevice name; None: the system default
    speaker: str | None = None
    join_with_camera: bool = True
    join_with_microphone: bool = True
    recent_rooms: list[str] = field(default_factory=list)  # ids joined lately, newest first (the server lists own)
    language: str = "system"  # "system" (follow the OS), "en" or "ru"; read once at start (ui/i18n.py)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Settings:
        """Known keys with the right type are taken, anything else is ignored: a newer or hand-edited file must not
        stop the app from starting."""
        defaults = cls()
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name not in data:
                continue
            value, default = data[f.name], getattr(defaults, f.name)
            if _same_kind(value, default, optional=f.name in ("camera", "microphone", "speaker")):
                values[f.name] = value
            else:
                logger.warning("settings: ignoring %s of the wrong type", f.name)
        return cls(**values)


def _same_kind(value: object, default: object, *, optional: bool) -> bool:
    if optional and value is None:
        return True
    if isinstance(default, list):
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    # bool before str: json gives exact types, and True must not pass for a string setting or 1 for a bool one.
    return type(value) is (str if optional else type(default))


class SettingsStore:
    FILE_NAME = "settings.json"

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory or config_dir()
        self.path = self.directory / self.FILE_NAME

    def load(self) -> Settings:
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
        """Atomically: a crash while writing leaves the previous file, never half of one."""
        self.directory.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.FILE_NAME + ".tmp")
        tmp.write_text(json.dumps(asdict(settings), indent=2) + "\n", encoding="utf-8")
        tmp.replace(self.path)
