"""The History view's table: a thin Qt adapter over ``core.history.HistoryRows``.

The rows (newest created first, in the server's order, bounded) live in the Qt-free
``HistoryRows``; this tells Qt what each change did, as it did it: a new search resets
the model, "Load older" removes the rows let go at the top (past the cap) and inserts
the older page at the bottom, so the selection and the scroll position survive paging;
a row whose job changed (one still live) is repainted in place.
It keeps its own list of the rows, so each ``begin...`` call precedes the change it
announces, as Qt requires. Not sortable: the order is the server's, which paging follows.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Final

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from jobdesk.core.history import HistoryRows, RowsChange, duration_text, run_seconds
from jobdesk.gui.formatting import moment_tooltip, short_time
from jobdesk.gui.models.icons import state_icon
from jobdesk.gui.models.states import state_of
from jobdesk.protocol import JobSummary

Index = QModelIndex | QPersistentModelIndex

HEADERS: Final = ("Name", "Status", "Type", "Owner", "Created", "Finished", "Duration", "Error")
NAME, STATUS, TYPE, OWNER, CREATED, FINISHED, DURATION, ERROR = range(len(HEADERS))
WIDTHS: Final = (200, 95, 120, 100, 75, 75, 70)
"""Name to duration; the error, last, takes the rest of the width."""


def first_line(text: str | None) -> str:
    stripped = (text or "").strip()
    return stripped.splitlines()[0] if stripped else ""


class HistoryTableModel(QAbstractTableModel):
    def __init__(
        self,
        rows: HistoryRows,
        clock: Callable[[], float] = time.time,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._source = rows
        self._jobs: list[JobSummary] = list(rows.jobs)
        self._clock = clock
        self._unsubscribe = rows.subscribe(self._changed)

    def detach(self) -> None:
        self._unsubscribe()

    # --- what the view asks ------------------------------------------------------------

    def job_at(self, row: int) -> JobSummary | None:
        return self._jobs[row] if 0 <= row < len(self._jobs) else None

    def row_of(self, job_id: str) -> int | None:
        return next((i for i, job in enumerate(self._jobs) if job.id == job_id), None)

    # --- Qt's model interface ------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 (Qt's default)
        return 0 if parent.isValid() else len(self._jobs)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, /, role: int = 0) -> Any:
        if (
            role == Qt.ItemDataRole.DisplayRole
            and orientation == Qt.Orientation.Horizontal
            and 0 <= section < len(HEADERS)
        ):
            return HEADERS[section]
        return None

    def data(self, index: Index, /, role: int = 0) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._jobs):
            return None
        job = self._jobs[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(job, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(job, column)
        if role == Qt.ItemDataRole.DecorationRole and column == STATUS:
            return state_icon(state_of(job))
        if role == Qt.ItemDataRole.TextAlignmentRole and column == DURATION:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _text(self, job: JobSummary, column: int) -> str | None:
        now = self._clock()
        if column == NAME:
            return job.name or job.id
        if column == STATUS:
            return state_of(job).value
        if column == TYPE:
            return job.job_type
        if column == OWNER:
            return job.owner
        if column == CREATED:
            return short_time(job.created_at, now)
        if column == FINISHED:
            return short_time(job.finished_at, now) if job.finished_at else ""
        if column == DURATION:
            return duration_text(run_seconds(job))
        if column == ERROR:
            return first_line(job.error)
        return None

    def _tooltip(self, job: JobSummary, column: int) -> str | None:
        if column == NAME:
            return job.id
        if column == CREATED:
            return moment_tooltip(job.created_at)
        if column == FINISHED and job.finished_at:
            return moment_tooltip(job.finished_at)
        if column == ERROR and job.error:
            return job.error
        return None

    # --- the rows changed --------------------------------------------------------------

    def _changed(self, change: RowsChange) -> None:
        if change.reset:
            self.beginResetModel()
            self._jobs = list(self._source.jobs)
            self.endResetModel()
            return
        if change.dropped:
            self.beginRemoveRows(QModelIndex(), 0, change.dropped - 1)
            del self._jobs[: change.dropped]
            self.endRemoveRows()
        if change.added:
            start = len(self._jobs)
            self.beginInsertRows(QModelIndex(), start, start + change.added - 1)
            self._jobs.extend(self._source.jobs[-change.added :])
            self.endInsertRows()
        updated = [row for row in change.updated if row < len(self._jobs)]
        if updated:
            for row in updated:
                self._jobs[row] = self._source.jobs[row]
            first, last = min(updated), max(updated)
            self.dataChanged.emit(self.index(first, 0), self.index(last, len(HEADERS) - 1))
