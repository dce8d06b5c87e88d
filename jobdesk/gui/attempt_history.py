"""A job's attempts, oldest first: who ran each, when, and how it ended.

Its own widget so the detail panel only says where it goes: a job that failed twice
and then completed is read from this table, not pieced together from the log. Times are
short (``11-22 10:00:05``, local) with the full moment in the tooltip; the error shows
its first line, with the whole text in the tooltip.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QHeaderView, QTreeWidget, QTreeWidgetItem, QWidget

from jobdesk.gui.formatting import epoch_of, local_time_text
from jobdesk.protocol import Attempt, Job

COLUMNS: Final = ("#", "Worker", "Started", "Ended", "Outcome", "Error")
OUTCOME_WORDS: Final = {
    "running": "running",
    "completed": "completed",
    "failed": "failed",
    "timed_out": "timed out",
    "lease_expired": "lease expired",
    "cancelled": "cancelled",
}
BAD_OUTCOMES: Final = frozenset({"failed", "timed_out", "lease_expired"})
BAD_COLOUR: Final = "#d03c3c"


def short_time(timestamp: str | None) -> str:
    """``11-22 10:00:05`` in the operator's time zone; ``—`` for none."""
    if timestamp is None:
        return "—"
    then = epoch_of(timestamp)
    if then != then:  # unreadable: show it as sent
        return timestamp
    return datetime.fromtimestamp(then).astimezone().strftime("%m-%d %H:%M:%S")


def _row(attempt: Attempt) -> QTreeWidgetItem:
    error = attempt.error or ""
    item = QTreeWidgetItem(
        [
            str(attempt.number),
            attempt.worker,
            short_time(attempt.started_at),
            short_time(attempt.ended_at),
            OUTCOME_WORDS.get(attempt.outcome, attempt.outcome),
            error.partition("\n")[0],
        ]
    )
    item.setToolTip(2, local_time_text(attempt.started_at))
    if attempt.ended_at is not None:
        item.setToolTip(3, local_time_text(attempt.ended_at))
    if attempt.lease is not None:
        item.setToolTip(1, f"{attempt.worker}: leased, {attempt.lease:g} s per renewal")
    if error:
        item.setToolTip(5, error)
    if attempt.outcome in BAD_OUTCOMES:
        item.setForeground(4, QBrush(QColor(BAD_COLOUR)))
    return item


class AttemptHistory(QTreeWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setHeaderLabels(list(COLUMNS))
        self.setRootIsDecorated(False)
        self.setUniformRowHeights(True)
        self.setMinimumHeight(70)
        self.setMaximumHeight(150)  # a few attempts; more scroll, the log stays in view
        self.header().setStretchLastSection(True)
        self.header().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)

    def show_attempts(self, job: Job | None) -> None:
        self.clear()
        if job is None:
            return
        self.addTopLevelItems([_row(attempt) for attempt in job.history])

    def rows(self) -> list[list[str]]:
        """The table as text, row by row (what a reader sees)."""
        found = []
        for index in range(self.topLevelItemCount()):
            item = self.topLevelItem(index)
            if item is not None:
                found.append([item.text(c) for c in range(len(COLUMNS))])
        return found
