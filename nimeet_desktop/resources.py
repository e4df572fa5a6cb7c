"""Where the app's bundled files are: ``nimeet_desktop/assets`` (icons, the Linux ``.desktop`` entry), package data
of ``nimeet_desktop`` itself, so a checkout, an editable install, an installed wheel and a frozen bundle all find
them the same way: next to this module. (They used to sit in ``resources/`` beside the packages, which a wheel
does not carry: an installed app lost every icon.) ``NIMEET_ASSETS_DIR`` points elsewhere, for tests and themes."""

from __future__ import annotations

import os
from pathlib import Path


def assets_dir() -> Path:
    override = os.environ.get("NIMEET_ASSETS_DIR")
    if override:
        return Path(override)
    # PyInstaller collects package data under the package's own path in its unpack directory, so ``__file__`` is
    # right frozen too.
    return Path(__file__).resolve().parent / "assets"


def icon_path(name: str) -> Path:
    """``assets/icons/<name>.svg``; ``name`` is one of ours, never user input."""
    return assets_dir() / "icons" / f"{name}.svg"
