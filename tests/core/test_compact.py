"""The store keeps jobs compact: equal strings shared, nothing a reader sees changed."""

from __future__ import annotations

import msgspec

from jobdesk.core.compact import Compactor
from jobdesk.core.store import JobStore
from jobdesk.protocol import Job, JobSummary, Status

NOW = "2026-11-22T10:00:00.000Z"
LATER = "2026-11-22T10:05:00.000Z"


def decoded(**fields: object) -> JobSummary:
    """A job as the monitor gets it: decoded from JSON, so every string its own copy."""
    base: dict[str, object] = {
        "id": "job_1",
        "name": "render shot 1",
        "jobType": "render",
        "owner": "worker-01",
        "metadata": {"queue": "gpu", "input": "s3://" + "x" * 60},
        "createdAt": NOW,
        "updatedAt": NOW,
    }
    base.update(fields)
    return msgspec.json.decode(msgspec.json.encode(base), type=JobSummary)


def test_job_types_owners_and_short_metadata_values_are_shared_between_jobs() -> None:
    compactor = Compactor()
    first, second = decoded(id="a"), decoded(id="b")
    assert first.job_type is not second.job_type  # the decoder's own copies
    compactor.settle(first, None)
    compactor.settle(second, None)
    assert second.job_type is first.job_type
    assert second.owner is first.owner
    assert second.metadata["queue"] is first.metadata["queue"]
    assert second.metadata["input"] is not first.metadata["input"]  # long: not shared
    assert second == decoded(id="b")  # equal strings: nothing a reader sees changed


def test_a_finished_jobs_finish_time_is_its_update_time() -> None:
    job = decoded(status="completed", updatedAt=LATER, finishedAt=LATER)
    Compactor().settle(job, None)
    assert job.finished_at is job.updated_at


def test_an_update_keeps_the_previous_states_unchanged_fields() -> None:
    compactor = Compactor()
    before = decoded(version=1, startedAt=NOW, message="step 1")
    compactor.settle(before, None)
    after = decoded(version=2, startedAt=NOW, message="step 2", progress=40)
    compactor.settle(after, before)
    assert after.name is before.name
    assert after.metadata is before.metadata
    assert after.started_at is before.started_at
    assert after.message == "step 2"
    assert after.progress == 40


def test_the_shared_table_is_bounded() -> None:
    compactor = Compactor(limit=2)
    for number in range(5):
        compactor.settle(decoded(jobType=f"type-{number}", owner=""), None)
    kept = decoded(jobType="type-0", owner="")
    later = decoded(jobType="type-4", owner="")
    compactor.settle(kept, None)
    compactor.settle(later, None)
    assert later.job_type == "type-4"  # not shared, still right
    assert len(compactor._table) == 2


def test_the_store_compacts_what_it_keeps_and_keeps_unchanged_jobs_of_a_new_snapshot() -> None:
    store = JobStore()
    store.apply("s", epoch="e", jobs=[decoded(id="a"), decoded(id="b")], replace=True)
    a, b = store.get(("s", "a")), store.get(("s", "b"))
    assert a is not None
    assert b is not None
    assert a.job_type is b.job_type
    changes = store.apply(
        "s",
        epoch="e",
        jobs=[decoded(id="a"), decoded(id="b", version=2, status=Status.RUNNING)],
        replace=True,
    )
    assert [c.job_id for c in changes] == ["b"]
    assert store.get(("s", "a")) is a  # unchanged: the stored object stays
    newer = store.get(("s", "b"))
    assert newer is not None
    assert newer.status is Status.RUNNING
    assert newer.name is b.name


def test_a_full_job_is_kept_as_given_but_compacted_alike() -> None:
    store = JobStore()
    job = Job(id="a", name="n", job_type="render", created_at=NOW, updated_at=NOW)
    store.apply("s", epoch="e", jobs=[job], replace=True)
    assert store.get(("s", "a")) == job
