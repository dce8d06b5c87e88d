"""A job's attempts, oldest first: who ran each, when, and how it ended.

Its own widget so the detail panel only says where it goes: a job that failed twice
and then completed is read from this table, not pieced together from the log. Times are
short and local (``gui/formatting.py``: ``10:00:05`` today, ``11-22 10:00`` before) with
the full moment and the ISO UTC one in the tooltip; the error shows its first line, with
the whole text in the tooltip.
"""

from __future__ import annotations

import time
from typing import Final

from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QHeaderView, QTreeWidget, QTreeWidgetItem, QWidget

from jobdesk.gui import formatting
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
    """The table's short local time (``formatting.short_time``); ``—`` for none."""
    return "—" if timestamp is None else formatting.short_time(timestamp, time.time())


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
    item.setToolTip(2, formatting.moment_tooltip(attempt.started_at))
    if attempt.ended_at is not None:
        item.setToolTip(3, formatting.moment_tooltip(attempt.ended_at))
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
