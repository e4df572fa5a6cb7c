"""Where recordings go and what they are called (nimeet_desktop/recordings.py)."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import pytest

from nimeet_desktop.recordings import list_recordings, new_recording_path, recordings_folder
from nimeet_desktop.settings import SettingsStore

STARTED = datetime(2026, 12, 3, 9, 5, 7)


def test_the_folder_is_the_settings_one_else_nimeet_in_the_videos_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NIMEET_RECORDINGS_DIR", raising=False)
    monkeypatch.setenv("XDG_VIDEOS_DIR", str(tmp_path / "Films"))
    assert recordings_folder(None) == tmp_path / "Films" / "NIMeet"
    assert recordings_folder(str(tmp_path / "mine")) == tmp_path / "mine"
    monkeypatch.setenv("NIMEET_RECORDINGS_DIR", str(tmp_path / "override"))
    assert recordings_folder(None) == tmp_path / "override"


def test_a_name_carries_the_room_and_the_moment_and_never_a_path_or_a_control(tmp_path: Path) -> None:
    assert (
        new_recording_path(tmp_path, "Weekly sync", STARTED, ".mp4").name
        == "NIMeet Weekly sync 2026-12-03 09.05.07.mp4"
    )
    hostile = new_recording_path(tmp_path, "../../etc/passwd\u202e\x00:*?  ", STARTED, ".webm")
    assert hostile.parent == tmp_path
    assert hostile.name == "NIMeet etc passwd 2026-12-03 09.05.07.webm"
    assert new_recording_path(tmp_path, "  ", STARTED, ".mkv").name == "NIMeet 2026-12-03 09.05.07.mkv"
    assert len(new_recording_path(tmp_path, "x" * 500, STARTED, ".mp4").name) < 120


def test_a_second_recording_in_the_same_second_gets_its_own_file(tmp_path: Path) -> None:
    first = new_recording_path(tmp_path, "Room", STARTED, ".mp4")
    first.write_bytes(b"x")
    second = new_recording_path(tmp_path, "Room", STARTED, ".mp4")
    assert second.name == "NIMeet Room 2026-12-03 09.05.07 (2).mp4"


def test_the_list_holds_recordings_newest_first_and_nothing_else(tmp_path: Path) -> None:
    assert list_recordings(tmp_path / "missing") == []
    old, new, other = tmp_path / "a.webm", tmp_path / "b.MP4", tmp_path / "notes.txt"
    for index, path in enumerate((old, new, other)):
        path.write_bytes(b"x")
        os.utime(path, (1_000_000 + index, 1_000_000 + index))
    (tmp_path / "folder.mkv").mkdir()
    assert list_recordings(tmp_path) == [new, old]


def test_the_folder_setting_is_kept_with_the_others(tmp_path: Path) -> None:
    store = SettingsStore(tmp_path)
    settings = store.load()
    assert settings.recordings_folder is None
    settings.recordings_folder = str(tmp_path / "calls")
    store.save(settings)
    assert SettingsStore(tmp_path).load().recordings_folder == str(tmp_path / "calls")
