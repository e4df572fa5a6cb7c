"""``dist/nimeet_<version>_<arch>.deb`` from the PyInstaller bundle ``dist/nimeet`` (called by build_installer.spec
on Linux; no network, only ``dpkg-deb``, ``dpkg`` and ``ldd``).

What it installs::

    /opt/nimeet/                           the bundle: nimeet, nimeet-server, nimeet-bot and _internal/
    /usr/bin/nimeet, nimeet-server, nimeet-bot -> /opt/nimeet/...
    /usr/share/applications/nimeet.desktop the app's entry (opens nimeet: links), Exec=/usr/bin/nimeet %u
    /usr/share/icons/hicolor/<size>/apps/nimeet.png and scalable/apps/nimeet.svg

``Depends`` is worked out, not guessed: every ELF file of the bundle is asked (``ldd``) which libraries it loads from
the system, and ``dpkg -S`` names the package of each, plus what Python loads by name at run time (``ctypes``:
PortAudio for sounddevice) and what Qt opens by name (the xcb plugin's libraries come through ``ldd`` already).
Package names are those of the build machine's release: build on the oldest Debian/Ubuntu you support.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
from collections.abc import Iterable
from pathlib import Path

PACKAGE = "nimeet"
PROGRAMS = ("nimeet", "nimeet-server", "nimeet-bot")
INSTALL_DIR = Path("opt/nimeet")
MAINTAINER = "NIMeet developers <nimeet@localhost>"
DESCRIPTION = """\
video calls on your own server
 NIMeet is a desktop video-call app (camera, microphone, screen sharing) and
 the self-hosted signaling server it talks to. This package holds the app
 (nimeet), the server (nimeet-server) and the headless client (nimeet-bot)."""
# Loaded by name at run time, so ldd cannot see them: sounddevice opens PortAudio through ctypes.find_library.
LOADED_BY_NAME = ("libportaudio2",)
# Always there on any system that can run the bundle; listing them adds nothing but noise.
ESSENTIAL = {"libc6", "libgcc-s1", "libstdc++6"}

POSTINST = """\
#!/bin/sh
set -e
# The menu learns the nimeet: scheme handler, the icon theme the new icon (both tools optional on minimal systems).
# DPKG_ROOT: set by dpkg --root with --force-script-chrootless (tests/frozen installs into a scratch root that way).
if command -v update-desktop-database >/dev/null 2>&1; then
    update-desktop-database -q "${DPKG_ROOT:-}/usr/share/applications" || true
fi
if command -v gtk-update-icon-cache >/dev/null 2>&1; then
    gtk-update-icon-cache -q -t -f "${DPKG_ROOT:-}/usr/share/icons/hicolor" || true
fi
"""
POSTRM = POSTINST  # the same refresh, after the files are gone

_RESOLVED = re.compile(r"^\s*(\S+) => (/\S+)", re.MULTILINE)


class DebError(Exception):
    pass


def elf_files(root: Path) -> list[Path]:
    found = []
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            with path.open("rb") as handle:
                if handle.read(4) == b"\x7fELF":
                    found.append(path)
    return found


def system_libraries(bundle: Path) -> set[str]:
    """Absolute paths of the libraries outside ``bundle`` that its ELF files load."""
    inside = str(bundle.resolve())
    libraries: set[str] = set()
    files = [str(path) for path in elf_files(bundle)]
    # As the bootloader runs them: its LD_LIBRARY_PATH puts _internal first, so a library the bundle holds is
    # never the system's.
    env = {**os.environ, "LD_LIBRARY_PATH": str(bundle / "_internal")}
    for start in range(0, len(files), 200):
        done = subprocess.run(
            ["ldd", *files[start : start + 200]], capture_output=True, text=True, check=False, env=env
        )
        for _name, path in _RESOLVED.findall(done.stdout):
            real = os.path.realpath(path)
            if not real.startswith(inside):
                libraries.add(path)
    return libraries


def packages_of(paths: Iterable[str]) -> set[str]:
    """The Debian packages owning ``paths`` (``dpkg -S``, which knows both /lib and /usr/lib after usrmerge)."""
    wanted = sorted(paths)
    if not wanted:
        return set()
    names: set[str] = set()
    unowned: list[str] = []
    for path in wanted:
        candidates = [path, os.path.realpath(path)]
        # usrmerge: /lib/x86_64-linux-gnu/x is /usr/lib/x86_64-linux-gnu/x; dpkg knows one of the two.
        candidates += [c.removeprefix("/usr") if c.startswith("/usr/lib") else "/usr" + c for c in list(candidates)]
        for candidate in candidates:
            done = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True, check=False)
            if done.returncode == 0:
                names.update(line.split(":", 1)[0].split(",")[0].strip() for line in done.stdout.splitlines())
                break
        else:
            unowned.append(path)
    if unowned:
        raise DebError(f"no Debian package provides {', '.join(unowned)}: cannot write Depends")
    return names


def depends(bundle: Path) -> list[str]:
    return sorted((packages_of(system_libraries(bundle)) | set(LOADED_BY_NAME)) - ESSENTIAL)


def architecture() -> str:
    done = subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True, check=True)
    return done.stdout.strip()


def _normalise_modes(root: Path) -> None:
    """Directories 0755, files 0644, or 0755 where the bundle made them executable: whatever umask built them."""
    for path in [root, *root.rglob("*")]:
        if path.is_symlink():
            continue
        mode = path.stat().st_mode
        if path.is_dir() or mode & stat.S_IXUSR:
            path.chmod(0o755)
        else:
            path.chmod(0o644)


def desktop_entry(source: Path) -> str:
    """The package's ``nimeet.desktop``, with ``Exec`` naming the installed program (menus do not all search PATH
    the same way; an absolute path is what the link handler registration runs)."""
    lines = source.read_text(encoding="utf-8").splitlines()
    out = [f"Exec=/usr/bin/{PACKAGE} %u" if line.startswith("Exec=") else line for line in lines]
    text = "\n".join(out) + "\n"
    if "MimeType=x-scheme-handler/nimeet;" not in text:
        raise DebError(f"{source} does not register the nimeet: scheme")
    return text


def build(
    *, bundle: Path, out_dir: Path, work_dir: Path, version: str, desktop: Path, icon_svg: Path, icon_pngs: Path
) -> Path:
    """Write ``out_dir/nimeet_<version>_<arch>.deb`` and return its path. ``icon_pngs`` holds nimeet-<size>.png."""
    for program in PROGRAMS:
        if not (bundle / program).is_file():
            raise DebError(f"{bundle / program} is missing: build the bundle first")
    arch = architecture()
    root = work_dir / "deb-root"
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(bundle, root / INSTALL_DIR, symlinks=True)
    usr_bin = root / "usr/bin"
    usr_bin.mkdir(parents=True)
    for program in PROGRAMS:
        (usr_bin / program).symlink_to(Path("/") / INSTALL_DIR / program)
    applications = root / "usr/share/applications"
    applications.mkdir(parents=True)
    (applications / f"{PACKAGE}.desktop").write_text(desktop_entry(desktop), encoding="utf-8")
    hicolor = root / "usr/share/icons/hicolor"
    (hicolor / "scalable/apps").mkdir(parents=True)
    shutil.copyfile(icon_svg, hicolor / "scalable/apps" / f"{PACKAGE}.svg")
    for png in sorted(icon_pngs.glob("nimeet-*.png")):
        size = png.stem.removeprefix("nimeet-")
        apps = hicolor / f"{size}x{size}" / "apps"
        apps.mkdir(parents=True)
        shutil.copyfile(png, apps / f"{PACKAGE}.png")

    control = root / "DEBIAN"
    control.mkdir()
    installed_kib = sum(p.lstat().st_size for p in root.rglob("*") if not p.is_dir()) // 1024 + 1
    fields = {
        "Package": PACKAGE,
        "Version": version,
        "Architecture": arch,
        "Maintainer": MAINTAINER,
        "Installed-Size": str(installed_kib),
        "Depends": ", ".join(depends(bundle)),
        # Meetings' reactions are emoji; a desktop without a colour emoji font shows them as boxes. Show in folder
        # asks the file manager through gdbus (ui/show_in_folder.py); without it the folder opens, no file selected.
        "Recommends": "fonts-noto-color-emoji, libglib2.0-bin",
        "Section": "net",
        "Priority": "optional",
        "Description": DESCRIPTION,
    }
    (control / "control").write_text("".join(f"{k}: {v}\n" for k, v in fields.items()), encoding="utf-8")
    (control / "postinst").write_text(POSTINST, encoding="utf-8")
    (control / "postrm").write_text(POSTRM, encoding="utf-8")
    _normalise_modes(root)
    for script in ("postinst", "postrm"):
        (control / script).chmod(0o755)

    out_dir.mkdir(parents=True, exist_ok=True)
    deb = out_dir / f"{PACKAGE}_{version}_{arch}.deb"
    # --root-owner-group: files owned by root in the package whoever builds it. xz: Debian's default and the
    # smallest; it is most of the build's time (minutes), so tests/frozen, which only inspects and installs the
    # package, asks for none with NIMEET_DEB_COMPRESSION=none.
    compression = os.environ.get("NIMEET_DEB_COMPRESSION", "xz")
    if compression not in ("xz", "zstd", "gzip", "none"):
        raise DebError(f"NIMEET_DEB_COMPRESSION={compression!r}: not one of xz, zstd, gzip, none")
    subprocess.run(
        ["dpkg-deb", "--build", "--root-owner-group", f"-Z{compression}", str(root), str(deb)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    shutil.rmtree(root)
    return deb
