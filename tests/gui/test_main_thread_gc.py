"""The monitor's collector runs on the GUI thread: cycles made garbage in another thread
are freed there, never in the thread that happened to allocate."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot

from jobdesk.gui.main_thread_gc import MainThreadCollector, collecting_on_this_thread


class Cycle:
    """Part of a reference cycle; notes the thread that frees it."""

    freed_in: list[str] = []

    def __init__(self) -> None:
        self.me = self

    def __del__(self) -> None:
        Cycle.freed_in.append(threading.current_thread().name)


@pytest.fixture
def collector(qtbot: QtBot) -> Iterator[MainThreadCollector]:
    assert gc.isenabled()
    with collecting_on_this_thread(interval_ms=20) as collector:
        yield collector
    assert gc.isenabled()  # handed back to Python


def test_cycles_made_garbage_in_another_thread_are_freed_on_the_gui_thread(
    qtbot: QtBot, collector: MainThreadCollector
) -> None:
    Cycle.freed_in.clear()
    assert not gc.isenabled()

    kept: list[list[int]] = []

    def churn() -> None:
        Cycle()  # garbage at once, but only a collection can free it
        kept.extend([i] for i in range(5_000))  # far past the first threshold

    worker = threading.Thread(target=churn, name="churn")
    worker.start()
    worker.join()
    assert Cycle.freed_in == []
    qtbot.waitUntil(lambda: Cycle.freed_in != [], timeout=5000)
    assert Cycle.freed_in == ["MainThread"]
    assert collector.collections >= 1
    kept.clear()


def test_nothing_is_collected_while_the_counts_are_under_the_thresholds(
    collector: MainThreadCollector,
) -> None:
    gc.collect()
    collector.collect_due()
    assert collector.collections == 0
