"""Jobs, stores and models for the job table tests."""

from __future__ import annotations

from typing import Any

from jobdesk.core.store import JobKey, JobStore
from jobdesk.gui.models import JobTableModel
from jobdesk.protocol import Job, Status

NOW = "2026-11-22T10:00:00.000Z"
NOW_EPOCH = 1795341600.0
"""``NOW`` as ``time.time()`` would give it."""
SERVER = "srv"


def job(
    job_id: str,
    *,
    version: int = 1,
    status: Status = Status.RUNNING,
    progress: float = 0.0,
    name: str | None = None,
    **fields: Any,
) -> Job:
    fields.setdefault("created_at", NOW)
    fields.setdefault("updated_at", NOW)
    return Job(
        id=job_id,
        name=job_id if name is None else name,
        status=status,
        progress=progress,
        version=version,
        **fields,
    )


def store_with(jobs: list[Job], server: str = SERVER) -> JobStore:
    store = JobStore()
    store.apply(server, epoch="e", jobs=jobs, replace=True, now=NOW_EPOCH)
    return store


def update(store: JobStore, *jobs: Job, server: str = SERVER) -> None:
    store.apply(server, epoch="e", jobs=jobs)


def remove(store: JobStore, *ids: str, server: str = SERVER) -> None:
    store.apply(server, epoch="e", removed=ids)


def shown_keys(model: JobTableModel) -> list[JobKey]:
    keys = [model.key_of_row(row) for row in range(model.rowCount())]
    assert None not in keys
    return [key for key in keys if key is not None]


def shown_ids(model: JobTableModel) -> list[str]:
    return [job_id for _, job_id in shown_keys(model)]
