"""A committed change: one event on the server-wide ``seq`` stream."""

from __future__ import annotations

from dataclasses import dataclass

from jobdesk.protocol import Job


@dataclass(frozen=True, slots=True)
class Change:
    """A job's new state (``job`` set) or its removal by retention (``job`` is None)."""

    seq: int
    job_id: str
    job: Job | None
