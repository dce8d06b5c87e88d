"""How fast job updates reach the job table, and how long they hold the event loop.

Offscreen, one process, one QApplication. Each case pushes job updates through a
producer timer (``CHUNK`` updates per event-loop turn, each its own ``JobStore.apply``
call, as WebSocket messages arrive) into a table model shown in a real ``QTableView``
sorted by progress with a search filter active ("gpu", half of the jobs). Updates give
a random job a random progress (the worst case for keeping the order: rows jump
anywhere), and now and then a new message or status. A 5 ms precise timer measures
how late it fires: that lateness is the event-loop stall a user would feel.

- **ours**: ``jobdesk.gui.models.JobTableModel`` on a ``JobStore``; updates/s counts
  until the model has applied the last one.
- **naive baseline**: a plain ``QAbstractTableModel`` emitting one ``dataChanged`` per
  update, under a ``QSortFilterProxyModel`` with dynamicSortFilter, sorted by progress
  and filtered by the same search. It is so slow that it runs at 10,000 rows with a
  bounded number of updates.
"""

from __future__ import annotations

import gc
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import msgspec
import PySide6
from PySide6.QtCore import (
    QAbstractTableModel,
    QEvent,
    QEventLoop,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    QTimer,
)
from PySide6.QtWidgets import QApplication, QTableView

from jobdesk.core.store import JobStore
from jobdesk.gui.models import Column, JobTableModel, ProgressDelegate, Role
from jobdesk.gui.models.columns import TEXTS
from jobdesk.gui.models.filtering import searchable_text
from jobdesk.protocol import Job, Status

SERVER = "bench"
EPOCH = "e1"
SEARCH = "gpu"
CHUNK = 200
"""Updates the producer pushes per event-loop turn."""
TICK_S = 0.005
SEARCH_ROLE = Role.PROGRESS + 100
STAMP = "2026-01-01T00:00:00.000Z"
RUNS = 3
"""The 100,000-row case runs this many times (the machine is noisy); the median counts."""


@dataclass
class Result:
    label: str
    rows: int
    shown: int
    updates: int
    seconds: float
    stalls: list[float] = field(default_factory=list)
    store_call: float = 0.0
    """For a load: how long the store's one apply call of the snapshot took."""

    @property
    def per_second(self) -> float:
        return self.updates / self.seconds

    def stall_ms(self, quantile: float) -> float:
        if not self.stalls:
            return 0.0
        ordered = sorted(self.stalls)
        return 1000 * ordered[min(len(ordered) - 1, int(quantile * len(ordered)))]


class StallMeter(QObject):
    """A 5 ms precise timer; each sample is how late a tick fired."""

    def __init__(self) -> None:
        super().__init__()
        self.samples: list[float] = []
        self._last = 0.0
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(int(TICK_S * 1000))
        self._timer.timeout.connect(self._tick)

    def start(self) -> None:
        self.samples = []
        self._last = time.perf_counter()
        self._timer.start()

    def stop(self) -> list[float]:
        self._timer.stop()
        return self.samples

    def _tick(self) -> None:
        now = time.perf_counter()
        self.samples.append(max(0.0, now - self._last - TICK_S))
        self._last = now


class UntrackedJob(Job, gc=False, frozen=True, kw_only=True):
    """A Job the garbage collector does not track (msgspec's ``gc=False``): what the
    table costs once the collector no longer walks 100,000 stored jobs."""


def make_jobs(count: int, rng: random.Random, kind: type[Job] = Job) -> list[Job]:
    return [
        kind(
            id=f"job-{number:06d}",
            name=f"render-{number:06d}",
            job_type="file_processing",
            status=Status.RUNNING,
            progress=rng.uniform(0, 100),
            message="working",
            metadata={"queue": "gpu" if number % 2 else "cpu", "frames": number % 500},
            owner=f"worker-{number % 16}",
            created_at=STAMP,
            updated_at=STAMP,
        )
        for number in range(count)
    ]


class Updates:
    """Random updates of ``jobs``: a new progress, sometimes a message or a status."""

    def __init__(self, jobs: list[Job], rng: random.Random) -> None:
        self._jobs = jobs
        self._rng = rng

    def next(self) -> Job:
        rng = self._rng
        slot = rng.randrange(len(self._jobs))
        job = self._jobs[slot]
        changes: dict[str, Any] = {"progress": rng.uniform(0, 100), "version": job.version + 1}
        roll = rng.random()
        if roll < 0.05:
            changes["message"] = f"step {job.version}"
        elif roll < 0.06:
            changes["status"] = rng.choice((Status.RUNNING, Status.RETRYING, Status.QUEUED))
        job = self._jobs[slot] = msgspec.structs.replace(job, **changes)
        return job


def spin_until(done: Callable[[], bool], timeout: float) -> None:
    loop = QEventLoop()
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise TimeoutError("the benchmark did not finish in time")
        loop.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)


def drive(
    push: Callable[[], None], total: int, drained: Callable[[], bool]
) -> tuple[float, list[float]]:
    """Push ``total`` updates, ``CHUNK`` per event-loop turn; return the seconds until
    ``drained()`` and the stall samples meanwhile."""
    meter = StallMeter()
    producer = QTimer()
    producer.setInterval(0)
    pushed = 0

    def produce() -> None:
        nonlocal pushed
        for _ in range(min(CHUNK, total - pushed)):
            push()
        pushed += min(CHUNK, total - pushed)
        if pushed >= total:
            producer.stop()

    producer.timeout.connect(produce)
    meter.start()
    started = time.perf_counter()
    producer.start()
    spin_until(lambda: pushed >= total and drained(), timeout=90)
    elapsed = time.perf_counter() - started
    producer.timeout.disconnect(produce)  # the connection would keep the closure (the store)
    return elapsed, meter.stop()


def show(model: QAbstractTableModel | QSortFilterProxyModel) -> QTableView:
    view = QTableView()
    view.setModel(model)
    view.verticalHeader().setVisible(False)
    view.setItemDelegateForColumn(Column.PROGRESS, ProgressDelegate(view))
    view.setSortingEnabled(True)
    view.sortByColumn(Column.PROGRESS, Qt.SortOrder.AscendingOrder)
    view.resize(1200, 800)
    view.show()
    return view


def discard(view: QTableView) -> None:
    """Delete the view now: a view kept until an event loop that never runs would keep
    its model, and the model its store, so each case would leave 100,000 jobs behind
    for the garbage collector to walk in the next."""
    view.close()
    view.setModel(None)
    view.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def bench_ours(
    rows: int, updates: int, kind: type[Job] = Job, label: str = ""
) -> tuple[Result, Result]:
    """Returns the initial load (all rows as one snapshot) and the update run."""
    rng = random.Random(rows)
    jobs = make_jobs(rows, rng, kind)
    store = JobStore()
    model = JobTableModel(store)
    model.set_search(SEARCH)
    view = show(model)
    view.selectRow(0)

    meter = StallMeter()
    meter.start()
    started = time.perf_counter()
    store.apply(SERVER, epoch=EPOCH, jobs=jobs, replace=True)
    store_call = time.perf_counter() - started
    spin_until(lambda: model.pending() == 0, timeout=60)
    load = Result(
        f"ours, initial load of {rows:,}",
        rows,
        model.rowCount(),
        rows,
        time.perf_counter() - started,
        meter.stop(),
        store_call=store_call,
    )

    source = Updates(jobs, rng)

    def push() -> None:
        store.apply(SERVER, epoch=EPOCH, jobs=[source.next()])

    seconds, stalls = drive(push, updates, lambda: model.pending() == 0)
    run = Result(f"ours, {rows:,} rows{label}", rows, model.rowCount(), updates, seconds, stalls)
    check_ours(model, store)
    model.detach()
    discard(view)
    return load, run


def check_ours(model: JobTableModel, store: JobStore) -> None:
    """The table must end equal to the store: the right rows, in progress order."""
    shown = [model.job(key) for key in map(model.key_of_row, range(model.rowCount())) if key]
    expected = sorted(
        (job for _, job in store.items() if SEARCH in searchable_text(job, SERVER)),
        key=lambda job: (job.progress, job.id),
    )
    if shown != expected:
        raise AssertionError("the table does not match the store after the run")


class NaiveModel(QAbstractTableModel):
    """The baseline: every update is one ``dataChanged`` over its row."""

    def __init__(self, jobs: list[Job]) -> None:
        super().__init__()
        self._jobs = list(jobs)
        self._rows = {job.id: row for row, job in enumerate(jobs)}
        self._searchable = {job.id: searchable_text(job, SERVER) for job in jobs}

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._jobs)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(Column)

    def data(self, index: QModelIndex | QPersistentModelIndex, /, role: int = 0) -> Any:
        job = self._jobs[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return TEXTS[index.column()](job, (SERVER, job.id), time.time())
        if role == Role.PROGRESS:
            return job.progress
        if role == SEARCH_ROLE:
            return self._searchable[job.id]
        return None

    def update(self, job: Job) -> None:
        row = self._rows[job.id]
        self._jobs[row] = job
        self._searchable[job.id] = searchable_text(job, SERVER)
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(Column) - 1), [])


def bench_naive(rows: int, updates: int) -> Result:
    rng = random.Random(rows)
    jobs = make_jobs(rows, rng)
    model = NaiveModel(jobs)
    proxy = QSortFilterProxyModel()
    proxy.setSourceModel(model)
    proxy.setDynamicSortFilter(True)
    proxy.setSortRole(Role.PROGRESS)
    proxy.setFilterRole(SEARCH_ROLE)
    proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
    proxy.setFilterFixedString(SEARCH)
    view = show(proxy)
    view.selectRow(0)
    source = Updates(jobs, rng)
    seconds, stalls = drive(lambda: model.update(source.next()), updates, lambda: True)
    result = Result(f"naive proxy, {rows:,} rows", rows, proxy.rowCount(), updates, seconds, stalls)
    discard(view)
    return result


class GcMeter:
    """Garbage collections while it is on: how many of each generation, the longest."""

    def __init__(self) -> None:
        self.counts = [0, 0, 0]
        self.longest = [0.0, 0.0, 0.0]
        self.total = 0.0
        self._started = 0.0

    def __enter__(self) -> GcMeter:
        gc.callbacks.append(self._note)
        return self

    def __exit__(self, *exc_info: object) -> None:
        gc.callbacks.remove(self._note)

    def _note(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        took = time.perf_counter() - self._started
        generation = info["generation"]
        self.counts[generation] += 1
        self.longest[generation] = max(self.longest[generation], took)
        self.total += took


def row(result: Result) -> str:
    return (
        f"{result.label:48} {result.shown:>10,} {result.updates:>9,} "
        f"{result.per_second:>10,.0f} {result.stall_ms(0.99):>8.1f} ms "
        f"{result.stall_ms(1.0):>7.1f} ms"
    )


def main() -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    print(
        f"Python {platform.python_version()}, PySide6 {PySide6.__version__}, "
        f"{os.cpu_count()} cores, QT_QPA_PLATFORM={os.environ['QT_QPA_PLATFORM']}, "
        f"style {QApplication.style().name()}"
    )
    print(
        f"{CHUNK} updates per event-loop turn, one JobStore.apply each, random progress; "
        f'sorted by progress, search "{SEARCH}" (half the jobs shown)\n'
    )
    naive = [bench_naive(10_000, 3_000), bench_naive(100_000, 300)]
    _, small = bench_ours(10_000, 100_000)
    large: list[Result] = []
    loads: list[Result] = []
    collections: list[GcMeter] = []
    for _ in range(RUNS):
        gc.collect()
        with GcMeter() as collected:
            load, run = bench_ours(100_000, 300_000)
        large.append(run)
        loads.append(load)
        collections.append(collected)
    gc.collect()
    _, untracked = bench_ours(100_000, 300_000, UntrackedJob, ", jobs untracked by gc")

    header = (
        f"{'case':48} {'rows shown':>10} {'updates':>9} {'updates/s':>10} "
        f"{'p99 stall':>11} {'max stall':>10}"
    )
    print(header)
    print("-" * len(header))
    for result in [*naive, small, *large, untracked]:
        print(row(result))
    median = sorted(large, key=lambda result: result.per_second)[len(large) // 2]
    print(
        f"\nThe naive baselines stop after {naive[0].updates:,} and {naive[1].updates:,}"
        " updates: at their rate a longer run would take minutes."
    )
    load = loads[large.index(median)]
    print(
        f"Initial load of 100,000 jobs (one snapshot): {load.seconds:.2f} s, longest stall "
        f"{load.stall_ms(1.0):.0f} ms; the store's one apply call of the snapshot (and the"
        f" model's listener in it) took {1000 * load.store_call:.0f} ms of that."
    )
    for number, collected in enumerate(collections, 1):
        print(
            f"100,000-row run {number}: garbage collections (gen 0/1/2) "
            f"{'/'.join(map(str, collected.counts))}, {collected.total:.2f} s in all, "
            f"longest gen-2 pause {1000 * collected.longest[2]:.0f} ms"
        )
    target = median.per_second >= 50_000 and median.stall_ms(0.99) <= 50
    print(
        f"\nTarget (100,000 rows, median of {RUNS} runs: >= 50,000 updates/s, p99 stall <= 50 ms):"
        f" {'met' if target else 'NOT met'} ({median.per_second:,.0f}/s, p99"
        f" {median.stall_ms(0.99):.1f} ms,"
        f" median stall {1000 * statistics.median(median.stalls):.1f} ms)"
    )
    del app
    return 0 if target else 1
