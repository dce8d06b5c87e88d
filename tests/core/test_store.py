"""The one apply path: versions decide, snapshots replace, servers stay apart."""

from __future__ import annotations

import pytest

from jobdesk.core.store import EpochChanged, JobStore, StoreChange
from jobdesk.protocol import Job, Status

NOW = "2026-11-22T10:00:00.000Z"


def job(job_id: str, version: int, status: Status = Status.RUNNING, **extra: object) -> Job:
    return Job(
        id=job_id,
        name=job_id,
        status=status,
        version=version,
        created_at=NOW,
        updated_at=NOW,
        **extra,  # type: ignore[arg-type]
    )


def test_older_and_equal_versions_are_ignored() -> None:
    store = JobStore()
    store.apply("a", epoch="e", jobs=[job("j1", 3)], replace=True, seq=3)
    assert store.apply("a", epoch="e", jobs=[job("j1", 2)]) == []
    assert store.apply("a", epoch="e", jobs=[job("j1", 3, progress=50.0)]) == []
    (change,) = store.apply("a", epoch="e", jobs=[job("j1", 4)])
    assert (change.job_id, change.previous and change.previous.version) == ("j1", 3)
    assert store.get(("a", "j1")) == job("j1", 4)


def test_a_snapshot_replaces_and_removes_what_vanished() -> None:
    store = JobStore()
    store.apply("a", epoch="e1", jobs=[job("j1", 1), job("j2", 1)], replace=True, seq=2)
    changes = store.apply("a", epoch="e2", jobs=[job("j2", 1), job("j3", 1)], replace=True, seq=2)
    assert {(c.job_id, c.job is None) for c in changes} == {("j1", True), ("j3", False)}
    assert set(store.server("a").jobs) == {"j2", "j3"}
    assert store.server("a").epoch == "e2"


def test_an_event_of_another_epoch_is_refused() -> None:
    store = JobStore()
    store.apply("a", epoch="e1", jobs=[], replace=True, seq=0)
    with pytest.raises(EpochChanged):
        store.apply("a", epoch="e2", jobs=[job("j1", 1)])
    assert len(store) == 0


def test_removals_and_seq_and_confirmation() -> None:
    store = JobStore()
    store.apply("a", epoch="e", jobs=[job("j1", 1)], replace=True, seq=1, now=10.0)
    changes = store.apply("a", epoch="e", removed=["j1", "unknown"], seq=5, now=20.0)
    assert changes == [StoreChange("a", "j1", None, job("j1", 1))]
    assert store.server("a").seq == 5
    assert store.server("a").confirmed_at == 20.0
    store.apply("a", epoch="e", jobs=[job("j2", 1)])
    assert store.server("a").seq == 5  # only the caller moves seq
    assert store.confirmed_at(("a", "j2")) == 20.0


def test_servers_are_kept_apart_by_key() -> None:
    store = JobStore()
    store.apply("a", epoch="ea", jobs=[job("j1", 1)], replace=True)
    store.apply("b", epoch="eb", jobs=[job("j1", 7)], replace=True)
    assert store.get(("a", "j1")) == job("j1", 1)
    assert store.get(("b", "j1")) == job("j1", 7)
    assert sorted(key for key, _ in store.items()) == [("a", "j1"), ("b", "j1")]
    store.forget("a")
    assert [key for key, _ in store.items()] == [("b", "j1")]


def test_listeners_hear_each_batch_once() -> None:
    store = JobStore()
    heard: list[list[StoreChange]] = []
    unsubscribe = store.subscribe(heard.append)
    store.apply("a", epoch="e", jobs=[job("j1", 1), job("j2", 1)], replace=True)
    store.apply("a", epoch="e", jobs=[job("j1", 1)])  # nothing new: no call
    assert [len(batch) for batch in heard] == [2]
    unsubscribe()
    store.apply("a", epoch="e", jobs=[job("j1", 2)])
    assert len(heard) == 1


def test_a_failing_listener_neither_stops_the_apply_nor_the_others(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = JobStore()
    heard: list[int] = []

    def broken(changes: list[StoreChange]) -> None:
        raise BrokenPipeError("reader went away")

    store.subscribe(broken)
    store.subscribe(lambda changes: heard.append(len(changes)))
    changes = store.apply("a", epoch="e", jobs=[job("j1", 1)], replace=True)
    assert len(changes) == 1
    assert heard == [1]
    assert store.get(("a", "j1")) is not None
    assert "a job store listener failed" in caplog.text
