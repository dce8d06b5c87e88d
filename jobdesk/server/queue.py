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
from jobdesk.server.claim_index import claim_key
from jobdesk.server.state import WAITING, ServerState
from jobdesk.server.writer import Transaction


def is_due(job: Job, now_s: float) -> bool:
    """Claimable now: queued, or retrying with its backoff over."""
    if job.status is Status.QUEUED:
        return True
    if job.status is Status.RETRYING:
        return job.retry_at is None or parse_timestamp(job.retry_at).timestamp() <= now_s
    return False


def pick(tx: Transaction, types: Iterable[str], now_s: float) -> Job | None:
    """The job a claim for ``types`` takes now, as this transaction sees the queue: the
    best of what the batch's claim source offers (the committed state's heaps, or rows
    a replica has locked for the batch) and of the waiting jobs the batch itself made."""
    wanted = set(types)
    best = tx.candidates.best(tx, wanted, now_s)
    for job in tx.touched():
        due = job.job_type in wanted and is_due(job, now_s)
        if due and (best is None or claim_key(job) < claim_key(best)):
            best = job
    return best


def seconds_until_due(state: ServerState, now_s: float) -> float:
    """How long until the next retrying job becomes claimable (inf: none)."""
    due = state.claims.next_due_s()
    return math.inf if due is None else max(0.0, due - now_s)


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
