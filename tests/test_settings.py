"""The desktop app's settings file: typed fields, and a file of another version or a hand-edited one still loads."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from pydantic import ValidationError

from nimeet_desktop.settings import DEFAULT_SERVER_URL, RECENT_ROOMS_KEPT, Settings, SettingsStore


def write(directory: Path, data: object) -> SettingsStore:
    store = SettingsStore(directory)
    directory.mkdir(parents=True, exist_ok=True)
    store.path.write_text(json.dumps(data), encoding="utf-8")
    return store


def test_saved_settings_load_back_equal(tmp_path: Path) -> None:
    store = SettingsStore(tmp_path)
    settings = Settings(server_url="https://meet.example.org", camera="/dev/video2", language="ru")
    settings.remember_room("https://meet.example.org", "room-a")
    store.save(settings)
    assert store.load() == settings
    assert not store.path.with_name("settings.json.tmp").exists()


def test_a_missing_file_gives_the_defaults(tmp_path: Path) -> None:
    assert SettingsStore(tmp_path / "nowhere").load() == Settings()


@pytest.mark.parametrize("text", ["{not json", "[1, 2]", '"a string"', "\x00\x01"])
def test_an_unreadable_file_is_kept_aside_and_the_defaults_used(tmp_path: Path, text: str) -> None:
    store = SettingsStore(tmp_path)
    store.path.write_text(text, encoding="utf-8")
    assert store.load() == Settings()
    assert not store.path.exists()
    assert (tmp_path / "settings.json.broken").read_text(encoding="utf-8") == text


def test_wrong_typed_fields_fall_back_one_warning_each_and_the_rest_is_kept(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = write(
        tmp_path,
        {
            "server_url": "https://meet.example.org",
            "camera": 3,  # not text
            "join_with_camera": 1,  # an int is no bool
            "microphone": True,  # a bool is no text
            "language": "de",  # not one we offer
            "recent_rooms": {"https://meet.example.org": ["a", 7]},
            "speaker": "USB headset",
            "join_with_microphone": False,
        },
    )
    with caplog.at_level(logging.WARNING, logger="nimeet_desktop.settings"):
        settings = store.load()
    assert settings == Settings(
        server_url="https://meet.example.org", speaker="USB headset", join_with_microphone=False
    )
    warned = sorted(r.getMessage().split()[2] for r in caplog.records if r.levelno == logging.WARNING)
    assert warned == ["camera", "join_with_camera", "language", "microphone", "recent_rooms"]
    assert store.path.exists(), "a readable file is not moved aside"


def test_a_newer_file_with_unknown_keys_and_an_older_one_with_missing_keys_load(tmp_path: Path) -> None:
    newer = write(tmp_path / "newer", {"camera": "1", "theme": "sepia", "future": {"x": 1}})
    assert newer.load() == Settings(camera="1")
    older = write(tmp_path / "older", {"server_url": "http://example.org:9000"})
    assert older.load() == Settings(server_url="http://example.org:9000")


def test_an_older_flat_recent_rooms_list_becomes_its_servers_entry(tmp_path: Path) -> None:
    store = write(tmp_path, {"server_url": "HTTP://Meet.Example.org:80/", "recent_rooms": ["new", "old"]})
    settings = store.load()
    assert settings.recent_rooms_of("http://meet.example.org") == ["new", "old"]
    assert settings.recent_rooms_of(DEFAULT_SERVER_URL) == []
    flat_default = write(tmp_path / "default", {"recent_rooms": ["x"]})
    assert flat_default.load().recent_rooms_of(DEFAULT_SERVER_URL) == ["x"]


def test_recent_rooms_are_kept_per_server_newest_first_and_bounded() -> None:
    settings = Settings()
    settings.remember_room("https://a.example.org", "a1")
    settings.remember_room("https://b.example.org", "b1")
    settings.remember_room("https://a.example.org", "a2")
    settings.remember_room("https://a.example.org/", "a1")  # the same server, written differently
    assert settings.recent_rooms_of("https://a.example.org") == ["a1", "a2"]
    assert settings.recent_rooms_of("https://b.example.org") == ["b1"]
    for n in range(RECENT_ROOMS_KEPT + 5):
        settings.remember_room("https://b.example.org", f"r{n}")
    assert len(settings.recent_rooms_of("https://b.example.org")) == RECENT_ROOMS_KEPT


def test_the_app_cannot_assign_a_wrong_type() -> None:
    settings = Settings()
    with pytest.raises(ValidationError):
        settings.language = "fr"  # type: ignore[assignment]
    with pytest.raises(ValidationError):
        settings.join_with_camera = "yes"  # type: ignore[assignment]


def test_audio_stages_are_on_by_default_and_a_video_quality_outside_the_three_falls_back(tmp_path: Path) -> None:
    defaults = Settings()
    assert (defaults.echo_cancellation, defaults.noise_suppression, defaults.auto_gain_control) == (True, True, True)
    assert defaults.high_pass_filter and defaults.notifications and defaults.video_quality == 720
    store = write(tmp_path, {"echo_cancellation": False, "video_quality": 480, "notifications": False})
    loaded = store.load()
    assert not loaded.echo_cancellation and not loaded.notifications
    assert loaded.video_quality == 720  # 480 is not one of 360/720/1080
