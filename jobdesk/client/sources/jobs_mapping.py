"""Seed 002's polling view (``GET /api/jobs/{jobId}``) in canonical form, and what a
job the server forgot is shown as.

The view has a status, a message, a 0-100 progress, a ``documentId`` and a time; no
name, no type, no creation time. The rest is made from what the adapter saw before:
the job's id is its name, the first time seen its creation, the first time seen
running its start, the first time seen finished its end, so a poll with nothing new
is no change. Seed 002 forgets a job five minutes after it ends (404): the monitor
keeps it, marked expired, with its last state.
"""

from __future__ import annotations

from typing import Any

import msgspec

from jobdesk.client.sources.seed_mapping import FirstSeen, percent, status_of, timestamp
from jobdesk.protocol import Job
from jobdesk.protocol.status import Status

EXPIRED = "expired"
"""The message prefix of a finished job the server no longer has (its last state kept)."""
VANISHED = "gone from the server"
"""The message prefix of an unfinished job the server no longer has; also marked stale,
since nothing will ever move it (an in-memory server that restarted, say)."""


def polled_job(job_id: str, raw: dict[str, Any], last: Job | None, seen: FirstSeen) -> Job | None:
    """The job as this poll saw it; None when its status is no seed's word."""
    status = status_of(raw.get("status"))
    if status is None:
        return None
    updated = timestamp(raw.get("timestamp")) or seen.now()
    created = last.created_at if last is not None else updated
    started = last.started_at if last is not None else None
    if started is None and status is not Status.QUEUED:
        started = updated
    finished = None
    if status.is_terminal:
        ended_before = last is not None and last.status.is_terminal
        finished = last.finished_at if ended_before and last is not None else updated
    if "progress" in raw:
        progress = percent(raw["progress"], 100.0)
    elif status is Status.COMPLETED:
        progress = 100.0
    else:
        progress = last.progress if last is not None else 0.0
    error = raw.get("error")
    document = raw.get("documentId")
    return Job(
        id=job_id,
        name=job_id,
        status=status,
        progress=progress,
        message=str(raw.get("message") or ""),
        error=None if error is None else str(error),
        created_at=created,
        started_at=started,
        updated_at=updated,
        finished_at=finished,
        result={"documentId": document} if document is not None else None,
    )


def forgotten(last: Job) -> Job:
    """``last`` as shown once the server answers 404 for it."""
    if last.status.is_terminal:
        note = EXPIRED
        stale = last.stale
    else:
        note, stale = VANISHED, True
    message = f"{note}: {last.message}" if last.message else note
    return msgspec.structs.replace(last, message=message, stale=stale)
