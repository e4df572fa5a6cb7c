"""A call's statistics, once a second: the engine's counters, what the tiles painted, turned into a ``CallStats``.

The engine's figures are read in one place only: the ``counters`` callable given to ``start`` (the call view gives
``DesktopCall.counters``), once a second, and only while someone wants them: ``nimeet --stats FILE`` for the whole
call, or the statistics view while it is open. What comes out (``updated``) is immutable.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from nimeet_desktop.call.call_stats import CallCounters, CallStats, StatsMeter
from nimeet_desktop.call.stats_file import StatsFile
from nimeet_desktop.ui.video_grid import VideoGrid

logger = logging.getLogger(__name__)

INTERVAL_MS = 1000


class CallStatistics(QObject):
    updated = Signal(object)  # CallStats

    def __init__(self, grid: VideoGrid, file: Path | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._grid = grid
        self.file = StatsFile(file) if file is not None else None
        self._counters: Callable[[], CallCounters] | None = None
        self._meter = StatsMeter()
        self._watchers = 0  # open statistics views
        self.latest: CallStats | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(INTERVAL_MS)
        self._timer.timeout.connect(self.sample)

    @property
    def measuring_latency(self) -> bool:
        """Capture-to-paint latency is read at paint time only for the file (it costs a read per painted frame)."""
        return self.file is not None and self._counters is not None

    def start(self, counters: Callable[[], CallCounters]) -> None:
        """A call began: read ``counters`` once a second while anyone wants the figures."""
        self._counters = counters
        self._meter = StatsMeter()
        self.latest = None
        self._follow()

    def stop(self) -> None:
        """The call ended. Idempotent."""
        self._counters = None
        self._timer.stop()
        for tile in self._grid.tiles():
            tile.measure_latency = False
        if self.file is not None:
            self.file.close()

    def watch(self) -> None:
        """A statistics view opened: sample now (it shows something at once) and every second."""
        self._watchers += 1
        self._follow()

    def unwatch(self) -> None:
        self._watchers = max(0, self._watchers - 1)
        self._follow()

    def _follow(self) -> None:
        wanted = self._counters is not None and (self.file is not None or self._watchers > 0)
        if wanted and not self._timer.isActive():
            self._timer.start()
            self.sample()
        elif not wanted:
            self._timer.stop()

    def sample(self) -> CallStats | None:
        """One reading: counters, tiles, rates; written to the file and told to the views."""
        if self._counters is None:
            return None
        measuring = self.measuring_latency
        painted: dict[str, int] = {}
        latencies: dict[str, list[float]] = {}
        for tile in self._grid.tiles():
            tile.measure_latency = measuring and not tile.is_self
            if tile.is_self:
                continue
            painted[tile.tile_id] = tile.painted_frames
            latencies[tile.tile_id] = tile.take_latencies()
        stats = self._meter.update(self._counters(), painted, latencies)
        self.latest = stats
        if self.file is not None:
            self.file.append(stats)
        self.updated.emit(stats)
        return stats
