"""A worker's keeper: the one thread (or task) a worker that sends its completions and
renews its leases, as steps (see ``steps``).

The worker's loop hands the completion of each job it finished to the keeper and goes
on to the next buffered job at once. The keeper sends what was handed in as soon as it
is free: one ``POST /api/queue/complete-many`` for all of them, claiming the refill in
the same transaction. While one round is in flight the next ones pile up, so a busy
worker of short jobs ends several jobs a request, and an idle one sends each at once.
A job handed in stays held, its lease renewed, until the server has answered for it.

Every lease/3 s the keeper renews the lease of every job held, in one request a
thousand jobs (``POST /api/admin/jobs/batch``, a bare item a job).

Nothing is less strict for it: each completion carries its attempt and is refused
(``LEASE_LOST``, ``CANCELLED``) exactly as a single ``complete`` is; a refused one is
logged (the job is no longer ours: its next attempt runs elsewhere). A round the server
does not answer is sent again as it was, with the same Idempotency-Key, so a lost answer
costs neither the completions nor the jobs claimed with them.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Protocol

from jobdesk.protocol import Job
from jobdesk.protocol.rest import (
    MAX_COMPLETIONS,
    BatchItem,
    BatchRequest,
    CompleteManyRequest,
    CompleteManyResponse,
    Completion,
)
from jobdesk.sdk.batching import BATCH_PATH, MAX_ITEMS, BatchAnswer, endpoint_missing
from jobdesk.sdk.calls import complete_call
from jobdesk.sdk.claiming import attempt_headers, claim_retryable, heartbeat_call
from jobdesk.sdk.errors import UNAVAILABLE, SdkError, sdk_error
from jobdesk.sdk.retry import rest_between_rounds
from jobdesk.sdk.steps import Sleep, Steps
from jobdesk.sdk.wire import STATUS_BY_CODE, Call

if TYPE_CHECKING:
    from jobdesk.sdk.working import WorkerCore

log = logging.getLogger("jobdesk.sdk")

COMPLETE_MANY_PATH: Final = "/api/queue/complete-many"


class Ended(Protocol):
    """The claimed job a completion was handed in for: told once the server took it."""

    def _completed(self) -> None: ...


@dataclass(frozen=True, slots=True)
class HandedIn:
    job: Job
    completion: Completion
    claimed: Ended


@dataclass(frozen=True, slots=True)
class Round:
    """Completions sent together, and the request that sends them (kept for a resend)."""

    handed: list[HandedIn]
    call: Call[CompleteManyResponse]


class Keeper:
    def __init__(self, core: WorkerCore, ring: Callable[[], None]) -> None:
        self._core = core
        self._ring = ring
        """Wakes the keeper (a completion was handed in, or the loop ended)."""
        self.defers = True
        """Completions go through the keeper (False: the server lacks complete-many)."""
        self._batched = True
        self._handed: deque[HandedIn] = deque()
        self._round: Round | None = None
        """The round being sent, or to send again."""
        self._round_open = False
        """From before a round takes its completions until the jobs claimed with it are
        buffered: with ``_handed``, what ``busy`` reads (see there)."""
        self._gone = False
        self.loop_over = False
        """The worker's loop ended: send what is left, then end."""

    @property
    def busy(self) -> bool:
        """Completions are waiting or in flight: their answer may bring jobs.

        Read from the loop's thread while the keeper's changes it, without a lock: the
        keeper opens a round before it takes completions from ``_handed`` and closes it
        after the jobs claimed are buffered, so a loop that finds neither has nothing to
        wait for, and finds those jobs when it looks at its buffer again."""
        return (bool(self._handed) or self._round_open) and not self._gone

    def hand_in(self, claimed: Ended, job: Job, result: Any) -> bool:
        """Queue ``job``'s completion; False when the caller must complete it itself."""
        if not self.defers or self._core.detached:
            return False
        completion = Completion(job_id=job.id, attempt=job.attempts, result=result)
        self._handed.append(HandedIn(job, completion, claimed))
        self._ring()
        return True

    def end(self) -> None:
        """The loop ended: send what is handed in, then stop."""
        self.loop_over = True
        self._ring()

    def gone(self) -> None:
        """The keeper's thread (or task) ended: what it did not send is left to the
        leases, and the loop no longer waits for it."""
        self._gone = self.loop_over = True
        self.defers = False
        if self._round is not None:
            self._settled(self._round)
        while self._handed:
            self._core.release(self._handed.popleft().job)
        self._close_round()

    # --- the keeper's steps ------------------------------------------------------------

    def keeping(self) -> Steps[None]:
        """Until the loop ended and every completion handed in was answered (or the
        client closed): send completions, and renew the leases when due."""
        every = self._core.settings.heartbeat_every
        renew_at = time.monotonic() + every
        while not self._core.detached:
            if time.monotonic() >= renew_at:
                yield from self._renew_all()
                renew_at = time.monotonic() + every
            elif self.busy:
                yield from self._complete_round()
            elif self.loop_over:
                return
            else:
                yield Sleep(renew_at - time.monotonic())  # cut short by a ring

    def _complete_round(self) -> Steps[None]:
        if self._round is None:
            self._round_open = True
            handed = [
                self._handed.popleft() for _ in range(min(len(self._handed), MAX_COMPLETIONS))
            ]
            if not handed:
                self._close_round()
                return
            body = CompleteManyRequest(
                completions=[h.completion for h in handed],
                claim=self._core.claim_along([h.job for h in handed]),
            )
            call = Call("POST", COMPLETE_MANY_PATH, CompleteManyResponse, body)
            self._round = Round(handed, call)
        round_ = self._round
        try:
            answer = yield round_.call
        except SdkError as exc:
            yield from self._refused(round_, exc)
            return
        for done, result in zip(round_.handed, answer.results, strict=False):
            if (refused := result.error) is not None:
                log.info("jobdesk: job %s is no longer ours: %s", done.job.id, refused.message)
            else:
                done.claimed._completed()
        self._settled(round_)
        self._core.take(answer.claimed)
        self._close_round()

    def _settled(self, round_: Round) -> None:
        """The round is over, answered or given up on: its jobs are held no more."""
        self._round = None
        for handed in round_.handed:
            self._core.release(handed.job)

    def _close_round(self) -> None:
        self._round_open = False
        self._core.answered()

    def _refused(self, round_: Round, exc: SdkError) -> Steps[None]:
        if endpoint_missing(exc):
            log.info("jobdesk: the server has no complete-many; completing one at a time")
            self.defers = False
            self._round = None
            for handed in round_.handed:
                yield from self._complete_alone(handed)
            while self._handed:  # one more may come in: the loop saw ``defers`` first
                yield from self._complete_alone(self._handed.popleft())
            self._close_round()
        elif claim_retryable(exc) and not self.loop_over:
            log.warning("jobdesk: %d completions not delivered yet: %s", len(round_.handed), exc)
            yield Sleep(rest_between_rounds(self._core.policy))
        else:
            # Refused whole (a bad token), or the loop is ending with the server away:
            # the jobs are left to their leases, as if this worker had died.
            log.error("jobdesk: %d completions not delivered: %s", len(round_.handed), exc)
            self._settled(round_)
            self._close_round()

    def _complete_alone(self, handed: HandedIn) -> Steps[None]:
        c = handed.completion
        try:
            yield complete_call(c.job_id, c.result, c.message, attempt_headers(handed.job))
        except SdkError as exc:
            log.warning("jobdesk: job %s could not be completed: %s", c.job_id, exc)
        else:
            handed.claimed._completed()
        self._core.release(handed.job)

    # --- the leases --------------------------------------------------------------------

    def _renew_all(self) -> Steps[None]:
        held = self._core.held()
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
                self._core.lost(job, sdk_error(refused.code, refused.message, status=status))

    def _renew_one(self, job: Job) -> Steps[None]:
        try:
            yield heartbeat_call(job)
        except SdkError as exc:
            if exc.code == UNAVAILABLE:
                log.warning("jobdesk: job %s: heartbeat not delivered: %s", job.id, exc)
            else:
                self._core.lost(job, exc)
