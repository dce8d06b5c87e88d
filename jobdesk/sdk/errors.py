"""The one exception the SDK raises for anything the server or the network refuses.

A worker branches on ``code``: the server's own codes (``jobdesk.protocol.ErrorCode``,
e.g. ``CONFLICT`` when an operator force-failed the job) pass through unchanged, so a
worker reads the same words the server's error body and its logs use. Two codes are the
SDK's own, for failures that never produced an error body.

Two kinds of SdkError have classes of their own, because code handles them apart from
the rest: ``JobStopped`` (the job is no longer the worker's: move on to the next) and
``SubmissionError`` (seed 000's submission codes, for whoever submits jobs).
"""

from __future__ import annotations

from typing import Final

from jobdesk.protocol import ErrorCode, submission_code

UNAVAILABLE: Final = "UNAVAILABLE"
"""The server could not be reached, or answered 502/503/504, on every attempt the retry
policy allowed. Named for the cause rather than seed 000's ``SUBMISSION_FAILED``, because
it applies to every call (progress, complete, ...), not only to submitting a job."""

BAD_RESPONSE: Final = "BAD_RESPONSE"
"""The server answered something that is not the protocol's body for that status."""

_LATER: Final = frozenset(
    {UNAVAILABLE, ErrorCode.TOO_MANY_ACTIVE_JOBS.value, ErrorCode.SUBMISSION_FAILED.value}
)


class SdkError(Exception):
    """A call the server refused (``status`` is its HTTP status) or could not be made.

    ``field`` names the offending input for ``INVALID_INPUT``; ``attempts`` counts the
    requests sent, so a ``CONFLICT`` after more than one attempt may be the echo of an
    earlier attempt that was committed but whose answer was lost.
    """

    def __init__(
        self,
        code: str,
        message: str,
        *,
        field: str | None = None,
        status: int | None = None,
        attempts: int = 1,
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.field = field
        self.status = status
        self.attempts = attempts
        self.retry_after: float | None = None
        """The seconds a 503's ``Retry-After`` asked the client to wait, if it did."""

    @property
    def retryable(self) -> bool:
        """True when the same call may succeed later unchanged (seed 000's shouldRetry)."""
        return self.code in _LATER

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(code={self.code!r}, message={self.message!r}, "
            f"field={self.field!r}, status={self.status!r})"
        )


class JobStopped(SdkError):
    """The job is no longer this worker's to work on: stop, and take the next one.

    Not a failure of the worker: an operator cancelled the job (``Cancelled``), or the
    worker's attempt is over because its lease ran out and the job moved on
    (``LeaseLost``). Nothing the worker sends for the job is accepted any more.
    """


class Cancelled(JobStopped):
    """An operator cancelled the job (409 ``CANCELLED``)."""


class LeaseLost(JobStopped):
    """This worker's attempt is over (409 ``LEASE_LOST``): its lease expired, and the job
    was requeued or claimed by another worker, which now owns it."""


_STOPPED: Final[dict[str, type[JobStopped]]] = {
    ErrorCode.CANCELLED.value: Cancelled,
    ErrorCode.LEASE_LOST.value: LeaseLost,
}


def sdk_error(
    code: str,
    message: str,
    *,
    field: str | None = None,
    status: int | None = None,
    attempts: int = 1,
) -> SdkError:
    """The SdkError for a server's answer: ``Cancelled`` or ``LeaseLost`` for the codes
    that tell a worker to stop, so ``except JobStopped`` catches both wherever they come
    from (a progress, a heartbeat, a completion)."""
    kind = _STOPPED.get(code, SdkError)
    return kind(code, message, field=field, status=status, attempts=attempts)


class SubmissionError(SdkError):
    """Submitting a job failed: seed 000's ``JobSubmissionError``.

    ``code`` is one of seed 000's four (``AUTH_REQUIRED``, ``INVALID_INPUT``,
    ``SUBMISSION_FAILED``, ``UNKNOWN_ERROR``; see ``jobdesk.protocol.submission_code``),
    so a submitter branches on a short, stable list; ``server_code`` keeps the code the
    server (or the SDK) actually gave, e.g. ``FORBIDDEN`` behind ``AUTH_REQUIRED``, for
    logs and debugging. ``field`` names the offending argument for ``INVALID_INPUT``.
    """

    def __init__(
        self,
        code: str,
        message: str,
        *,
        server_code: str,
        field: str | None = None,
        status: int | None = None,
        attempts: int = 1,
    ) -> None:
        super().__init__(code, message, field=field, status=status, attempts=attempts)
        self.server_code = server_code

    @classmethod
    def wrap(cls, error: SdkError) -> SubmissionError:
        """``error`` in seed 000's words, the original code kept as ``server_code``."""
        if isinstance(error, SubmissionError):
            return error
        return cls(
            submission_code(error.code).value,
            error.message,
            server_code=error.code,
            field=error.field,
            status=error.status,
            attempts=error.attempts,
        )

    @classmethod
    def invalid(cls, field: str, message: str) -> SubmissionError:
        """An argument the SDK refuses before sending: INVALID_INPUT naming the field."""
        code = ErrorCode.INVALID_INPUT.value
        return cls(code, message, server_code=code, field=field)

    def __repr__(self) -> str:
        return (
            f"SubmissionError(code={self.code!r}, server_code={self.server_code!r}, "
            f"message={self.message!r}, field={self.field!r}, status={self.status!r})"
        )
