"""JobdeskClient: the synchronous entry point of the worker SDK."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from types import TracebackType
from typing import Any

import httpx

from jobdesk.protocol import Job, Priority
from jobdesk.sdk.calls import create_call, find_job, snapshot_call, start_call
from jobdesk.sdk.errors import SdkError
from jobdesk.sdk.reporter import JobReporter
from jobdesk.sdk.reporting import DEFAULT_INTERVAL
from jobdesk.sdk.retry import DEFAULT_RETRY, RetryPolicy
from jobdesk.sdk.transport import SyncTransport

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

    ``close`` (or leaving ``with``) first closes the reporters still open, delivering what
    they hold, so a worker's last progress is not lost when it forgets to close one.
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
    ) -> None:
        self._http = httpx.Client(
            base_url=base_url, headers=default_headers(token), timeout=timeout, transport=transport
        )
        self._transport = SyncTransport(self._http, retry)
        self._interval = flush_interval
        self._open: set[JobReporter] = set()
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

    def reporter(self, job_id: str) -> JobReporter:
        """A reporter for an existing job, e.g. one made by ``create_job``; no request."""
        reporter = JobReporter(
            self._transport, job_id, interval=self._interval, on_close=self._forget
        )
        with self._lock:
            self._open.add(reporter)
        return reporter

    def get_job(self, job_id: str) -> Job:
        """The job in canonical form (progress 0-100), from one ``GET /api/jobs`` snapshot.

        The server has no canonical single-job read (``GET /api/jobs/{id}`` is seed 002's
        short polling view), so this reads the snapshot; fine for a worker checking its
        own job now and then, not for polling many jobs fast.
        """
        return find_job(self._transport.send(snapshot_call()), job_id)

    def _forget(self, reporter: JobReporter) -> None:
        with self._lock:
            self._open.discard(reporter)

    def close(self) -> None:
        with self._lock:
            still_open = list(self._open)
        for reporter in still_open:
            try:
                reporter.close()
            except SdkError as exc:
                log.warning("jobdesk: closing job %s: %s", reporter.job_id, exc)
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
