"""Python's cyclic garbage collector runs on the GUI thread only.

A Qt object must be destroyed on the thread it lives on. Python collects reference cycles on whichever thread
happens to allocate when a generation's threshold is reached, and in a call that is most often the engine's thread
(docs/architecture.md, "Threads"): a widget or timer caught in a cycle (a slot's lambda that refers to its owner)
would then be destroyed there, which Qt answers with "Timers cannot be stopped from another thread" or a crash. So
automatic collection is turned off and a timer on the GUI thread collects instead, the same generations Python
would have collected, when their counts pass the same thresholds (the recipe calibre uses). Plain reference
counting, which frees almost everything, is untouched on every thread.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

# Often enough that garbage from a busy engine waits at most this long; each look costs one gc.get_count().
CHECK_MS = 200


class GuiThreadCollector(QObject):
    """Owned by the application object, so it lives (and its timer fires) on the GUI thread."""

    def __init__(self, parent: QObject, interval_ms: int = CHECK_MS) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.collect_due)
        self.collections = 0
        self._was_enabled = True

    def start(self) -> None:
        self._was_enabled = gc.isenabled()
        gc.disable()
        self._timer.start()

    def stop(self) -> None:
        """Automatic collection as it was before ``start``."""
        self._timer.stop()
        if self._was_enabled:
            gc.enable()

    def collect_due(self) -> None:
        count0, count1, count2 = gc.get_count()
        threshold0, threshold1, threshold2 = gc.get_threshold()
        if count0 <= threshold0:
            return
        generation = 0
        if count1 > threshold1:
            generation = 2 if count2 > threshold2 else 1
        gc.collect(generation)
        self.collections += 1
