"""The canonical Job and its parts: the one definition shared by server, SDK and monitor."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal, TypeVar

import msgspec

from jobdesk.protocol.status import Status

Percent = Annotated[float, msgspec.Meta(ge=0, le=100, description="progress, 0-100")]
Fraction = Annotated[float, msgspec.Meta(ge=0, le=1, description="progress, 0-1")]
LogLevel = Literal["info", "warning", "error"]
JobObject = dict[str, Any]

KNOWN_JOB_TYPES = ("file_processing", "document_analysis", "llm_agent", "generic")
"""The job types seed 002 names; any other string is accepted as well."""


class Priority(StrEnum):
    HIGH = "HIGH"
    MEDIUM = "MEDIUM"
    LOW = "LOW"

    @property
    def rank(self) -> int:
        """Claim order: 0 is taken first."""
        return _PRIORITY_RANK[self]


_PRIORITY_RANK = {Priority.HIGH: 0, Priority.MEDIUM: 1, Priority.LOW: 2}

AttemptOutcome = Literal[
    "running", "completed", "failed", "timed_out", "lease_expired", "cancelled"
]


class Wire(msgspec.Struct, rename="camel", kw_only=True, frozen=True):
    """Base of every wire struct: camelCase field names, keyword-only construction."""


class LogEntry(Wire, frozen=True, kw_only=True, gc=False):
    level: LogLevel
    text: str
    timestamp: str


class SubOperation(Wire, frozen=True, kw_only=True, gc=False):
    """One weighted step of a job's pipeline (seed 001's PipelineLogger)."""

    name: str
    weight: Annotated[float, msgspec.Meta(gt=0)] = 1.0
    progress: Percent = 0.0


class Attempt(Wire, frozen=True, kw_only=True, gc=False):
    """One try at a job: who ran it, when, and how it ended (the job's attempt history)."""

    number: int
    worker: str
    started_at: str
    ended_at: str | None = None
    outcome: AttemptOutcome = "running"
    error: str | None = None
    lease: float | None = None
    """Seconds each renewal extends a claimed attempt's lease; None when not leased."""


class JobSummary(Wire, frozen=True, kw_only=True, gc=False):
    """What a job is at a glance: every field of a ``Job`` but its log, sub-operations,
    payload, result and attempt history.

    Not a message of its own: the JSON of a ``Job`` decodes as a ``JobSummary`` (msgspec
    skips the fields it does not declare without building them), which is how the
    monitor reads the stream and snapshots. Its table, search, notifications and tray
    need nothing more, and 100,000 summaries take a third of the memory of 100,000 jobs
    (docs/benchmarks.md); the detail panel fetches the selected job whole.

    ``gc=False``: a monitor holds 100,000 of these and they never form reference cycles,
    so the garbage collector need not walk them (full collections stalled the GUI for
    300-480 ms at 100,000 jobs)."""

    id: str
    name: str
    job_type: str = "generic"
    status: Status = Status.QUEUED
    progress: Percent = 0.0
    message: str = ""
    metadata: JobObject = {}
    priority: Priority = Priority.MEDIUM
    owner: str = ""
    error: str | None = None
    attempts: int = 0
    stale: bool = False
    version: int = 1
    created_at: str
    started_at: str | None = None
    updated_at: str
    finished_at: str | None = None
    max_attempts: int = 1
    """Attempts allowed before a failure is final (a failed attempt with some left retries)."""
    timeout: float | None = None
    """Seconds one attempt may run before it fails as timed out; None: the server's default."""
    lease_expires_at: str | None = None
    """When a claimed job's lease ends unless its worker reports; None when not leased."""
    retry_at: str | None = None
    """When a retrying job may be claimed again (its backoff ends)."""
    last_problem: str | None = None
    """The text of the newest warning or error the job's log has had (the server keeps it
    as it logs), so a monitor that holds summaries, not logs, can still search it."""


class Job(JobSummary, frozen=True, kw_only=True, gc=False):
    """A job as the canonical API and the WebSocket stream send it (progress 0-100): its
    summary's fields, then the ones that make it large."""

    messages: list[LogEntry] = []
    sub_operations: list[SubOperation] = []
    result: Any = None
    payload: Any = None
    """The work's input, as submitted; the worker that claims the job receives it."""
    history: list[Attempt] = []
    """Every attempt, oldest first; an operator's retry adds one, the earlier ones stay."""


AnyJob = TypeVar("AnyJob", bound=JobSummary)
"""What a message's or snapshot's jobs decode as: ``Job`` (the server, the SDK) or
``JobSummary`` (the monitor, which fetches a job whole only for its detail panel)."""


class JobStats(Wire, frozen=True, kw_only=True):
    """Counts per status, in seed 003's words (pending is the canonical queued)."""

    pending: int = 0
    running: int = 0
    retrying: int = 0
    completed: int = 0
    failed: int = 0
    cancelled: int = 0
    total: int = 0
