"""Refresh the translation sources from the code and compile them: ``nimeet_desktop/translations/nimeet_<lang>.ts``
(what translators edit, with Qt Linguist or any text editor) and ``nimeet_<lang>.qm`` (what the app loads).

Usage (from the repository root)::

    .venv/bin/python scripts/update_translations.py          # after changing UI strings: update .ts, build .qm
    .venv/bin/python scripts/update_translations.py --check  # exit 1 if the .ts or .qm lag behind the code

``pyside6-lupdate`` collects every ``self.tr(...)``, ``QCoreApplication.translate(...)`` and
``QT_TRANSLATE_NOOP(...)`` in ``nimeet_desktop/ui`` and ``nimeet_desktop/app.py``: new strings arrive as
``type="unfinished"`` (tests/ui/test_translations.py fails until they are translated), strings gone from the code
are dropped. ``nimeet_en.ts`` holds only the messages with a count (``tr("%n meeting(s)", "", n)``): their English
singular and plural. Source locations are not stored, so moving a line does not rewrite the .ts (and merges stay small).
Both tools come with PySide6 (``pyside6-lupdate``, ``pyside6-lrelease`` next to the venv's python).
"""

from __future__ import annotations

import argparse
import filecmp
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "nimeet_desktop"
TRANSLATIONS = PACKAGE / "translations"
LANGUAGES = ("ru", "en")
# English is the source language: its catalogue holds only the plural messages, whose English forms ("1 meeting",
# "5 meetings") a source string cannot give by itself (``-pluralonly``).
PLURAL_ONLY = ("en",)


def sources() -> list[Path]:
    """Every file whose strings people see: the Qt layer and the entry point (the engine has none of its own)."""
    return [*sorted((PACKAGE / "ui").rglob("*.py")), PACKAGE / "app.py"]


def tool(name: str) -> str:
    """``pyside6-<name>`` from the running interpreter's environment, else from PATH."""
    beside = Path(sys.executable).parent / f"pyside6-{name}"
    if beside.exists():
        return str(beside)
    found = shutil.which(f"pyside6-{name}")
    if found is None:
        raise SystemExit(f"pyside6-{name} not found: install the project's dev dependencies (PySide6)")
    return found


def lupdate(ts: Path) -> None:
    """Merge the code's strings into ``ts`` (created if missing)."""
    args = [tool("lupdate"), *map(str, sources()), "-ts", str(ts)]
    language = ts.stem.split("_")[-1]
    args += ["-no-obsolete", "-locations", "none", "-silent", "-target-language", language]
    if language in PLURAL_ONLY:
        args.append("-pluralonly")
    subprocess.run(args, check=True, cwd=REPO)  # noqa: S603 - a fixed tool and our own files


def lrelease(ts: Path, qm: Path) -> None:
    args = [tool("lrelease"), "-silent", "-removeidentical", str(ts), "-qm", str(qm)]
    subprocess.run(args, check=True, cwd=REPO)  # noqa: S603


def stale(language: str) -> list[str]:
    """What is out of date for ``language``: the .ts against the code, the .qm against the .ts. Empty when current."""
    ts = TRANSLATIONS / f"nimeet_{language}.ts"
    qm = ts.with_suffix(".qm")
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="nimeet-i18n-") as tmp:
        fresh_ts = Path(tmp) / ts.name
        if ts.exists():
            shutil.copyfile(ts, fresh_ts)
        lupdate(fresh_ts)
        if not ts.exists() or not filecmp.cmp(ts, fresh_ts, shallow=False):
            problems.append(f"{ts.relative_to(REPO)} does not match the code's strings")
        fresh_qm = Path(tmp) / qm.name
        lrelease(ts if ts.exists() else fresh_ts, fresh_qm)
        if not qm.exists() or not filecmp.cmp(qm, fresh_qm, shallow=False):
            problems.append(f"{qm.relative_to(REPO)} is not compiled from the current .ts")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if anything is out of date")
    args = parser.parse_args(argv)
    if args.check:
        problems = [p for language in LANGUAGES for p in stale(language)]
        for problem in problems:
            print(problem, file=sys.stderr)
        if problems:
            print("run: .venv/bin/python scripts/update_translations.py", file=sys.stderr)
        return 1 if problems else 0
    TRANSLATIONS.mkdir(exist_ok=True)
    for language in LANGUAGES:
        ts = TRANSLATIONS / f"nimeet_{language}.ts"
        lupdate(ts)
        lrelease(ts, ts.with_suffix(".qm"))
        print(ts.relative_to(REPO), ts.with_suffix(".qm").relative_to(REPO))
    return 0


if __name__ == "__main__":
    sys.exit(main())
