"""Pure job transitions: each takes a Job and returns the next one, or raises ApiError.

No I/O and no clock of their own: the caller passes ``now``, so every rule is testable
as plain data. Versions are bumped by the caller that commits the change.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from jobdesk.protocol import ErrorCode, Job, LogEntry, Status, SubOperation
from jobdesk.protocol.models import LogLevel
from jobdesk.server.errors import ApiError


def _conflict_if_terminal(job: Job, action: str) -> None:
    if job.status.is_terminal:
        raise ApiError(
            ErrorCode.CONFLICT,
            f"job {job.id} is already {job.status.value}; cannot {action}",
            "status",
        )


def _log(job: Job, level: LogLevel, text: str, now: str, keep: int) -> list[LogEntry]:
    entries = [*job.messages, LogEntry(level=level, text=text, timestamp=now)]
    return entries[-keep:] if len(entries) > keep else entries


def _weighted(subs: Sequence[SubOperation]) -> float:
    total = sum(s.weight for s in subs)
    if total <= 0:
        return 0.0
    return min(100.0, sum(s.weight * s.progress for s in subs) / total)


def _begin(job: Job, now: str) -> dict[str, Any]:
    """Fields that change when a queued or retrying job starts being worked on."""
    if job.status is Status.RUNNING:
        return {}
    return {
        "status": Status.RUNNING,
        "started_at": job.started_at or now,
        "attempts": job.attempts + 1,
    }


def report_progress(
    job: Job,
    *,
    now: str,
    percent: float | None = None,
    message: str | None = None,
    sub_operation: str | None = None,
    pipeline: Sequence[tuple[str, float]] | None = None,
) -> Job:
    """Seed 001's progress call: set progress, a sub-operation, or declare the pipeline."""
    _conflict_if_terminal(job, "report progress")
    changes: dict[str, Any] = _begin(job, now)
    subs = list(job.sub_operations)
    if pipeline is not None:
        known = {s.name: s.progress for s in subs}
        subs = [SubOperation(name=n, weight=w, progress=known.get(n, 0.0)) for n, w in pipeline]
        changes["sub_operations"] = subs
        changes["progress"] = _weighted(subs)
    if sub_operation is not None:
        value = percent if percent is not None else 0.0
        names = [s.name for s in subs]
        if sub_operation in names:
            index = names.index(sub_operation)
            subs[index] = msgspec.structs.replace(subs[index], progress=value)
        else:
            subs.append(SubOperation(name=sub_operation, weight=1.0, progress=value))
        changes["sub_operations"] = subs
        changes["progress"] = _weighted(subs)
    elif percent is not None:
        changes["progress"] = percent
    if message is not None:
        changes["message"] = message
    changes.update(stale=False, updated_at=now)
    return msgspec.structs.replace(job, **changes)


def add_message(job: Job, *, now: str, level: LogLevel, text: str, keep: int) -> Job:
    """Append a log entry; it also becomes the job's current status line."""
    _conflict_if_terminal(job, "add a message")
    return msgspec.structs.replace(
        job,
        messages=_log(job, level, text, now, keep),
        message=text,
        stale=False,
        updated_at=now,
    )


def complete(job: Job, *, now: str, result: Any, message: str | None) -> Job:
    _conflict_if_terminal(job, "complete it")
    return msgspec.structs.replace(
        job,
        status=Status.COMPLETED,
        progress=100.0,
        sub_operations=[msgspec.structs.replace(s, progress=100.0) for s in job.sub_operations],
        result=result,
        message=message if message is not None else "Completed",
        started_at=job.started_at or now,
        attempts=max(job.attempts, 1),
        stale=False,
        updated_at=now,
        finished_at=now,
    )


def fail(job: Job, *, now: str, error: str, keep: int, status: Status = Status.FAILED) -> Job:
    """End the job as failed (or cancelled), keeping the error in full and in the log."""
    _conflict_if_terminal(job, "fail it")
    return msgspec.structs.replace(
        job,
        status=status,
        error=error,
        messages=_log(job, "error", error, now, keep),
        stale=False,
        updated_at=now,
        finished_at=now,
    )


def mark_stale(job: Job, *, now: str, idle_minutes: float, keep: int) -> Job:
    """Flag a job that stopped reporting; ``updatedAt`` keeps the last real activity."""
    text = f"No update for {idle_minutes:.0f} min: marked stale"
    return msgspec.structs.replace(job, stale=True, messages=_log(job, "warning", text, now, keep))
