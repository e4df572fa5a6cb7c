"""The installers' budget (issue 11): the size of the bundle and the .deb, what takes the space, and the frozen app's
cold start to its first window.

Usage (from the repository root, after ``python -m PyInstaller build_installer.spec``; ``--build`` builds first and
times it)::

    .venv/bin/python benchmarks/bundle_budget.py [--dist dist] [--runs 7] [--build]

Cold start is timed from outside: from the moment the process is started (``subprocess.Popen``) until the frozen
``nimeet --smoke-test`` prints ``first window shown`` (ui/smoke_test.py prints it once the main window is exposed,
right after building it the way the app does: QApplication, translation, theme, icons, MainWindow). The smoke test
runs offscreen, so the figure leaves out talking to an X server (a few ms), and it has no server to reach. Every run
is a new process; the first one reads the bundle from disk, the later ones from the page cache (the median is of
those: what a person sees on the second start of the day; the first run is printed on its own).

Targets: the .deb ≤ 120 MB; cold start ≤ 1.5 s on the 2-core machine this project is measured on.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
import tomllib
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: tests.media.conftest (Xvfb) lives at the repository root
    sys.path.insert(0, str(ROOT))
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
DEB_BUDGET_MB = 120
START_BUDGET_S = 1.5


def size_of(path: Path) -> int:
    if path.is_file():
        return path.lstat().st_size
    return sum(p.lstat().st_size for p in path.rglob("*") if not p.is_dir())


def contributors(bundle: Path, top: int) -> list[tuple[str, int]]:
    """The biggest parts: each top-level folder or file of ``_internal``, PySide6 split into Qt's libraries,
    plugins and the bindings, and the executables."""
    internal = bundle / "_internal"
    parts: Counter[str] = Counter()
    for path in internal.rglob("*"):
        if path.is_dir():
            continue
        rel = path.relative_to(internal).parts
        key = "/".join(rel[:3]) if rel[:2] == ("PySide6", "Qt") else rel[0]
        if rel[0] == "PySide6" and rel[:2] != ("PySide6", "Qt"):
            key = "PySide6 (bindings)"
        parts[key] += path.lstat().st_size
    for program in bundle.iterdir():
        if program.is_file():
            parts[program.name] += program.lstat().st_size
    return parts.most_common(top)


def largest_files(bundle: Path, top: int) -> list[tuple[str, int]]:
    files = [(str(p.relative_to(bundle)), p.lstat().st_size) for p in bundle.rglob("*") if p.is_file()]
    return sorted(files, key=lambda item: -item[1])[:top]


def first_window(program: Path, display: str | None) -> tuple[float, float]:
    """Seconds from process start to ``first window shown``, and to a successful exit; on X ``display`` (xcb)
    when given, else offscreen."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    if display is not None:
        env |= {"DISPLAY": display, "NIMEET_SMOKE_TEST_PLATFORM": "xcb"}
    started = time.perf_counter()
    proc = subprocess.Popen(
        [str(program), "--smoke-test"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    assert proc.stdout is not None
    shown = None
    for line in proc.stdout:
        if line.startswith("first window shown") and shown is None:
            shown = time.perf_counter() - started
    _, err = proc.communicate(timeout=60)
    ended = time.perf_counter() - started
    if proc.returncode != 0 or shown is None:
        raise SystemExit(f"the smoke test failed (exit {proc.returncode}): {err.strip()[-500:]}")
    return shown, ended


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--build", action="store_true", help="build build_installer.spec into --dist first")
    args = parser.parse_args()
    dist: Path = args.dist.resolve()

    if args.build:
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "PyInstaller", "build_installer.spec", "--noconfirm", "--distpath", str(dist)],
            cwd=ROOT,
            check=True,
        )
        print(f"build: {time.perf_counter() - started:.0f} s (python -m PyInstaller build_installer.spec)")

    bundle = dist / "nimeet"
    deb = dist / f"nimeet_{VERSION}_amd64.deb"
    mb = 1e6
    print(f"bundle {bundle}: {size_of(bundle) / mb:.0f} MB in {sum(1 for _ in bundle.rglob('*'))} files")
    if deb.exists():
        deb_mb = size_of(deb) / mb
        verdict = "within" if deb_mb <= DEB_BUDGET_MB else "OVER"
        print(f".deb {deb.name}: {deb_mb:.1f} MB ({verdict} the {DEB_BUDGET_MB} MB budget)")
    else:
        print(f".deb: not built ({deb} missing)")
    print(f"\nbiggest parts of the bundle (uncompressed, top {args.top}):")
    for name, size in contributors(bundle, args.top):
        print(f"  {size / mb:7.1f} MB  {name}")
    print(f"\nbiggest files (top {args.top}):")
    for name, size in largest_files(bundle, args.top):
        print(f"  {size / mb:7.1f} MB  {name}")

    report_start(bundle, args.runs, None)
    if shutil.which("Xvfb") is not None:
        from tests.media.conftest import start_xvfb

        xvfb = start_xvfb(1280, 800)
        try:
            report_start(bundle, args.runs, xvfb.display)
        finally:
            xvfb.stop()


def report_start(bundle: Path, count: int, display: str | None) -> None:
    runs = [first_window(bundle / "nimeet", display) for _ in range(count)]
    shown = [run[0] for run in runs]
    median = statistics.median(shown[1:] or shown)
    verdict = "within" if median <= START_BUDGET_S else "OVER"
    where = f"xcb on Xvfb {display}" if display else "offscreen"
    print(
        f"\ncold start to first window (frozen nimeet --smoke-test, {where}, {count} runs, {os.cpu_count()} CPUs, "
        f"load {os.getloadavg()[0]:.1f}): first run {shown[0]:.2f} s, median of the rest {median:.2f} s "
        f"(min {min(shown):.2f}, max {max(shown):.2f}) ({verdict} the {START_BUDGET_S} s budget); "
        f"whole smoke test median {statistics.median(run[1] for run in runs):.2f} s"
    )


if __name__ == "__main__":
    main()
