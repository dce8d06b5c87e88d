"""Store changes waiting for the table, coalesced per job, handed out in slices.

The store can tell of tens of thousands of changes a second; the table takes them a
few times a second. In between, only each job's latest state is kept (a job updated a
hundred times costs one row change). A large backlog (a first snapshot of 100,000
jobs) is handed out in slices sized by ``SliceBudget`` so that applying one never holds
the event loop much longer than its budget.
"""

from __future__ import annotations

from collections.abc import Iterable

from jobdesk.core.store import JobKey, StoreChange
from jobdesk.protocol import Job

Change = tuple[JobKey, Job | None]
"""A job's latest state, or None once it was removed."""


class PendingChanges:
    """The latest state of each changed job, not yet applied to the table."""

    def __init__(self) -> None:
        self._latest: dict[JobKey, Job | None] = {}
        self._backlog: list[Change] = []
        self._position = 0

    def add(self, changes: Iterable[StoreChange]) -> None:
        latest = self._latest
        for change in changes:
            latest[(change.server, change.job_id)] = change.job

    def add_jobs(self, items: Iterable[tuple[JobKey, Job]]) -> None:
        self._latest.update(items)

    def __len__(self) -> int:
        """An upper bound: backlog entries that a newer state supersedes are counted."""
        return len(self._latest) + len(self._backlog) - self._position

    def take(self, limit: int) -> list[Change]:
        """Up to ``limit`` changes, oldest first; each job appears at most once.

        When more than ``limit`` are waiting, they become a backlog consumed in order;
        a backlog entry whose job changed again meanwhile is skipped, since the newer
        state is waiting behind it.
        """
        if self._position >= len(self._backlog):
            self._backlog, self._position = [], 0
            if len(self._latest) <= limit:
                taken = list(self._latest.items())
                self._latest = {}
                return taken
            self._backlog = list(self._latest.items())
            self._latest = {}
        start = self._position
        self._position = min(start + limit, len(self._backlog))
        newer = self._latest
        return [
            change for change in self._backlog[start : self._position] if change[0] not in newer
        ]


class SliceBudget:
    """How many changes the next slice may take, so that a slice lasts about ``seconds``.

    A slice's cost is a part proportional to the changes in it plus a part that grows
    with the table (re-sorting, the view's relayout); the limit follows the measured
    cost per change of recent full slices, halfway each time so one slow slice (a
    garbage collection) does not swing it.
    """

    def __init__(self, seconds: float, first: int = 2048, least: int = 256) -> None:
        self.seconds = seconds
        self.limit = first
        self._least = least

    def record(self, changes: int, elapsed: float) -> None:
        """A slice applied ``changes`` changes in ``elapsed`` seconds."""
        if changes < self.limit and elapsed <= self.seconds:
            return  # not a full slice: it says nothing about how many more would fit
        fitting = int(changes * self.seconds / max(elapsed, 1e-6))
        self.limit = max(self._least, (self.limit + fitting) // 2)
