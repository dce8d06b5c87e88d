"""Job types that wait for nobody: the words the workers view and the detail panel use.

A queued job of a type no live worker claims would otherwise wait silently (issue 13,
item 8): it looks like any other queued job, and nothing ever takes it.
"""

from __future__ import annotations

from jobdesk.gui.formatting import age_text
from jobdesk.protocol import JobSummary, Status
from jobdesk.protocol.overview import JobTypeView, QueueOverview

WAITING = frozenset({Status.QUEUED, Status.RETRYING})


def unserved(overview: QueueOverview | None) -> list[JobTypeView]:
    """The types with jobs waiting that no live worker claims, most waiting first."""
    if overview is None:
        return []
    found = [t for t in overview.job_types if t.queued and not t.served]
    return sorted(found, key=lambda t: (-t.queued, t.job_type))


def unserved_text(job_type: JobTypeView) -> str:
    """``nobody serves video_render: 3 queued, oldest 4 min``."""
    text = f"nobody serves {job_type.job_type}: {job_type.queued} queued"
    if job_type.oldest_queued_s is not None:
        text += f", oldest {age_text(job_type.oldest_queued_s)}"
    return text


def job_note(job: JobSummary | None, overview: QueueOverview | None) -> str:
    """What the detail panel says of a waiting job whose type nobody serves ('' else)."""
    if job is None or job.status not in WAITING:
        return ""
    if any(t.job_type == job.job_type for t in unserved(overview)):
        return (
            f"No worker serves {job.job_type}: this job waits until a worker claiming "
            f"{job.job_type} comes up."
        )
    return ""
