"""The sweeper's rules, applied every few seconds in one writer command.

Per job: a running attempt past its timeout fails (and retries when attempts are left),
a lease that ran out returns the job to the queue, a job silent for too long is marked
stale, and finished jobs beyond the retention limits are removed.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from jobdesk.protocol import Job, Status, format_timestamp
from jobdesk.server import lifecycle
from jobdesk.server.config import ServerConfig
from jobdesk.server.state import JobRecord
from jobdesk.server.writer import Transaction


def retry_at(config: ServerConfig, moment: datetime, attempt: int) -> str:
    """When attempt ``attempt + 1`` may start: exponential backoff, capped."""
    delay = min(config.retry_max_s, config.retry_base_s * 2 ** max(0, attempt - 1))
    return format_timestamp(moment + timedelta(seconds=delay))


def _timed_out(job: Job, record: JobRecord, t: float, config: ServerConfig) -> float | None:
    limit = job.timeout if job.timeout is not None else config.timeout_s
    started = record.attempt_started_s
    return limit if started is not None and t - started > limit else None


def sweep(tx: Transaction, config: ServerConfig, moment: datetime) -> int:
    """Apply every rule to every job; returns how many changes it made."""
    t = moment.timestamp()
    now = format_timestamp(moment)
    keep = config.max_messages_per_job
    tx.forget_before_s = t - config.idempotency_window_s
    before = len(tx.changes)
    finished: list[tuple[float, str]] = []
    jobs = tx.state.jobs
    for job_id in list(tx.state.swept):
        record = jobs[job_id]
        job = tx.get(job_id)
        if job is None:
            continue
        if job.status is Status.RUNNING and (limit := _timed_out(job, record, t, config)):
            error = f"Timed out: running longer than {_duration(limit)}"
            later = retry_at(config, moment, job.attempts)
            tx.put(
                lifecycle.fail(
                    job, now=now, error=error, keep=keep, outcome="timed_out", retry_at=later
                )
            )
        elif (
            job.status is Status.RUNNING
            and record.lease_until_s is not None
            and t > record.lease_until_s
        ):
            tx.put(lifecycle.expire_lease(job, now=now, keep=keep))
        elif (
            job.status is Status.RUNNING
            and not job.stale
            and t - record.updated_s > config.stale_after_s
        ):
            idle = (t - record.updated_s) / 60
            tx.put(lifecycle.mark_stale(job, now=now, idle_minutes=idle, keep=keep))
        elif job.status.is_terminal and record.finished_s is not None:
            finished.append((record.finished_s, job.id))
    finished.sort(reverse=True)
    for index, (finished_s, job_id) in enumerate(finished):
        if index >= config.retention_count or t - finished_s > config.retention_age_s:
            tx.remove(job_id)
    return len(tx.changes) - before


def _duration(seconds: float) -> str:
    return f"{seconds / 60:.0f} min" if seconds >= 120 else f"{seconds:g} s"
