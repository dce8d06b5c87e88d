"""Many jobs submitted at once: ``JobSpec`` and the calls of ``submit_jobs``.

An operator queueing 100,000 frames should not pay 100,000 requests: ``submit_jobs``
sends them ``MAX_SUBMIT_JOBS`` (1,000) a request to ``POST /api/jobs/batch``, each
request one transaction on the server (all of it queued, or none) with its own
Idempotency-Key, so a retried request never queues its jobs twice. Every spec is checked
before the first request goes, as ``submit_job`` checks its arguments, and a refusal
names the spec: ``jobs[3].maxAttempts``.

A failure after some requests went through raises ``BulkSubmissionError``: a
SubmissionError that also says which jobs were queued (``submitted``, their ids in the
order given), so the caller can go on from ``len(submitted)`` instead of queueing those
again.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from jobdesk.protocol import Priority
from jobdesk.protocol.rest import (
    MAX_SUBMIT_JOBS,
    CreateJobRequest,
    CreateJobsRequest,
    CreateJobsResponse,
)
from jobdesk.sdk.errors import SubmissionError
from jobdesk.sdk.submission import SUBMIT_RETRY_CODES, submit_call
from jobdesk.sdk.wire import Call

WIRE_FIELDS: Final = {
    "jobType": "job_type",
    "name": "name",
    "payload": "payload",
    "priority": "priority",
    "maxAttempts": "max_attempts",
    "timeout": "timeout",
    "metadata": "metadata",
}
"""A spec's fields as ``POST /api/jobs`` names them (how a JSON-lines file writes them)."""


@dataclass(frozen=True, kw_only=True)
class JobSpec:
    """One job to submit: ``submit_job``'s arguments as a value."""

    job_type: str = "generic"
    name: str | None = None
    payload: Any = None
    priority: Priority | str = Priority.MEDIUM
    max_attempts: int = 1
    timeout: float | None = None
    metadata: Mapping[str, Any] | None = field(default=None)

    @classmethod
    def from_wire(
        cls, fields: Mapping[str, Any], defaults: Mapping[str, Any] | None = None
    ) -> JobSpec:
        """A spec from ``POST /api/jobs``'s JSON names (``jobType``, ``maxAttempts``...);
        ``defaults`` (Python names) fill what ``fields`` leaves out. An unknown name is
        INVALID_INPUT, never silently dropped."""
        if not isinstance(fields, Mapping):
            raise SubmissionError.invalid("job", f"must be a JSON object, got {fields!r}")
        unknown = sorted(set(fields) - set(WIRE_FIELDS))
        if unknown:
            raise SubmissionError.invalid(unknown[0], f"unknown field {unknown[0]!r}")
        given = {WIRE_FIELDS[name]: value for name, value in fields.items()}
        return cls(**{**(defaults or {}), **given})

    def request(self) -> CreateJobRequest:
        """The spec as ``POST /api/jobs`` takes it; SubmissionError(INVALID_INPUT) naming
        the field, as ``submit_job`` refuses its arguments."""
        call = submit_call(
            self.job_type,
            self.name,
            self.payload,
            self.priority,
            self.max_attempts,
            self.timeout,
            self.metadata,
        )
        body: CreateJobRequest = call.body
        return body


class BulkSubmissionError(SubmissionError):
    """A ``submit_jobs`` that stopped part way: ``submitted`` were queued, the rest not."""

    def __init__(self, error: SubmissionError, submitted: list[str]) -> None:
        super().__init__(
            error.code,
            f"{error.message} (after {len(submitted)} jobs were queued)",
            server_code=error.server_code,
            field=error.field,
            status=error.status,
            attempts=error.attempts,
        )
        self.submitted = submitted


def bulk_calls(specs: Iterable[JobSpec]) -> Iterator[Call[CreateJobsResponse]]:
    """The requests for ``specs``, ``MAX_SUBMIT_JOBS`` a request, all checked first."""
    checked = [_request(index, spec) for index, spec in enumerate(specs)]
    for start in range(0, len(checked), MAX_SUBMIT_JOBS):
        body = CreateJobsRequest(jobs=checked[start : start + MAX_SUBMIT_JOBS])
        yield Call(
            "POST", "/api/jobs/batch", CreateJobsResponse, body, retry_codes=SUBMIT_RETRY_CODES
        )


def _request(index: int, spec: JobSpec) -> CreateJobRequest:
    if not isinstance(spec, JobSpec):
        raise SubmissionError.invalid(f"jobs[{index}]", f"must be a JobSpec, got {spec!r}")
    try:
        return spec.request()
    except SubmissionError as refused:
        where = f"jobs[{index}].{refused.field}" if refused.field else f"jobs[{index}]"
        raise SubmissionError.invalid(where, f"{where}: {refused.message}") from None
