"""The canonical Job and its parts: the one definition shared by server, SDK and monitor."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

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


class Job(Wire, frozen=True, kw_only=True, gc=False):
    """A job as the canonical API and the WebSocket stream send it (progress 0-100).

    ``gc=False``: a monitor holds 100,000 of these and they never form reference cycles,
    so the garbage collector need not walk them (full collections stalled the GUI for
    300-480 ms at 100,000 jobs)."""

    id: str
    name: str
    job_type: str = "generic"
    status: Status = Status.QUEUED
    progress: Percent = 0.0
    message: str = ""
    messages: list[LogEntry] = []
    sub_operations: list[SubOperation] = []
    metadata: JobObject = {}
    priority: Priority = Priority.MEDIUM
    owner: str = ""
    result: Any = None
    error: str | None = None
    attempts: int = 0
    stale: bool = False
    version: int = 1
    created_at: str
    started_at: str | None = None
    updated_at: str
    finished_at: str | None = None


class JobStats(Wire, frozen=True, kw_only=True):
    """Counts per status, in seed 003's words (pending is the canonical queued)."""

    pending: int = 0
    running: int = 0
    retrying: int = 0
    completed: int = 0
    failed: int = 0
    cancelled: int = 0
    total: int = 0
