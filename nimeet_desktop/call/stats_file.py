"""``nimeet --stats FILE``: one JSON line per second of a call, appended, for tools and benchmarks.

Qt-free: whoever keeps the statistics hands each ``CallStats`` to ``append``. A file that cannot be written (a full
disk, a read-only path, a directory) is told once in the log, never to the call: the call goes on, and lines are
tried again each second (they resume when the disk has room again, and that is logged too).
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path
from typing import IO

from nimeet_desktop.call.call_stats import CallStats, json_line

logger = logging.getLogger(__name__)


class StatsFile:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[str] | None = None
        self.failing = False

    def append(self, stats: CallStats) -> bool:
        """Write one line and flush it (a reader tails the file while the call runs); False when it failed."""
        try:
            if self._file is None:
                self._file = self.path.open("a", encoding="utf-8")
            self._file.write(json_line(stats) + "\n")
            self._file.flush()
        except OSError as exc:
            self._drop_file()
            if not self.failing:
                logger.warning("call statistics not written to %s: %s", self.path, exc)
                self.failing = True
            return False
        if self.failing:
            logger.info("call statistics written to %s again", self.path)
            self.failing = False
        return True

    def _drop_file(self) -> None:
        if self._file is not None:
            with contextlib.suppress(OSError):  # closing flushes, which fails again on a full disk
                self._file.close()
            self._file = None

    def close(self) -> None:
        """Idempotent; a later ``append`` opens the file again."""
        self._drop_file()
