"""``nimeet --smoke-test`` from source, as a separate process (how CI and people run it; tests/frozen runs the
bundle's): it passes on a good installation with nothing on stderr, and it fails, with one line saying why, on a
broken one."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from nimeet_desktop.ui.smoke_test import SCREENS

ROOT = Path(__file__).resolve().parents[1]
ICONS = ROOT / "nimeet_desktop" / "assets" / "icons"

# stderr lines a good run may print: none today. Anything else (a Qt warning, a Python warning, a traceback, a
# logged error) fails the test, like qutebrowser's frozen smoke test. Add a pattern here only with its reason.
STDERR_ALLOWED: tuple[re.Pattern[str], ...] = ()


def smoke(env: dict[str, str] | None = None, command: list[str] | None = None) -> subprocess.CompletedProcess[str]:
    command = command or [sys.executable, "-m", "nimeet_desktop", "--smoke-test"]
    # No display of ours: the smoke test must force offscreen itself, and use a profile of its own.
    clean = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    return subprocess.run(command, capture_output=True, text=True, timeout=90, env={**clean, **(env or {})}, cwd=ROOT)


def unexpected_stderr(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.strip() and not any(p.search(line) for p in STDERR_ALLOWED)]


def check_passes(done: subprocess.CompletedProcess[str]) -> None:
    assert done.returncode == 0, done.stderr
    assert unexpected_stderr(done.stderr) == []
    lines = done.stdout.splitlines()
    assert (
        lines[-1]
        == f"nimeet smoke test: ok ({len(SCREENS)} screens, {len(list(ICONS.glob('*.svg')))} icons, ru translation)"
    )
    assert any(line.startswith("first window shown: ") for line in lines), done.stdout


def test_the_smoke_test_passes_from_source_with_a_clean_stderr(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    # HOME and XDG dirs point at an empty folder: the run must create nothing there (its profile is a temp dir).
    done = smoke({"HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"), "XDG_STATE_HOME": str(home / "s")})
    check_passes(done)
    assert list(home.iterdir()) == []


def test_every_screen_of_the_main_window_is_walked() -> None:
    assert [screen.name for screen in SCREENS] == [
        "server",
        "auth",
        "dashboard",
        "prejoin",
        "call",
        "tray menu",
        "close-during-call question",
        "switch-server question",
        "settings",
    ]


def test_a_missing_icon_fails_it_in_one_line(tmp_path: Path) -> None:
    assets = tmp_path / "assets"
    shutil.copytree(ICONS.parent, assets)
    (assets / "icons" / "mic.svg").write_text("<svg broken", encoding="utf-8")
    done = smoke({"NIMEET_ASSETS_DIR": str(assets)})
    assert done.returncode == 1
    assert (
        done.stderr.strip().splitlines()[-1].startswith("nimeet --smoke-test: FAILED: icon 'mic' is missing or empty")
    )


def test_no_icons_at_all_fails_it(tmp_path: Path) -> None:
    (tmp_path / "icons").mkdir()
    done = smoke({"NIMEET_ASSETS_DIR": str(tmp_path)})
    assert done.returncode == 1
    assert "FAILED: no icons in" in done.stderr


def test_a_missing_translation_fails_it(tmp_path: Path) -> None:
    # A copy of the package without its .qm: the translation cannot load, and the smoke test must say so.
    package = tmp_path / "nimeet_desktop"
    shutil.copytree(ROOT / "nimeet_desktop", package, ignore=shutil.ignore_patterns("*.qm", "__pycache__"))
    shutil.copytree(
        ROOT / "signaling_server", tmp_path / "signaling_server", ignore=shutil.ignore_patterns("__pycache__")
    )
    done = subprocess.run(
        [sys.executable, "-m", "nimeet_desktop", "--smoke-test"],
        capture_output=True,
        text=True,
        timeout=90,
        cwd=tmp_path,  # the copy comes first on sys.path (python -m puts the working directory there)
        env={k: v for k, v in os.environ.items() if k not in ("DISPLAY", "QT_QPA_PLATFORM")},
    )
    assert done.returncode == 1, done.stdout
    assert "FAILED: the ru translation did not load" in done.stderr


def test_the_smoke_test_walks_a_real_x_server_when_asked() -> None:
    from tests.media.conftest import start_xvfb

    xvfb = start_xvfb(1280, 800)
    try:
        check_passes(smoke({"DISPLAY": xvfb.display, "NIMEET_SMOKE_TEST_PLATFORM": "xcb"}))
    finally:
        xvfb.stop()


def test_a_non_utf8_locale_is_not_a_broken_installation() -> None:
    """A service, a cron job or ``env -i`` runs with the "C" locale: Qt says it switches to C.UTF-8 and goes on
    (seen running the installed .deb's ``nimeet --smoke-test`` under ``env -i``). That says nothing about the
    installation, so it must not fail the check."""
    check_passes(smoke({"LC_ALL": "C"}))  # LC_ALL outranks LANG and every other LC_* the caller has
