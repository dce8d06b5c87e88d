"""The change feed in seq order: which job each kept seq belongs to, readable from any seq.

A replay after ``since`` needs each job changed after it once, at its newest change, and
every removal after it, in seq order. Sorting every job by seq for each replay cost
O(n log n) per reader (and a monitor's replay was encoded whole, up front); here each
change appends its seq, the job's earlier seq is forgotten, and a read starts with a
bisect, so a replay can be produced a frame at a time as its reader takes it.

Seqs only grow, so the list stays sorted by appending; forgotten seqs stay in it until
they outnumber the live ones, then it is rebuilt (amortised O(1) per change).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator


class Feed:
    __slots__ = ("_dead", "_job_at", "_latest", "_seqs")

    def __init__(self, entries: Iterable[tuple[int, str]] = ()) -> None:
        self._seqs: list[int] = []
        self._job_at: dict[int, str] = {}
        """Live seq -> job id: a job's newest change, or its removal."""
        self._latest: dict[str, int] = {}
        self._dead = 0
        for seq, job_id in sorted(entries):
            self.record(seq, job_id)

    def record(self, seq: int, job_id: str) -> None:
        """``job_id`` changed (or was removed) at ``seq``, the newest seq so far."""
        if self._seqs and seq <= self._seqs[-1]:
            raise ValueError(f"seq {seq} is not after {self._seqs[-1]}")
        before = self._latest.get(job_id)
        if before is not None:
            del self._job_at[before]
            self._dead += 1
        self._seqs.append(seq)
        self._job_at[seq] = job_id
        self._latest[job_id] = seq
        if self._dead > len(self._job_at):
            self._seqs = list(self._job_at)  # insertion order is seq order
            self._dead = 0

    def forget(self, job_ids: Iterable[str]) -> None:
        """Drop these jobs' entries (removals that fell below the history floor)."""
        for job_id in job_ids:
            seq = self._latest.pop(job_id, None)
            if seq is not None:
                del self._job_at[seq]
                self._dead += 1

    def after(self, since: int, until: int | None = None) -> Iterator[tuple[int, str]]:
        """``(seq, job id)`` of every live entry in ``(since, until]``, in seq order.

        Safe while entries are recorded meanwhile: it walks by position and checks each
        seq against the live map, so it never yields a forgotten entry; positions move
        only on a rebuild, after which it finds its place again by bisecting."""
        seqs = self._seqs
        index = bisect.bisect_right(seqs, since)
        while True:
            if seqs is not self._seqs:  # rebuilt meanwhile
                seqs = self._seqs
                index = bisect.bisect_right(seqs, since)
            if index >= len(seqs):
                return
            seq = seqs[index]
            index += 1
            if until is not None and seq > until:
                return
            job_id = self._job_at.get(seq)
            if job_id is not None:
                since = seq
                yield seq, job_id

    def __len__(self) -> int:
        return len(self._job_at)
