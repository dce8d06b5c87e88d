"""The async worker loop on the FakeServer: the sync loop's rules, from tasks."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable

import pytest

from jobdesk.sdk import (
    AsyncClaimedJob,
    AsyncJobdeskClient,
    Cancelled,
    JobStopped,
    LeaseLost,
    RetryPolicy,
    SdkError,
    claiming,
)
from tests.polling import eventually
from tests.sdk.fakes import JOB_ID, Drop, FakeServer, Refuse, claimable

JOB_A, JOB_B = "job_aaaaaaaaaaaaaaaa", "job_bbbbbbbbbbbbbbbb"


def actions(fake: FakeServer, job_id: str) -> list[tuple[str, str | None]]:
    return [
        (r.url.path.rsplit("/", 1)[1], r.headers.get("Jobdesk-Attempt"))
        for r in fake.attempts
        if r.url.path.startswith(f"/api/admin/jobs/{job_id}/")
    ]


async def test_async_for_claims_and_every_write_carries_the_attempt(
    fake: FakeServer, aclient: AsyncJobdeskClient
) -> None:
    fake.queue.append(claimable(attempt=2, payload={"to": "a@b.c"}))
    worker = aclient.worker("mailer-1", lease=30, wait=5)
    async for job in worker.jobs("send-email"):
        assert (job.job_id, job.attempt, job.payload) == (JOB_ID, 2, {"to": "a@b.c"})
        async with job:
            job.progress(50)
            job.info("sent")
            await job.heartbeat()
        worker.stop()
    (claim,) = [r for r in fake.attempts if r.url.path == "/api/queue/claim"]
    assert json.loads(claim.content) == {
        "jobTypes": ["send-email"],
        "waitSeconds": 5.0,
        "leaseSeconds": 30.0,
        "worker": "mailer-1",
        "maxJobs": 4,  # the default prefetch, as Celery's
    }
    sent = actions(fake, JOB_ID)
    assert [a for a, _ in sent if a != "heartbeat"] == ["progress", "message", "complete"]
    assert ("heartbeat", "2") in sent
    assert {attempt for _, attempt in sent} == {"2"}


async def test_the_heartbeat_task_renews_until_the_job_ends(
    fake: FakeServer, aclient: AsyncJobdeskClient
) -> None:
    fake.queue.append(claimable())
    jobs = aclient.worker(lease=1).jobs("t")
    job = await anext(jobs)
    await eventually(lambda: [a for a, _ in actions(fake, JOB_ID)].count("heartbeat") >= 2)
    await job.complete()
    assert not job._worker.holds(job.job_id)
    await jobs.aclose()


def told_to_stop(job: AsyncClaimedJob) -> Callable[[], bool]:
    return lambda: job.stopped is not None


async def test_a_cancel_raises_at_the_next_report_and_async_with_swallows_it(
    fake: FakeServer, aclient: AsyncJobdeskClient
) -> None:
    fake.queue.extend([claimable(JOB_A), claimable(JOB_B)])
    fake.script(f"{JOB_A}/progress", Refuse(409, "CANCELLED"))
    worker = aclient.worker()
    seen: list[str] = []
    raised: list[JobStopped] = []
    async for job in worker.jobs("t"):
        seen.append(job.job_id)
        async with job:
            job.progress(10)
            if job.job_id == JOB_A:
                await eventually(told_to_stop(job))
                try:
                    job.info("still here?")
                except Cancelled as exc:
                    raised.append(exc)
                    raise
        if len(seen) == 2:
            worker.stop()
    assert seen == [JOB_A, JOB_B]
    assert len(raised) == 1
    assert isinstance(raised[0], SdkError)
    assert [a for a, _ in actions(fake, JOB_A)] == ["progress"]
    assert [a for a, _ in actions(fake, JOB_B)] == ["progress", "complete"]


async def test_a_lost_lease_from_a_heartbeat_stops_the_job(
    fake: FakeServer, aclient: AsyncJobdeskClient
) -> None:
    fake.queue.append(claimable())
    fake.script("/heartbeat", Refuse(409, "LEASE_LOST"))
    jobs = aclient.worker(lease=1).jobs("t")
    job = await anext(jobs)
    await eventually(lambda: job.stopped is not None)
    with pytest.raises(LeaseLost):
        job.progress(20)
    with pytest.raises(LeaseLost):
        await job.heartbeat()
    async with job:
        pass  # completing is refused as LeaseLost, and swallowed
    assert job.closed
    assert job.finished is None
    await jobs.aclose()


async def test_an_open_job_is_completed_when_the_next_is_asked_for(
    fake: FakeServer, aclient: AsyncJobdeskClient
) -> None:
    fake.queue.extend([claimable(JOB_A), claimable(JOB_B)])
    worker = aclient.worker()
    jobs = worker.jobs("t")
    first = await anext(jobs)
    first.progress(30)
    second = await anext(jobs)  # the first job's completion is with the keeper task
    await eventually(lambda: first.finished is not None)
    assert [a for a, _ in actions(fake, JOB_A)] == ["progress", "complete"]
    assert len(fake.rounds) == 1
    await jobs.aclose()  # leaving the loop leaves the open job to its lease
    assert second.closed
    assert second.finished is None
    assert actions(fake, JOB_B) == []


async def test_run_awaits_the_handler_and_goes_on_after_a_failure(
    fake: FakeServer, aclient: AsyncJobdeskClient
) -> None:
    fake.queue.extend([claimable(JOB_A, payload=2), claimable(JOB_B)])
    worker = aclient.worker()

    async def handler(job: AsyncClaimedJob) -> object:
        if job.job_id == JOB_B:
            worker.stop()
            raise LookupError("no such mailbox")
        return {"doubled": job.payload * 2}

    await worker.run(handler, "t")
    assert fake.writes(JOB_A) == [("complete", {"result": {"doubled": 4}, "message": None})]
    assert fake.writes(JOB_B) == [("fail", {"error": "LookupError: no such mailbox"})]


async def test_an_outage_is_waited_out_and_stop_cuts_the_rest_short(fake: FakeServer) -> None:
    """After a round of failed claims the worker rests (``max_delay``: an hour here, so a
    rest that stop() did not cut short would outlast the test)."""
    fake.script("/api/queue/claim", *[Drop()] * 30)
    resting = RetryPolicy(max_attempts=3, base_delay=0.0, max_delay=3600.0, max_elapsed=5.0)
    async with AsyncJobdeskClient(
        "http://jobdesk.test", "jd_secret", retry=resting, transport=fake.transport()
    ) as aclient:
        worker = aclient.worker()
        loop = asyncio.create_task(anext(worker.jobs("t"), None))
        await eventually(lambda: len(fake.attempts) >= 3)
        await asyncio.sleep(0)
        worker.stop()
        assert await asyncio.wait_for(loop, 60) is None
    assert len(fake.attempts) == 3  # one round, then resting, not spinning


async def test_empty_answers_never_make_the_async_loop_spin(
    fake: FakeServer, aclient: AsyncJobdeskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(claiming, "MIN_CLAIM_GAP", 0.2)
    worker = aclient.worker(wait=0)
    loop = asyncio.create_task(anext(worker.jobs("t"), None))
    started = time.monotonic()
    await eventually(lambda: len(fake.attempts) >= 4)
    assert time.monotonic() - started >= 3 * 0.2 * 0.9
    worker.stop()
    assert await asyncio.wait_for(loop, 5) is None


async def test_a_refusal_ends_the_async_loop(fake: FakeServer, aclient: AsyncJobdeskClient) -> None:
    fake.script("/api/queue/claim", Refuse(403, "FORBIDDEN"))
    with pytest.raises(SdkError) as caught:
        await anext(aclient.worker().jobs("t"))
    assert caught.value.code == "FORBIDDEN"


async def test_closing_the_async_client_ends_the_loop(fake: FakeServer) -> None:
    fake.queue.append(claimable())
    client = AsyncJobdeskClient("http://jobdesk.test", "jd_x", transport=fake.transport())
    jobs = client.worker(lease=1).jobs("t")
    job = await anext(jobs)
    job.progress(5)
    await client.close()
    assert job.closed
    assert job.finished is None
    assert not job._worker.holds(job.job_id)
    assert [a for a, _ in actions(fake, JOB_ID) if a != "heartbeat"] == ["progress"]
    assert await anext(jobs, None) is None


async def test_bad_async_worker_arguments_are_refused(aclient: AsyncJobdeskClient) -> None:
    with pytest.raises(ValueError, match="lease"):
        aclient.worker(lease=0)
    with pytest.raises(ValueError, match="wait"):
        aclient.worker(wait=100)
    with pytest.raises(ValueError, match="job type"):
        aclient.worker().jobs()
