"""The error body every endpoint answers with, and its codes."""

from __future__ import annotations

from enum import StrEnum

import msgspec


class ErrorCode(StrEnum):
    INVALID_INPUT = "INVALID_INPUT"
    AUTH_REQUIRED = "AUTH_REQUIRED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    CONFLICT = "CONFLICT"
    RESYNC_REQUIRED = "RESYNC_REQUIRED"
    PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"
    TOO_MANY_ACTIVE_JOBS = "TOO_MANY_ACTIVE_JOBS"
    UNKNOWN_MESSAGE = "UNKNOWN_MESSAGE"
    UNKNOWN_ERROR = "UNKNOWN_ERROR"
    CANCELLED = "CANCELLED"
    """The job was cancelled by an operator: its worker should stop."""
    LEASE_LOST = "LEASE_LOST"
    """The caller's attempt is over (its lease expired, or the job moved on): stop."""
    SUBMISSION_FAILED = "SUBMISSION_FAILED"
    """Seed 000: a submission that still failed after the client's retries (client-side)."""
    STORAGE_FULL = "STORAGE_FULL"
    """503: the server's disk (or its database's size limit) is full; nothing was
    changed. Retry after ``Retry-After`` seconds: writes work again once space is freed."""
    STORAGE_UNAVAILABLE = "STORAGE_UNAVAILABLE"
    """503: the database was busy or could not read or write; nothing was changed.
    Retry after ``Retry-After`` seconds."""


def submission_code(code: str) -> ErrorCode:
    """Seed 000's four submission codes for any error a submission ended with.

    A client that submits jobs (SDK, CLI, monitor) reports only these, as seed 000's
    JobSubmissionError does: a missing, unknown or too weak token is AUTH_REQUIRED, bad
    or oversized input is INVALID_INPUT, a server that stayed unreachable or full is
    SUBMISSION_FAILED, and anything else UNKNOWN_ERROR.
    """
    return _SUBMISSION.get(code, ErrorCode.UNKNOWN_ERROR)


_SUBMISSION = {
    ErrorCode.AUTH_REQUIRED.value: ErrorCode.AUTH_REQUIRED,
    ErrorCode.FORBIDDEN.value: ErrorCode.AUTH_REQUIRED,
    ErrorCode.INVALID_INPUT.value: ErrorCode.INVALID_INPUT,
    ErrorCode.PAYLOAD_TOO_LARGE.value: ErrorCode.INVALID_INPUT,
    ErrorCode.TOO_MANY_ACTIVE_JOBS.value: ErrorCode.SUBMISSION_FAILED,
    ErrorCode.SUBMISSION_FAILED.value: ErrorCode.SUBMISSION_FAILED,
    ErrorCode.STORAGE_FULL.value: ErrorCode.SUBMISSION_FAILED,
    ErrorCode.STORAGE_UNAVAILABLE.value: ErrorCode.SUBMISSION_FAILED,
    "UNAVAILABLE": ErrorCode.SUBMISSION_FAILED,
}


class ErrorDetail(msgspec.Struct, kw_only=True, omit_defaults=True):
    code: ErrorCode
    message: str
    field: str | None = None


class ErrorBody(msgspec.Struct, kw_only=True):
    """``{"error": {"code": "INVALID_INPUT", "message": "...", "field": "progress"}}``"""

    error: ErrorDetail
