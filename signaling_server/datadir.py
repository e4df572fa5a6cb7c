"""The server's data directory holds password hashes, emails and the token signing key: owner-only modes."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

logger = logging.getLogger(__name__)

DIR_MODE = 0o700
FILE_MODE = 0o600


def secure(data_dir: Path) -> None:
    """Create ``data_dir`` 0700, or tighten an existing one (and the files in it) left readable by others by an
    older version or a copy; logged once, when something had to change."""
    data_dir.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    if os.name != "posix":
        return  # Windows: the per-user profile directory's ACLs already keep others out
    loosened: list[str] = []
    mode = stat.S_IMODE(data_dir.stat().st_mode)
    if mode & 0o077:
        os.chmod(data_dir, DIR_MODE)
        loosened.append(f". {oct(mode)}")
    for entry in data_dir.iterdir():
        info = entry.lstat()
        if stat.S_ISREG(info.st_mode) and stat.S_IMODE(info.st_mode) & 0o077:
            os.chmod(entry, FILE_MODE)
            loosened.append(f"{entry.name} {oct(stat.S_IMODE(info.st_mode))}")
    if loosened:
        logger.warning(
            "the data directory was readable by other users: made private (0700, files 0600)",
            extra={"path": str(data_dir), "was": ", ".join(loosened)},
        )
