"""The sweeper's rules, applied every few seconds, a bounded slice per writer command.

Per job: a running attempt past its timeout fails (and retries when attempts are left),
a lease that ran out returns the job to the queue, a job silent for too long is marked
stale, and finished jobs beyond the retention limits are removed.

A sweep looks only at what falls due (``deadlines.py``), and one command looks at no
more than ``LOOKS_PER_COMMAND`` jobs and makes no more than ``CHANGES_PER_COMMAND``
changes; the service runs commands until one says there is no more. Each is its own
transaction, so the event loop serves requests between them: when 35,000 running jobs
went stale at once (a server back after an outage), one command for all of them held
the loop 6.2 s; in slices no stall is longer than one slice's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from jobdesk.protocol import Job, Status, format_timestamp
from jobdesk.server import lifecycle
from jobdesk.server.config import ServerConfig
from jobdesk.server.deadlines import Entry
from jobdesk.server.state import JobRecord
from jobdesk.server.writer import Transaction

LOOKS_PER_COMMAND: Final = 2_000
"""Running jobs one command looks at (most are filed again under a later moment)."""
CHANGES_PER_COMMAND: Final = 100
"""Changes one command makes: each is a job encoded, written, installed and sent to
every subscriber, some 0.2 ms; 100 keep a slice near 20 ms on this project's 2-core
machine (200 made 40-45 ms slices, over the 50 ms goal whenever a collection fell in one)."""
MAX_COMMANDS: Final = 1_000
"""Commands in one sweep: what is left (over 100,000 changes) waits for the next."""


@dataclass(frozen=True)
class Swept:
    changes: int
    more: bool
    """The command stopped at a bound: run another."""


def retry_at(config: ServerConfig, moment: datetime, attempt: int) -> str:
    """When attempt ``attempt + 1`` may start: exponential backoff, capped."""
    delay = min(config.retry_max_s, config.retry_base_s * 2 ** max(0, attempt - 1))
    return format_timestamp(moment + timedelta(seconds=delay))


def _limit(job: Job, config: ServerConfig) -> float:
    return job.timeout if job.timeout is not None else config.timeout_s


def _first_rule_at(job: Job, record: JobRecord, config: ServerConfig) -> float:
    """When the first rule for this running job may apply: timeout, lease or stale."""
    moments = []
    if record.attempt_started_s is not None:
        moments.append(record.attempt_started_s + _limit(job, config))
    if record.lease_until_s is not None:
        moments.append(record.lease_until_s)
    if not job.stale:
        moments.append(record.updated_s + config.stale_after_s)
    return min(moments, default=float("inf"))


def sweep(tx: Transaction, config: ServerConfig, moment: datetime) -> Swept:
    """Apply the rules to what falls due, up to the bounds; see the module's doc."""
    t = moment.timestamp()
    tx.forget_before_s = t - config.idempotency_window_s
    before = len(tx.changes)
    deadlines = tx.state.deadlines
    again: list[Entry] = []
    """Jobs acted on (or being looked at when something raised), to be looked at again
    at the next sweep, not by this one's next command (see ``Deadlines.give_back``)."""
    next_sweep = math.nextafter(t, math.inf)
    finished: list[Entry] = []
    looks = 0
    try:
        while looks < LOOKS_PER_COMMAND and len(tx.changes) - before < CHANGES_PER_COMMAND:
            job_id = deadlines.next_running(t)
            if job_id is None:
                break
            looks += 1
            record = tx.state.jobs.get(job_id)
            job = tx.get(job_id)
            if record is None or job is None or job.status is not Status.RUNNING:
                continue  # ended or left: nothing to look at
            again.append((next_sweep, job_id))
            if tx.changed(job_id):
                continue  # changed in this batch: its record's times may be another attempt's
            due = _first_rule_at(job, record, config)
            if due >= t:
                again[-1] = (due, job_id)
                continue
            _apply_first_rule(tx, config, moment, job, record)
        room = CHANGES_PER_COMMAND - (len(tx.changes) - before)
        finished = deadlines.take_finished(
            t - config.retention_age_s, config.retention_count, max(0, room)
        )
        for _, job_id in finished:
            job = tx.get(job_id)
            if job is not None and job.status.is_terminal:
                tx.remove(job_id)
    finally:
        # before the commit: ``install`` then drops what the commit made moot
        deadlines.give_back(again, finished)
    changes = len(tx.changes) - before
    more = looks == LOOKS_PER_COMMAND or changes >= CHANGES_PER_COMMAND
    return Swept(changes, more or (room > 0 and len(finished) == room))


def _apply_first_rule(
    tx: Transaction, config: ServerConfig, moment: datetime, job: Job, record: JobRecord
) -> None:
    t = moment.timestamp()
    now = format_timestamp(moment)
    keep = config.max_messages_per_job
    started = record.attempt_started_s
    limit = _limit(job, config)
    if started is not None and t - started > limit:
        error = f"Timed out: running longer than {_duration(limit)}"
        again = retry_at(config, moment, job.attempts)
        failed = lifecycle.fail(
            job, now=now, error=error, keep=keep, outcome="timed_out", retry_at=again
        )
        tx.put(failed)
    elif record.lease_until_s is not None and t > record.lease_until_s:
        tx.put(lifecycle.expire_lease(job, now=now, keep=keep))
    elif not job.stale and t - record.updated_s > config.stale_after_s:
        idle = (t - record.updated_s) / 60
        tx.put(lifecycle.mark_stale(job, now=now, idle_minutes=idle, keep=keep))


def _duration(seconds: float) -> str:
    return f"{seconds / 60:.0f} min" if seconds >= 120 else f"{seconds:g} s"
