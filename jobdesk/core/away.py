"""While you were away: which jobs changed state while the connection was down."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from jobdesk.protocol import JobSummary, Status


@dataclass(frozen=True)
class StateChange:
    job_id: str
    name: str
    before: Status | None
    """None: the job was created while we were away."""
    after: Status | None
    """None: the job was removed while we were away."""


@dataclass(frozen=True)
class AwaySummary:
    server: str
    changes: tuple[StateChange, ...]

    def counts(self) -> Counter[Status]:
        """How many jobs reached each status (removals are not counted)."""
        return Counter(c.after for c in self.changes if c.after is not None)

    def describe(self) -> str:
        """``3 completed, 1 failed``: the text of the summary notice."""
        counts = self.counts()
        parts = [f"{counts[s]} {s.value}" for s in Status if counts[s]]
        removed = sum(1 for c in self.changes if c.after is None)
        if removed:
            parts.append(f"{removed} removed")
        return ", ".join(parts)


def statuses(jobs: Mapping[str, JobSummary]) -> dict[str, tuple[str, Status]]:
    """What to remember when the connection drops: each job's name and status."""
    return {job_id: (job.name, job.status) for job_id, job in jobs.items()}


def summarize(
    server: str, before: dict[str, tuple[str, Status]], after: Mapping[str, JobSummary]
) -> AwaySummary:
    changes = [
        StateChange(job_id, job.name, before[job_id][1] if job_id in before else None, job.status)
        for job_id, job in after.items()
        if job_id not in before or before[job_id][1] is not job.status
    ]
    changes += [
        StateChange(job_id, name, status, None)
        for job_id, (name, status) in before.items()
        if job_id not in after
    ]
    return AwaySummary(server, tuple(changes))
