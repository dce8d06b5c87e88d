"""The SDK's public arguments turned into protocol bodies and Calls.

Validation that would otherwise fail later, in a background send, happens here in the
caller's thread: a bad percent or sub-operation name raises ValueError at the line that
made the mistake. Texts longer than the protocol allows are shortened rather than
refused, so a long traceback never costs a worker its report.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any, Final
from urllib.parse import quote

from jobdesk.protocol import Job, Priority
from jobdesk.protocol.models import LogLevel
from jobdesk.protocol.rest import (
    CompleteRequest,
    CreateJobRequest,
    CreateJobResponse,
    FailRequest,
    JobAck,
    MessageRequest,
    ProgressRequest,
    StartJobRequest,
    StartJobResponse,
    SubOperationSpec,
)
from jobdesk.sdk.wire import Call

MAX_TEXT: Final = 10_000
"""The protocol's longest message, log entry or error text."""
MAX_NAME: Final = 200
"""The protocol's longest sub-operation name."""

PipelineSpec = Mapping[str, float] | Iterable[tuple[str, float]]
Body = ProgressRequest | MessageRequest


def clip(text: str) -> str:
    """``text`` shortened to the protocol's limit, marked with an ellipsis when cut."""
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


def describe(error: str | BaseException) -> str:
    """How a failure reads in the job: ``"ValueError: bad row 7"`` for an exception."""
    if isinstance(error, BaseException):
        return f"{type(error).__name__}: {error}"
    return error


def to_fraction(percent: float) -> float:
    """The SDK speaks percent (0-100) like the Job model; the admin API a 0-1 fraction."""
    if type(percent) is float and 0.0 <= percent <= 100.0:  # the common case, quickly
        return percent / 100.0  # (NaN fails the comparison and is refused below)
    if isinstance(percent, bool) or not isinstance(percent, int | float):
        raise TypeError(f"percent must be a number, not {type(percent).__name__}")
    if not math.isfinite(percent) or not 0 <= percent <= 100:
        raise ValueError(f"percent must be between 0 and 100, got {percent!r}")
    return percent / 100.0


def check_name(name: str) -> str:
    if not isinstance(name, str) or not 1 <= len(name) <= MAX_NAME:
        raise ValueError(f"a sub-operation name must be 1-{MAX_NAME} characters, got {name!r}")
    return name


def pipeline_body(spec: PipelineSpec) -> ProgressRequest:
    """Declare weighted sub-operations, as seed 001's ``initializePipeline`` does."""
    pairs = list(spec.items()) if isinstance(spec, Mapping) else list(spec)
    steps: list[SubOperationSpec] = []
    for name, weight in pairs:
        if isinstance(weight, bool) or not math.isfinite(weight) or weight <= 0:
            raise ValueError(f"weight of {name!r} must be a positive number, got {weight!r}")
        steps.append(SubOperationSpec(name=check_name(name), weight=float(weight)))
    names = [s.name for s in steps]
    if len(set(names)) != len(names):
        raise ValueError(f"sub-operation names repeat in the pipeline: {names}")
    if not steps:
        raise ValueError("a pipeline needs at least one sub-operation")
    return ProgressRequest(pipeline=steps)


def message_body(level: LogLevel, text: str) -> MessageRequest:
    return MessageRequest(level=level, text=clip(str(text)))


def admin_path(job_id: str, action: str) -> str:
    return f"/api/admin/jobs/{quote(job_id, safe='')}/{action}"


Headers = Mapping[str, str] | None
"""Extra headers of a reporter's writes: a claimed job's ``Jobdesk-Attempt``."""


def body_call(job_id: str, body: Body, headers: Headers = None) -> Call[JobAck]:
    action = "message" if isinstance(body, MessageRequest) else "progress"
    return Call("POST", admin_path(job_id, action), JobAck, body, headers=headers)


def complete_call(
    job_id: str, result: Any, message: str | None, headers: Headers = None
) -> Call[JobAck]:
    body = CompleteRequest(result=result, message=None if message is None else clip(message))
    return Call("POST", admin_path(job_id, "complete"), JobAck, body, headers=headers)


def fail_call(job_id: str, error: str | BaseException, headers: Headers = None) -> Call[JobAck]:
    body = FailRequest(error=clip(describe(error)))
    return Call("POST", admin_path(job_id, "fail"), JobAck, body, headers=headers)


def create_call(
    job_type: str,
    name: str | None,
    message: str,
    metadata: Mapping[str, Any] | None,
    priority: Priority | str,
) -> Call[CreateJobResponse]:
    body = CreateJobRequest(
        job_type=job_type,
        name=name,
        message=message,
        metadata=dict(metadata or {}),
        priority=Priority(priority),
    )
    return Call("POST", "/api/jobs", CreateJobResponse, body)


def start_call(
    job_type: str,
    name: str | None,
    message: str,
    metadata: Mapping[str, Any] | None,
    priority: Priority | str,
) -> Call[StartJobResponse]:
    body = StartJobRequest(
        job_type=job_type,
        name=name,
        message=message,
        metadata=dict(metadata or {}),
        priority=Priority(priority),
    )
    return Call("POST", "/api/admin/jobs/start", StartJobResponse, body)


def detail_call(job_id: str) -> Call[Job]:
    """One job in canonical form (``GET /api/jobs/{id}/detail``); 404 ``NOT_FOUND`` (an
    SdkError) when the server has no such job. Not the snapshot: that is paged, so the
    job may not be on its first page."""
    return Call("GET", f"/api/jobs/{quote(job_id, safe='')}/detail", Job)
