"""A claimed job's core: a reporter fenced by its attempt, whose lease its worker keeps,
and whose completion claims the worker's next jobs. The thread shell is ``claimed``,
the asyncio one ``aclaimed``.

Being told to stop (``Cancelled``, ``LeaseLost``) is part of normal life: the next
report raises it, and ``with job:`` swallows it so the worker loop goes on to the next
job.

The worker loop's own completions (``with job:`` ending normally, the value a ``run``
handler returns, a job the loop body left open) are handed to the worker's keeper,
which sends those of a round in one request (see ``keeper``); ``job.finished`` says
``COMPLETED`` once the server took it. ``job.complete()`` called by the body is sent at
once and raises when the server refuses it.
"""

from __future__ import annotations

import logging
from typing import Any

from jobdesk.protocol import Job, Status
from jobdesk.protocol.rest import CompleteAndClaimRequest, CompleteAndClaimResponse
from jobdesk.sdk.batching import endpoint_missing
from jobdesk.sdk.calls import complete_call
from jobdesk.sdk.claiming import complete_and_claim_call, heartbeat_call
from jobdesk.sdk.errors import JobStopped, SdkError
from jobdesk.sdk.reporting import ReporterBase
from jobdesk.sdk.steps import Steps
from jobdesk.sdk.wire import Call
from jobdesk.sdk.working import WorkerCore

log = logging.getLogger("jobdesk.sdk")


class ClaimedCore(ReporterBase):
    """A job this worker claimed: ``.job``, ``.payload``, ``.attempt``, and the reporter.

    ``with job:`` completes it on a normal exit and fails it when the block raises, as a
    reporter does; a ``JobStopped`` raised inside the block is logged and swallowed (the
    job is no longer ours to end).
    """

    _job: Job
    _worker: WorkerCore
    _handed_in = False
    """Its completion went to the worker's keeper, which holds the job until answered."""
    _returned: Any = None
    """What the handler of ``worker.run`` returned: the result its completion carries."""

    def _hold(self, job: Job, worker: WorkerCore) -> None:
        """Set up by the shell's constructor, after the reporter's."""
        self._job = job
        self._worker = worker
        worker.handed(job, self)

    @property
    def job(self) -> Job:
        """The job as it was claimed (status running, ``attempts`` == ``attempt``)."""
        return self._job

    @property
    def payload(self) -> Any:
        return self._job.payload

    @property
    def attempt(self) -> int:
        """Which attempt this is (1 for the first); the fencing token of every write."""
        return self._job.attempts

    @property
    def stopped(self) -> JobStopped | None:
        """``Cancelled`` or ``LeaseLost`` once the server said so, else None."""
        fatal = self._fatal
        return fatal if isinstance(fatal, JobStopped) else None

    def _told_stopped(self, exc: JobStopped) -> None:
        """Its lease could not be renewed: the worker's next report raises ``exc``."""
        with self._guard:
            self._stopped_by(exc)

    def _stopped_by(self, exc: JobStopped) -> None:
        if self._finished is None and self._fatal is None:
            self._give_up(exc)
        self._sender.delivery.changed()

    def _beating(self) -> Steps[None]:
        """Renew the lease now; raises ``Cancelled`` or ``LeaseLost`` when the job is no
        longer this worker's."""
        self._check_open("heartbeat")
        try:
            yield heartbeat_call(self._job)
        except JobStopped as exc:
            self._stopped_by(exc)
            raise

    def _completion(self, result: Any, message: str | None) -> Call[Any]:
        claim = self._worker.claim_along([self._job]) if self._worker.combined else None
        if claim is None:
            return super()._completion(result, message)
        return complete_and_claim_call(self._job, result, message, claim)

    def _ending(self, call: Call[Any], status: Status, action: str) -> Steps[None]:
        try:
            yield from super()._ending(call, status, action)
        except SdkError as exc:
            body = call.body
            if not (isinstance(body, CompleteAndClaimRequest) and endpoint_missing(exc)):
                raise
            log.info("jobdesk: the server has no complete-and-claim; completing alone")
            self._worker.combined = False
            plain = complete_call(self._job_id, body.result, body.message, self._headers)
            yield from super()._ending(plain, status, action)

    def _ended(self, answer: Any) -> None:
        if isinstance(answer, CompleteAndClaimResponse):
            self._worker.take(answer.claimed)

    def _closing(self) -> None:
        if self._handed_in:
            self._worker.let_go(self._job)  # still held: the keeper releases it
        else:
            self._worker.release(self._job)

    def _handing_in(self, result: Any) -> Steps[bool]:
        """The worker loop's own completion: deliver the reports still pending, then hand
        the completion to the worker's keeper (see ``keeper``); False when the worker
        completes one job a request (the server lacks complete-many)."""
        if not self._worker.keeper.defers:
            return False
        self._check_open("complete")
        yield from self._flush_steps()
        if not self._worker.keeper.hand_in(self, self._job, result):
            return False
        self._handed_in = True
        return True

    def _completed(self) -> None:
        """The keeper's round completed the job: ``finished`` says so from now on."""
        self._finished = Status.COMPLETED

    def _settling(self) -> Steps[None]:
        """Complete the job if the worker loop's body left it open (see Worker.jobs)."""
        if self._closed or self._handed_in:
            return
        try:
            if (yield from self._handing_in(self._returned)):
                return
            yield from self._ending(
                self._completion(self._returned, None), Status.COMPLETED, "complete"
            )
        except JobStopped as exc:
            log.info("jobdesk: job %s is no longer ours: %s", self._job_id, exc)
        except SdkError as exc:
            log.warning("jobdesk: job %s could not be completed: %s", self._job_id, exc)

    def _exiting(self, exc: BaseException | None) -> Steps[bool]:
        if isinstance(exc, JobStopped):
            log.info("jobdesk: stopped working on job %s: %s", self._job_id, exc)
            return True
        try:
            if exc is None and self._finished is None and not (self._closed or self._handed_in):
                if not (yield from self._handing_in(self._returned)):
                    done = self._completion(self._returned, None)
                    yield from self._ending(done, Status.COMPLETED, "complete")
                return False
            yield from super()._exiting(exc)
        except JobStopped as stopped:  # completing found the job no longer ours
            log.info("jobdesk: job %s is no longer ours: %s", self._job_id, stopped)
        return False
