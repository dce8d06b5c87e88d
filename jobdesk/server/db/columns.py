"""The columns a job row carries beside its JSON, computed from the job alone.

Both stores write them with every change, so the claim index, the live set and the
history's filters read columns, never the JSON.
"""

from __future__ import annotations

from jobdesk.protocol import Job, Status, parse_timestamp

COLUMNS = (
    "id",
    "seq",
    "status",
    "owner",
    "job_type",
    "data",
    "version",
    "live",
    "priority",
    "created_at",
    "due_s",
    "finished_s",
)
"""A job row's columns in the order ``job_row`` gives them."""


def due_s(job: Job) -> float | None:
    """When a waiting job may be claimed (0: now); None for a job not waiting."""
    if job.status is Status.QUEUED:
        return 0.0
    if job.status is Status.RETRYING:
        return 0.0 if job.retry_at is None else parse_timestamp(job.retry_at).timestamp()
    return None


def job_row(job: Job, seq: int, data: bytes) -> tuple[object, ...]:
    """The row of a live job at ``seq``, its JSON being ``data``."""
    finished = None if job.finished_at is None else parse_timestamp(job.finished_at).timestamp()
    return (
        job.id,
        seq,
        job.status.value,
        job.owner,
        job.job_type,
        data,
        job.version,
        True,
        job.priority.rank,
        job.created_at,
        due_s(job),
        finished,
    )
