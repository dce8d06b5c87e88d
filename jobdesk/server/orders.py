"""The two orders a list of jobs is paged in, kept up to date as changes are installed.

A page must cost the same however far into the list it starts, and nothing the writer
does may get slower for it, so neither order is sorted when it is read:

- ``IdOrder``: the job ids, sorted. A snapshot pages through the live state in this
  order; ids never change, so a job that stays is seen exactly once however the others
  come and go between pages. A new job is inserted with ``bisect.insort`` (a memmove
  of the list, microseconds at 100,000 jobs); an update does not touch it.
- ``SeqLog``: every change after the history floor, in seq order, as ``(seq, job id)``.
  A resync (``since``) pages through it. An update appends its entry and marks the
  job's previous one dead (found by bisection: a job's newest entry has the seq of its
  record); a removal marks the job's entry dead and appends one for the removal. Dead
  entries are skipped, and squeezed out once they are half of the log, so a page walks
  at most about twice the entries it returns.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator
from typing import Final

COMPACT_AFTER: Final = 1024
"""Dead entries a log keeps however small it is (squeezing a tiny log is not worth it)."""


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


class SeqLog:
    """The changes after the history floor, in seq order; a dead entry's id is None."""

    def __init__(self, entries: Iterable[tuple[int, str]]) -> None:
        ordered = sorted(entries)
        self._seqs = [seq for seq, _ in ordered]
        self._ids: list[str | None] = [job_id for _, job_id in ordered]
        self._dead = 0

    def append(self, seq: int, job_id: str) -> None:
        """A change with a seq higher than every one before it."""
        self._seqs.append(seq)
        self._ids.append(job_id)

    def kill(self, seq: int) -> None:
        """The entry of ``seq`` is superseded (nothing to do if it is below the floor)."""
        at = bisect.bisect_left(self._seqs, seq)
        if at < len(self._seqs) and self._seqs[at] == seq and self._ids[at] is not None:
            self._ids[at] = None
            self._dead += 1
            if self._dead > COMPACT_AFTER and self._dead * 2 > len(self._ids):
                self._compact()

    def prune(self, floor: int) -> None:
        """Forget the entries at or below ``floor``: no resync can ask for them."""
        cut = bisect.bisect_right(self._seqs, floor)
        self._dead -= self._ids[:cut].count(None)
        del self._seqs[:cut]
        del self._ids[:cut]

    def after(self, since: int) -> Iterator[tuple[int, str]]:
        """The live entries after ``since``, in seq order. The caller reads them without
        awaiting: the log must not change meanwhile."""
        seqs, ids = self._seqs, self._ids
        for at in range(bisect.bisect_right(seqs, since), len(seqs)):
            job_id = ids[at]
            if job_id is not None:
                yield seqs[at], job_id

    def _compact(self) -> None:
        live = [(s, j) for s, j in zip(self._seqs, self._ids, strict=True) if j is not None]
        self._seqs = [seq for seq, _ in live]
        self._ids = [job_id for _, job_id in live]
        self._dead = 0
