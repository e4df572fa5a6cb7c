"""Making the Linux bundle smaller, called by build_installer.spec: ``from_the_system`` finds the libraries
PyInstaller copied from the build machine's system (the .deb depends on their packages instead), ``unreachable``
the shared libraries nothing in the bundle loads any more, and ``strip_symbols`` strips the rest (but auditwheel's).

The spec removes Qt plugins the app does not use (the GTK theme, Wayland, EGL devices...). PyInstaller has already
collected what those plugins link (GTK 3, cairo, pango, the Wayland client...), tens of MB. This walks the link
graph again from what stays: every Python extension module, every kept Qt plugin and the Python library, following
``DT_NEEDED`` (``readelf -d``) through the collected libraries by file name. A library not reached is dropped.
Libraries loaded by name at run time (``ctypes``, ``dlopen``) are not in that graph: list them in ``KEEP``.

``shared_copies`` finds libraries two wheels each bundle in the same version: opencv-python-headless and PyAV both
ship FFmpeg (issue 12: about 32 MB unpacked, 11 MB of the .deb). The spec keeps PyAV's and makes OpenCV's file names
symbolic links to it, once every symbol OpenCV takes from its copy is in PyAV's.
"""

from __future__ import annotations

import functools
import os
import posixpath
import re
import subprocess
from collections.abc import Iterable
from pathlib import Path

# (dest name, source path, typecode) as PyInstaller's TOCs hold them.
Entry = tuple[str, str, str]

_NEEDED = re.compile(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]")
_EXTENSION = re.compile(r"(\.abi3|\.cpython-\d+[^/]*)\.so$")
# The bootloader dlopens libpython; livekit opens its FFI library (WebRTC's audio processing) with ctypes.CDLL.
KEEP = ("libpython", "liblivekit_ffi")


def _is_root(entry: Entry) -> bool:
    """Python extension modules (PyInstaller's ``EXTENSION`` entries, or by their ABI-tagged names), Qt's plugins and
    what ``KEEP`` names. By typecode as well as by name: LiteRT's modules (``ai_edge_litert``, background blur) are
    built by Bazel and named plain ``_pywrap_litert_interpreter_wrapper.so``, without the tag; as mere libraries
    they and the 18 MB ``libpywrap_litert_common.so`` they link were dropped, and the frozen app silently blurred on
    OpenCV's DNN instead."""
    dest = entry[0].replace("\\", "/")
    name = os.path.basename(dest)
    is_extension = entry[2] == "EXTENSION" or bool(_EXTENSION.search(dest))
    return is_extension or "/Qt/plugins/" in dest or name.startswith(KEEP)


# The system's library folders (Debian multiarch and the others). Python's own lib-dynload is not among them.
_SYSTEM_LIBRARY_DIR = re.compile(r"^/(usr/)?lib(32|64)?(/[a-z0-9_]+-linux-gnu[a-z0-9_]*)?$")


def from_the_system(binaries: Iterable[Entry]) -> set[str]:
    """Dest names of the libraries copied from the system's library folders (X11 and xcb, fontconfig, OpenSSL,
    SQLite...). Left to the system: the .deb names their packages in Depends (packaging/deb.py), so they get the
    distribution's security updates, and libraries that must match the machine (fontconfig and its configuration
    files, the D-Bus and Kerberos ones) are the machine's. libpython stays whatever its folder."""
    return {
        dest
        for dest, source, kind in binaries
        if kind != "SYMLINK"  # its source is a target inside the bundle
        and _SYSTEM_LIBRARY_DIR.match(os.path.dirname(os.path.realpath(source)))
        and not os.path.basename(dest).startswith(KEEP)
    }


@functools.cache  # asked of the same libraries again and again (shared_copies, then unreachable)
def needed(path: str) -> list[str]:
    done = subprocess.run(["readelf", "-d", path], capture_output=True, text=True, check=False)
    return _NEEDED.findall(done.stdout)


def unreachable(binaries: Iterable[Entry]) -> set[str]:
    """Dest names of the shared libraries among ``binaries`` that no root reaches through ``DT_NEEDED``."""
    entries = list(binaries)
    by_name: dict[str, list[Entry]] = {}
    for entry in entries:
        by_name.setdefault(os.path.basename(entry[0]), []).append(entry)
    by_dest = {_posix(entry[0]): entry for entry in entries}
    seen: set[str] = set()
    todo = [entry for entry in entries if _is_root(entry)]
    while todo:
        entry = todo.pop()
        if entry[0] in seen:
            continue
        seen.add(entry[0])
        if entry[2] == "SYMLINK":  # (dest, target relative to dest's folder): what it loads is its target
            target = posixpath.normpath(posixpath.join(posixpath.dirname(_posix(entry[0])), _posix(entry[1])))
            todo.extend([by_dest[target]] if target in by_dest else [])
            continue
        for name in needed(entry[1]):
            todo.extend(by_name.get(name, []))
    return {entry[0] for entry in entries if entry[0] not in seen and ".so" in os.path.basename(entry[0])}


def _posix(dest: str) -> str:
    return dest.replace("\\", "/")


# auditwheel's names for the libraries it grafts into a wheel: the library, a hash of its contents, its version.
_GRAFTED = re.compile(r"^(?P<name>lib[A-Za-z0-9_+]+)-[0-9a-f]{8}\.so\.(?P<major>\d+)\.(?P<minor>\d+)\.\d+$")
# FFmpeg's libraries, as both opencv-python-headless and PyAV bundle them.
FFMPEG = ("libavcodec", "libavformat", "libavutil", "libswscale", "libswresample")


def _grafted(entry: Entry, folder: str) -> tuple[str, str, str] | None:
    dest = _posix(entry[0])
    match = _GRAFTED.match(posixpath.basename(dest))
    if posixpath.dirname(dest) != folder or match is None:
        return None
    return match["name"], match["major"], match["minor"]


def _dynamic_symbols(path: str, *, defined: bool) -> set[str]:
    """The dynamic symbols ``path`` defines (or leaves undefined), without their version tags."""
    flag = "--defined-only" if defined else "--undefined-only"
    done = subprocess.run(["nm", "-D", flag, path], capture_output=True, text=True, check=True)
    return {line.split()[-1].split("@")[0] for line in done.stdout.splitlines() if line.strip()}


def missing_symbols(consumers: Iterable[str], old: str, new: str) -> set[str]:
    """What the ``consumers`` take from the library ``old`` that ``new`` does not define."""
    wanted = set().union(*(_dynamic_symbols(path, defined=False) for path in consumers))
    return (wanted & _dynamic_symbols(old, defined=True)) - _dynamic_symbols(new, defined=True)


def shared_copies(
    binaries: Iterable[Entry], *, copy_folder: str, kept_folder: str, names: Iterable[str]
) -> dict[str, str]:
    """Libraries of ``copy_folder`` (a wheel's ``.libs``) that the same library of ``kept_folder`` can stand in
    for: dest name of the copy -> dest name of the one kept. The same library means the same name and the same
    major and minor version (``libavcodec-c4204469.so.62.28.101`` and ``libavcodec-5e6b81c2.so.62.28.102``):
    FFmpeg changes public structures only with the minor version, and its point releases (the micro) keep the ABI.
    And every symbol the copy's users take from it must be defined by the kept one; a library failing that stays
    a copy (the build says so), as does one with no match: a newer wheel with another FFmpeg costs space, not a
    broken app."""
    entries = list(binaries)
    wanted = tuple(names)
    kept = {key: entry for entry in entries if (key := _grafted(entry, kept_folder)) and key[0] in wanted}
    copies = {entry[0]: kept[key] for entry in entries if (key := _grafted(entry, copy_folder)) in kept}
    found: dict[str, str] = {}
    for dest, stand_in in copies.items():
        source = next(entry[1] for entry in entries if entry[0] == dest)
        name = posixpath.basename(_posix(dest))
        users = [e[1] for e in entries if e[0] not in copies and e[2] != "SYMLINK" and name in needed(e[1])]
        missing = missing_symbols(users, source, stand_in[1])
        if missing:
            print(f"prune: keeping {dest}: {stand_in[0]} lacks {len(missing)} of its symbols: {sorted(missing)[:5]}")
            continue
        found[dest] = stand_in[0]
    return found


def symlink_entries(shared: dict[str, str]) -> list[Entry]:
    """PyInstaller's SYMLINK entries for ``shared_copies``: the copy's name, pointing (relatively) at the kept one."""
    return [
        (copy, posixpath.relpath(_posix(kept), posixpath.dirname(_posix(copy))), "SYMLINK")
        for copy, kept in shared.items()
    ]


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
