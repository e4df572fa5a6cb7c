"""Running from a PyInstaller bundle: the three programs (``nimeet``, ``nimeet-server``, ``nimeet-bot``) sit side by
side in one folder and share its libraries (build_installer.spec). Qt-free, so the engine and the server may ask.

Frozen, ``sys.executable`` is the program that runs, not a Python: ``sys.executable -m signaling_server`` would
start a second app. A program that starts another one asks for its sibling instead."""

from __future__ import annotations

import sys
from pathlib import Path


def is_frozen() -> bool:
    """True inside a PyInstaller bundle (its bootloader sets ``sys.frozen``)."""
    return bool(getattr(sys, "frozen", False))


def sibling_program(name: str) -> Path:
    """The bundled program ``name`` (``nimeet-server``...) next to the running one, ``.exe`` on Windows."""
    suffix = ".exe" if sys.platform == "win32" else ""
    return Path(sys.executable).resolve().parent / f"{name}{suffix}"


def python_command(module: str, program: str) -> list[str]:
    """The command that runs ``python -m module`` from source, or the bundled ``program`` that wraps it frozen."""
    if is_frozen():
        return [str(sibling_program(program))]
    return [sys.executable, "-m", module]
