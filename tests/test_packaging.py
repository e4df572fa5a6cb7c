"""A built wheel carries everything the app needs at run time (issue 11): the icons, the .desktop entry, the
translations and the server's migrations are package data, found through the package itself, not through a
``resources/`` folder beside a source checkout (a non-editable install used to lose every icon, and the icon-only
call buttons rendered blank). The wheel is built from this checkout and installed into a folder of its own; the
check runs in a Python that sees that folder and the standard library only."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOT_SOURCE = (".venv", ".git", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis", "benchmarks")
ICONS = sorted(path.name for path in (ROOT / "nimeet_desktop" / "assets" / "icons").glob("*.svg"))


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    # Built from a copy: setuptools leaves build/ behind, and a stale build/lib in the checkout would put files that
    # no longer exist into later wheels.
    source = tmp_path_factory.mktemp("source") / "nimeet"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*NOT_SOURCE))
    # No build isolation: the venv's own setuptools builds it, offline (CI reaches only the package registries).
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", str(out), "."],
        cwd=source,
        check=True,
        timeout=300,
    )
    (built,) = out.glob("nimeet-*.whl")
    return built


def test_the_wheel_holds_every_file_the_app_and_server_load(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert len(ICONS) >= 20
    missing = [f"nimeet_desktop/assets/icons/{icon}" for icon in ICONS]
    missing += ["nimeet_desktop/assets/nimeet.desktop", "nimeet_desktop/translations/nimeet_ru.qm"]
    missing += ["nimeet_desktop/translations/nimeet_en.qm"]
    missing += ["signaling_server/db/migrations/env.py", "signaling_server/db/migrations/versions/0001_initial.py"]
    missing = [name for name in missing if name not in names]
    assert missing == [], missing


def test_an_installed_wheel_finds_its_icons_without_the_checkout(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "installed"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(wheel)],
        check=True,
        timeout=300,
    )
    check = (
        "import sys; sys.path.insert(0, sys.argv[1]); "
        "from nimeet_desktop.resources import assets_dir, icon_path; "
        "assert assets_dir().is_relative_to(sys.argv[1]), assets_dir(); "
        "missing = [n for n in sys.argv[2:] if not icon_path(n).is_file()]; "
        "assert not missing, missing; "
        "assert (assets_dir() / 'nimeet.desktop').is_file(); print('ok')"
    )
    # -I -S: no site-packages, no PYTHONPATH, no working directory on the path: only the installed wheel is seen.
    names = [icon.removesuffix(".svg") for icon in ICONS]
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-c", check, str(target), *names],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr
