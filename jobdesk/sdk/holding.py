"""A claimed job's core: a reporter fenced by its attempt, whose lease its worker keeps,
and whose completion claims the worker's next jobs. The thread shell is ``claimed``,
the asyncio one ``aclaimed``.

Being told to stop (``Cancelled``, ``LeaseLost``) is part of normal life: the next
report raises it, and ``with job:`` swallows it so the worker loop goes on to the next
job.
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
        claim = self._worker.claim_along()
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
        self._worker.release(self._job)

    def _settling(self) -> Steps[None]:
        """Complete the job if the worker loop's body left it open (see Worker.jobs)."""
        if self._closed:
            return
        try:
            yield from self._ending(self._completion(None, None), Status.COMPLETED, "complete")
        except JobStopped as exc:
            log.info("jobdesk: job %s is no longer ours: %s", self._job_id, exc)
        except SdkError as exc:
            log.warning("jobdesk: job %s could not be completed: %s", self._job_id, exc)

    def _exiting(self, exc: BaseException | None) -> Steps[bool]:
        if isinstance(exc, JobStopped):
            log.info("jobdesk: stopped working on job %s: %s", self._job_id, exc)
            return True
        try:
            yield from super()._exiting(exc)
        except JobStopped as stopped:  # completing found the job no longer ours
            log.info("jobdesk: job %s is no longer ours: %s", self._job_id, stopped)
        return False
