"""Seed 001's admin jobs in canonical form: 0-1 progress to 0-100, its status words,
its messages and weighted sub-operations.

Read as plain JSON and leniently: the seed documents endpoints, not the job's fields,
so besides protocol.md's names (``id``, ``jobType``, ``owner``, ``createdAt``...) the
OpenVAA job store's own (``type``/``feature``, ``author``, ``startTime``,
``lastActivityTime``, ``endTime``) are read too. A field that is missing gets a value
made once per job (``FirstSeen``), so it never looks like a change.
"""

from __future__ import annotations

from typing import Any

import msgspec

from jobdesk.client.sources.seed_mapping import (
    FirstSeen,
    log_entries,
    percent,
    status_of,
    timestamp,
)
from jobdesk.protocol import Job, SubOperation
from jobdesk.protocol.status import Status


def _first(raw: dict[str, Any], *keys: str) -> Any:
    for key in keys:
        if raw.get(key) is not None:
            return raw[key]
    return None


def _time(raw: dict[str, Any], *keys: str) -> str | None:
    return timestamp(_first(raw, *keys))


def sub_operations(raw: Any) -> list[SubOperation]:
    steps: list[SubOperation] = []
    for item in raw if isinstance(raw, list) else ():
        if not isinstance(item, dict) or not item.get("name"):
            continue
        weight = item.get("weight")
        if isinstance(weight, bool) or not isinstance(weight, int | float) or weight <= 0:
            weight = 1.0
        steps.append(
            SubOperation(
                name=str(item["name"]),
                weight=float(weight),
                progress=percent(item.get("progress"), 1.0),
            )
        )
    return steps


def admin_job(raw: dict[str, Any], seen: FirstSeen) -> Job | None:
    """One entry of ``GET /api/admin/jobs``; None for one without an id or a known status."""
    job_id = _first(raw, "id", "jobId")
    status = status_of(raw.get("status"))
    if job_id is None or status is None:
        return None
    job_id = str(job_id)
    created = _time(raw, "createdAt", "startTime") or seen.of(job_id)
    updated = _time(raw, "updatedAt", "lastActivityTime", "timestamp") or created
    finished = _time(raw, "finishedAt", "endTime")
    job_type = str(_first(raw, "jobType", "type", "feature") or "generic")
    queued = status is Status.QUEUED
    metadata = raw.get("metadata")
    error = raw.get("error")
    return Job(
        id=job_id,
        name=str(raw.get("name") or job_type),
        job_type=job_type,
        status=status,
        progress=percent(raw.get("progress"), 1.0),
        message=str(raw.get("message") or ""),
        metadata=metadata if isinstance(metadata, dict) else {},
        owner=str(_first(raw, "owner", "author") or ""),
        error=None if error is None else str(error),
        stale=bool(raw.get("stale", False)),
        created_at=created,
        started_at=_time(raw, "startedAt", "startTime") or (None if queued else created),
        updated_at=updated,
        finished_at=(finished or updated) if status.is_terminal else None,
        messages=log_entries(raw.get("messages"), updated),
        sub_operations=sub_operations(raw.get("subOperations")),
        result=raw.get("result"),
    )


def with_progress(job: Job, raw: dict[str, Any]) -> Job:
    """``job`` brought up to date by ``GET /api/admin/jobs/{id}/progress`` (status,
    progress, message, sub-operations, its time; messages too when it sends them)."""
    status = status_of(raw.get("status")) or job.status
    updated = _time(raw, "timestamp", "updatedAt") or job.updated_at
    changes: dict[str, Any] = {"status": status, "updated_at": updated}
    if "progress" in raw:
        changes["progress"] = percent(raw["progress"], 1.0)
    if "message" in raw:
        changes["message"] = str(raw["message"] or "")
    if "subOperations" in raw:
        changes["sub_operations"] = sub_operations(raw["subOperations"])
    if "messages" in raw:
        changes["messages"] = log_entries(raw["messages"], updated)
    if status.is_terminal and job.finished_at is None:
        changes["finished_at"] = updated
    return msgspec.structs.replace(job, **changes)


def progress_only(job_id: str, raw: dict[str, Any], seen: FirstSeen) -> Job | None:
    """A job known only from its progress endpoint (not yet in a list we read)."""
    base = admin_job({"id": job_id, **raw, "createdAt": raw.get("timestamp")}, seen)
    return None if base is None else with_progress(base, raw)
