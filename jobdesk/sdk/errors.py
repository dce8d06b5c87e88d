"""The one exception the SDK raises for anything the server or the network refuses.

A worker branches on ``code``: the server's own codes (``jobdesk.protocol.ErrorCode``,
e.g. ``CONFLICT`` when an operator force-failed the job) pass through unchanged, so a
worker reads the same words the server's error body and its logs use. Two codes are the
SDK's own, for failures that never produced an error body.
"""

from __future__ import annotations

from typing import Final

from jobdesk.protocol import ErrorCode

UNAVAILABLE: Final = "UNAVAILABLE"
"""The server could not be reached, or answered 502/503/504, on every attempt the retry
policy allowed. Named for the cause rather than seed 000's ``SUBMISSION_FAILED``, because
it applies to every call (progress, complete, ...), not only to submitting a job."""

BAD_RESPONSE: Final = "BAD_RESPONSE"
"""The server answered something that is not the protocol's body for that status."""

_LATER: Final = frozenset({UNAVAILABLE, ErrorCode.TOO_MANY_ACTIVE_JOBS.value})


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

    @property
    def retryable(self) -> bool:
        """True when the same call may succeed later unchanged (seed 000's shouldRetry)."""
        return self.code in _LATER

    def __repr__(self) -> str:
        return (
            f"SdkError(code={self.code!r}, message={self.message!r}, field={self.field!r}, "
            f"status={self.status!r})"
        )
