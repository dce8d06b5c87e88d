"""Store changes waiting for the table, coalesced per job, handed out in slices.

The store can tell of tens of thousands of changes a second; the table takes them a
few times a second. In between, small batches are kept as each job's latest state (a
job updated a hundred times costs one row change). A large batch (a snapshot of
100,000 jobs) is kept as the store's own list, untouched: going through it here, inside
the store's call, took 140 ms at 100,000 jobs; it is read a slice at a time instead,
each slice sized by ``SliceBudget`` so that applying one never holds the event loop
much longer than its budget. Changes are handed out in the order they came.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence

from jobdesk.core.store import JobKey, StoreChange
from jobdesk.protocol import JobSummary

Change = tuple[JobKey, JobSummary | None]
"""A job's latest state, or None once it was removed."""


class _StoreBatch:
    """A large batch as the store sent it, read into changes only when handed out."""

    __slots__ = ("changes",)

    def __init__(self, changes: Sequence[StoreChange]) -> None:
        self.changes = changes

    def __len__(self) -> int:
        return len(self.changes)

    def __getitem__(self, part: slice) -> list[Change]:
        return [((change.server, change.job_id), change.job) for change in self.changes[part]]


Segment = dict[JobKey, JobSummary | None] | _StoreBatch | list[Change]

BULK = 1024
"""A batch this large is kept as it came, not coalesced job by job on arrival."""


class PendingChanges:
    """What the table has yet to apply: segments in arrival order, each either a dict of
    latest states (small batches, coalescing) or a large batch as the store sent it."""

    def __init__(self) -> None:
        self._segments: deque[Segment] = deque()
        self._latest: dict[JobKey, JobSummary | None] | None = None
        """The newest segment if it is a dict: where small batches coalesce."""
        self._position = 0
        """How far the first segment (a sequence) has been handed out."""

    def add(self, changes: Sequence[StoreChange]) -> None:
        if len(changes) >= BULK:
            self._segments.append(_StoreBatch(changes))
            self._latest = None
            return
        latest = self._latest
        if latest is None:
            latest = self._latest = {}
            self._segments.append(latest)
        for change in changes:
            latest[(change.server, change.job_id)] = change.job

    def add_jobs(self, items: Iterable[tuple[JobKey, JobSummary]]) -> None:
        """Jobs the table has not seen (the store's content when the table is made)."""
        jobs: list[Change] = list(items)
        if jobs:
            self._segments.append(jobs)
            self._latest = None

    def __len__(self) -> int:
        """An upper bound: changes that a newer state supersedes are counted."""
        return sum(len(segment) for segment in self._segments) - self._position

    def take(self, limit: int) -> list[Change]:
        """Up to ``limit`` changes, oldest first.

        An older change of a job whose newer state waits in the newest dict is skipped:
        that state is applied after it anyway.
        """
        taken: list[Change] = []
        segments = self._segments
        while segments and len(taken) < limit:
            head = segments[0]
            wanted = limit - len(taken)
            if isinstance(head, dict):
                if head is self._latest:
                    self._latest = None  # new changes start a new segment behind it
                if len(head) <= wanted:
                    taken += head.items()
                    segments.popleft()
                    continue
                segments[0] = head = list(head.items())
            start = self._position
            end = min(start + wanted, len(head))
            changes = head[start:end]
            newer = self._latest
            if newer:
                changes = [change for change in changes if change[0] not in newer]
            taken += changes
            if end == len(head):
                segments.popleft()
                self._position = 0
            else:
                self._position = end
        return taken


class SliceBudget:
    """How many changes the next slice may take, so that a slice lasts about ``seconds``.

    A slice's cost is a part proportional to the changes in it plus a part that grows
    with the table (the view's relayout, the repaint that follows); the limit follows
    the measured cost per change of recent full slices, halfway each time so one slow
    slice (a garbage collection) does not swing it.
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
