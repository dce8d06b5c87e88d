"""Where a claim finds its job without scanning the queue: heaps of the committed state.

Per job type, a heap of the claimable jobs keyed on (priority rank, created, id), the
claim order; beside them one heap of retry times, from which retrying jobs move to their
type's heap once their backoff is over. Entries are never removed in place: a job that
was claimed, changed or removed leaves a stale entry, dropped when it reaches the top
(its key no longer matches the job). A claim therefore costs O(log n) in the number of
waiting jobs, where the scan it replaces cost O(n) (36 ms with 18,700 waiting).

The heaps describe the committed state only. A batch's own changes (a job claimed a
moment ago, one created in the same batch) are the transaction's: ``best`` steps over
the entries the batch has changed without dropping them, since the batch may yet be
rolled back.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from typing import Final

from jobdesk.protocol import Job
from jobdesk.server.db.columns import due_s

ClaimKey = tuple[int, str, str]
"""(priority rank, created, id): 0 is claimed first, then the oldest, then by id."""

MAX_STEPPED: Final = 10_000
"""A batch changing more waiting jobs than this falls back to a scan of its own changes."""


def claim_key(job: Job) -> ClaimKey:
    return (job.priority.rank, job.created_at, job.id)


class ClaimIndex:
    __slots__ = ("_due", "_keys", "_ready", "_retry")

    def __init__(self) -> None:
        self._ready: dict[str, list[ClaimKey]] = {}
        """Job type -> heap of claimable jobs."""
        self._retry: list[tuple[float, str, str]] = []
        """(retry time, job type, id) of retrying jobs still in their backoff."""
        self._keys: dict[str, ClaimKey] = {}
        """The live key of every waiting job: an entry with another key is stale."""
        self._due: dict[str, float] = {}

    def __len__(self) -> int:
        return len(self._keys)

    def update(self, old: Job | None, new: Job | None) -> None:
        """A committed change of a job (``new`` None: removed)."""
        due = None if new is None else due_s(new)
        if old is not None:
            if (
                new is not None
                and due == self._due.get(old.id)
                and claim_key(new) == self._keys.get(old.id)
            ):
                return  # still waiting as it was: its entry stands
            self._keys.pop(old.id, None)
            self._due.pop(old.id, None)
        if new is None or due is None:
            return
        key = claim_key(new)
        self._keys[new.id] = key
        self._due[new.id] = due
        if due > 0.0:
            heapq.heappush(self._retry, (due, new.job_type, new.id))
        else:
            heapq.heappush(self._ready.setdefault(new.job_type, []), key)

    def _release_due(self, now_s: float) -> None:
        """Move retrying jobs whose backoff is over to their type's heap."""
        retry = self._retry
        while retry and retry[0][0] <= now_s:
            due, job_type, job_id = heapq.heappop(retry)
            if self._due.get(job_id) == due:
                heapq.heappush(self._ready.setdefault(job_type, []), self._keys[job_id])

    def best(self, job_type: str, now_s: float, changed: Callable[[str], bool]) -> ClaimKey | None:
        """The first claimable key of ``job_type`` among jobs the batch has not changed."""
        self._release_due(now_s)
        heap = self._ready.get(job_type)
        if not heap:
            return None
        stepped: list[ClaimKey] = []
        try:
            while heap:
                key = heap[0]
                job_id = key[2]
                if self._keys.get(job_id) != key or self._due[job_id] > now_s:
                    heapq.heappop(heap)  # stale: claimed, changed or removed since
                    continue
                if changed(job_id) and len(stepped) < MAX_STEPPED:
                    stepped.append(heapq.heappop(heap))
                    continue
                return key
            return None
        finally:
            for key in stepped:
                heapq.heappush(heap, key)
            if not heap:
                self._ready.pop(job_type, None)

    def next_due_s(self) -> float | None:
        """When the soonest retrying job (of any type) becomes claimable: a waiting claim
        wakes then and looks again (None: no job is in its backoff)."""
        retry = self._retry
        while retry and self._due.get(retry[0][2]) != retry[0][0]:
            heapq.heappop(retry)
        return retry[0][0] if retry else None
