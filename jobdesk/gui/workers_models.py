"""Table models of the workers view: one row per worker, one per job type.

Both are reset whole from each overview (a few dozen rows every few seconds): no
incremental updates to get wrong. A job type with jobs waiting that no live worker
claims gets a warning icon and a warning background.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any, Final, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QIcon
from PySide6.QtWidgets import QApplication, QStyle

from jobdesk.gui.formatting import age_text, ago_text, local_time_text
from jobdesk.protocol.overview import JobTypeView, WorkerView

Row = TypeVar("Row")
Index = QModelIndex | QPersistentModelIndex
WARNING_BACKGROUND: Final = QColor(242, 160, 7, 60)


class _RowsModel(QAbstractTableModel, Generic[Row]):
    HEADERS: Sequence[str] = ()

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        super().__init__()
        self.rows: list[Row] = []
        self._clock = clock

    def set_rows(self, rows: list[Row]) -> None:
        if rows == self.rows:
            return
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 (Qt's default)
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, /, role: int = 0) -> Any:
        if (
            role == Qt.ItemDataRole.DisplayRole
            and orientation == Qt.Orientation.Horizontal
            and 0 <= section < len(self.HEADERS)
        ):
            return self.HEADERS[section]
        return None

    def data(self, index: Index, /, role: int = 0) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        return self.cell(self.rows[index.row()], index.column(), role)

    def cell(self, row: Row, column: int, role: int) -> Any:
        raise NotImplementedError


class WorkersModel(_RowsModel[WorkerView]):
    HEADERS = ("Worker", "State", "Job types", "Current job", "Last seen", "Done 1 h", "Failed 1 h")

    def cell(self, row: WorkerView, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            values = (
                row.name,
                "live" if row.live else "gone",
                ", ".join(row.job_types),
                row.current_job or "idle",
                ago_text(row.last_seen, self._clock()),
                row.done_last_hour,
                row.failed_last_hour,
            )
            return values[column] if column < len(values) else None
        if role == Qt.ItemDataRole.ToolTipRole and column == 4:
            return local_time_text(row.last_seen)
        if role == Qt.ItemDataRole.TextAlignmentRole and column >= 5:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and not row.live:
            return QApplication.palette().placeholderText()
        return None


class JobTypesModel(_RowsModel[JobTypeView]):
    HEADERS = ("Job type", "Queued", "Running", "Oldest queued", "Served")

    def cell(self, row: JobTypeView, column: int, role: int) -> Any:
        warn = bool(row.queued) and not row.served
        if role == Qt.ItemDataRole.DisplayRole:
            oldest = "" if row.oldest_queued_s is None else age_text(row.oldest_queued_s)
            served = "yes" if row.served else "NO LIVE WORKER"
            values = (row.job_type, row.queued, row.running, oldest, served)
            return values[column] if column < len(values) else None
        if role == Qt.ItemDataRole.DecorationRole and column == 0 and warn:
            return warning_icon()
        if role == Qt.ItemDataRole.BackgroundRole and warn:
            return WARNING_BACKGROUND
        if role == Qt.ItemDataRole.ToolTipRole and warn:
            return f"No live worker claims {row.job_type}: its jobs wait for nobody"
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (1, 2, 3):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


def warning_icon() -> QIcon:
    return QApplication.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
