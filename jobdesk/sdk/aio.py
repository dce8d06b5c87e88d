"""AsyncJobdeskClient: JobdeskClient's API as coroutines, for asyncio workers."""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Callable, Coroutine, Generator, Iterable, Mapping
from types import TracebackType
from typing import Any

import httpx

from jobdesk.protocol import Job, Priority
from jobdesk.sdk.aclaimed import AsyncClaimedJob
from jobdesk.sdk.areporter import AsyncJobReporter
from jobdesk.sdk.asender import AsyncSender
from jobdesk.sdk.aworker import AsyncWorker
from jobdesk.sdk.bulk import BulkSubmissionError, JobSpec, bulk_calls
from jobdesk.sdk.calls import create_call, detail_call, start_call
from jobdesk.sdk.claiming import WorkerSettings
from jobdesk.sdk.client import DEFAULT_TIMEOUT, default_headers
from jobdesk.sdk.errors import SdkError, SubmissionError
from jobdesk.sdk.reporting import DEFAULT_INTERVAL
from jobdesk.sdk.retry import DEFAULT_RETRY, RetryPolicy
from jobdesk.sdk.sender import CONCURRENT_SENDS
from jobdesk.sdk.submission import cancel_call, retry_call, submit_call
from jobdesk.sdk.transport import AsyncTransport
from jobdesk.sdk.wire import LIMITS

log = logging.getLogger("jobdesk.sdk")


class StartingJob:
    """What ``AsyncJobdeskClient.start_job`` returns: ``await`` it for the reporter, or
    use it directly as ``async with client.start_job(...) as job:``.

    The job is started only then, so an unused StartingJob makes no request.
    """

    def __init__(self, start: Callable[[], Coroutine[Any, Any, AsyncJobReporter]]) -> None:
        self._start = start
        self._reporter: AsyncJobReporter | None = None

    def __await__(self) -> Generator[Any, None, AsyncJobReporter]:
        return self._start().__await__()

    async def __aenter__(self) -> AsyncJobReporter:
        self._reporter = await self._start()
        return self._reporter

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._reporter is not None:
            await self._reporter.__aexit__(exc_type, exc, tb)


class AsyncJobdeskClient:
    """Talks to one jobdesk server with one bearer token, from one event loop.

    Its reporters share one sending task, which sends what they report at about the same
    time as one batch request (``batch=False``: one request per report, as
    ``JobdeskClient``'s)."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout: float | None = DEFAULT_TIMEOUT,
        retry: RetryPolicy = DEFAULT_RETRY,
        transport: httpx.AsyncBaseTransport | None = None,
        flush_interval: float = DEFAULT_INTERVAL,
        batch: bool = True,
    ) -> None:
        self._http = httpx.AsyncClient(
            base_url=base_url,
            headers=default_headers(token),
            timeout=timeout,
            transport=transport,
            limits=LIMITS,
        )
        self._transport = AsyncTransport(self._http, retry)
        self._interval = flush_interval
        self._batch = batch
        self._sender: AsyncSender | None = None
        """Made on first use: it needs the running loop."""
        self._limit = asyncio.Semaphore(CONCURRENT_SENDS)
        self._open: set[AsyncJobReporter] = set()
        self._workers: weakref.WeakSet[AsyncWorker] = weakref.WeakSet()

    async def create_job(
        self,
        job_type: str = "generic",
        *,
        name: str | None = None,
        message: str = "",
        metadata: Mapping[str, Any] | None = None,
        priority: Priority | str = Priority.MEDIUM,
    ) -> str:
        """Create a queued job (seed 002) and return its id."""
        call = create_call(job_type, name, message, metadata, priority)
        return (await self._transport.send(call)).job_id

    def start_job(
        self,
        job_type: str = "generic",
        *,
        name: str | None = None,
        message: str = "",
        metadata: Mapping[str, Any] | None = None,
        priority: Priority | str = Priority.MEDIUM,
    ) -> StartingJob:
        """Start a job this worker does itself (seed 001); see StartingJob for the forms."""
        call = start_call(job_type, name, message, metadata, priority)

        async def start() -> AsyncJobReporter:
            return self.reporter((await self._transport.send(call)).job_id)

        return StartingJob(start)

    async def submit_job(
        self,
        job_type: str = "generic",
        *,
        name: str | None = None,
        payload: Any = None,
        priority: Priority | str = Priority.MEDIUM,
        max_attempts: int = 1,
        timeout: float | None = None,  # noqa: ASYNC109 (the job's, not this call's)
        metadata: Mapping[str, Any] | None = None,
    ) -> str:
        """Put a job on the queue and return its id; see ``JobdeskClient.submit_job``."""
        call = submit_call(job_type, name, payload, priority, max_attempts, timeout, metadata)
        try:
            return (await self._transport.send(call)).job_id
        except SdkError as exc:
            raise SubmissionError.wrap(exc) from exc

    async def submit_jobs(self, jobs: Iterable[JobSpec]) -> list[str]:
        """Queue many jobs, 1,000 a request (each one transaction: all of it or none),
        and return their ids in the order given; see ``jobdesk.sdk.bulk``. Every spec is
        checked before anything is sent (INVALID_INPUT names ``jobs[i].field``); a
        failure after some requests went through is a ``BulkSubmissionError`` whose
        ``submitted`` lists the ids already queued."""
        submitted: list[str] = []
        try:
            for call in bulk_calls(jobs):
                submitted += (await self._transport.send(call)).job_ids
        except SdkError as exc:
            error = SubmissionError.wrap(exc)
            raise (BulkSubmissionError(error, submitted) if submitted else error) from exc
        return submitted

    async def cancel_job(self, job_id: str, reason: str | None = None) -> Job:
        """Cancel a job (operators); returns it, now cancelled."""
        return await self._transport.send(cancel_call(job_id, reason))

    async def retry_job(self, job_id: str) -> Job:
        """Queue a failed or cancelled job again, with one more attempt (operators)."""
        return await self._transport.send(retry_call(job_id))

    def worker(
        self, name: str | None = None, *, lease: float = 60.0, wait: float = 20.0
    ) -> AsyncWorker:
        """A worker loop: ``async for job in client.worker().jobs("send-email")``; the
        arguments are ``JobdeskClient.worker``'s."""
        made = AsyncWorker(self._transport, WorkerSettings(name, lease, wait), self._claimed)
        self._workers.add(made)
        return made

    def _claimed(self, job: Job, settings: WorkerSettings) -> AsyncClaimedJob:
        claimed = AsyncClaimedJob(
            self._transport,
            job,
            settings,
            interval=self._interval,
            on_close=self._open.discard,
            sender=self._shared_sender(),
            limit=self._limit,
        )
        self._open.add(claimed)
        return claimed

    def reporter(self, job_id: str) -> AsyncJobReporter:
        """A reporter for an existing job, e.g. one made by ``create_job``; no request."""
        reporter = AsyncJobReporter(
            self._transport,
            job_id,
            interval=self._interval,
            on_close=self._open.discard,
            sender=self._shared_sender(),
            limit=self._limit,
        )
        self._open.add(reporter)
        return reporter

    def _shared_sender(self) -> AsyncSender | None:
        if self._batch and self._sender is None:
            self._sender = AsyncSender(self._transport, batch=True)
        return self._sender

    async def get_job(self, job_id: str) -> Job:
        """The job in canonical form (``GET /api/jobs/{id}/detail``; see JobdeskClient)."""
        return await self._transport.send(detail_call(job_id))

    async def close(self) -> None:
        for worker in list(self._workers):
            worker._detach()
        for reporter in list(self._open):
            try:
                await reporter.close()
            except SdkError as exc:
                log.warning("jobdesk: closing job %s: %s", reporter.job_id, exc)
        if self._sender is not None:
            await self._sender.stop()
        await self._http.aclose()

    async def __aenter__(self) -> AsyncJobdeskClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
