"""What both clients are besides their shell: their options, the reporters and workers
they make, and what closing them closes. ``JobdeskClient`` (threads) and
``AsyncJobdeskClient`` (asyncio) add only how they send and wait."""

from __future__ import annotations

import contextlib
import logging
import threading
import weakref
from collections.abc import Iterator, Mapping
from typing import Any, Final, Generic, NamedTuple, TypedDict, TypeVar, Unpack

from jobdesk.protocol import Job, Priority
from jobdesk.sdk import operations
from jobdesk.sdk.claiming import DEFAULT_PREFETCH, WorkerSettings, attempt_headers
from jobdesk.sdk.errors import SdkError
from jobdesk.sdk.holding import ClaimedCore
from jobdesk.sdk.operations import Operation
from jobdesk.sdk.reporting import DEFAULT_INTERVAL, ReporterBase
from jobdesk.sdk.retry import DEFAULT_RETRY, RetryPolicy
from jobdesk.sdk.steps import Steps
from jobdesk.sdk.wire import LIMITS
from jobdesk.sdk.working import WorkerBase, WorkerCore

log = logging.getLogger("jobdesk.sdk")
DEFAULT_TIMEOUT: Final = 10.0

ReporterT = TypeVar("ReporterT", bound=ReporterBase)
ClaimedT = TypeVar("ClaimedT", bound=ClaimedCore)
WorkerT = TypeVar("WorkerT", bound=WorkerBase)
M = TypeVar("M", bound=ReporterBase)
StartedT = TypeVar("StartedT")


class ClientOptions(TypedDict, total=False):
    """The options both clients take, by keyword."""

    timeout: float | None
    """Seconds a request may take (10; None: no limit); a claim's wait comes on top."""
    retry: RetryPolicy
    """How transient failures are retried (``DEFAULT_RETRY``)."""
    flush_interval: float
    """Least seconds between two sends of one job's progress (0.2)."""
    batch: bool
    """True: a client's reporters share one sender, a batch request a round; False: a
    request a report, each reporter sending its own."""


def _http_options(base_url: str, token: str, options: ClientOptions) -> dict[str, Any]:
    """The arguments of the client's httpx client, whichever kind."""
    return {
        "base_url": base_url,
        "headers": {
            "Authorization": f"Bearer {token}",
            "Accept": "application/json",
            "User-Agent": "jobdesk-sdk",
        },
        "timeout": options.get("timeout", DEFAULT_TIMEOUT),
        "limits": LIMITS,
    }


class Parts(NamedTuple, Generic[ReporterT, ClaimedT, WorkerT]):
    """What a client is made of, all of its shell's kind."""

    shell: Any
    """``ThreadShell`` or ``TaskShell``: has ``connect``, ``limit`` and ``close``."""
    reporter: type[ReporterT]
    claimed: type[ClaimedT]
    worker: type[WorkerT]


class ClientBase(Generic[ReporterT, ClaimedT, WorkerT, StartedT]):
    _parts: Parts[ReporterT, ClaimedT, WorkerT]

    def __init__(
        self, base_url: str, token: str, *, transport: Any = None, **options: Unpack[ClientOptions]
    ) -> None:
        """``transport``: httpx's, of the client's kind (``httpx.MockTransport`` for tests)."""
        http = _http_options(base_url, token, options)
        retry = options.get("retry", DEFAULT_RETRY)
        self._shell = self._parts.shell.connect(transport, http, retry)
        self._interval = options.get("flush_interval", DEFAULT_INTERVAL)
        self._batch = options.get("batch", True)
        self._limit = self._shell.limit
        """The cap on requests in flight of reporters that each send their own."""
        self._sender: Any = None
        """The reporters' shared sender, made on first use (an async one needs the loop)."""
        self._open: set[ReporterBase] = set()
        self._workers: weakref.WeakSet[WorkerT] = weakref.WeakSet()
        self._lock = threading.Lock()

    create_job = Operation(operations.create_job)
    submit_job = Operation(operations.submit_job)
    submit_jobs = Operation(operations.submit_jobs)
    cancel_job = Operation(operations.cancel_job)
    retry_job = Operation(operations.retry_job)
    get_job = Operation(operations.get_job)

    def start_job(
        self,
        job_type: str = "generic",
        *,
        name: str | None = None,
        message: str = "",
        metadata: Mapping[str, Any] | None = None,
        priority: Priority | str = Priority.MEDIUM,
    ) -> StartedT:
        """Start a job this worker does itself (seed 001): running, owned by the token.

        JobdeskClient returns its reporter; AsyncJobdeskClient a ``StartingJob``: await
        it for the reporter, or ``async with`` it."""
        return self._started(operations.start_job_id(job_type, name, message, metadata, priority))

    def _started(self, steps: Steps[str]) -> StartedT:
        raise NotImplementedError

    def worker(
        self,
        name: str | None = None,
        *,
        lease: float = 60.0,
        wait: float = 20.0,
        prefetch: int = DEFAULT_PREFETCH,
    ) -> WorkerT:
        """A worker loop over the queue: ``for job in client.worker().jobs("send-email")``
        (``async for`` with AsyncJobdeskClient).

        ``name`` labels its attempts in the jobs' history (default: the token's name);
        ``lease`` is how long a claim holds without a report (renewed every lease/3 s
        while a job is held); ``wait`` how long one claim waits for a job; ``prefetch``
        how many jobs it holds at most, the one in hand included (see
        ``jobdesk.sdk.working``; 1 for long jobs).
        """
        settings = WorkerSettings(name, lease, wait, prefetch)
        made = self._parts.worker(self._shell, settings, self._claimed)
        with self._lock:
            self._workers.add(made)
        return made

    def reporter(self, job_id: str) -> ReporterT:
        """A reporter for an existing job, e.g. one made by ``create_job``; no request."""
        return self._made(self._parts.reporter, job_id)

    def _claimed(self, job: Job, worker: WorkerCore) -> ClaimedT:
        claimed = self._made(self._parts.claimed, job.id, attempt_headers(job))
        claimed._hold(job, worker)
        return claimed

    def _made(self, kind: type[M], job_id: str, headers: dict[str, str] | None = None) -> M:
        with self._lock:
            if self._batch and self._sender is None:
                self._sender = self._shared_sender()
            sender = self._sender
        made = kind(
            self._shell,
            job_id,
            interval=self._interval,
            on_close=self._forget,
            headers=headers,
            sender=sender,
            limit=self._limit,
        )
        with self._lock:
            self._open.add(made)
        return made

    def _shared_sender(self) -> Any:
        raise NotImplementedError

    def _forget(self, reporter: ReporterBase) -> None:
        with self._lock:
            self._open.discard(reporter)

    def _leaving(self) -> list[Any]:
        """Closing: end the workers' loops; the reporters still open, to close."""
        with self._lock:
            workers, still_open = list(self._workers), list(self._open)
        for worker in workers:
            worker._detach()
        return still_open


@contextlib.contextmanager
def quietly(reporter: ReporterBase) -> Iterator[None]:
    """Closing a reporter with the client: a failure is logged, and the rest go on."""
    try:
        yield
    except SdkError as exc:
        log.warning("jobdesk: closing job %s: %s", reporter.job_id, exc)
