"""Where the app's bundled files (``resources/``) are: next to the package in a checkout or an editable install,
or under PyInstaller's unpack directory in a frozen build."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def resources_dir() -> Path:
    override = os.environ.get("NIMEET_RESOURCES_DIR")
    if override:
        return Path(override)
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root is not None:
        return Path(frozen_root) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def icon_path(name: str) -> Path:
    """``resources/icons/<name>.svg``; ``name`` is one of ours, never user input."""
    return resources_dir() / "icons" / f"{name}.svg"
