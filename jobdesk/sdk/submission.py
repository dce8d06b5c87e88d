"""What a submitter and an operator send: submit, cancel and retry, checked and made Calls.

Shared by both clients. A bad submission argument is refused here, before anything is
sent, as the SubmissionError the server would answer (INVALID_INPUT naming the wire
field, e.g. ``maxAttempts``), so a submitter handles one kind of error whoever found the
mistake. The limits are the protocol's (``jobdesk.protocol.rest``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import quote

import msgspec

from jobdesk.protocol import ErrorCode, Job, Priority
from jobdesk.protocol.rest import CancelRequest, CreateJobRequest, CreateJobResponse
from jobdesk.sdk.calls import clip
from jobdesk.sdk.errors import SubmissionError
from jobdesk.sdk.wire import Call

MAX_ATTEMPTS: Final = 100
MAX_TIMEOUT: Final = 7 * 24 * 3600.0
MAX_JOB_TYPE: Final = 100
MAX_NAME: Final = 200

SUBMIT_RETRY_CODES: Final = frozenset({ErrorCode.TOO_MANY_ACTIVE_JOBS.value})
"""A full server (429) is retried like an unreachable one: seed 000 retries a submission
until its retries are used up, and a queue drains."""

_encoder = msgspec.json.Encoder()


def submit_call(
    job_type: str,
    name: str | None,
    payload: Any,
    priority: Priority | str,
    max_attempts: int,
    timeout: float | None,
    metadata: Mapping[str, Any] | None,
) -> Call[CreateJobResponse]:
    """``POST /api/jobs`` for a queued job; raises SubmissionError(INVALID_INPUT)."""
    body = CreateJobRequest(
        job_type=_text("jobType", job_type, MAX_JOB_TYPE),
        name=None if name is None else _text("name", name, MAX_NAME),
        priority=_priority(priority),
        payload=_json("payload", payload),
        max_attempts=_max_attempts(max_attempts),
        timeout=_timeout(timeout),
        metadata=_metadata(metadata),
    )
    return Call("POST", "/api/jobs", CreateJobResponse, body, retry_codes=SUBMIT_RETRY_CODES)


def cancel_call(job_id: str, reason: str | None) -> Call[Job]:
    body = CancelRequest(reason=None if reason is None else clip(str(reason)))
    return Call("POST", _job_path(job_id, "cancel"), Job, body)


def retry_call(job_id: str) -> Call[Job]:
    return Call("POST", _job_path(job_id, "retry"), Job)


def _job_path(job_id: str, action: str) -> str:
    if not isinstance(job_id, str) or not job_id:
        raise ValueError(f"job_id must be a non-empty string, got {job_id!r}")
    return f"/api/jobs/{quote(job_id, safe='')}/{action}"


def _invalid(field: str, message: str) -> SubmissionError:
    return SubmissionError.invalid(field, f"invalid {field}: {message}")


def _text(field: str, value: object, longest: int) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= longest:
        raise _invalid(field, f"must be a string of 1-{longest} characters, got {value!r}")
    return value


def _priority(value: object) -> Priority:
    """A Priority, or its name in any case (``"high"``): the CLI and people write both."""
    if isinstance(value, str):
        try:
            return Priority(value.upper())
        except ValueError:
            pass
    raise _invalid("priority", f"must be HIGH, MEDIUM or LOW, got {value!r}")


def _max_attempts(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ATTEMPTS:
        raise _invalid("maxAttempts", f"must be a whole number 1-{MAX_ATTEMPTS}, got {value!r}")
    return value


def _timeout(value: object) -> float | None:
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or not 0 < value <= MAX_TIMEOUT
    ):
        raise _invalid(
            "timeout",
            f"must be a number of seconds above 0, at most {MAX_TIMEOUT:g}, got {value!r}",
        )
    return float(value)


def _json(field: str, value: Any) -> Any:
    """``value`` if JSON can carry it (checked here, not in a send that would fail later)."""
    try:
        _encoder.encode(value)
    except (TypeError, ValueError, OverflowError) as exc:
        raise _invalid(field, f"cannot be sent as JSON: {exc}") from None
    return value


def _metadata(value: Mapping[str, Any] | None) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(isinstance(key, str) for key in value):
        raise _invalid("metadata", f"must be a mapping with string keys, got {value!r}")
    return dict(_json("metadata", dict(value)))
