"""Versions for jobs of a backend that has none, so the store applies each state once.

The store takes a job only if its ``version`` is newer than the stored one (that is how
replays, overlaps and duplicates stay harmless). A seed backend's jobs carry no version,
or one the store cannot compare across a reload, so its adapter builds each job's
canonical form and passes it through here: a state equal to the last one keeps its
version, a different one gets the next. The time of the change is not part of "the
same": an adapter whose backend gives no timestamps stamps ``updated_at`` with the time
it saw the job, and an unchanged job must not look updated on every poll. A list
fetched after a reconnect therefore changes only the jobs that really changed, and a
stale push after it (same content) is not news.

``epoch`` names this adapter's numbering: the store's epoch for the server, constant for
the life of the source (a restarted monitor starts a new one, with a full replace).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

import msgspec

from jobdesk.core.store import JobStore
from jobdesk.protocol import JobSummary


class ForeignJobs:
    """One server's jobs as an adapter last saw them, with their versions."""

    def __init__(self, store: JobStore, server: str) -> None:
        self.store = store
        self.server = server
        self.epoch = f"foreign-{uuid.uuid4().hex[:12]}"
        self._last: dict[str, JobSummary] = {}

    def versioned(self, job: JobSummary) -> JobSummary:
        """``job`` with the version that says whether it is news (its own is ignored)."""
        last = self._last.get(job.id)
        if last is not None and _same(job, last):
            return last
        fresh = msgspec.structs.replace(job, version=(last.version + 1) if last else 1)
        self._last[job.id] = fresh
        return fresh

    def get(self, job_id: str) -> JobSummary | None:
        return self._last.get(job_id)

    def replace(self, jobs: Iterable[JobSummary], now: float) -> None:
        """The backend's whole list (the initial and every reconnect fetch)."""
        fresh = [self.versioned(job) for job in jobs]
        keep = {job.id for job in fresh}
        for job_id in [i for i in self._last if i not in keep]:
            del self._last[job_id]
        self.store.apply(self.server, epoch=self.epoch, jobs=fresh, replace=True, now=now)

    def upsert(self, jobs: Iterable[JobSummary], now: float | None = None) -> None:
        """Some jobs changed (a push, or one job polled)."""
        fresh = [self.versioned(job) for job in jobs]
        self._ensure_epoch(now)
        self.store.apply(self.server, epoch=self.epoch, jobs=fresh)
        if now is not None:
            self.store.confirm_jobs(self.server, [job.id for job in fresh], now)

    def remove(self, job_ids: Iterable[str]) -> None:
        ids = list(job_ids)
        for job_id in ids:
            self._last.pop(job_id, None)
        self._ensure_epoch(None)
        self.store.apply(self.server, epoch=self.epoch, removed=ids)

    def _ensure_epoch(self, now: float | None) -> None:
        """A push before any list: start this numbering with an empty replace."""
        if self.store.server(self.server).epoch != self.epoch:
            self.store.apply(self.server, epoch=self.epoch, replace=True, now=now)


def _same(job: JobSummary, last: JobSummary) -> bool:
    return msgspec.structs.replace(job, version=last.version, updated_at=last.updated_at) == last
