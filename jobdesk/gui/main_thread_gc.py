"""Garbage collection on the GUI thread only.

Python's cyclic collector runs in whichever thread happens to allocate when a threshold
is crossed. The monitor has other threads (``asyncio.to_thread`` for the keyring, the
embedded server of the demo and of the self-test), and a Qt object freed by a collection
there is deleted from the wrong thread while the GUI thread's event loop may be using
it: a crash in ``processEvents`` (seen in the test suite on a loaded 2-core machine,
Python 3.11).

So the monitor turns automatic collection off and collects from a timer on the GUI
thread, by the same thresholds the collector would have used (calibre and other Qt
applications do the same). Code that pauses the collector (``client.stream``) checks
``gc.isenabled()`` first and leaves it off.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator
from typing import Final

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS: Final = 500


class MainThreadCollector(QObject):
    """Owns the collector while it lives; ``stop()`` hands it back to Python."""

    def __init__(self, parent: QObject | None = None, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        self._was_enabled = gc.isenabled()
        self._thresholds = gc.get_threshold()
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.collect_due)
        gc.disable()
        self._timer.start()
        self.collections = 0
        """How many collections this object ran: for tests."""

    def collect_due(self) -> None:
        """Collect the oldest generation whose count passed its threshold, as ``gc`` would."""
        counts = gc.get_count()
        due = [g for g in range(3) if self._thresholds[g] and counts[g] > self._thresholds[g]]
        if due:
            gc.collect(max(due))
            self.collections += 1

    def stop(self) -> None:
        self._timer.stop()
        if self._was_enabled:
            gc.enable()


@contextlib.contextmanager
def collecting_on_this_thread(
    parent: QObject | None = None, interval_ms: int = INTERVAL_MS
) -> Iterator[MainThreadCollector]:
    """Around a GUI event loop that other threads run beside (the monitor, the self-test)."""
    collector = MainThreadCollector(parent, interval_ms)
    try:
        yield collector
    finally:
        collector.stop()
