"""The work queue's two decisions: which job a claim takes, and when a waiting claim wakes.

Claims run inside the single writer like every other change, so "two workers never hold
the same job" needs no lock: the writer sees each claim after the one before it, and the
pick reads the transaction's view (the committed state plus this batch's changes).
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterable

from jobdesk.protocol import Job, Status, parse_timestamp
from jobdesk.server.state import WAITING, ServerState
from jobdesk.server.writer import Transaction


def is_due(job: Job, now_s: float) -> bool:
    """Claimable now: queued, or retrying with its backoff over."""
    if job.status is Status.QUEUED:
        return True
    if job.status is Status.RETRYING:
        return job.retry_at is None or parse_timestamp(job.retry_at).timestamp() <= now_s
    return False


def claim_order(job: Job) -> tuple[int, str, str]:
    """Highest priority first, then the oldest, then the id (so ties are stable)."""
    return (job.priority.rank, job.created_at, job.id)


def pick(tx: Transaction, types: Iterable[str], now_s: float) -> Job | None:
    """The job a claim for ``types`` takes now, as this transaction sees the queue.

    A linear scan over the waiting jobs of those types: at most ``max_active_jobs``
    (10,000 by default), a few milliseconds at worst, and no index to keep in step with
    rollbacks.
    """
    wanted = set(types)
    candidates: set[str] = set()
    for job_type in wanted:
        candidates |= tx.state.waiting.get(job_type, set())
    candidates |= {job.id for job in tx.touched() if job.job_type in wanted}
    best: Job | None = None
    for job_id in candidates:
        job = tx.get(job_id)
        if job is None or job.job_type not in wanted or not is_due(job, now_s):
            continue
        if best is None or claim_order(job) < claim_order(best):
            best = job
    return best


def seconds_until_due(state: ServerState, types: Iterable[str], now_s: float) -> float:
    """How long until the next retrying job of ``types`` becomes claimable (inf: none)."""
    soonest = math.inf
    for job_type in types:
        for job_id in state.waiting.get(job_type, ()):
            record = state.jobs.get(job_id)
            if record is not None and record.retry_s is not None:
                soonest = min(soonest, record.retry_s - now_s)
    return max(0.0, soonest)


class ClaimSignal:
    """Wakes waiting claims when something may have become claimable.

    A waiter takes the current event *before* it tries to claim, so a job committed
    between its failed try and its wait still wakes it.
    """

    def __init__(self) -> None:
        self._event = asyncio.Event()
        self.closed = False

    def current(self) -> asyncio.Event:
        return self._event

    def notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    def close(self) -> None:
        """At shutdown: every waiting claim answers at once (with no job)."""
        self.closed = True
        self.notify()


def wakes_claims(jobs: Iterable[Job | None]) -> bool:
    return any(job is not None and job.status in WAITING for job in jobs)
