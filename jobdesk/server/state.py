"""The committed state, held in memory: what every read and every replay is served from.

Only the writer changes it, and only after the database has committed, in one step on
the event loop; a reader that takes what it needs without awaiting therefore always sees
one consistent seq, with nothing half-applied.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Final

from jobdesk.protocol import Job, JobFilter, JobStats, Status, parse_timestamp
from jobdesk.server.changes import Change, encode_job
from jobdesk.server.claim_index import ClaimIndex
from jobdesk.server.deadlines import Deadlines
from jobdesk.server.feed import Feed
from jobdesk.server.idempotency import Answers, Remembered
from jobdesk.server.orders import IdOrder
from jobdesk.server.storage import StoredState
from jobdesk.server.waiting import WaitingJobs


class ResyncRequired(Exception):
    """A ``since`` that cannot be served from the kept history; the client must snapshot."""


WAITING: Final = frozenset({Status.QUEUED, Status.RETRYING})
"""The statuses a claim takes jobs from (retrying ones once their backoff is over)."""


@functools.lru_cache(maxsize=1024)
def _parsed(text: str) -> float:
    """Cached: the jobs of one batch share their ``updatedAt``, and a job's other times
    stay the same from one update to the next; parsing them each time cost more than
    the rest of installing a change."""
    return parse_timestamp(text).timestamp()


def _seconds(text: str | None) -> float | None:
    return None if text is None else _parsed(text)


@dataclass(slots=True)
class JobRecord:
    """A committed job with its times parsed once, for the sweeper and the claim order."""

    job: Job
    seq: int
    updated_s: float
    attempt_started_s: float | None
    """When the current attempt started: the per-attempt timeout counts from here."""
    finished_s: float | None
    lease_until_s: float | None
    retry_s: float | None
    data: bytes | None = None
    """The job's JSON, as its database row was written (``Change.data``), for the lists
    to join into a page without encoding the job again; None until first needed for a
    job loaded at start (see ``json``)."""
    admin_data: bytes | None = None
    """The job in seed 001's words as JSON, once ``GET /api/admin/jobs`` has listed it."""

    @classmethod
    def of(cls, job: Job, seq: int, data: bytes | None = None) -> JobRecord:
        started = job.history[-1].started_at if job.history else job.started_at
        return cls(
            job=job,
            seq=seq,
            updated_s=_parsed(job.updated_at),
            attempt_started_s=_seconds(started),
            finished_s=_seconds(job.finished_at),
            lease_until_s=_seconds(job.lease_expires_at),
            retry_s=_seconds(job.retry_at),
            data=data,
        )

    def json(self) -> bytes:
        """The job's JSON: the change's own bytes, or (loaded at start) encoded once now."""
        if self.data is None:
            self.data = encode_job(self.job)
        return self.data


def matches(job: Job, wanted: JobFilter | None) -> bool:
    """Seed 004's subscription by user or job: every given field must match."""
    if wanted is None:
        return True
    if wanted.owner is not None and job.owner != wanted.owner:
        return False
    if wanted.job_type is not None and job.job_type != wanted.job_type:
        return False
    return wanted.job_ids is None or job.id in wanted.job_ids


@dataclass(frozen=True)
class JobQuery:
    """The REST filters on a list of jobs: every given one must match."""

    include_past: bool = True
    status: Status | None = None
    job_type: str | None = None
    owner: str | None = None

    def accepts(self, job: Job) -> bool:
        return (
            (self.include_past or job.status.is_active)
            and (self.status is None or job.status is self.status)
            and (self.job_type is None or job.job_type == self.job_type)
            and (self.owner is None or job.owner == self.owner)
        )


class ServerState:
    def __init__(self, stored: StoredState) -> None:
        self.epoch = stored.epoch
        self.seq = stored.seq
        self.history_floor = stored.history_floor
        self.jobs: dict[str, JobRecord] = {j.id: JobRecord.of(j, s) for j, s in stored.jobs}
        self.by_id = IdOrder(self.jobs)
        """Every job id in order: where a snapshot's pages come from."""
        self.feed = Feed([(r.seq, job_id) for job_id, r in self.jobs.items()] + stored.removals)
        """Each job's newest seq and each kept removal's: where resyncs and replays come
        from, in seq order."""
        self.answers = Answers(stored.remembered)
        """Idempotency keys already answered, with the answer a retry gets."""
        self._counts: Counter[Status] = Counter(r.job.status for r in self.jobs.values())
        self.waiting = WaitingJobs()
        """Each job type's queued and retrying jobs (the overview counts them)."""
        self.claims = ClaimIndex()
        """Where claims look: heaps in claim order (``claim_index.py``)."""
        self.deadlines = Deadlines()
        """Where sweeps look: running jobs by when a rule may apply, finished ones by
        age (``deadlines.py``), so a sweep costs what falls due."""
        for record in self.jobs.values():
            self._index(None, record.job, record.finished_s)

    def _index(self, old: Job | None, new: Job | None, finished_s: float | None) -> None:
        self.claims.update(old, new)
        self.deadlines.update(old, new, finished_s)
        still_waiting = new is not None and new.status in WAITING
        if (
            old is not None
            and old.status in WAITING
            and not (still_waiting and new is not None and new.job_type == old.job_type)
        ):
            self.waiting.discard(old.job_type, old.id)
        if new is not None and new.status in WAITING:
            self.waiting.add(new.job_type, new.id, new.created_at)

    # --- writing (the writer only) -----------------------------------------------------

    def install(
        self,
        changes: Iterable[Change],
        seq: int,
        history_floor: int | None,
        remembered: Iterable[tuple[str, Remembered]] = (),
        forget_before_s: float | None = None,
    ) -> None:
        for key, record in remembered:
            self.answers.add(key, record)
        if forget_before_s is not None:
            self.answers.forget_before(forget_before_s)
        for change in changes:
            old = self.jobs.get(change.job_id)
            if old is not None:
                self._counts[old.job.status] -= 1
            if change.job is None:
                self._index(None if old is None else old.job, None, None)
                if self.jobs.pop(change.job_id, None) is not None:
                    self.by_id.discard(change.job_id)
            else:
                if old is None:
                    self.by_id.add(change.job_id)
                fresh = JobRecord.of(change.job, change.seq, change.data)
                self._index(None if old is None else old.job, change.job, fresh.finished_s)
                self.jobs[change.job_id] = fresh
                self._counts[change.job.status] += 1
            self.feed.record(change.seq, change.job_id)
        self.seq = seq
        if history_floor is not None:
            gone = [j for _, j in self.feed.after(self.history_floor, history_floor)]
            self.feed.forget(j for j in gone if j not in self.jobs)
            self.history_floor = history_floor

    # --- reading -----------------------------------------------------------------------

    def get(self, job_id: str) -> Job | None:
        record = self.jobs.get(job_id)
        return None if record is None else record.job

    def check_since(self, since: int, epoch: str | None) -> None:
        """Raise ResyncRequired unless the changes after ``since`` can all be served."""
        if epoch is not None and epoch != self.epoch:
            raise ResyncRequired(f"epoch {epoch!r} is not this server's epoch {self.epoch!r}")
        if since > self.seq:
            raise ResyncRequired(f"since={since} is ahead of the server's seq {self.seq}")
        if since < self.history_floor:
            raise ResyncRequired(
                f"since={since} is older than the kept history (from {self.history_floor})"
            )

    def changes_since(self, since: int, until: int | None = None) -> Iterator[Change]:
        """The current state of every job changed in ``(since, until]``, and every removal,
        in seq order: a compacted replay, since a client only needs each job's newest
        state. Lazy, and safe to read across awaits: a job changed again after ``until``
        is left to the changes after it."""
        for seq, job_id in self.feed.after(since, until):
            record = self.jobs.get(job_id)
            if record is None:
                yield Change(seq, job_id, None)
            else:
                yield Change(seq, job_id, record.job, record.json())

    def active_count(self) -> int:
        return sum(self._counts[s] for s in (Status.QUEUED, Status.RUNNING, Status.RETRYING))

    def stats(self) -> JobStats:
        c = self._counts
        return JobStats(
            pending=c[Status.QUEUED],
            running=c[Status.RUNNING],
            retrying=c[Status.RETRYING],
            completed=c[Status.COMPLETED],
            failed=c[Status.FAILED],
            cancelled=c[Status.CANCELLED],
            total=len(self.jobs),
        )
