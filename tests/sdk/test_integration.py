"""The SDK against the real server: a worker's whole job, and each refusal it can meet."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from jobdesk.protocol import Status
from jobdesk.sdk import AsyncJobdeskClient, JobdeskClient, JobReporter, SdkError
from tests.conftest import RunningServer


@pytest.fixture
def worker_sdk(server: RunningServer) -> Iterator[JobdeskClient]:
    with JobdeskClient(server.url, server.tokens["worker"], flush_interval=0.05) as client:
        yield client


def test_a_worker_reports_a_whole_job(server: RunningServer, worker_sdk: JobdeskClient) -> None:
    with worker_sdk.start_job(
        "argument-condensation", name="condense", metadata={"election": "e1"}
    ) as job:
        job.pipeline({"data-loading": 1, "question-processing": 3})
        job.sub_operation("data-loading", 100)
        job.info("Processing question 1")
        for step in range(1, 10_001):
            job.sub_operation("question-processing", step / 200, f"question {step}")
        job.warning("Low confidence in answer")
        job.flush()
        midway = worker_sdk.get_job(job.job_id)
        assert midway.status is Status.RUNNING
        assert midway.progress == pytest.approx((1 * 100 + 3 * 50) / 4)
        assert midway.message == "Low confidence in answer"
        job.complete(result={"documentId": "doc_123"}, message="Condensed")

    snapshot = httpx.get(f"{server.url}/api/jobs", headers=server.headers("operator")).json()
    (done,) = snapshot["jobs"]
    assert (done["id"], done["status"], done["progress"]) == (job.job_id, "completed", 100.0)
    assert (done["owner"], done["name"], done["metadata"]) == (
        "worker-1",
        "condense",
        {"election": "e1"},
    )
    assert [(m["level"], m["text"]) for m in done["messages"]] == [
        ("info", "Processing question 1"),
        ("warning", "Low confidence in answer"),
    ]
    assert [(s["name"], s["weight"], s["progress"]) for s in done["subOperations"]] == [
        ("data-loading", 1.0, 100.0),
        ("question-processing", 3.0, 100.0),
    ]
    assert (done["result"], done["message"]) == ({"documentId": "doc_123"}, "Condensed")


async def test_an_async_worker_takes_up_a_queued_job(server: RunningServer) -> None:
    async with AsyncJobdeskClient(server.url, server.tokens["worker"]) as client:
        job_id = await client.create_job("file_processing", message="Upload queued")
        assert (await client.get_job(job_id)).status is Status.QUEUED
        async with client.reporter(job_id) as job:
            job.progress(30, "Extracting document data...")
            await job.flush()
            running = await client.get_job(job_id)
            assert (running.status, running.progress) == (Status.RUNNING, 30.0)
        async with httpx.AsyncClient(base_url=server.url, headers=server.headers()) as raw:
            polled = (await raw.get(f"/api/jobs/{job_id}")).json()
        assert (polled["status"], polled["progress"]) == ("completed", 100.0)


def test_a_raising_block_fails_the_job_with_the_exception_text(
    server: RunningServer, worker_sdk: JobdeskClient
) -> None:
    def work() -> None:
        with worker_sdk.start_job() as job:
            job.progress(40)
            raise ValueError("bad row 7")

    with pytest.raises(ValueError, match="bad row 7"):
        work()
    failed = _only_job(server)
    assert (failed["status"], failed["error"], failed["progress"]) == (
        "failed",
        "ValueError: bad row 7",
        40.0,
    )


def _only_job(server: RunningServer) -> dict[str, object]:
    jobs = httpx.get(f"{server.url}/api/jobs", headers=server.headers()).json()["jobs"]
    assert len(jobs) == 1
    job: dict[str, object] = jobs[0]
    return job


def test_a_worker_cannot_touch_another_workers_job(
    server: RunningServer, worker_sdk: JobdeskClient
) -> None:
    job_id = worker_sdk.start_job().job_id
    with JobdeskClient(server.url, server.tokens["worker2"]) as other:
        intruder = other.reporter(job_id)
        intruder.progress(10)
        with pytest.raises(SdkError) as caught:
            intruder.flush()
        assert (caught.value.code, caught.value.status) == ("FORBIDDEN", 403)
        assert intruder.delivery_error is caught.value
        with pytest.raises(SdkError, match="FORBIDDEN"):
            other.reporter(job_id).complete()
    job = worker_sdk.get_job(job_id)
    assert (job.status, job.progress, job.owner) == (Status.RUNNING, 0.0, "worker-1")


def test_a_force_failed_job_ends_the_workers_block_with_conflict(
    server: RunningServer, worker_sdk: JobdeskClient, operator: httpx.Client
) -> None:
    seen: list[JobReporter] = []

    def work() -> None:
        with worker_sdk.start_job() as job:
            seen.append(job)
            job.progress(10)
            job.flush()
            forced = operator.post(
                f"/api/admin/jobs/{job.job_id}/force-fail", json={"reason": "stuck"}
            )
            assert forced.status_code == 200
            job.progress(20)

    with pytest.raises(SdkError) as caught:
        work()
    assert (caught.value.code, caught.value.status) == ("CONFLICT", 409)
    assert seen[0].delivery_error is not None
    assert worker_sdk.get_job(seen[0].job_id).error == "stuck"


def test_refusals_carry_the_servers_code_and_field(server: RunningServer) -> None:
    with JobdeskClient(server.url, "jd_not_a_token") as stranger:
        with pytest.raises(SdkError) as unknown:
            stranger.create_job()
        assert (unknown.value.code, unknown.value.status) == ("AUTH_REQUIRED", 401)
    with JobdeskClient(server.url, server.tokens["viewer"]) as viewer:
        with pytest.raises(SdkError) as viewing:
            viewer.start_job()
        assert viewing.value.code == "FORBIDDEN"
    with JobdeskClient(server.url, server.tokens["worker"]) as worker:
        with pytest.raises(SdkError) as invalid:
            worker.create_job(name="x" * 300)
        assert (invalid.value.code, invalid.value.field) == ("INVALID_INPUT", "name")
        with pytest.raises(SdkError) as missing:
            worker.reporter("job_missing").complete()
        assert (missing.value.code, missing.value.status) == ("NOT_FOUND", 404)


def test_many_jobs_reporting_at_once_share_requests_and_end_as_reported(
    server: RunningServer, worker_sdk: JobdeskClient
) -> None:
    service = server.embedded.service
    assert service is not None
    jobs = [worker_sdk.start_job("bulk", name=f"part-{n}") for n in range(50)]
    commits = 0
    commit = service.storage.commit

    def counted(*args: object, **kwargs: object) -> None:
        nonlocal commits
        commits += 1
        commit(*args, **kwargs)  # type: ignore[arg-type]

    service.storage.commit = counted  # type: ignore[method-assign]
    for step in range(1, 21):
        for job in jobs:
            job.progress(step * 5, f"step {step}")
            if step % 10 == 0:
                job.info(f"{step} done")
    for job in jobs:
        job.flush()
    snapshot = httpx.get(f"{server.url}/api/jobs", headers=server.headers("operator")).json()
    by_id = {j["id"]: j for j in snapshot["jobs"]}
    for job in jobs:
        done = by_id[job.job_id]
        assert (done["progress"], done["message"]) == (100.0, "20 done")
        assert [m["text"] for m in done["messages"]] == ["10 done", "20 done"]
    # one request (and transaction) per report would be 50 jobs x 3 reports or more
    assert commits <= 20
