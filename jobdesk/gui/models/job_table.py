"""The job table's model: a thin Qt adapter over the Qt-free ``JobStore``.

It does no I/O. It listens to the store, keeps each job's latest state in
``PendingChanges`` and applies them on a timer, at most every ``batch_ms`` (50 ms): a
job updated a hundred times in between is one row change, and a batch costs a handful
of signals whatever its size (new rows in one ``rowsInserted`` block, removals in one
block, changed rows in contiguous ``dataChanged`` ranges). A large backlog is applied
in slices of about ``slice_seconds`` each (``SliceBudget``), one per event-loop turn.
A snapshot-sized store call (``BULK`` changes or more) is a batch already: its first
slice starts at once, not after ``batch_ms`` (50 ms of every cold start). Once one of
``RELEASE_AFTER`` changes or more is applied, the C heap's free pages are given back
to the system (``jobdesk.core.heap``).

Sorting and filtering live in the model, not in a QSortFilterProxyModel. Measured
(``python -m bench gui``, docs/benchmarks.md): a proxy with dynamicSortFilter handles
each ``dataChanged`` on its own, re-sorting and re-filtering with calls back into Python
``data()``, and manages under 10,000 updates/s at 10,000 rows while holding the event
loop for as long as the burst lasts. Here the shown rows are ``(sort value, key)``
tuples in a sorted list of blocks (``SortedRows``), the search and status filter are
tested in the same pass that reads the batch, and a batch whose rows move is one
layout change (``layoutAboutToBeChanged``/``layoutChanged`` with the VerticalSortHint):
each changed row is taken out and bisected back in, a few microseconds each at any
table size, and every persistent index is mapped to its job's new row so selection
and the current row follow their job. New rows arrive as one block at the view's end
which that layout change sorts in; removals go to the end in it and leave as one
block after it. A batch of at most ``DIRECT_LIMIT`` insertions or removals whose other
rows keep their order makes them in place, row by row, with no layout change.

What each cell holds for each role (and why some roles stay None) is ``cells.py``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from time import perf_counter
from typing import Any, Final

from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
    SignalInstance,
)

from jobdesk.client.capabilities import JOBDESK, Capabilities
from jobdesk.core.heap import release_free_memory
from jobdesk.core.store import JobKey, JobStore, StoreChange
from jobdesk.gui.models.cells import Cells
from jobdesk.gui.models.columns import (
    HEADERS,
    SORT_VALUES,
    TRIAGE,
    Column,
    Entry,
    triage_value,
)
from jobdesk.gui.models.counts import StatusCounts
from jobdesk.gui.models.filtering import StatusFilter, search_terms, searchable_text
from jobdesk.gui.models.pending import BULK, Change, PendingChanges, SliceBudget
from jobdesk.gui.models.sorted_rows import SortedRows
from jobdesk.gui.models.states import State, state_of
from jobdesk.protocol import JobSummary

DIRECT_LIMIT: Final = 4
"""Up to this many insertions (or removals) in a batch are made in place, row by row;
more go through one block and one re-sort."""
RANGE_LIMIT: Final = 32
"""More changed-row ranges than this in a batch are sent as one range spanning them."""
LOOKUP_LIMIT: Final = 512
"""More changed rows than this are announced as one range over the table, without
looking up where each one is."""
RELEASE_AFTER: Final = 10_000
"""A store call of this many changes (a large snapshot) applied, the C heap's free pages
go back to the system (``jobdesk.core.heap``): the response it came in is garbage now."""

_ItemRole = Qt.ItemDataRole
_VERTICAL_SORT: Final = QAbstractItemModel.LayoutChangeHint.VerticalSortHint
_LAYOUT_ARGS: Final = ("QList<QPersistentModelIndex>", QAbstractItemModel.LayoutChangeHint)
"""The layout signals' overload that carries a hint (tells the selection model that
only rows moved, so it tracks one index per selected row, not one per cell)."""
_FLAGS: Final = (
    Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemNeverHasChildren
)
_LAST_COLUMN: Final = len(Column) - 1


def _hinted(signal: SignalInstance) -> SignalInstance:
    """The overload of a layout signal that carries a hint (PySide's stubs do not know
    that a signal instance can be indexed by its argument types)."""
    overloads: Any = signal
    hinted: SignalInstance = overloads[_LAYOUT_ARGS]
    return hinted


class JobTableModel(QAbstractTableModel):
    """The jobs of a ``JobStore`` as table rows, filtered and sorted in Python.

    ``is_live(server)`` says whether a server's rows are current (its connection is
    live); rows of other servers are greyed, with a tooltip telling how old they are
    (``confirmed_at(key)``, by default the store's). Call ``refresh_staleness()`` when
    that answer changes, and ``detach()`` before dropping the model.

    ``capabilities_of(server)`` says what its backend can do: an active job of one that
    reports no progress shows an indeterminate bar; the rows of a polled one say in
    their tooltip how old each is.

    ``unacknowledged(key)`` says whether a failed job is still to be looked at (bold,
    first in triage order); call ``refresh_acknowledged()`` when that answer changes.
    ``hold()`` keeps the row order still (rows update in place; moves and new rows'
    places wait) until ``release()``.
    """

    counts_changed = Signal()
    """``counts()`` changed: a batch moved jobs between states, or the filter changed."""
    batch_applied = Signal(int)
    """A batch (or a slice of a large one) was applied: how many job changes it held."""
    order_held = Signal(bool)
    """``hold()`` (True) or ``release()`` (False) changed whether the order is held."""

    def __init__(
        self,
        store: JobStore,
        *,
        is_live: Callable[[str], bool] = lambda server: True,
        confirmed_at: Callable[[JobKey], float | None] | None = None,
        clock: Callable[[], float] = time.time,
        unacknowledged: Callable[[JobKey], bool] = lambda key: False,
        capabilities_of: Callable[[str], Capabilities] = lambda server: JOBDESK,
        batch_ms: int = 50,
        slice_seconds: float = 0.020,
        age_refresh_ms: int = 1000,
        release_memory: Callable[[], object] = release_free_memory,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._release_due = False
        """A snapshot-sized store call came: release memory once it is all applied."""
        self._jobs: dict[JobKey, JobSummary] = {}
        self._rows = SortedRows()
        self._key_at = self._rows.key_at
        self._by_state = dict.fromkeys(State, 0)
        self._last_counts = StatusCounts(dict(self._by_state), 0)
        self._searchable: dict[JobKey, str] = {}
        self._search = ""
        self._terms: tuple[str, ...] = ()
        self._filter = StatusFilter.ALL
        self._triage = triage_value(unacknowledged)
        self._sort_column = TRIAGE
        self._sort_value = self._triage
        self._pending = PendingChanges()
        self._budget = SliceBudget(slice_seconds)
        self._batch_ms = batch_ms
        self._handlers = Cells(
            self._jobs,
            is_live,
            confirmed_at or store.confirmed_at,
            clock,
            unacknowledged,
            capabilities_of,
        ).handlers()

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._apply_slice)
        self._age_timer = QTimer(self)
        self._age_timer.timeout.connect(self._refresh_ages)
        self._release_timer = QTimer(self)
        self._release_timer.setSingleShot(True)
        self._release_timer.timeout.connect(release_memory)
        if age_refresh_ms > 0:
            self._age_timer.start(age_refresh_ms)

        self._pending.add_jobs(store.items())
        self._unsubscribe: Callable[[], None] | None = store.subscribe(self._on_store_changes)
        self._scheduled = False
        """Whether the timer will apply what is pending (cheaper to ask than the timer)."""
        if self._pending:
            self._schedule(0)

    def detach(self) -> None:
        """Stop listening to the store and stop the timers (the rows stay as they are)."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self._timer.stop()
        self._age_timer.stop()
        self._release_timer.stop()

    # --- Qt's model interface ----------------------------------------------------------

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(Column)

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        return _FLAGS if index.isValid() else Qt.ItemFlag.NoItemFlags

    def headerData(self, section: int, orientation: Qt.Orientation, /, role: int = 0) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section <= _LAST_COLUMN:
            if role == _ItemRole.DisplayRole.value:
                return HEADERS[Column(section)]
            return None
        return super().headerData(section, orientation, role)

    def data(self, index: QModelIndex | QPersistentModelIndex, /, role: int = 0) -> Any:
        handler = self._handlers.get(role)
        row = index.row()
        if handler is None or row < 0:
            return None
        try:
            key = self._key_at(row)
        except IndexError:  # an index from before rows were removed
            return None
        return handler(key, index.column())

    def sort(self, column: int, /, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Order the rows by ``column`` (-1: triage order); persistent indexes follow
        their job. An explicit sort applies even while the order is held."""
        sort_value = self._triage if column == TRIAGE else SORT_VALUES.get(column)
        if sort_value is None:
            return
        rows = self._rows
        descending = order == Qt.SortOrder.DescendingOrder
        jobs = self._jobs
        entries = (
            None
            if column == self._sort_column
            else [(sort_value(jobs[key], key), key) for key in rows]
        )
        if entries is None and descending == rows.descending:
            return
        self._sort_column, self._sort_value = column, sort_value

        def reorder() -> None:
            rows.descending = descending  # the rows read back to front: nothing to sort
            if entries is not None:
                rows.rebuild(entries)

        self._relayout(reorder)

    # --- what the view asks ------------------------------------------------------------

    def key_of_row(self, row: int) -> JobKey | None:
        """The ``(server, job id)`` shown in ``row``; None outside 0..rowCount-1."""
        return self._rows.key_at(row) if 0 <= row < len(self._rows) else None

    def row_of_key(self, key: JobKey) -> int | None:
        """The row showing ``key``; None when it is not shown (filtered out, unknown)."""
        row = self._rows.row_of(key)
        return None if row < 0 else row

    def job(self, key: JobKey) -> JobSummary | None:
        """The job as the table last applied it (shown or filtered out)."""
        return self._jobs.get(key)

    def counts(self) -> StatusCounts:
        """Jobs per status (all of them, whatever the filter) and the rows shown."""
        return StatusCounts(dict(self._by_state), len(self._rows))

    def state_counts(self) -> dict[str, int]:
        """Jobs per state word (stale apart from running), in the states' order."""
        return {state.value: count for state, count in self.counts().by_state.items()}

    def search(self) -> str:
        return self._search

    def set_search(self, text: str) -> None:
        """Show only jobs whose searchable text (every column's, the error, the
        metadata: ``filtering.searchable_text``) holds every word of ``text``
        (case-insensitive); an empty text shows all."""
        self._search = text
        terms = search_terms(text)
        if terms != self._terms:
            self._terms = terms
            self._refilter()

    def status_filter(self) -> StatusFilter:
        return self._filter

    def set_status_filter(self, kind: StatusFilter | str) -> None:
        kind = StatusFilter(kind)
        if kind != self._filter:
            self._filter = kind
            self._refilter()

    def sort_column(self) -> int:
        return self._sort_column

    def sort_order(self) -> Qt.SortOrder:
        return (
            Qt.SortOrder.DescendingOrder if self._rows.descending else Qt.SortOrder.AscendingOrder
        )

    def refresh_acknowledged(self) -> None:
        """Some failure was acknowledged (or became unacknowledged): re-rank the rows in
        triage order (unless the order is held) and repaint their weight."""
        if self._sort_column == TRIAGE:
            jobs, value = self._jobs, self._triage
            moved = [
                entry
                for key, old in self._rows.entries.items()
                if (entry := (value(jobs[key], key), key)) != old
            ]
            if moved:
                self._restructure([], [], moved)
        self.refresh_staleness()

    def hold(self) -> None:
        """Keep the row order still (the pointer is over the table, a menu is open): rows
        still update in place, but moves and new rows' places wait for ``release``."""
        if not self._rows.held:
            self._rows.hold()
            self.order_held.emit(True)

    def release(self) -> None:
        """Let the held order catch up, in one layout change."""
        if self._rows.held:
            self._relayout(self._rows.release)
            self.order_held.emit(False)

    def is_held(self) -> bool:
        return self._rows.held

    def refresh_staleness(self) -> None:
        """Some server went live or stopped being live: repaint greying and tooltips."""
        if len(self._rows):
            last = len(self._rows) - 1
            self.dataChanged.emit(self.index(0, 0), self.index(last, _LAST_COLUMN), [])

    def pending(self) -> int:
        """How many job changes wait for the next batch (an upper bound)."""
        return len(self._pending)

    def flush(self) -> None:
        """Apply every pending change now, in budget-sized slices but without returning
        to the event loop in between (for a caller that must see a change at once)."""
        while self._pending:
            self._apply_slice()
        self._timer.stop()
        self._scheduled = False

    # --- applying batches --------------------------------------------------------------

    def _on_store_changes(self, changes: list[StoreChange]) -> None:
        self._pending.add(changes)
        if len(changes) >= BULK:
            self._release_due = self._release_due or len(changes) >= RELEASE_AFTER
            self._schedule(0)  # a snapshot: already one batch, nothing to wait for
        elif not self._scheduled:
            self._schedule(self._batch_ms)

    def _schedule(self, delay_ms: int) -> None:
        self._scheduled = True
        self._timer.start(delay_ms)

    def _apply_slice(self) -> None:
        self._scheduled = False
        started = perf_counter()
        changes = self._pending.take(self._budget.limit)
        if changes:
            self._apply(changes)
        self._budget.record(len(changes), perf_counter() - started)
        if self._pending:
            self._schedule(0)  # a backlog: the next slice after the events waiting
        elif self._release_due:
            self._release_due = False
            self._release_timer.start(0)  # once this slice's garbage is gone too
        if changes:
            self.batch_applied.emit(len(changes))
            self._announce_counts()

    def _accepts(self, key: JobKey, job: JobSummary) -> bool:
        return state_of(job) in self._filter.states and (not self._terms or self._matches(key, job))

    def _matches(self, key: JobKey, job: JobSummary) -> bool:
        """Whether ``job`` holds every search term (its searchable text is cached)."""
        text = self._searchable.get(key)
        if text is None:
            text = self._searchable[key] = searchable_text(job, key[0])
        return all(term in text for term in self._terms)

    def _apply(self, changes: Iterable[Change]) -> None:
        """Sort one slice of changes into rows to insert, update and remove, then
        restructure. This loop runs for every change: it is written for speed."""
        jobs, by_state, searchable = self._jobs, self._by_state, self._searchable
        shown = self._rows.entries
        sort_value, terms = self._sort_value, self._terms
        only_term = terms[0] if len(terms) == 1 else None
        states = self._filter.states
        gone: list[JobKey] = []
        removed: list[JobKey] = []
        inserted: list[Entry] = []
        moved: list[Entry] = []
        touched: list[JobKey] = []
        for key, job in changes:
            before = jobs.get(key)
            old_entry = shown.get(key)
            if before is not None:
                by_state[state_of(before)] -= 1
            if job is None:
                if before is not None:
                    gone.append(key)  # dropped once its row is gone: data() may ask till then
                    searchable.pop(key, None)
                if old_entry is not None:
                    removed.append(key)
                continue
            state = state_of(job)
            by_state[state] += 1
            jobs[key] = job
            if before is not None and (
                before.name != job.name
                or before.message != job.message
                or before.error != job.error
                or before.last_problem != job.last_problem
                or before.status is not job.status
                or before.stale is not job.stale
                or before.owner != job.owner
                or before.priority is not job.priority
                or (before.metadata is not job.metadata and before.metadata != job.metadata)
            ):
                searchable.pop(key, None)
            if state not in states:
                accepted = False
            elif terms:
                text = searchable.get(key)
                if text is None:
                    text = searchable[key] = searchable_text(job, key[0])
                if only_term is not None:
                    accepted = only_term in text
                else:
                    accepted = all(term in text for term in terms)
            else:
                accepted = True
            if accepted:
                entry = (sort_value(job, key), key)
                if old_entry is None:
                    inserted.append(entry)
                    continue
                if entry != old_entry:
                    moved.append(entry)
                touched.append(key)
            elif old_entry is not None:
                removed.append(key)
        self._restructure(removed, inserted, moved)
        if touched:
            self._announce_rows(touched)
        for key in gone:
            del jobs[key]

    def _restructure(
        self, removed: list[JobKey], inserted: list[Entry], moved: list[Entry]
    ) -> None:
        """Remove, move and insert rows with as few signals as the batch allows: a few
        rows one by one in place; more as one block at the end, one layout change
        that sorts them in, and one block of removals."""
        rows = self._rows
        if rows.held:
            self._restructure_held(removed, inserted, moved)
            return
        if len(removed) <= DIRECT_LIMIT:
            for key in removed:
                row = rows.row_of(key)
                self.beginRemoveRows(QModelIndex(), row, row)
                rows.remove(key)
                self.endRemoveRows()
            removed = []
        if not len(rows) and inserted:
            self.beginInsertRows(QModelIndex(), 0, len(inserted) - 1)
            rows.rebuild(inserted)
            self.endInsertRows()
            inserted = []
        if not moved and not removed and len(inserted) <= DIRECT_LIMIT:
            for entry in sorted(inserted):
                row = rows.row_for(entry)
                self.beginInsertRows(QModelIndex(), row, row)
                rows.insert(entry)
                self.endInsertRows()
            return
        if inserted:
            first = len(rows)
            self.beginInsertRows(QModelIndex(), first, first + len(inserted) - 1)
            rows.append_tail(inserted)
            self.endInsertRows()

        def reorder() -> None:
            rows.move(moved)
            rows.settle()

        self._relayout(reorder, drop=removed)

    def _restructure_held(
        self, removed: list[JobKey], inserted: list[Entry], moved: list[Entry]
    ) -> None:
        """While the order is held: moves wait (``SortedRows.move`` keeps them), new rows
        go to the end, and only removals change the rows above them."""
        rows = self._rows
        rows.move(moved)
        if removed:
            self._relayout(lambda: None, drop=removed)
        if inserted:
            first = len(rows)
            self.beginInsertRows(QModelIndex(), first, first + len(inserted) - 1)
            rows.append_tail(inserted)
            self.endInsertRows()

    def _relayout(self, reorder: Callable[[], None], drop: list[JobKey] | None = None) -> None:
        """Reorder the rows as one layout change (``reorder`` does it), then remove the
        rows of ``drop`` in one block. Persistent indexes (selection, current row)
        move with their job."""
        rows = self._rows
        _hinted(self.layoutAboutToBeChanged).emit([], _VERTICAL_SORT)
        persistent = self.persistentIndexList()
        where = [(rows.key_at(index.row()), index.column()) for index in persistent]
        reorder()
        dropped = set(drop or ())
        if dropped:
            rows.drop(drop or ())
        self.changePersistentIndexList(
            persistent,
            [
                QModelIndex() if key in dropped else self.index(rows.row_of(key), column)
                for key, column in where
            ],
        )
        _hinted(self.layoutChanged).emit([], _VERTICAL_SORT)
        if dropped:
            last = len(rows) - 1
            self.beginRemoveRows(QModelIndex(), last - len(dropped) + 1, last)
            rows.remove_tail()
            self.endRemoveRows()

    def _announce_rows(self, keys: list[JobKey]) -> None:
        """``dataChanged`` for the rows of ``keys``, over contiguous ranges."""
        size = len(self._rows)
        if len(keys) > LOOKUP_LIMIT:
            spans = [(0, size - 1)]
        else:
            found = sorted(self._rows.row_of(key) for key in keys)
            spans = []
            for row in found:
                if spans and row == spans[-1][1] + 1:
                    spans[-1] = (spans[-1][0], row)
                else:
                    spans.append((row, row))
            if len(spans) > RANGE_LIMIT:
                spans = [(spans[0][0], spans[-1][1])]
        for first, last in spans:
            self.dataChanged.emit(self.index(first, 0), self.index(last, _LAST_COLUMN), [])

    def _refilter(self) -> None:
        """The search or status filter changed: rows come, rows go, in one layout."""
        jobs, rows, accepts, sort_value = self._jobs, self._rows, self._accepts, self._sort_value
        wanted = {key for key, job in jobs.items() if accepts(key, job)}
        removed = [key for key in rows if key not in wanted]
        inserted = [(sort_value(jobs[key], key), key) for key in wanted if key not in rows]
        if removed or inserted:
            self._restructure(removed, inserted, [])
        self._announce_counts()

    def _announce_counts(self) -> None:
        counts = self.counts()
        if counts != self._last_counts:
            self._last_counts = counts
            self.counts_changed.emit()

    def _refresh_ages(self) -> None:
        """The "updated" column reads "5 s ago": repaint it as time passes."""
        if len(self._rows):
            last = len(self._rows) - 1
            self.dataChanged.emit(
                self.index(0, Column.UPDATED),
                self.index(last, Column.UPDATED),
                [_ItemRole.DisplayRole.value, _ItemRole.ToolTipRole.value],
            )
