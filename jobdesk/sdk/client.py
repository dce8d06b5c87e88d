"""JobdeskClient: the synchronous entry point of the worker SDK."""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import Any

import httpx

from jobdesk.protocol import Job, Priority
from jobdesk.sdk.bulk import BulkSubmissionError, JobSpec, bulk_calls
from jobdesk.sdk.calls import create_call, detail_call, start_call
from jobdesk.sdk.claimed import ClaimedJob
from jobdesk.sdk.claiming import WorkerSettings
from jobdesk.sdk.errors import SdkError, SubmissionError
from jobdesk.sdk.reporter import JobReporter
from jobdesk.sdk.reporting import DEFAULT_INTERVAL
from jobdesk.sdk.retry import DEFAULT_RETRY, RetryPolicy
from jobdesk.sdk.sender import CONCURRENT_SENDS, Sender
from jobdesk.sdk.submission import cancel_call, retry_call, submit_call
from jobdesk.sdk.transport import SyncTransport
from jobdesk.sdk.wire import LIMITS
from jobdesk.sdk.worker import Worker

log = logging.getLogger("jobdesk.sdk")
DEFAULT_TIMEOUT = 10.0


def default_headers(token: str) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {token}",
        "Accept": "application/json",
        "User-Agent": "jobdesk-sdk",
    }


class JobdeskClient:
    """Talks to one jobdesk server with one bearer token; share it between threads.

    Its reporters share one background sender: what they report at about the same time
    goes to the server as one batch request (``batch=False``: one request per report,
    each reporter with a thread of its own, as for a server without batches).

    ``close`` (or leaving ``with``) first ends its workers' loops and closes the reporters
    still open, delivering what they hold, so a worker's last progress is not lost when
    it forgets to close one (a claimed job left open is left to its lease).
    """

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout: float | None = DEFAULT_TIMEOUT,
        retry: RetryPolicy = DEFAULT_RETRY,
        transport: httpx.BaseTransport | None = None,
        flush_interval: float = DEFAULT_INTERVAL,
        batch: bool = True,
    ) -> None:
        self._http = httpx.Client(
            base_url=base_url,
            headers=default_headers(token),
            timeout=timeout,
            transport=transport,
            limits=LIMITS,
        )
        self._transport = SyncTransport(self._http, retry)
        self._interval = flush_interval
        self._sender = Sender(self._transport, batch=True) if batch else None
        self._limit = threading.BoundedSemaphore(CONCURRENT_SENDS)
        self._open: set[JobReporter] = set()
        self._workers: weakref.WeakSet[Worker] = weakref.WeakSet()
        self._lock = threading.Lock()

    def create_job(
        self,
        job_type: str = "generic",
        *,
        name: str | None = None,
        message: str = "",
        metadata: Mapping[str, Any] | None = None,
        priority: Priority | str = Priority.MEDIUM,
    ) -> str:
        """Create a queued job (seed 002) and return its id; any worker may then take it
        up with ``reporter(job_id)``: its first progress makes it running."""
        call = create_call(job_type, name, message, metadata, priority)
        return self._transport.send(call).job_id

    def start_job(
        self,
        job_type: str = "generic",
        *,
        name: str | None = None,
        message: str = "",
        metadata: Mapping[str, Any] | None = None,
        priority: Priority | str = Priority.MEDIUM,
    ) -> JobReporter:
        """Start a job this worker does itself (seed 001): running, owned by the token."""
        call = start_call(job_type, name, message, metadata, priority)
        return self.reporter(self._transport.send(call).job_id)

    def submit_job(
        self,
        job_type: str = "generic",
        *,
        name: str | None = None,
        payload: Any = None,
        priority: Priority | str = Priority.MEDIUM,
        max_attempts: int = 1,
        timeout: float | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> str:
        """Put a job on the queue for a worker to claim, and return its id.

        ``payload`` (any JSON) is handed to the worker; ``max_attempts`` counts the tries
        before a failure is final; ``timeout`` caps one attempt's seconds (None: the
        server's default). Raises ``SubmissionError`` with seed 000's codes only:
        ``INVALID_INPUT`` (``.field`` names the field), ``AUTH_REQUIRED``,
        ``SUBMISSION_FAILED`` (unreachable or full, through every retry) or
        ``UNKNOWN_ERROR``; ``.server_code`` keeps the server's own code.
        """
        call = submit_call(job_type, name, payload, priority, max_attempts, timeout, metadata)
        try:
            return self._transport.send(call).job_id
        except SdkError as exc:
            raise SubmissionError.wrap(exc) from exc

    def submit_jobs(self, jobs: Iterable[JobSpec]) -> list[str]:
        """Queue many jobs, 1,000 a request (each one transaction: all of it or none),
        and return their ids in the order given; see ``jobdesk.sdk.bulk``. Every spec is
        checked before anything is sent (INVALID_INPUT names ``jobs[i].field``); a
        failure after some requests went through is a ``BulkSubmissionError`` whose
        ``submitted`` lists the ids already queued."""
        submitted: list[str] = []
        try:
            for call in bulk_calls(jobs):
                submitted += (self._transport.send(call)).job_ids
        except SdkError as exc:
            error = SubmissionError.wrap(exc)
            raise (BulkSubmissionError(error, submitted) if submitted else error) from exc
        return submitted

    def cancel_job(self, job_id: str, reason: str | None = None) -> Job:
        """Cancel a job (operators): a waiting one never runs, a running one stops at its
        worker's next report. Returns the job, now cancelled."""
        return self._transport.send(cancel_call(job_id, reason))

    def retry_job(self, job_id: str) -> Job:
        """Queue a failed or cancelled job again, with one more attempt (operators)."""
        return self._transport.send(retry_call(job_id))

    def worker(self, name: str | None = None, *, lease: float = 60.0, wait: float = 20.0) -> Worker:
        """A worker loop over the queue: ``for job in client.worker().jobs("send-email")``.

        ``name`` labels its attempts in the jobs' history (default: the token's name);
        ``lease`` is how long a claim holds without a report (renewed every lease/3 s
        while a job is open); ``wait`` how long one claim waits for a job.
        """
        made = Worker(self._transport, WorkerSettings(name, lease, wait), self._claimed)
        with self._lock:
            self._workers.add(made)
        return made

    def _claimed(self, job: Job, settings: WorkerSettings) -> ClaimedJob:
        claimed = ClaimedJob(
            self._transport,
            job,
            settings,
            interval=self._interval,
            on_close=self._forget,
            sender=self._sender,
            limit=self._limit,
        )
        with self._lock:
            self._open.add(claimed)
        return claimed

    def reporter(self, job_id: str) -> JobReporter:
        """A reporter for an existing job, e.g. one made by ``create_job``; no request."""
        reporter = JobReporter(
            self._transport,
            job_id,
            interval=self._interval,
            on_close=self._forget,
            sender=self._sender,
            limit=self._limit,
        )
        with self._lock:
            self._open.add(reporter)
        return reporter

    def get_job(self, job_id: str) -> Job:
        """The job in canonical form (progress 0-100), from ``GET /api/jobs/{id}/detail``
        (``GET /api/jobs/{id}`` is seed 002's short polling view). SdkError NOT_FOUND
        when the server has no such job."""
        return self._transport.send(detail_call(job_id))

    def _forget(self, reporter: JobReporter) -> None:
        with self._lock:
            self._open.discard(reporter)

    def close(self) -> None:
        with self._lock:
            workers, still_open = list(self._workers), list(self._open)
        for worker in workers:
            worker._detach()
        for reporter in still_open:
            try:
                reporter.close()
            except SdkError as exc:
                log.warning("jobdesk: closing job %s: %s", reporter.job_id, exc)
        if self._sender is not None:
            self._sender.stop()
        self._http.close()

    def __enter__(self) -> JobdeskClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
