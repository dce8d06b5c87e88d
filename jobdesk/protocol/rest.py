"""REST request and response bodies, per the seed each endpoint comes from.

Seed 002 (``/api/jobs``) speaks progress 0-100 and queued|processing|completed|error;
seed 001 (``/api/admin/jobs``) speaks progress as a 0-1 fraction and
pending|running|completed|failed. The canonical snapshot and ``/detail`` speak the Job
model itself.
"""

from __future__ import annotations

from typing import Annotated, Any, Final, Generic, Literal

import msgspec

from jobdesk.protocol.errors import ErrorDetail
from jobdesk.protocol.models import (
    AnyJob,
    Fraction,
    Job,
    JobObject,
    LogLevel,
    Percent,
    Priority,
    Wire,
)

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Text = Annotated[str, msgspec.Meta(max_length=10_000)]
JobTypeName = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
JobIdText = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]

Seed002Status = Literal["queued", "processing", "completed", "error"]
Seed001Status = Literal["pending", "running", "completed", "failed"]


# --- seed 002: /api/jobs ----------------------------------------------------------------


MaxAttempts = Annotated[int, msgspec.Meta(ge=1, le=100)]
TimeoutSeconds = Annotated[float, msgspec.Meta(gt=0, le=7 * 24 * 3600)]
LeaseSeconds = Annotated[float, msgspec.Meta(ge=1, le=3600)]
WaitSeconds = Annotated[float, msgspec.Meta(ge=0, le=60)]


class CreateJobRequest(Wire, frozen=True, kw_only=True):
    """``POST /api/jobs``: submit a queued job. Every field optional, as seed 002 says.

    ``payload`` is the work's input, handed to the worker that claims the job;
    ``maxAttempts`` counts the tries before a failure is final (1: no retry);
    ``timeout`` is how many seconds one attempt may run (default: the server's).
    """

    job_type: JobTypeName = "generic"
    message: Text = ""
    metadata: JobObject = {}
    name: Name | None = None
    priority: Priority = Priority.MEDIUM
    payload: Any = None
    max_attempts: MaxAttempts = 1
    timeout: TimeoutSeconds | None = None


class CreateJobResponse(Wire, frozen=True, kw_only=True):
    job_id: str
    status: Literal["queued"] = "queued"
    timestamp: str


MAX_SUBMIT_JOBS = 1000
"""Most jobs in one ``POST /api/jobs/batch``; the SDK splits a longer list."""


class CreateJobsRequest(Wire, frozen=True, kw_only=True):
    """``POST /api/jobs/batch`` (jobdesk's addition): many queued jobs in one request and
    one transaction: all are created or, refused, none. Each is what ``POST /api/jobs``
    takes."""

    jobs: Annotated[list[CreateJobRequest], msgspec.Meta(min_length=1, max_length=MAX_SUBMIT_JOBS)]


class CreateJobsResponse(Wire, frozen=True, kw_only=True):
    job_ids: list[str]
    """In the order the jobs were given."""
    status: Literal["queued"] = "queued"
    timestamp: str


class Seed002JobView(Wire, frozen=True, kw_only=True, omit_defaults=True):
    """``GET /api/jobs/{jobId}``: the polling view."""

    status: Seed002Status
    message: str
    progress: Percent
    timestamp: str
    document_id: str | None = None
    error: str | None = None


DEFAULT_PAGE: Final = 500
"""Jobs in one page of a list when the request gives no ``limit``."""
MAX_PAGE: Final = 500
"""The largest ``limit`` a list takes (400 beyond)."""


class HistoryPage(Wire, Generic[AnyJob], frozen=True, kw_only=True):
    """``GET /api/history``: a page of every job the database keeps (the live set and the
    history retention moved out of it), newest created first, filtered by the query;
    ``nextCursor`` asks for the older ones. The server sends ``HistoryPage[Job]``."""

    jobs: list[AnyJob]
    next_cursor: str | None = None


class Snapshot(Wire, Generic[AnyJob], frozen=True, kw_only=True):
    """``GET /api/jobs``: a page of the jobs, in id order, at one consistent state; with
    ``since``, a page of what changed after it, in seq order.

    ``nextCursor`` is there when the list goes on: ask again with ``cursor`` set to it.
    A snapshot read page by page, then ``?since=`` the first page's ``seq``, ends with
    exactly the server's state; a resync page's ``seq`` is the seq it brings the client
    to. The server sends ``Snapshot[Job]``; the monitor reads ``Snapshot[JobSummary]``."""

    epoch: str
    seq: int
    jobs: list[AnyJob]
    removed: list[str] = []
    next_cursor: str | None = None


class CancelRequest(Wire, frozen=True, kw_only=True):
    """``POST /api/jobs/{id}/cancel`` (operators): a queued job never runs; a running one
    ends cancelled and its worker's next call is answered 409 CANCELLED."""

    reason: Text | None = None


# --- the work queue: /api/queue --------------------------------------------------------


MAX_CLAIM_JOBS = 100
"""Most jobs one claim takes (``maxJobs``)."""


class ClaimRequest(Wire, frozen=True, kw_only=True):
    """``POST /api/queue/claim``: take the next job of one of ``jobTypes``.

    Highest priority first, then oldest. With ``waitSeconds`` the call waits (long poll)
    until a job is claimable or the time is up. ``leaseSeconds`` is how long the claim
    holds without a report: every progress, message or heartbeat renews it. ``worker``
    labels the attempt in the job's history (default: the token's name).
    """

    job_types: Annotated[list[JobTypeName], msgspec.Meta(min_length=1, max_length=100)]
    wait_seconds: WaitSeconds = 0.0
    lease_seconds: LeaseSeconds = 60.0
    worker: Name | None = None
    max_jobs: Annotated[int, msgspec.Meta(ge=1, le=MAX_CLAIM_JOBS)] = 1
    """jobdesk's addition: take up to this many at once (a worker's prefetch), each with
    its own lease; a long poll answers as soon as there is at least one."""


class ClaimResponse(Wire, frozen=True, kw_only=True):
    """The claimed job (running, attempt ``job.attempts``), or null when none came;
    ``jobs``: every job claimed, in claim order (``job`` is the first)."""

    job: Job | None
    jobs: list[Job] = []


MAX_COMPLETIONS = 1000
"""Most completions in one ``complete-many``: ten times the largest prefetch."""


class CompleteAndClaimRequest(Wire, frozen=True, kw_only=True):
    """``POST /api/queue/complete`` (jobdesk's addition): complete the claimed job
    ``jobId`` (fenced by ``attempt``, as ``Jobdesk-Attempt``) and, in the same
    transaction, claim the next ones as ``claim`` asks: one round trip where a worker
    made two."""

    job_id: JobIdText
    attempt: Annotated[int, msgspec.Meta(ge=1)]
    result: Any = None
    message: Text | None = None
    claim: ClaimRequest | None = None


class CompleteAndClaimResponse(Wire, frozen=True, kw_only=True):
    job: Job
    """The completed job."""
    claimed: list[Job]
    """The jobs claimed after it, in claim order (empty: none, or no ``claim`` asked)."""


class Completion(Wire, frozen=True, kw_only=True, omit_defaults=True):
    """One job of ``POST /api/queue/complete-many``: what ``.../complete`` takes, fenced by
    ``attempt``."""

    job_id: JobIdText
    attempt: Annotated[int, msgspec.Meta(ge=1)]
    result: Any = None
    message: Text | None = None


class CompleteManyRequest(Wire, frozen=True, kw_only=True):
    """``POST /api/queue/complete-many`` (jobdesk's addition): complete the claimed jobs
    ``completions`` and claim the next ones as ``claim`` asks, in one transaction: a
    worker's completions of one round in one request. Each completion is answered on
    its own; a refused one (``LEASE_LOST``, ``CANCELLED``) refuses no other and no claim."""

    completions: Annotated[list[Completion], msgspec.Meta(min_length=1, max_length=MAX_COMPLETIONS)]
    claim: ClaimRequest | None = None


class CompleteManyResponse(Wire, frozen=True, kw_only=True):
    results: list[BatchResult]
    """One per completion, in the order given: the job's seed 001 status, or its error."""
    claimed: list[Job]
    """The jobs claimed after them, in claim order."""


class LeaseView(Wire, frozen=True, kw_only=True):
    """Answer of ``POST /api/admin/jobs/{id}/heartbeat``: the renewed lease."""

    job_id: str
    attempt: int
    lease_expires_at: str | None
    timestamp: str


# --- seed 001: /api/admin/jobs ----------------------------------------------------------


class SubOperationSpec(Wire, frozen=True, kw_only=True):
    name: Name
    weight: Annotated[float, msgspec.Meta(gt=0, le=1_000_000)] = 1.0


class StartJobRequest(Wire, frozen=True, kw_only=True):
    """``POST /api/admin/jobs/start``: the caller does the work, so the job starts running."""

    job_type: JobTypeName = "generic"
    name: Name | None = None
    message: Text = ""
    metadata: JobObject = {}
    priority: Priority = Priority.MEDIUM


class StartJobResponse(Wire, frozen=True, kw_only=True):
    job_id: str
    status: Literal["running"] = "running"
    timestamp: str


class ProgressRequest(Wire, frozen=True, kw_only=True):
    """``POST /api/admin/jobs/{id}/progress``.

    ``progress`` is a 0-1 fraction. With ``subOperation`` it is that sub-operation's
    progress and the job's becomes the weighted mean. ``pipeline`` (jobdesk's addition)
    declares the weighted sub-operations, as the PipelineLogger's initializePipeline does.
    """

    progress: Fraction | None = None
    message: Text | None = None
    sub_operation: Name | None = None
    pipeline: Annotated[list[SubOperationSpec], msgspec.Meta(max_length=1000)] | None = None


class SubOperationView(Wire, frozen=True, kw_only=True):
    name: str
    weight: float
    progress: Fraction


class ProgressView(Wire, frozen=True, kw_only=True):
    job_id: str
    status: Seed001Status
    progress: Fraction
    message: str
    sub_operations: list[SubOperationView]
    timestamp: str


class MessageRequest(Wire, frozen=True, kw_only=True):
    level: LogLevel = "info"
    text: Text


class CompleteRequest(Wire, frozen=True, kw_only=True):
    result: Any = None
    message: Text | None = None


class FailRequest(Wire, frozen=True, kw_only=True):
    error: Text


class ForceFailRequest(Wire, frozen=True, kw_only=True):
    reason: Text | None = None


MAX_BATCH_ITEMS = 5000
"""Most reports in one ``POST /api/admin/jobs/batch``."""


class BatchItem(Wire, frozen=True, kw_only=True, omit_defaults=True):
    """One report in ``POST /api/admin/jobs/batch`` (jobdesk's addition).

    What ``POST /api/admin/jobs/{jobId}/progress`` takes; ``log`` adds what ``.../message``
    takes (after the progress, in the same change). ``attempt`` is a claimed job's
    ``Jobdesk-Attempt`` fencing token.
    """

    job_id: JobIdText
    attempt: Annotated[int, msgspec.Meta(ge=1)] | None = None
    progress: Fraction | None = None
    message: Text | None = None
    sub_operation: Name | None = None
    pipeline: Annotated[list[SubOperationSpec], msgspec.Meta(max_length=1000)] | None = None
    log: MessageRequest | None = None


class BatchRequest(Wire, frozen=True, kw_only=True):
    """``POST /api/admin/jobs/batch``: many jobs' reports, applied in order and committed
    in one transaction; each is answered on its own (one refused report refuses no other)."""

    updates: Annotated[list[BatchItem], msgspec.Meta(min_length=1, max_length=MAX_BATCH_ITEMS)]


class BatchResult(Wire, frozen=True, kw_only=True, omit_defaults=True):
    """The answer to one report: the job's seed 001 status, or the error it was refused with."""

    job_id: str
    status: Seed001Status | None = None
    timestamp: str | None = None
    error: ErrorDetail | None = None


class BatchResponse(Wire, frozen=True, kw_only=True):
    results: list[BatchResult]
    """One per report, in the order they were given."""


class AdminJob(Wire, frozen=True, kw_only=True):
    """A job in seed 001's words: progress as a 0-1 fraction, seed 001 statuses."""

    id: str
    name: str
    job_type: str
    status: Seed001Status
    progress: Fraction
    message: str
    messages: list[Any]
    sub_operations: list[SubOperationView]
    metadata: JobObject
    owner: str
    result: Any
    error: str | None
    stale: bool
    created_at: str
    started_at: str | None
    updated_at: str
    finished_at: str | None


class AdminJobsResponse(Wire, frozen=True, kw_only=True):
    """``GET /api/admin/jobs``: a page of the jobs in id order; ``nextCursor`` is there
    when the list goes on (ask again with ``cursor`` set to it)."""

    jobs: list[AdminJob]
    next_cursor: str | None = None


class JobAck(Wire, frozen=True, kw_only=True):
    """Answer of the seed 001 write endpoints."""

    job_id: str
    status: Seed001Status
    timestamp: str


class HealthResponse(Wire, frozen=True, kw_only=True):
    status: Literal["ok", "degraded"]
    active_jobs: int
    stale_jobs: list[str]
    past_jobs: int
    timestamp: str


class CleanupResponse(Wire, frozen=True, kw_only=True):
    failed_jobs: int
    timestamp: str
