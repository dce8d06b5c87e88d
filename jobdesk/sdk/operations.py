"""The client's one-call operations, as steps (see ``steps``): written once, offered by
both clients as ``Operation`` descriptors on ``ClientBase``.

Each is a generator that yields the Calls to send and returns what the caller gets;
what it returns and raises is the same whichever shell drives it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine, Iterable, Mapping
from typing import Any, Generic, ParamSpec, Protocol, TypeVar, overload

from jobdesk.protocol import Job, Priority
from jobdesk.sdk.bulk import BulkSubmissionError, JobSpec, bulk_calls
from jobdesk.sdk.calls import create_call, detail_call, start_call
from jobdesk.sdk.errors import SdkError, SubmissionError
from jobdesk.sdk.steps import Steps
from jobdesk.sdk.submission import cancel_call, retry_call, submit_call

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")


def create_job(
    job_type: str = "generic",
    *,
    name: str | None = None,
    message: str = "",
    metadata: Mapping[str, Any] | None = None,
    priority: Priority | str = Priority.MEDIUM,
) -> Steps[str]:
    """Create a queued job (seed 002) and return its id; any worker may then take it up
    with ``reporter(job_id)``: its first progress makes it running."""
    answer = yield create_call(job_type, name, message, metadata, priority)
    return answer.job_id  # type: ignore[no-any-return]


def start_job_id(
    job_type: str,
    name: str | None,
    message: str,
    metadata: Mapping[str, Any] | None,
    priority: Priority | str,
) -> Steps[str]:
    """Start a job this worker does itself (seed 001); its id, for the shell's reporter."""
    answer = yield start_call(job_type, name, message, metadata, priority)
    return answer.job_id  # type: ignore[no-any-return]


def submit_job(
    job_type: str = "generic",
    *,
    name: str | None = None,
    payload: Any = None,
    priority: Priority | str = Priority.MEDIUM,
    max_attempts: int = 1,
    timeout: float | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> Steps[str]:
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
        answer = yield call
    except SdkError as exc:
        raise SubmissionError.wrap(exc) from exc
    return answer.job_id  # type: ignore[no-any-return]


def submit_jobs(jobs: Iterable[JobSpec]) -> Steps[list[str]]:
    """Queue many jobs, 1,000 a request (each one transaction: all of it or none), and
    return their ids in the order given; see ``jobdesk.sdk.bulk``. Every spec is checked
    before anything is sent (INVALID_INPUT names ``jobs[i].field``); a failure after some
    requests went through is a ``BulkSubmissionError`` whose ``submitted`` lists the ids
    already queued."""
    submitted: list[str] = []
    try:
        for call in bulk_calls(jobs):
            submitted += (yield call).job_ids
    except SdkError as exc:
        error = SubmissionError.wrap(exc)
        raise (BulkSubmissionError(error, submitted) if submitted else error) from exc
    return submitted


def cancel_job(job_id: str, reason: str | None = None) -> Steps[Job]:
    """Cancel a job (operators): a waiting one never runs, a running one stops at its
    worker's next report. Returns the job, now cancelled."""
    return (yield cancel_call(job_id, reason))  # type: ignore[no-any-return]


def retry_job(job_id: str) -> Steps[Job]:
    """Queue a failed or cancelled job again, with one more attempt (operators)."""
    return (yield retry_call(job_id))  # type: ignore[no-any-return]


def get_job(job_id: str) -> Steps[Job]:
    """The job in canonical form (progress 0-100), from ``GET /api/jobs/{id}/detail``
    (``GET /api/jobs/{id}`` is seed 002's short polling view). SdkError NOT_FOUND when
    the server has no such job."""
    return (yield detail_call(job_id))  # type: ignore[no-any-return]


class Blocking(Protocol):
    """A client whose ``_run`` takes steps in the calling thread (the thread shell)."""

    def _run(self, steps: Steps[T]) -> T: ...


class Awaiting(Protocol):
    """A client whose ``_run`` is a coroutine (the asyncio shell)."""

    def _run(self, steps: Steps[T]) -> Coroutine[Any, Any, T]: ...


class Operation(Generic[P, R]):
    """One operation, declared once on ``ClientBase``: a method of JobdeskClient that
    returns its result, and of AsyncJobdeskClient that returns a coroutine of it."""

    def __init__(self, steps: Callable[P, Steps[R]]) -> None:
        self._steps = steps
        self.__doc__ = steps.__doc__

    @overload
    def __get__(self, client: None, owner: type[Any]) -> Operation[P, R]: ...

    @overload
    def __get__(self, client: Blocking, owner: type[Any]) -> Callable[P, R]: ...

    @overload
    def __get__(
        self, client: Awaiting, owner: type[Any]
    ) -> Callable[P, Coroutine[Any, Any, R]]: ...

    def __get__(self, client: Any, owner: type[Any]) -> Any:
        if client is None:
            return self
        steps = self._steps

        @functools.wraps(steps)
        def bound(*args: P.args, **kwargs: P.kwargs) -> Any:
            return client._run(steps(*args, **kwargs))

        return bound
