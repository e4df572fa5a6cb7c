"""Reference cycles holding Qt objects are freed on the GUI thread, never on the engine's (nimeet_desktop/ui/gui_gc.py):
a QTimer caught in a cycle and dropped on the GUI thread, then a worker thread allocating enough to trigger Python's
automatic collection. With the collector the worker collects nothing and the GUI thread frees the cycle; without it
the worker would destroy the timer (Qt: "Timers cannot be stopped from another thread", which fails a UI test)."""

from __future__ import annotations

import gc
import threading
import weakref

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from nimeet_desktop.ui.gui_gc import GuiThreadCollector


class Holder:
    """A plain object in the cycle, whose finaliser says which thread freed the cycle."""

    def __init__(self) -> None:
        self.timer = QTimer()
        self.timer.setInterval(60_000)
        self.timer.start()
        self.me = self  # the cycle


def test_cycles_with_qt_objects_are_freed_on_the_gui_thread(qapp: QApplication, qtbot: QtBot) -> None:
    enabled_before = gc.isenabled()
    collector = GuiThreadCollector(qapp, interval_ms=20)
    collector.start()  # the UI tests' loop runs one already: starting a second one is harmless
    try:
        assert not gc.isenabled()
        freed_on: list[str] = []
        holder = Holder()
        weakref.finalize(holder, lambda: freed_on.append(threading.current_thread().name))
        del holder  # only the cycle keeps it now

        kept: list[list[list[int]]] = []

        def allocate() -> None:  # many container objects kept: well past every automatic threshold
            kept.append([[i] for i in range(200_000)])

        worker = threading.Thread(target=allocate, name="engine-like")
        worker.start()
        worker.join()
        assert freed_on == []  # the worker collected nothing
        qtbot.waitUntil(lambda: freed_on != [], timeout=5000)
        assert freed_on == [threading.current_thread().name]
        assert collector.collections > 0
        kept.clear()
    finally:
        collector.stop()
    assert gc.isenabled() is enabled_before  # as it was: the UI tests' own collector keeps it off
