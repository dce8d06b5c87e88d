"""What the server remembers about its workers and queues, for ``GET /api/queue/overview``.

Nothing here is stored in the database: it is learned from the claims the server
answers and the changes it commits (a claimed job's attempt names its worker), so a
restarted server knows its workers again after their next claim. Everything is bounded:
sixty one-minute buckets, per worker the same, and a worker is forgotten an hour after
it was last seen. Job types (in a bucket's queue depth, in the list) are cut to
``MAX_TYPES``, the workers listed to ``MAX_WORKERS``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Final

from jobdesk.protocol import Job, Status, format_timestamp, parse_timestamp
from jobdesk.protocol.overview import JobTypeView, MinuteBucket, QueueOverview, WorkerView
from jobdesk.server.changes import Change
from jobdesk.server.waiting import WaitingJobs

MINUTES: Final = 60
FORGET_AFTER_S: Final = 3600.0
LIVE_AFTER_S: Final = 90.0
"""A worker neither waiting in a claim nor running a job is live this long after it was
last seen: longer than the longest claim wait (60 s), so one between two claims stays live."""
MAX_TYPES: Final = 50
MAX_WORKERS: Final = 500
"""Workers listed in one overview (live ones first): a frame stays a few hundred KB at most."""
_DONE: Final = frozenset({"completed"})
_FAILED: Final = frozenset({"failed", "timed_out", "lease_expired"})


def _minute(now_s: float) -> int:
    return int(now_s // 60)


@dataclass
class _Bucket:
    minute: int
    completed: int = 0
    failed: int = 0
    queued: dict[str, int] = field(default_factory=dict)


class _Minutes:
    """Sixty one-minute buckets, newest last; a minute nothing happened in has none."""

    def __init__(self) -> None:
        self._buckets: deque[_Bucket] = deque()

    def at(self, now_s: float) -> _Bucket:
        minute = _minute(now_s)
        if not self._buckets or self._buckets[-1].minute != minute:
            self._buckets.append(_Bucket(minute))
        self.trim(now_s)
        return self._buckets[-1]

    def trim(self, now_s: float) -> None:
        first = _minute(now_s) - MINUTES + 1
        while self._buckets and self._buckets[0].minute < first:
            self._buckets.popleft()

    def totals(self, now_s: float) -> tuple[int, int]:
        self.trim(now_s)
        return sum(b.completed for b in self._buckets), sum(b.failed for b in self._buckets)

    def series(self, now_s: float) -> list[MinuteBucket]:
        """Every minute of the last hour, oldest first, empty ones included."""
        self.trim(now_s)
        kept = {b.minute: b for b in self._buckets}
        last = _minute(now_s)
        out = []
        for minute in range(last - MINUTES + 1, last + 1):
            b = kept.get(minute, _Bucket(minute))
            start = format_timestamp(datetime.fromtimestamp(minute * 60, UTC))
            out.append(
                MinuteBucket(start=start, completed=b.completed, failed=b.failed, queued=b.queued)
            )
        return out


@dataclass
class _Worker:
    name: str
    job_types: list[str]
    last_seen_s: float
    claims_waiting: int = 0
    running: dict[str, None] = field(default_factory=dict)
    """Job ids it runs now, in the order it took them."""
    outcomes: _Minutes = field(default_factory=_Minutes)


class Overview:
    """Fed by the service (claims, commits, a periodic sample); read as a ``QueueOverview``."""

    def __init__(self, running: Iterable[Job] = ()) -> None:
        self._workers: dict[str, _Worker] = {}
        self._running: dict[str, tuple[str, str]] = {}
        """Running job id -> (its worker, its type)."""
        self._minutes = _Minutes()
        for job in running:
            if job.status is Status.RUNNING and job.history:
                self._running[job.id] = (job.history[-1].worker, job.job_type)

    # --- feeding -----------------------------------------------------------------------

    def claim_started(self, worker: str, job_types: list[str], now_s: float) -> None:
        """A claim came in: the worker is live and serves these types, waiting until
        ``claim_ended``."""
        w = self._seen(worker, now_s)
        w.job_types = job_types
        w.claims_waiting += 1

    def claim_ended(self, worker: str, now_s: float) -> None:
        w = self._seen(worker, now_s)
        w.claims_waiting = max(0, w.claims_waiting - 1)

    def committed(self, changes: Iterable[Change], now_s: float) -> None:
        """Follow running jobs to their workers; count each attempt's end once."""
        for change in changes:
            job = change.job
            if job is not None and job.status is Status.RUNNING and job.history:
                worker = job.history[-1].worker
                old = self._running.get(change.job_id)
                if old is not None and old[0] != worker:
                    self._drop_current(old[0], change.job_id)
                self._running[change.job_id] = (worker, job.job_type)
                self._seen(worker, now_s).running[change.job_id] = None
                continue
            ended = self._running.pop(change.job_id, None)
            if ended is None:
                continue
            worker = ended[0]
            self._drop_current(worker, change.job_id)
            outcome = job.history[-1].outcome if job is not None and job.history else None
            if outcome in _DONE or outcome in _FAILED:
                done = outcome in _DONE
                for minutes in (self._minutes, self._worker(worker, now_s).outcomes):
                    bucket = minutes.at(now_s)
                    bucket.completed += done
                    bucket.failed += not done

    def sample(self, waiting: WaitingJobs, now_s: float) -> None:
        """Record this minute's queue depth per type (the newest sample wins)."""
        depth = sorted(((n, t) for t, n in waiting.depths()), reverse=True)
        self._minutes.at(now_s).queued = {t: n for n, t in depth[:MAX_TYPES]}
        self._forget(now_s)

    # --- reading -----------------------------------------------------------------------

    def build(self, waiting: WaitingJobs, now_s: float) -> QueueOverview:
        self._forget(now_s)
        workers = sorted(self._workers.values(), key=lambda w: (not self._live(w, now_s), w.name))
        live = [w for w in workers if self._live(w, now_s)]
        served = {t for w in live for t in w.job_types}
        running: dict[str, int] = {}
        for _, job_type in self._running.values():
            running[job_type] = running.get(job_type, 0) + 1
        types = sorted(set(waiting.types()) | set(running) | served)
        return QueueOverview(
            timestamp=format_timestamp(datetime.fromtimestamp(now_s, UTC)),
            live_after=LIVE_AFTER_S,
            workers=[self._view(w, now_s) for w in workers[:MAX_WORKERS]],
            job_types=[
                JobTypeView(
                    job_type=t,
                    queued=waiting.count(t),
                    running=running.get(t, 0),
                    oldest_queued_s=_age(waiting.oldest_created(t), now_s),
                    served=t in served,
                )
                for t in types[:MAX_TYPES]
            ],
            minutes=self._minutes.series(now_s),
        )

    def _view(self, w: _Worker, now_s: float) -> WorkerView:
        done, failed = w.outcomes.totals(now_s)
        return WorkerView(
            name=w.name,
            job_types=w.job_types,
            current_job=next(reversed(w.running), None),
            last_seen=format_timestamp(datetime.fromtimestamp(w.last_seen_s, UTC)),
            live=self._live(w, now_s),
            done_last_hour=done,
            failed_last_hour=failed,
        )

    # --- parts -------------------------------------------------------------------------

    @staticmethod
    def _live(w: _Worker, now_s: float) -> bool:
        return bool(w.claims_waiting or w.running) or now_s - w.last_seen_s <= LIVE_AFTER_S

    def _worker(self, name: str, now_s: float) -> _Worker:
        w = self._workers.get(name)
        if w is None:
            w = self._workers[name] = _Worker(name, [], now_s)
        return w

    def _seen(self, name: str, now_s: float) -> _Worker:
        w = self._worker(name, now_s)
        w.last_seen_s = max(w.last_seen_s, now_s)
        return w

    def _drop_current(self, worker: str, job_id: str) -> None:
        w = self._workers.get(worker)
        if w is not None:
            w.running.pop(job_id, None)

    def _forget(self, now_s: float) -> None:
        gone = [
            n
            for n, w in self._workers.items()
            if not w.claims_waiting and not w.running and now_s - w.last_seen_s > FORGET_AFTER_S
        ]
        for name in gone:
            del self._workers[name]


def _age(created_at: str | None, now_s: float) -> float | None:
    """Seconds since ``created_at`` (never negative: clocks step)."""
    return None if created_at is None else max(0.0, now_s - parse_timestamp(created_at).timestamp())
