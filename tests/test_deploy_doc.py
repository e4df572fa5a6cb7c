"""docs/deploy.md names only settings and options the server has, and its sample settings are ones it accepts: an
admin copying from it must never meet "unknown setting" (ignored silently by the environment) or a refused start."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from signaling_server.__main__ import parse_args
from signaling_server.config import Settings

DOC = Path(__file__).resolve().parents[1] / "docs" / "deploy.md"
TEXT = DOC.read_text(encoding="utf-8")


def settings_named() -> set[str]:
    return set(re.findall(r"\bNIMEET_[A-Z0-9_]+", TEXT))


def test_every_setting_named_exists() -> None:
    names = settings_named()
    assert len(names) >= 10, names  # the doc does name settings: a broken pattern must not pass by finding none
    unknown = sorted(name for name in names if name.removeprefix("NIMEET_").lower() not in Settings.model_fields)
    assert unknown == [], f"docs/deploy.md names settings the server does not have: {unknown}"


def test_every_command_line_option_named_exists(capsys: pytest.CaptureFixture[str]) -> None:
    options = set(re.findall(r"(?<![\w-])--(?:tls|host|port|data|database|log|parent)[a-z-]*", TEXT))
    assert {"--tls-cert", "--tls-key"} <= options
    with pytest.raises(SystemExit):
        parse_args(["--help"])
    # Exact option names from the help, not argparse's parsing: it would take a misspelt prefix as an abbreviation.
    known = set(re.findall(r"--[a-z][a-z-]*", capsys.readouterr().out))
    assert sorted(options - known) == [], f"docs/deploy.md names options nimeet-server does not take: {known}"


def env_lines(block: str) -> dict[str, str]:
    """KEY=value lines of a shell block, commented-out ones too (the doc shows optional settings commented)."""
    found = {}
    for line in block.splitlines():
        match = re.fullmatch(r"#?(NIMEET_[A-Z0-9_]+)=(.*)", line.strip())
        if match:
            found[match.group(1)] = match.group(2)
    return found


def test_the_sample_settings_are_accepted(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The sample server.env (all of it, the commented lines too) and the TURN block, with placeholders filled in, load
    without an error: what the server would say at start."""
    blocks = re.findall(r"```sh\n(.*?)```", TEXT, re.S)
    sample: dict[str, str] = {}
    for block in blocks:
        sample.update(env_lines(block))
    assert {"NIMEET_PUBLIC_URL", "NIMEET_TURN_URLS", "NIMEET_TURN_SECRET", "NIMEET_DATABASE_URL"} <= sample.keys()
    for name, value in sample.items():
        filled = value.replace("<password>", "pw").replace("<the secret>", "s3cret")
        filled = re.sub(r"<[^>]*>", "placeholder", filled)
        monkeypatch.setenv(name, filled)
    monkeypatch.setenv("NIMEET_DATA_DIR", str(tmp_path))
    settings = Settings()
    assert settings.public_url == "https://meet.example.org"
    assert settings.allowed_hosts == ["meet.example.org"]
    assert settings.trusted_proxies == ["127.0.0.1"]
    assert len(settings.turn_urls) == 2
