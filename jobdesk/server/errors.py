"""The one exception the server's domain raises; the HTTP layer turns it into ErrorBody."""

from __future__ import annotations

from jobdesk.protocol import ErrorCode

_STATUS = {
    ErrorCode.INVALID_INPUT: 400,
    ErrorCode.AUTH_REQUIRED: 401,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.CONFLICT: 409,
    ErrorCode.CANCELLED: 409,
    ErrorCode.LEASE_LOST: 409,
    ErrorCode.RESYNC_REQUIRED: 410,
    ErrorCode.PAYLOAD_TOO_LARGE: 413,
    ErrorCode.TOO_MANY_ACTIVE_JOBS: 429,
    ErrorCode.UNKNOWN_ERROR: 500,
    ErrorCode.STORAGE_FULL: 503,
    ErrorCode.STORAGE_UNAVAILABLE: 503,
}


class ApiError(Exception):
    """A request the server refuses, with the code, message and field the client sees."""

    def __init__(
        self,
        code: ErrorCode,
        message: str,
        field: str | None = None,
        *,
        retry_after_s: int | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.retry_after_s = retry_after_s
        """Sent as ``Retry-After``: the refusal may pass, try again after this long."""

    @property
    def status_code(self) -> int:
        return _STATUS.get(self.code, 400)


def not_found(job_id: str) -> ApiError:
    return ApiError(ErrorCode.NOT_FOUND, f"no job with id {job_id!r}", "id")
