"""Seed 003's pushed frames as seed 001 list entries, so one mapping (``admin_job``)
reads both sides of a JobDashboard backend.

A ``job_update`` carries "id, name, status ... other job fields": the queue's job, the
same object the admin list lists, except for its progress, which protocol.md fixes at
0-100 on the socket while the list sends seed 001's 0-1 fraction (``progressScale``
says what a backend's pushes use). A push that does not say when the job changed takes
the frame's ``timestamp``.
"""

from __future__ import annotations

from typing import Any

import msgspec

from jobdesk.client.sources.seed_mapping import timestamp
from jobdesk.protocol import JobStats

_OWN_TIMES = ("updatedAt", "lastActivityTime")


def _fraction(value: Any, scale: float) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    return value / scale


def pushed_entry(message: dict[str, Any], scale: float, now: str) -> tuple[dict[str, Any], bool]:
    """The job of a ``job_update`` as a list entry, and whether the backend dated it
    (False: stamped with ``now``, this machine's clock, not comparable with its own)."""
    job = message.get("job")
    entry: dict[str, Any] = dict(job) if isinstance(job, dict) else {}
    if "progress" in entry:
        entry["progress"] = _fraction(entry["progress"], scale)
    steps = entry.get("subOperations")
    if isinstance(steps, list):
        entry["subOperations"] = [
            {**step, "progress": _fraction(step.get("progress"), scale)}
            if isinstance(step, dict)
            else step
            for step in steps
        ]
    if any(timestamp(entry.get(key)) for key in _OWN_TIMES):
        return entry, True
    stamp = timestamp(message.get("timestamp"))
    entry["updatedAt"] = stamp or now
    return entry, stamp is not None


def stats_of(raw: Any) -> JobStats | None:
    """A ``job_stats_update``'s counts (seed 003 sends no ``retrying``: 0); None for
    counts that are not counts."""
    if not isinstance(raw, dict):
        return None
    try:
        return msgspec.convert(raw, JobStats)
    except msgspec.ValidationError:
        return None
