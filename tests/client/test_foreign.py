"""Versions for versionless backends: each distinct state is applied once."""

from __future__ import annotations

from jobdesk.client.foreign import ForeignJobs
from jobdesk.core.store import JobStore, StoreChange
from jobdesk.protocol import JobSummary, Status


def job(
    job_id: str, status: Status = Status.RUNNING, progress: float = 0.0, at: str = "t1"
) -> JobSummary:
    return JobSummary(
        id=job_id, name=job_id, status=status, progress=progress, created_at="t0", updated_at=at
    )


def test_only_a_different_state_is_news() -> None:
    store = JobStore()
    changes: list[StoreChange] = []
    store.subscribe(changes.extend)
    foreign = ForeignJobs(store, "s")
    foreign.replace([job("a"), job("b")], now=1.0)
    assert len(changes) == 2
    changes.clear()
    foreign.replace([job("a", at="t2"), job("b", progress=50.0)], now=2.0)  # a: same, restamped
    assert [(c.job_id, c.job.version if c.job else None) for c in changes] == [("b", 2)]
    changes.clear()
    foreign.upsert([job("b", progress=50.0)], now=3.0)  # a late duplicate push
    assert changes == []
    assert store.confirmed_at(("s", "b")) == 3.0
    assert store.confirmed_at(("s", "a")) == 2.0
    foreign.replace([job("b", Status.COMPLETED, 100.0)], now=4.0)  # a vanished
    assert [(c.job_id, c.job) for c in changes if c.job is None] == [("a", None)]
    stored = store.get(("s", "b"))
    assert stored is not None
    assert (stored.status, stored.version) == (Status.COMPLETED, 3)


def test_a_push_before_any_list_starts_the_numbering() -> None:
    store = JobStore()
    foreign = ForeignJobs(store, "s")
    foreign.upsert([job("a")])
    foreign.remove(["a", "never-seen"])
    foreign.upsert([job("c")])
    assert [key for key, _ in store.items()] == [("s", "c")]
