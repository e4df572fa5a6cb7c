"""Raise the soft limit on open files to the hard limit at start-up.

Every connection is a file descriptor, and the soft limit is often 1024 while the hard limit allows far more: at
1024, a thousand idle Engine.IO sessions left no descriptor for ``/healthz``, a login or the database. The soft
limit is only a default for programs that never asked; a server that holds one descriptor per client asks.
"""

from __future__ import annotations

import logging
import sys

logger = logging.getLogger(__name__)

# Where the hard limit is "unlimited" the soft one cannot follow (Linux caps it at fs.nr_open, macOS at
# OPEN_MAX): these are tried in order instead.
_FINITE_TARGETS = (1 << 20, 1 << 16, 10240)


def raise_open_files_limit() -> int | None:
    """Set the soft RLIMIT_NOFILE to the hard one (or as near as the system allows) and log the figure.
    Returns the soft limit now in force, ``None`` where there is no such limit (Windows)."""
    if sys.platform == "win32":
        return None
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    targets = [hard] if hard != resource.RLIM_INFINITY else []
    targets += [t for t in _FINITE_TARGETS if hard == resource.RLIM_INFINITY or t < hard]
    for target in targets:
        if target <= soft:
            break
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError):
            continue
        break
    now = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    shown_hard = "unlimited" if hard == resource.RLIM_INFINITY else str(hard)
    logger.info(
        "open files limit: %d (was %d, hard limit %s)",
        now,
        soft,
        shown_hard,
        extra={"nofile_soft": now, "nofile_was": soft, "nofile_hard": shown_hard},
    )
    return now
