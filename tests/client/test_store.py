"""JobStore applies a snapshot, then events by seq and version, never twice or backwards."""

from __future__ import annotations

import msgspec

from jobdesk.client.store import JobStore
from jobdesk.protocol import Job, JobRemoved, JobUpdate, Status
from jobdesk.protocol.rest import Snapshot

T = "2026-11-22T10:00:00.000Z"


def job(job_id: str, version: int = 1, status: Status = Status.RUNNING) -> Job:
    return Job(id=job_id, name=job_id, status=status, version=version, created_at=T, updated_at=T)


def update(j: Job, seq: int, epoch: str = "e1") -> JobUpdate:
    return JobUpdate(job=j, seq=seq, epoch=epoch, timestamp=T)


def removed(job_id: str, seq: int, epoch: str = "e1") -> JobRemoved:
    return JobRemoved(job_id=job_id, seq=seq, epoch=epoch, timestamp=T)


def loaded(*jobs: Job, seq: int = 10, epoch: str = "e1") -> JobStore:
    store = JobStore()
    store.load(Snapshot(epoch=epoch, seq=seq, jobs=list(jobs)))
    return store


def test_events_before_a_snapshot_are_ignored() -> None:
    store = JobStore()
    assert store.apply(update(job("a"), 1)) is None
    assert store.jobs == {}
    assert not store.loaded


def test_a_snapshot_reports_every_job_with_its_seq() -> None:
    store = JobStore()
    changes = store.load(Snapshot(epoch="e1", seq=7, jobs=[job("a"), job("b")]))
    assert [(c.job_id, c.seq) for c in changes] == [("a", 7), ("b", 7)]
    assert (store.epoch, store.seq, sorted(store.jobs)) == ("e1", 7, ["a", "b"])


def test_an_event_the_snapshot_already_holds_is_skipped() -> None:
    store = loaded(job("a", version=3), seq=10)
    assert store.apply(update(job("a", version=3), 10)) is None
    assert store.apply(update(job("a", version=2), 9)) is None
    assert store.jobs["a"].version == 3


def test_a_newer_event_is_applied_and_advances_seq() -> None:
    store = loaded(job("a", version=3), seq=10)
    change = store.apply(update(job("a", version=4, status=Status.COMPLETED), 11))
    assert change is not None
    assert change.job is not None
    assert change.job.status is Status.COMPLETED
    assert store.seq == 11


def test_an_older_version_under_a_newer_seq_does_not_go_backwards() -> None:
    store = loaded(job("a", version=5), seq=10)
    assert store.apply(update(job("a", version=4), 11)) is None
    assert store.jobs["a"].version == 5
    assert store.seq == 11


def test_an_event_of_another_epoch_is_ignored() -> None:
    store = loaded(job("a"), seq=10)
    assert store.apply(update(job("b"), 11, epoch="e2")) is None
    assert "b" not in store.jobs


def test_removal_drops_the_job_once() -> None:
    store = loaded(job("a"), seq=10)
    change = store.apply(removed("a", 11))
    assert change is not None
    assert change.job is None
    assert change.job_id == "a"
    assert store.apply(removed("a", 12)) is None
    assert store.jobs == {}


def test_a_resync_reports_only_what_differs() -> None:
    store = loaded(job("a", version=1), job("b", version=1), job("c", version=1), seq=10)
    fresh = Snapshot(epoch="e1", seq=20, jobs=[job("a", version=1), job("b", version=2)])
    changes = store.load(fresh)
    assert {(c.job_id, c.job is None) for c in changes} == {("b", False), ("c", True)}
    assert sorted(store.jobs) == ["a", "b"]
    assert store.seq == 20


def test_a_new_epoch_replaces_everything() -> None:
    store = loaded(job("a", version=9), seq=50)
    changes = store.load(Snapshot(epoch="e2", seq=1, jobs=[job("a", version=1)]))
    assert [(c.job_id, c.seq) for c in changes] == [("a", 1)]
    assert store.jobs["a"].version == 1
    assert (store.epoch, store.seq) == ("e2", 1)


def test_snapshot_decodes_from_the_wire_form() -> None:
    raw = (
        b'{"epoch":"e1","seq":3,"jobs":[{"id":"a","name":"n","createdAt":"'
        + T.encode()
        + b'","updatedAt":"'
        + T.encode()
        + b'","futureField":1}]}'
    )
    snapshot = msgspec.json.decode(raw, type=Snapshot)
    store = JobStore()
    store.load(snapshot)
    assert store.jobs["a"].name == "n"
