"""While you were away: what changed state while the connection was down."""

from __future__ import annotations

from jobdesk.core.away import statuses, summarize
from jobdesk.protocol import Job, Status

NOW = "2026-11-22T10:00:00.000Z"


def job(job_id: str, status: Status) -> Job:
    return Job(id=job_id, name=f"name-{job_id}", status=status, created_at=NOW, updated_at=NOW)


def test_summary_counts_state_changes_only() -> None:
    before = statuses(
        {
            "a": job("a", Status.RUNNING),
            "b": job("b", Status.RUNNING),
            "c": job("c", Status.RUNNING),
            "d": job("d", Status.QUEUED),
            "gone": job("gone", Status.COMPLETED),
        }
    )
    after = {
        "a": job("a", Status.COMPLETED),
        "b": job("b", Status.COMPLETED),
        "c": job("c", Status.FAILED),
        "d": job("d", Status.QUEUED),  # progress may have moved: not a state change
        "new": job("new", Status.COMPLETED),
    }
    summary = summarize("srv", before, after)
    assert summary.describe() == "3 completed, 1 failed, 1 removed"
    assert {c.job_id for c in summary.changes} == {"a", "b", "c", "new", "gone"}
    new = next(c for c in summary.changes if c.job_id == "new")
    assert (new.before, new.after, new.name) == (None, Status.COMPLETED, "name-new")


def test_nothing_changed_is_an_empty_summary() -> None:
    jobs = {"a": job("a", Status.RUNNING)}
    assert summarize("srv", statuses(jobs), jobs).changes == ()
