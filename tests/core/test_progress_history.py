"""The sparkline's data: running jobs' progress over time, bounded per job and in jobs."""

from __future__ import annotations

from jobdesk.core.progress_history import ProgressHistory
from jobdesk.core.store import StoreChange
from jobdesk.protocol import JobSummary, Status


def change(job_id: str, progress: float, status: Status = Status.RUNNING) -> StoreChange:
    job = JobSummary(
        id=job_id,
        name=job_id,
        status=status,
        progress=progress,
        created_at="2026-12-02T04:00:00Z",
        updated_at="2026-12-02T04:00:00Z",
    )
    return StoreChange("local", job_id, job, None)


def test_a_running_jobs_progress_is_recorded_once_per_value() -> None:
    history = ProgressHistory()
    history.changed([change("a", 0)], 1.0)
    history.changed([change("a", 10), change("a", 10)], 2.0)
    history.changed([change("a", 30)], 3.0)
    assert history.points(("local", "a")) == [(1.0, 0), (2.0, 10), (3.0, 30)]


def test_queued_jobs_are_not_recorded_and_a_retry_starts_over() -> None:
    history = ProgressHistory()
    history.changed([change("q", 0, Status.QUEUED)], 1.0)
    assert len(history) == 0
    history.changed([change("q", 50)], 2.0)
    history.changed([change("q", 5)], 3.0)
    assert history.points(("local", "q")) == [(3.0, 5)]


def test_bounded_in_points_and_in_jobs() -> None:
    history = ProgressHistory(max_points=3, max_jobs=2)
    for step in range(10):
        history.changed([change("a", step)], float(step))
    assert [p for _, p in history.points(("local", "a"))] == [7, 8, 9]
    history.changed([change("b", 1)], 11.0)
    history.changed([change("c", 1)], 12.0)
    assert history.points(("local", "a")) == []
    assert len(history) == 2


def test_a_removed_job_is_forgotten() -> None:
    history = ProgressHistory()
    history.changed([change("a", 1)], 1.0)
    history.changed([StoreChange("local", "a", None, None)], 2.0)
    assert len(history) == 0
