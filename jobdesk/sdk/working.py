"""A worker's core: its claims, the jobs it holds, and their leases, as steps (see
``steps``) that the thread worker (``worker``) and the asyncio one (``aworker``) take.

A worker holds up to ``prefetch`` jobs: the one in hand and the ones claimed ahead of
it (the buffer). One claim brings as many as fit; completing the job in hand claims
the next ones in the same request (``POST /api/queue/complete``), so a busy worker makes
one round trip a job. Every lease/3 s one request renews the leases of every job held,
the buffered ones too (``POST /api/admin/jobs/batch`` with one bare item a job), where a
thread per job used to beat for each. A job the server refuses to renew (cancelled,
lease lost) is told so if in hand, and dropped if still buffered.

``stop()`` ends the loop once the buffer is worked off: no job claimed is left waiting
for its lease. Closing the client ends it at once; jobs still buffered then are left to
their leases, as if the worker had died. Older servers: a claim answered with ``job``
alone, a 404 to the batch or to complete-and-claim, fall back to one job a claim and a
heartbeat a job.

Its state is shared by the worker's loop, the renewing thread (or task) and a thread
completing a job, through single deque and dict operations, each atomic: no lock.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from jobdesk.protocol import Job
from jobdesk.protocol.rest import BatchItem, BatchRequest, ClaimRequest
from jobdesk.sdk.batching import BATCH_PATH, MAX_ITEMS, BatchAnswer, endpoint_missing
from jobdesk.sdk.claiming import (
    WorkerSettings,
    claim_call,
    claim_request,
    claim_retryable,
    claimed_jobs,
    heartbeat_call,
    idle_rest,
)
from jobdesk.sdk.errors import UNAVAILABLE, JobStopped, SdkError, sdk_error
from jobdesk.sdk.retry import RetryPolicy, rest_between_rounds
from jobdesk.sdk.steps import Sleep, Steps
from jobdesk.sdk.wire import STATUS_BY_CODE, Call

log = logging.getLogger("jobdesk.sdk")


class InHand(Protocol):
    """A job handed out, as the core sees it: told when its lease is gone."""

    def _told_stopped(self, exc: JobStopped) -> None: ...


class WorkerCore:
    def __init__(self, settings: WorkerSettings, policy: RetryPolicy) -> None:
        self.settings = settings
        self.policy = policy
        self.stopped = False
        """Claim no more; hand out what is buffered, then end."""
        self.detached = False
        """The client closed: hand out nothing more."""
        self.combined = True
        """Complete and claim in one request (False: the server lacks the endpoint)."""
        self._batched = True
        self._job_types: list[str] = []
        self._buffer: deque[Job] = deque()
        self._held: dict[str, Job] = {}
        """Every job whose lease this worker renews: the buffered and the handed out."""
        self._in_hand: dict[str, InHand] = {}

    # --- the loop ----------------------------------------------------------------------

    def next_job(self, job_types: list[str]) -> Steps[Job | None]:
        """The next job to hand out, claiming when the buffer is empty; None: the end."""
        self._job_types = job_types
        while not self.detached:
            try:
                return self._buffer.popleft()
            except IndexError:
                pass
            if self.stopped:
                return None
            yield from self._claim()
        return None

    def _claim(self) -> Steps[None]:
        count = max(1, self.settings.prefetch - len(self._buffer))
        started = time.monotonic()
        try:
            answer = yield claim_call(self.settings, self._job_types, count)
        except SdkError as exc:
            if self.stopped:
                return
            if not claim_retryable(exc):
                raise
            log.warning("jobdesk: claiming failed, trying again: %s", exc)
            yield Sleep(rest_between_rounds(self.policy))
            return
        jobs = claimed_jobs(answer)
        self.take(jobs)
        if not jobs:
            yield Sleep(idle_rest(time.monotonic() - started))

    def take(self, jobs: Sequence[Job]) -> None:
        """Jobs claimed for this worker: held, and handed out in claim order."""
        for job in jobs:
            self._held[job.id] = job
            self._buffer.append(job)

    def handed(self, job: Job, in_hand: InHand) -> None:
        self._in_hand[job.id] = in_hand

    def holds(self, job_id: str) -> bool:
        """Whether this worker still renews ``job_id``'s lease."""
        return job_id in self._held

    def release(self, job: Job) -> None:
        """``job`` is over for this worker (ended, closed or left): renew it no more."""
        if self._held.get(job.id) is job:
            self._held.pop(job.id, None)
        self._in_hand.pop(job.id, None)

    def claim_along(self) -> ClaimRequest | None:
        """What a completion should claim with it: enough to fill the prefetch."""
        if self.stopped or self.detached or not self.combined or not self._job_types:
            return None
        count = self.settings.prefetch - len(self._buffer)
        if count < 1:
            return None
        return claim_request(self.settings, self._job_types, count, wait=0.0)

    # --- the leases --------------------------------------------------------------------

    def renewals(self) -> Steps[None]:
        """Every lease/3 s, renew every held job's lease, in one request a thousand jobs;
        ends when the Sleep is cut short (the loop ended)."""
        while (yield Sleep(self.settings.heartbeat_every)):
            held = list(self._held.values())
            for start in range(0, len(held), MAX_ITEMS):
                yield from self._renew(held[start : start + MAX_ITEMS])

    def _renew(self, jobs: list[Job]) -> Steps[None]:
        if not self._batched:
            for job in jobs:
                yield from self._renew_one(job)
            return
        items = [BatchItem(job_id=job.id, attempt=job.attempts) for job in jobs]
        call = Call("POST", BATCH_PATH, BatchAnswer, BatchRequest(updates=items))
        try:
            answer = yield call
        except SdkError as exc:
            if endpoint_missing(exc):
                log.info("jobdesk: the server has no batch endpoint; a heartbeat a job")
                self._batched = False
                yield from self._renew(jobs)
            else:
                log.warning("jobdesk: leases of %d jobs not renewed yet: %s", len(jobs), exc)
            return
        if len(answer.results) != len(jobs):
            log.warning(
                "jobdesk: %d leases renewed with %d answers", len(jobs), len(answer.results)
            )
            return
        for job, result in zip(jobs, answer.results, strict=True):
            if (refused := result.error) is not None:
                status = STATUS_BY_CODE.get(refused.code)
                self._lost(job, sdk_error(refused.code, refused.message, status=status))

    def _renew_one(self, job: Job) -> Steps[None]:
        try:
            yield heartbeat_call(job)
        except SdkError as exc:
            if exc.code == UNAVAILABLE:
                log.warning("jobdesk: job %s: heartbeat not delivered: %s", job.id, exc)
            else:
                self._lost(job, exc)

    def _lost(self, job: Job, exc: SdkError) -> None:
        """The server would not renew ``job``: cancelled, its lease lost, or it ended."""
        if self._held.get(job.id) is not job:
            return  # let go of meanwhile
        self._held.pop(job.id, None)
        in_hand = self._in_hand.get(job.id)
        if in_hand is not None:
            if isinstance(exc, JobStopped):
                in_hand._told_stopped(exc)
            log.debug("jobdesk: job %s: lease no longer renewed: %s", job.id, exc)
            return
        try:
            self._buffer.remove(job)
        except ValueError:
            return  # handed out meanwhile: its next report finds out
        log.info("jobdesk: prefetched job %s is no longer ours: %s", job.id, exc)


class WorkerBase:
    """What both worker shells are besides their loop: the core, stopping, the settings."""

    _event_class: Callable[[], Any]
    """The shell's kind of event (``threading.Event``, ``asyncio.Event``): set on stop."""

    def __init__(
        self, shell: Any, settings: WorkerSettings, claimed: Callable[[Job, WorkerCore], Any]
    ) -> None:
        self._shell = shell
        self._core = WorkerCore(settings, shell.policy)
        self._claimed = claimed
        """The client's: makes the claimed job for one handed out, and tracks it."""
        self._stop_event = self._event_class()
        """Set by ``stop``: cuts the loop's rests short."""

    @property
    def settings(self) -> WorkerSettings:
        return self._core.settings

    @property
    def stopped(self) -> bool:
        return self._core.stopped

    def stop(self) -> None:
        """End ``jobs()`` once the jobs it holds are worked off; safe from any thread or a
        signal handler.

        A claim already waiting is not cut off (its job would be lost until its lease ran
        out): if it brings jobs, they are still handed out, then the loop ends.
        """
        self._core.stopped = True
        self._stop_event.set()

    def _detach(self) -> None:
        """The client closed: end the loop, and hand out nothing more."""
        self._core.detached = True
        self.stop()
