"""Pure job transitions: each takes a Job and returns the next one, or raises ApiError.

No I/O and no clock of their own: the caller passes ``now``, so every rule is testable
as plain data. Versions are bumped by the caller that commits the change.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from jobdesk.protocol import Attempt, AttemptOutcome, ErrorCode, Job, LogEntry, Status, SubOperation
from jobdesk.protocol.models import LogLevel
from jobdesk.server.errors import ApiError


def _conflict_if_terminal(job: Job, action: str) -> None:
    if job.status.is_terminal:
        # CANCELLED tells a worker to stop; CONFLICT that the job simply is over.
        code = ErrorCode.CANCELLED if job.status is Status.CANCELLED else ErrorCode.CONFLICT
        raise ApiError(
            code, f"job {job.id} is already {job.status.value}; cannot {action}", "status"
        )


def check_attempt(job: Job, attempt: int) -> None:
    """Fencing: refuse a write from an attempt that is no longer the job's current one.

    A worker presumed dead (its lease expired) may still be running; its late calls must
    not touch the attempt another worker now holds.
    """
    if job.status is Status.CANCELLED:
        raise ApiError(ErrorCode.CANCELLED, f"job {job.id} was cancelled", "status")
    if job.status is not Status.RUNNING or job.attempts != attempt:
        now_at = f"attempt {job.attempts}" if job.status is Status.RUNNING else job.status.value
        raise ApiError(
            ErrorCode.LEASE_LOST,
            f"attempt {attempt} of job {job.id} is over (the job is now {now_at})",
            "Jobdesk-Attempt",
        )


def _log(job: Job, level: LogLevel, text: str, now: str, keep: int) -> list[LogEntry]:
    entries = [*job.messages, LogEntry(level=level, text=text, timestamp=now)]
    return entries[-keep:] if len(entries) > keep else entries


def _weighted(subs: Sequence[SubOperation]) -> float:
    total = sum(s.weight for s in subs)
    if total <= 0:
        return 0.0
    return min(100.0, sum(s.weight * s.progress for s in subs) / total)


def _begin(job: Job, now: str, worker: str, lease: float | None = None) -> dict[str, Any]:
    """Fields that change when a queued or retrying job starts its next attempt."""
    if job.status is Status.RUNNING:
        return {}
    number = job.attempts + 1
    fresh = job.attempts > 0  # a retry starts over: no progress carried from the last try
    changes: dict[str, Any] = {
        "status": Status.RUNNING,
        "started_at": job.started_at or now,
        "attempts": number,
        "history": [
            *job.history,
            Attempt(number=number, worker=worker, started_at=now, lease=lease),
        ],
        "retry_at": None,
        "error": None,
    }
    if fresh:
        changes["progress"] = 0.0
        changes["sub_operations"] = [
            msgspec.structs.replace(s, progress=0.0) for s in job.sub_operations
        ]
    return changes


def _end_attempt(job: Job, now: str, outcome: AttemptOutcome, error: str | None) -> list[Attempt]:
    """The history with the running attempt closed (unchanged if none is running)."""
    history = list(job.history)
    if history and history[-1].ended_at is None:
        history[-1] = msgspec.structs.replace(
            history[-1], ended_at=now, outcome=outcome, error=error
        )
    return history


def claim(job: Job, *, now: str, worker: str, owner: str, lease: float, lease_until: str) -> Job:
    """A worker takes a queued (or due retrying) job: a new attempt, held by a lease."""
    if job.status not in (Status.QUEUED, Status.RETRYING):
        raise ApiError(ErrorCode.CONFLICT, f"job {job.id} is {job.status.value}", "status")
    changes = _begin(job, now, worker, lease)
    text = f"Attempt {changes['attempts']} of {job.max_attempts} claimed by {worker}"
    return msgspec.structs.replace(
        job,
        **changes,
        owner=owner,
        lease_expires_at=lease_until,
        message=text,
        stale=False,
        updated_at=now,
    )


def renew(job: Job, *, now: str, lease_until: str | None) -> Job:
    """A report from the lease holder: the lease runs on, the job is not stale."""
    changes: dict[str, Any] = {"stale": False, "updated_at": now}
    if lease_until is not None and job.status is Status.RUNNING and job.lease_expires_at:
        changes["lease_expires_at"] = lease_until
    return msgspec.structs.replace(job, **changes)


def current_lease(job: Job) -> float | None:
    """Seconds the running attempt's lease is renewed by, or None when it is not leased."""
    if job.status is Status.RUNNING and job.history and job.lease_expires_at is not None:
        return job.history[-1].lease
    return None


def report_progress(
    job: Job,
    *,
    now: str,
    percent: float | None = None,
    message: str | None = None,
    sub_operation: str | None = None,
    pipeline: Sequence[tuple[str, float]] | None = None,
    worker: str = "",
) -> Job:
    """Seed 001's progress call: set progress, a sub-operation, or declare the pipeline."""
    _conflict_if_terminal(job, "report progress")
    changes: dict[str, Any] = _begin(job, now, worker or job.owner or "unknown")
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
        history=_end_attempt(job, now, "completed", None)
        if job.history
        else [
            Attempt(number=1, worker=job.owner, started_at=now, ended_at=now, outcome="completed")
        ],
        lease_expires_at=None,
        retry_at=None,
        stale=False,
        updated_at=now,
        finished_at=now,
    )


def fail(
    job: Job,
    *,
    now: str,
    error: str,
    keep: int,
    outcome: AttemptOutcome = "failed",
    retry_at: str | None = None,
) -> Job:
    """End the attempt as failed; the job retries when ``retry_at`` is given and attempts
    are left, else it ends failed, keeping the error in full and in the log.

    The caller passes ``retry_at`` only for the attempt's own failures (the worker's
    ``fail``, a timeout); an operator's force-fail ends the job whatever is left.
    """
    _conflict_if_terminal(job, "fail it")
    history = _end_attempt(job, now, outcome, error)
    if retry_at is not None and max(job.attempts, 1) < job.max_attempts:
        text = (
            f"Attempt {job.attempts} of {job.max_attempts} {_said(outcome)}: {error}; "
            f"retrying at {retry_at}"
        )
        return msgspec.structs.replace(
            job,
            status=Status.RETRYING,
            error=error,
            message=text,
            messages=_log(job, "warning", text, now, keep),
            history=history,
            owner="",
            lease_expires_at=None,
            retry_at=retry_at,
            stale=False,
            updated_at=now,
        )
    return msgspec.structs.replace(
        job,
        status=Status.FAILED,
        error=error,
        messages=_log(job, "error", error, now, keep),
        history=history,
        lease_expires_at=None,
        retry_at=None,
        stale=False,
        updated_at=now,
        finished_at=now,
    )


def _said(outcome: AttemptOutcome) -> str:
    return {"timed_out": "timed out", "lease_expired": "lost its worker"}.get(outcome, outcome)


def expire_lease(job: Job, *, now: str, keep: int) -> Job:
    """The lease ran out: the worker is presumed dead. With attempts left the job goes
    straight back to the queue (no backoff: the worker failed, not the job); with none
    left it ends failed, so a job that kills every worker stops after ``maxAttempts``."""
    worker = job.history[-1].worker if job.history else job.owner
    error = f"Lease expired: worker {worker} stopped reporting"
    if job.attempts >= job.max_attempts:
        final = f"{error} on the last attempt ({job.attempts} of {job.max_attempts})"
        return fail(job, now=now, error=final, keep=keep, outcome="lease_expired")
    text = f"{error}; back in the queue ({job.attempts} of {job.max_attempts} attempts used)"
    return msgspec.structs.replace(
        job,
        status=Status.QUEUED,
        message=text,
        messages=_log(job, "warning", text, now, keep),
        history=_end_attempt(job, now, "lease_expired", error),
        owner="",
        lease_expires_at=None,
        stale=False,
        updated_at=now,
    )


def cancel(job: Job, *, now: str, reason: str, keep: int) -> Job:
    """An operator's cancel: a waiting job never runs; a running one ends now, and its
    worker hears CANCELLED on its next call."""
    if job.status.is_terminal:
        raise ApiError(
            ErrorCode.CONFLICT, f"job {job.id} is already {job.status.value}; cannot cancel it"
        )
    return msgspec.structs.replace(
        job,
        status=Status.CANCELLED,
        error=reason,
        message=reason,
        messages=_log(job, "warning", reason, now, keep),
        history=_end_attempt(job, now, "cancelled", reason),
        lease_expires_at=None,
        retry_at=None,
        stale=False,
        updated_at=now,
        finished_at=now,
    )


def retry(job: Job, *, now: str, operator: str, keep: int) -> Job:
    """An operator's retry of a failed or cancelled job: queued for one more attempt,
    the earlier attempts kept in its history."""
    if job.status not in (Status.FAILED, Status.CANCELLED):
        raise ApiError(
            ErrorCode.CONFLICT,
            f"job {job.id} is {job.status.value}; only failed or cancelled jobs can be retried",
            "status",
        )
    text = f"Retried by operator {operator}: attempt {job.attempts + 1} queued"
    return msgspec.structs.replace(
        job,
        status=Status.QUEUED,
        max_attempts=max(job.max_attempts, job.attempts + 1),
        progress=0.0,
        sub_operations=[msgspec.structs.replace(s, progress=0.0) for s in job.sub_operations],
        result=None,
        error=None,
        message=text,
        messages=_log(job, "info", text, now, keep),
        owner="",
        lease_expires_at=None,
        retry_at=None,
        stale=False,
        updated_at=now,
        finished_at=None,
    )


def mark_stale(job: Job, *, now: str, idle_minutes: float, keep: int) -> Job:
    """Flag a job that stopped reporting; ``updatedAt`` keeps the last real activity."""
    text = f"No update for {idle_minutes:.0f} min: marked stale"
    return msgspec.structs.replace(job, stale=True, messages=_log(job, "warning", text, now, keep))
