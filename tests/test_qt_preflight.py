"""Qt's start-up check: no display, or a library Qt's xcb plugin needs is missing, is said in one sentence instead of
Qt's SIGABRT. Real ``ldd`` on real shared libraries; a missing one is made by renaming a dependency in a copy."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from nimeet_desktop import qt_preflight
from nimeet_desktop.qt_preflight import install_hint, missing_libraries, problem, pyside_dir, x_server_answers
from tests.media.conftest import start_xvfb

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the check is for Linux (X11, Wayland) only")


def test_without_a_display_the_app_says_so_in_one_line_instead_of_aborting(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env |= {"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "c"), "XDG_STATE_HOME": str(tmp_path / "s")}
    done = subprocess.run(
        [sys.executable, "-m", "nimeet_desktop"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1, (done.returncode, done.stderr)  # Qt's abort was -6 (SIGABRT)
    assert done.stderr.splitlines() == [
        "nimeet: there is no display to open a window on (neither DISPLAY nor WAYLAND_DISPLAY is set): "
        "start NIMeet from a desktop session"
    ]


def real_library(name: str) -> Path:
    """Where the loader finds ``name`` here (Qt's xcb plugin links it)."""
    qt = pyside_dir()
    assert qt is not None
    out = subprocess.run(["ldd", str(qt / qt_preflight.XCB_PLUGIN)], capture_output=True, text=True, check=True)
    match = re.search(rf"^\s*{re.escape(name)} => (\S+)", out.stdout, re.MULTILINE)
    assert match, out.stdout
    return Path(match.group(1))


def with_missing_dependency(source: Path, target: Path, needed: bytes, renamed: bytes) -> Path:
    """A copy of ``source`` whose dependency ``needed`` is named ``renamed`` (same length), which nothing provides:
    a real shared library with a really missing dependency, as on a machine without that package."""
    assert len(needed) == len(renamed)
    data = source.read_bytes()
    assert data.count(needed + b"\0") == 1
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data.replace(needed + b"\0", renamed + b"\0"))
    return target


@pytest.fixture
def broken_qt(tmp_path: Path) -> Path:
    """A stand-in PySide6 directory: Qt's modules resolve, its xcb plugin lacks a library."""
    qt = pyside_dir()
    assert qt is not None
    for module in qt_preflight.QT_MODULES:
        (tmp_path / f"{module}.abi3.so").symlink_to(real_library("libxcb.so.1"))
    with_missing_dependency(
        real_library("libxcb-icccm.so.4"), tmp_path / qt_preflight.XCB_PLUGIN, b"libxcb.so.1", b"libxcQ.so.1"
    )
    return tmp_path


def test_the_qt_here_has_every_library_it_needs() -> None:
    """What scripts/setup.sh installs is what Qt needs: nothing missing for the modules and the xcb plugin, and on
    a real X server nothing keeps Qt from opening a window."""
    qt = pyside_dir()
    assert qt is not None
    paths = [qt / f"{module}.abi3.so" for module in qt_preflight.QT_MODULES] + [qt / qt_preflight.XCB_PLUGIN]
    assert all(path.exists() for path in paths)
    assert missing_libraries(paths) == []
    xvfb = start_xvfb(320, 240)
    try:
        assert x_server_answers(xvfb.display)
        assert problem({"DISPLAY": xvfb.display}, qt) is None
    finally:
        xvfb.stop()


def test_a_display_that_no_x_server_serves_is_named() -> None:
    number = next(n for n in range(150, 200) if not Path(f"/tmp/.X11-unix/X{n}").exists())  # noqa: S108
    assert not x_server_answers(f":{number}")
    assert problem({"DISPLAY": f":{number}.0"}, pyside_dir()) == (
        f"no X server answers on the display :{number}.0 (DISPLAY): start NIMeet from a desktop session"
    )
    assert not x_server_answers(f"127.0.0.1:{number}")  # TCP 6000 + number: ssh's X forwarding


def test_a_missing_library_of_the_xcb_plugin_is_named(broken_qt: Path) -> None:
    assert missing_libraries([broken_qt / qt_preflight.XCB_PLUGIN]) == ["libxcQ.so.1"]
    sentence = problem({"DISPLAY": ":0"}, broken_qt)
    assert sentence == (
        "Qt cannot open a window: libxcQ.so.1 is missing; install what provides it with your system's package manager"
    )
    assert problem({"DISPLAY": ":0", "QT_QPA_PLATFORM": "xcb"}, broken_qt) == sentence
    # Wayland is there: Qt takes it, the xcb plugin does not matter. Offscreen needs no display at all.
    assert problem({"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0"}, broken_qt) is None
    assert problem({"QT_QPA_PLATFORM": "offscreen"}, broken_qt) is None
    assert problem({"DISPLAY": ":0"}, broken_qt, platform="darwin") is None


@pytest.mark.skipif(shutil.which("apt-get") is None, reason="apt-get is not on this machine")
def test_known_libraries_are_named_with_their_debian_packages_and_the_command() -> None:
    hint = install_hint(["libxcb-icccm.so.4", "libxcb-keysyms.so.1", "libxcb-cursor.so.0"])
    assert hint.startswith("install them with: sudo apt-get install libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1")
    assert hint.endswith(f"(or run: bash {ROOT / 'scripts' / 'setup.sh'})")
