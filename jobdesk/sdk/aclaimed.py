"""AsyncClaimedJob: ClaimedJob for asyncio code, renewing its lease from a task.

The same rules as the sync one (see ``claimed``): writes carry ``Jobdesk-Attempt``, a
heartbeat goes out every lease/3 s while it is open, ``Cancelled`` or ``LeaseLost`` is
raised by the next report, and ``async with job:`` swallows them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from types import TracebackType
from typing import Any

from jobdesk.protocol import Job
from jobdesk.sdk.areporter import AsyncJobReporter
from jobdesk.sdk.asender import AsyncSender
from jobdesk.sdk.claiming import WorkerSettings, attempt_headers, heartbeat_call
from jobdesk.sdk.errors import UNAVAILABLE, JobStopped, SdkError
from jobdesk.sdk.reporting import DEFAULT_INTERVAL
from jobdesk.sdk.transport import AsyncTransport

log = logging.getLogger("jobdesk.sdk")


class AsyncClaimedJob(AsyncJobReporter):
    """A job this worker claimed: ``.job``, ``.payload``, ``.attempt``, and the reporter.

    Make it from a running event loop (the worker does): its heartbeat task starts at once.
    """

    def __init__(
        self,
        transport: AsyncTransport,
        job: Job,
        settings: WorkerSettings,
        *,
        interval: float = DEFAULT_INTERVAL,
        on_close: Callable[[AsyncJobReporter], None] | None = None,
        sender: AsyncSender | None = None,
        limit: asyncio.Semaphore | None = None,
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
        self._beats = asyncio.get_running_loop().create_task(
            self._heartbeats(), name=f"jobdesk-heartbeat-{job.id}"
        )

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

    async def heartbeat(self) -> None:
        """Renew the lease now (the task does so every lease/3 s); raises JobStopped."""
        self._check_open("heartbeat")
        try:
            await self._transport.send(heartbeat_call(self._job))
        except JobStopped as exc:
            self._stopped_by(exc)
            raise

    async def _settle(self) -> None:
        """Complete the job if the worker loop's body left it open (see AsyncWorker.jobs)."""
        if self._closed:
            return
        try:
            await self.complete()
        except JobStopped as exc:
            log.info("jobdesk: job %s is no longer ours: %s", self.job_id, exc)
        except SdkError as exc:
            log.warning("jobdesk: job %s could not be completed: %s", self.job_id, exc)
        finally:
            await self._shutdown()

    async def _abandon(self) -> None:
        """Leave the job to its lease, as if this worker had died (see ClaimedJob)."""
        try:
            await self.close()
        except SdkError as exc:
            log.warning("jobdesk: job %s left open: %s", self.job_id, exc)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        if isinstance(exc, JobStopped):
            log.info("jobdesk: stopped working on job %s: %s", self.job_id, exc)
            await self._shutdown()
            return True
        try:
            await super().__aexit__(exc_type, exc, tb)
        except JobStopped as stopped:  # completing found the job no longer ours
            log.info("jobdesk: job %s is no longer ours: %s", self.job_id, stopped)
        return False

    # --- the heartbeat task ------------------------------------------------------------

    async def _heartbeats(self) -> None:
        while not self._stopping:
            await asyncio.sleep(self._every)
            if self._stopping:
                return
            try:
                await self._transport.send(heartbeat_call(self._job))
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
        if self._finished is None and self._fatal is None:
            self._give_up(exc)
        self._sender.changed()

    async def _shutdown(self) -> None:
        await super()._shutdown()
        beats = self._beats
        if beats is not asyncio.current_task() and not beats.done():
            beats.cancel()
            await asyncio.wait([beats])
