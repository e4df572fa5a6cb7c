"""Issue 10, item 12 (app side): the app's settings, logs and their directories are private to their owner.

The app's start-up steps run in a child process with the usual ``umask 022`` (under which every file was 0644 and
every directory 0755 before), over directories an older version left open; then each mode is read back."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

START_UP = """
import logging, os, sys
from pathlib import Path
os.umask(0o022)
from nimeet_desktop import app, settings
log_dir = settings.log_dir()
app.install_crash_handler(log_dir)
app.setup_logging(logging.INFO, log_dir)
logging.getLogger("probe").warning("a line in the log")
store = settings.SettingsStore()
loaded = store.load()
loaded.remember_room("http://127.0.0.1:8765", "room-abc")
store.save(loaded)
for handler in logging.getLogger().handlers:
    if hasattr(handler, "doRollover") and sys.argv[1:] == ["rollover"]:
        handler.doRollover()  # the file it rolls over to is created private too
logging.getLogger("probe").warning("a line after the rollover")
"""


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def start_app(config: Path, logs: Path, *args: str) -> None:
    env = {**os.environ, "NIMEET_CONFIG_DIR": str(config), "NIMEET_LOG_DIR": str(logs)}
    done = subprocess.run([sys.executable, "-c", START_UP, *args], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_new_settings_and_logs_are_created_private(tmp_path: Path) -> None:
    config, logs = tmp_path / "config" / "nimeet", tmp_path / "logs" / "nimeet"
    start_app(config, logs, "rollover")
    assert mode(config) == 0o700
    assert mode(config / "settings.json") == 0o600
    assert json.loads((config / "settings.json").read_text())["recent_rooms"]
    assert mode(logs) == 0o700
    files = sorted(logs.iterdir())
    assert {f.name for f in files} == {"crash.log", "nimeet.log", "nimeet.log.1"}
    assert {f.name: mode(f) for f in files} == dict.fromkeys(("crash.log", "nimeet.log", "nimeet.log.1"), 0o600)


def test_an_older_versions_open_files_are_tightened_on_start(tmp_path: Path) -> None:
    config, logs = tmp_path / "config", tmp_path / "logs"
    for directory in (config, logs):
        directory.mkdir()
        directory.chmod(0o755)
    old = {
        config / "settings.json": '{"recent_rooms": {"http://127.0.0.1:8765": ["room-old"]}}',
        config / "settings.json.broken": "{",
        logs / "nimeet.log": "old\n",
        logs / "nimeet.log.3": "older\n",
        logs / "crash.log": "old\n",
    }
    for path, text in old.items():
        path.write_text(text)
        path.chmod(0o644)
    start_app(config, logs)
    assert (mode(config), mode(logs)) == (0o700, 0o700)
    assert {path.name: mode(path) for path in old} == {path.name: 0o600 for path in old}
