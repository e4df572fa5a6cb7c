"""Can Qt open a window here? Asked before the ``QApplication`` exists, without importing Qt.

When Qt's platform plugin cannot load, ``QApplication(...)`` aborts the process (SIGABRT) after a message that
blames the plugin, or a library that is installed, rather than the one that is missing (stock Debian 12 lacks
``libxcb-icccm4`` and ``libxcb-keysyms1``, which the xcb plugin needs). So the app looks first: is there a display
at all, and do the libraries Qt and its xcb plugin link resolve (``ldd``, which follows every dependency)? Either
gap is told in one sentence that names what is missing and the command that installs it.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

# Shared libraries Qt (GUI, widgets, network, SVG) and its xcb plugin link that a minimal Debian or Ubuntu lacks, and
# the package that provides each (Debian names; Ubuntu's t64 renames are found by apt under the old name).
DEBIAN_PACKAGES = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb.so.1": "libxcb1",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libX11.so.6": "libx11-6",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libGL.so.1": "libgl1",
    "libEGL.so.1": "libegl1",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0",
    "libdbus-1.so.3": "libdbus-1-3",
    "libgssapi_krb5.so.2": "libgssapi-krb5-2",
}

# What the app loads of PySide6 (the modules' own libraries pull in Qt's), and the xcb platform plugin.
QT_MODULES = ("QtCore", "QtGui", "QtWidgets", "QtNetwork", "QtSvg")
XCB_PLUGIN = Path("Qt", "plugins", "platforms", "libqxcb.so")

_NOT_FOUND = re.compile(r"^\s*(\S+) => not found", re.MULTILINE)


def pyside_dir() -> Path | None:
    """PySide6's package directory, found without importing it (its import loads Qt)."""
    spec = importlib.util.find_spec("PySide6")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def missing_libraries(paths: Iterable[Path]) -> list[str]:
    """Shared libraries that ``paths`` (libraries, plugins) need, directly or through each other, and the dynamic
    loader cannot find; sorted, each once. Empty when ``ldd`` is not there to ask: then Qt will tell."""
    ldd = shutil.which("ldd")
    existing = [str(path) for path in paths if path.exists()]
    if ldd is None or not existing:
        return []
    try:
        done = subprocess.run(  # noqa: S603 (ldd on files of our own installation)
            [ldd, *existing], capture_output=True, text=True, timeout=20, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return []
    return sorted(set(_NOT_FOUND.findall(done.stdout)))


def x_server_answers(display: str, timeout: float = 2.0) -> bool:
    """Does an X server listen at ``display`` (``:0``, ``:1.0``, ``host:10.0``)? Local displays are tried on their
    socket file and on Linux's abstract socket of the same name (some sandboxes have only one); remote ones on TCP
    6000 + number (ssh's X forwarding). Unparseable: assume yes, and let Qt judge."""
    match = re.fullmatch(r"(?:unix/)?([^:/]*):(\d+)(?:\.\d+)?", display)
    if match is None:
        return True
    host, number = match.group(1), int(match.group(2))
    if host in ("", "unix"):
        path = f"/tmp/.X11-unix/X{number}"  # noqa: S108 (X11's fixed location, not a temporary file)
        for address in (path, "\0" + path):
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock, contextlib.suppress(OSError):
                sock.settimeout(timeout)
                sock.connect(address)
                return True
        return False
    try:
        socket.create_connection((host, 6000 + number), timeout=timeout).close()
    except OSError:
        return False
    return True


def install_hint(libraries: Iterable[str]) -> str:
    """How to get ``libraries``: the apt command where there is apt, else the libraries' names."""
    libraries = list(libraries)
    them = "them" if len(libraries) > 1 else "it"
    packages = sorted({DEBIAN_PACKAGES[lib] for lib in libraries if lib in DEBIAN_PACKAGES})
    unknown = [lib for lib in libraries if lib not in DEBIAN_PACKAGES]
    if packages and not unknown and shutil.which("apt-get"):
        command = f"sudo apt-get install {' '.join(packages)}"
        setup = Path(__file__).resolve().parents[1] / "scripts" / "setup.sh"  # in a source checkout only
        return f"install {them} with: {command}" + (f" (or run: bash {setup})" if setup.exists() else "")
    return f"install what provides {them} with your system's package manager"


def problem(environ: Mapping[str, str], qt_dir: Path | None, platform: str = sys.platform) -> str | None:
    """What keeps Qt from opening a window, in one sentence; None when nothing we can see does."""
    if platform != "linux" or qt_dir is None:
        return None
    chosen = environ.get("QT_QPA_PLATFORM", "").split(":")[0]
    if chosen not in ("", "xcb", "wayland"):
        return None  # offscreen, vnc, eglfs…: whoever chose it knows what it needs
    x11, wayland = bool(environ.get("DISPLAY")), bool(environ.get("WAYLAND_DISPLAY"))
    if not x11 and not wayland and chosen != "wayland":
        return (
            "there is no display to open a window on (neither DISPLAY nor WAYLAND_DISPLAY is set): "
            "start NIMeet from a desktop session"
        )
    paths = [qt_dir / f"{module}.abi3.so" for module in QT_MODULES]
    # Qt takes Wayland when the session offers it and falls back to X11; only without Wayland must X11 work.
    if chosen == "xcb" or (not wayland and chosen == ""):
        paths.append(qt_dir / XCB_PLUGIN)
    missing = missing_libraries(paths)
    if not missing:
        display = environ.get("DISPLAY", "")
        if paths[-1].name == XCB_PLUGIN.name and not x_server_answers(display):
            return f"no X server answers on the display {display} (DISPLAY): start NIMeet from a desktop session"
        return None
    return f"Qt cannot open a window: {', '.join(missing)} {'is' if len(missing) == 1 else 'are'} missing; " + (
        install_hint(missing)
    )


def check(environ: Mapping[str, str] | None = None) -> str | None:
    return problem(os.environ if environ is None else environ, pyside_dir())
