"""The id order a snapshot is paged in, kept up to date as changes are installed.

A page must cost the same however far into the list it starts, and nothing the writer
does may get slower for it, so the order is not sorted when it is read: the job ids
are kept sorted. Ids never change, so a job that stays is seen exactly once however
the others come and go between pages. A new job is inserted with ``bisect.insort`` (a
memmove of the list, microseconds at 100,000 jobs); an update does not touch it.

The seq order a resync pages in is the change feed (``feed.py``), which replays read
too.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator


class IdOrder:
    """Job ids in sorted order."""

    def __init__(self, ids: Iterable[str]) -> None:
        self._ids = sorted(ids)

    def add(self, job_id: str) -> None:
        bisect.insort(self._ids, job_id)

    def discard(self, job_id: str) -> None:
        at = bisect.bisect_left(self._ids, job_id)
        if at < len(self._ids) and self._ids[at] == job_id:
            del self._ids[at]

    def after(self, cursor: str | None) -> Iterator[str]:
        """The ids after ``cursor`` (all of them for None), in order. The caller reads
        them without awaiting: the list must not change meanwhile."""
        ids = self._ids
        start = 0 if cursor is None else bisect.bisect_right(ids, cursor)
        for at in range(start, len(ids)):
            yield ids[at]
