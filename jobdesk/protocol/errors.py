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


class ErrorDetail(msgspec.Struct, kw_only=True, omit_defaults=True):
    code: ErrorCode
    message: str
    field: str | None = None


class ErrorBody(msgspec.Struct, kw_only=True):
    """``{"error": {"code": "INVALID_INPUT", "message": "...", "field": "progress"}}``"""

    error: ErrorDetail
