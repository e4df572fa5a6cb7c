"""Making the Linux bundle smaller, called by build_installer.spec: ``from_the_system`` finds the libraries
PyInstaller copied from the build machine's system (the .deb depends on their packages instead), ``unreachable``
the shared libraries nothing in the bundle loads any more, and ``strip_symbols`` strips the rest (but auditwheel's).

The spec removes Qt plugins the app does not use (the GTK theme, Wayland, EGL devices...). PyInstaller has already
collected what those plugins link (GTK 3, cairo, pango, the Wayland client...), tens of MB. This walks the link
graph again from what stays: every Python extension module, every kept Qt plugin and the Python library, following
``DT_NEEDED`` (``readelf -d``) through the collected libraries by file name. A library not reached is dropped.
Libraries loaded by name at run time (``ctypes``, ``dlopen``) are not in that graph: list them in ``KEEP``.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterable
from pathlib import Path

# (dest name, source path, typecode) as PyInstaller's TOCs hold them.
Entry = tuple[str, str, str]

_NEEDED = re.compile(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]")
_EXTENSION = re.compile(r"(\.abi3|\.cpython-\d+[^/]*)\.so$")
KEEP = ("libpython",)  # the bootloader dlopens it


def _is_root(dest: str) -> bool:
    dest = dest.replace("\\", "/")
    name = os.path.basename(dest)
    return bool(_EXTENSION.search(dest)) or "/Qt/plugins/" in dest or name.startswith(KEEP)


# The system's library folders (Debian multiarch and the others). Python's own lib-dynload is not among them.
_SYSTEM_LIBRARY_DIR = re.compile(r"^/(usr/)?lib(32|64)?(/[a-z0-9_]+-linux-gnu[a-z0-9_]*)?$")


def from_the_system(binaries: Iterable[Entry]) -> set[str]:
    """Dest names of the libraries copied from the system's library folders (X11 and xcb, fontconfig, OpenSSL,
    SQLite...). Left to the system: the .deb names their packages in Depends (packaging/deb.py), so they get the
    distribution's security updates, and libraries that must match the machine (fontconfig and its configuration
    files, the D-Bus and Kerberos ones) are the machine's. libpython stays whatever its folder."""
    return {
        dest
        for dest, source, _kind in binaries
        if _SYSTEM_LIBRARY_DIR.match(os.path.dirname(os.path.realpath(source)))
        and not os.path.basename(dest).startswith(KEEP)
    }


def needed(path: str) -> list[str]:
    done = subprocess.run(["readelf", "-d", path], capture_output=True, text=True, check=False)
    return _NEEDED.findall(done.stdout)


def unreachable(binaries: Iterable[Entry]) -> set[str]:
    """Dest names of the shared libraries among ``binaries`` that no root reaches through ``DT_NEEDED``."""
    entries = list(binaries)
    by_name: dict[str, list[Entry]] = {}
    for entry in entries:
        by_name.setdefault(os.path.basename(entry[0]), []).append(entry)
    seen: set[str] = set()
    todo = [entry for entry in entries if _is_root(entry[0])]
    while todo:
        entry = todo.pop()
        if entry[0] in seen:
            continue
        seen.add(entry[0])
        for name in needed(entry[1]):
            todo.extend(by_name.get(name, []))
    return {entry[0] for entry in entries if entry[0] not in seen and ".so" in os.path.basename(entry[0])}


def strip_symbols(internal: Path) -> int:
    """``strip --strip-unneeded`` the shared libraries of the bundle's ``_internal`` folder (as Debian's dh_strip
    does), except those auditwheel grafted into ``<package>.libs`` folders; returns the bytes saved.

    Not PyInstaller's own ``strip=True``: that strips everything, and auditwheel's grafted libraries (patchelf
    rewrote their headers) then fail to load ("ELF load command address/offset not page-aligned": numpy's OpenBLAS
    did). Those ship stripped anyway. The gain is in libpython and the extension modules (av's alone: 30 -> 5 MB,
    uvloop 13 -> 2, asyncpg 11 -> 2, sqlalchemy 18 -> 10): about 100 MB unpacked."""
    candidates = [
        path
        for path in internal.rglob("*.so*")
        if path.is_file() and not path.is_symlink() and not any(part.endswith(".libs") for part in path.parts)
    ]
    before = sum(path.stat().st_size for path in candidates)
    for start in range(0, len(candidates), 100):
        subprocess.run(["strip", "--strip-unneeded", *map(str, candidates[start : start + 100])], check=True)
    return before - sum(path.stat().st_size for path in candidates)
