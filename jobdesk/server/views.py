"""Each seed's view of a Job: its own status words and its own progress scale."""

from __future__ import annotations

from typing import Any, cast

from jobdesk.protocol import Dialect, ErrorDetail, Job, status_word
from jobdesk.protocol.rest import (
    AdminJob,
    BatchResult,
    JobAck,
    ProgressView,
    Seed001Status,
    Seed002JobView,
    Seed002Status,
    SubOperationView,
)
from jobdesk.server.errors import ApiError


def seed001_status(job: Job) -> Seed001Status:
    return cast(Seed001Status, status_word(job.status, Dialect.SEED001))


def _sub_operations(job: Job) -> list[SubOperationView]:
    return [
        SubOperationView(name=s.name, weight=s.weight, progress=s.progress / 100.0)
        for s in job.sub_operations
    ]


def seed002_view(job: Job) -> Seed002JobView:
    """Seed 002's polling view; ``documentId`` comes from the job's result, if it has one."""
    document_id: Any = job.result.get("documentId") if isinstance(job.result, dict) else None
    return Seed002JobView(
        status=cast(Seed002Status, status_word(job.status, Dialect.SEED002)),
        message=job.message,
        progress=job.progress,
        timestamp=job.updated_at,
        document_id=document_id if isinstance(document_id, str) else None,
        error=job.error,
    )


def admin_view(job: Job) -> AdminJob:
    return AdminJob(
        id=job.id,
        name=job.name,
        job_type=job.job_type,
        status=seed001_status(job),
        progress=job.progress / 100.0,
        message=job.message,
        messages=list(job.messages),
        sub_operations=_sub_operations(job),
        metadata=job.metadata,
        owner=job.owner,
        result=job.result,
        error=job.error,
        stale=job.stale,
        created_at=job.created_at,
        started_at=job.started_at,
        updated_at=job.updated_at,
        finished_at=job.finished_at,
    )


def progress_view(job: Job) -> ProgressView:
    return ProgressView(
        job_id=job.id,
        status=seed001_status(job),
        progress=job.progress / 100.0,
        message=job.message,
        sub_operations=_sub_operations(job),
        timestamp=job.updated_at,
    )


def ack(job: Job) -> JobAck:
    return JobAck(job_id=job.id, status=seed001_status(job), timestamp=job.updated_at)


def batch_result(job_id: str, answer: Job | ApiError) -> BatchResult:
    """One item's answer in a batch: the job's seed 001 status, or why it was refused."""
    if isinstance(answer, ApiError):
        detail = ErrorDetail(code=answer.code, message=answer.message, field=answer.field)
        return BatchResult(job_id=job_id, error=detail)
    return BatchResult(job_id=job_id, status=seed001_status(answer), timestamp=answer.updated_at)
