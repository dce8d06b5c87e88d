"""ClaimedJob: a JobReporter for a job taken from the queue, fenced and kept alive.

Three things set it apart from a plain reporter: every write carries the attempt it was
claimed as (``Jobdesk-Attempt``), so the server refuses it once the attempt is over; a
background thread renews the lease every lease/3 s while it is open; and being told to
stop (``Cancelled``, ``LeaseLost``) is part of normal life: the next report raises it,
and ``with job:`` swallows it so the worker loop goes on to the next job.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any

from jobdesk.protocol import Job
from jobdesk.sdk.claiming import WorkerSettings, attempt_headers, heartbeat_call
from jobdesk.sdk.errors import UNAVAILABLE, JobStopped, SdkError
from jobdesk.sdk.reporter import JOIN_TIMEOUT, JobReporter
from jobdesk.sdk.reporting import DEFAULT_INTERVAL
from jobdesk.sdk.sender import Sender
from jobdesk.sdk.transport import SyncTransport

log = logging.getLogger("jobdesk.sdk")


class ClaimedJob(JobReporter):
    """A job this worker claimed: ``.job``, ``.payload``, ``.attempt``, and the reporter.

    ``with job:`` completes it on a normal exit and fails it when the block raises, as
    JobReporter does; a ``JobStopped`` raised inside the block is logged and swallowed
    (the job is no longer ours to end).
    """

    def __init__(
        self,
        transport: SyncTransport,
        job: Job,
        settings: WorkerSettings,
        *,
        interval: float = DEFAULT_INTERVAL,
        on_close: Callable[[JobReporter], None] | None = None,
        sender: Sender | None = None,
        limit: threading.BoundedSemaphore | None = None,
    ) -> None:
        super().__init__(
            transport,
            job.id,
            interval=interval,
            on_close=on_close,
            headers=attempt_headers(job),
            sender=sender,
            limit=limit,
        )
        self._job = job
        self._every = settings.heartbeat_every
        self._beats = threading.Thread(
            target=self._heartbeats, name=f"jobdesk-heartbeat-{job.id}", daemon=True
        )
        self._beats.start()

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

    def heartbeat(self) -> None:
        """Renew the lease now; the background thread does so anyway every lease/3 s.

        Raises ``Cancelled`` or ``LeaseLost`` when the job is no longer this worker's.
        """
        with self._cond:
            self._check_open("heartbeat")
        try:
            self._transport.send(heartbeat_call(self._job), pause=self._pause)
        except JobStopped as exc:
            self._stopped_by(exc)
            raise

    def _settle(self) -> None:
        """Complete the job if the worker loop's body left it open (see Worker.jobs)."""
        if self._closed:
            return
        try:
            self.complete()
        except JobStopped as exc:
            log.info("jobdesk: job %s is no longer ours: %s", self.job_id, exc)
        except SdkError as exc:
            log.warning("jobdesk: job %s could not be completed: %s", self.job_id, exc)
        finally:
            self._shutdown()

    def _abandon(self) -> None:
        """The worker loop was left with the job open: stop reporting and renewing, and
        leave the job to its lease, as if this worker had died (it is then requeued)."""
        try:
            self.close()
        except SdkError as exc:
            log.warning("jobdesk: job %s left open: %s", self.job_id, exc)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        if isinstance(exc, JobStopped):
            log.info("jobdesk: stopped working on job %s: %s", self.job_id, exc)
            self._shutdown()
            return True
        try:
            super().__exit__(exc_type, exc, tb)
        except JobStopped as stopped:  # completing found the job no longer ours
            log.info("jobdesk: job %s is no longer ours: %s", self.job_id, stopped)
        return False

    # --- the heartbeat thread ----------------------------------------------------------

    def _heartbeats(self) -> None:
        while not self._stop.wait(self._every):
            try:
                self._transport.send(heartbeat_call(self._job), pause=self._pause)
            except JobStopped as exc:
                self._stopped_by(exc)
                return
            except SdkError as exc:
                if exc.code != UNAVAILABLE:  # e.g. CONFLICT: the job just ended
                    log.debug("jobdesk: job %s: heartbeats end: %s", self.job_id, exc)
                    return
                log.warning("jobdesk: job %s: heartbeat not delivered: %s", self.job_id, exc)

    def _stopped_by(self, exc: JobStopped) -> None:
        """Make the worker's next report raise ``exc`` (unless it already ended the job)."""
        with self._cond:
            if self._finished is None and self._fatal is None:
                self._give_up(exc)
            self._cond.notify_all()

    def _shutdown(self) -> None:
        super()._shutdown()
        if self._beats is not threading.current_thread():
            self._beats.join(JOIN_TIMEOUT)
