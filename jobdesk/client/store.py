"""The client's copy of the server's jobs, kept equal to it by seq and version.

Pure state, no I/O: the watcher feeds it a snapshot and then the stream's events, and it
answers which of them changed anything. Events can arrive twice or late (an event read
after a snapshot that already contains it, a replay after a reconnect), so each is
applied only when it is newer: by the stream's ``seq`` first, then by the job's
``version``.
"""

from __future__ import annotations

from dataclasses import dataclass

from jobdesk.protocol import Job, JobRemoved, JobUpdate
from jobdesk.protocol.rest import Snapshot


@dataclass(frozen=True, slots=True)
class Change:
    """One job that changed: ``job`` is its new state, or None when it was removed."""

    job_id: str
    job: Job | None
    seq: int


class JobStore:
    """Jobs by id, with the ``epoch`` and ``seq`` of the last state applied."""

    def __init__(self) -> None:
        self.jobs: dict[str, Job] = {}
        self.epoch: str | None = None
        self.seq = 0

    @property
    def loaded(self) -> bool:
        """True once a snapshot was applied; events mean nothing before that."""
        return self.epoch is not None

    def load(self, snapshot: Snapshot) -> list[Change]:
        """Replace everything with a full snapshot; answer what differs from before.

        A job whose version is unchanged is not reported, so a resync after a reconnect
        prints only what really happened while the client was away.
        """
        if snapshot.epoch != self.epoch:
            self.jobs = {}
        fresh = {job.id: job for job in snapshot.jobs}
        changes = [
            Change(job.id, job, snapshot.seq)
            for job in snapshot.jobs
            if (old := self.jobs.get(job.id)) is None or old.version != job.version
        ]
        changes += [
            Change(job_id, None, snapshot.seq) for job_id in self.jobs if job_id not in fresh
        ]
        self.jobs = fresh
        self.epoch = snapshot.epoch
        self.seq = snapshot.seq
        return changes

    def apply(self, event: JobUpdate | JobRemoved) -> Change | None:
        """Apply one stream event; None when it is old news or of another epoch."""
        if not self.loaded or event.epoch != self.epoch or event.seq <= self.seq:
            return None
        self.seq = event.seq
        if isinstance(event, JobRemoved):
            if self.jobs.pop(event.job_id, None) is None:
                return None
            return Change(event.job_id, None, event.seq)
        old = self.jobs.get(event.job.id)
        if old is not None and old.version >= event.job.version:
            return None
        self.jobs[event.job.id] = event.job
        return Change(event.job.id, event.job, event.seq)
