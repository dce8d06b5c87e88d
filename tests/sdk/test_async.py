"""AsyncJobdeskClient and AsyncJobReporter: the sync behaviour, from a background task."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from jobdesk.protocol import Status
from jobdesk.sdk import UNAVAILABLE, AsyncJobdeskClient, AsyncJobReporter, SdkError
from tests.polling import eventually
from tests.sdk.conftest import INTERVAL
from tests.sdk.fakes import JOB_ID, Drop, FakeServer, Refuse


async def test_coalesces_and_delivers_the_last_value(
    fake: FakeServer, aclient: AsyncJobdeskClient
) -> None:
    job = aclient.reporter(JOB_ID)
    started = time.monotonic()
    for step in range(100_000):
        job.progress(step / 1000)
        if step % 10_000 == 0:
            await asyncio.sleep(0)  # let the sender run, as a real worker's awaits would
    elapsed = time.monotonic() - started
    await job.flush()
    sent = fake.writes()
    assert 1 <= len(sent) <= 12 + elapsed / INTERVAL
    assert sent[-1][1]["progress"] == pytest.approx(0.99999)


async def test_a_single_progress_arrives_without_flush(
    fake: FakeServer, aclient: AsyncJobdeskClient
) -> None:
    aclient.reporter(JOB_ID).progress(42)
    await eventually(lambda: len(fake.writes()) == 1)
    assert fake.writes()[0][1]["progress"] == pytest.approx(0.42)


async def test_log_entries_keep_their_place_among_progress(
    fake: FakeServer, aclient: AsyncJobdeskClient
) -> None:
    job = aclient.reporter(JOB_ID)
    job.pipeline({"data-loading": 1, "question-processing": 3})
    job.sub_operation("data-loading", 100)
    job.info("loaded")
    job.sub_operation("question-processing", 10)
    job.sub_operation("question-processing", 50)
    await job.flush()
    assert [(a, b.get("subOperation"), b.get("progress")) for a, b in fake.writes()] == [
        ("progress", None, None),
        ("progress", "data-loading", 1.0),
        ("message", None, None),
        ("progress", "question-processing", 0.5),
    ]


async def test_async_with_start_job_fails_with_the_exception_text(
    fake: FakeServer, aclient: AsyncJobdeskClient
) -> None:
    seen: list[AsyncJobReporter] = []

    async def work() -> None:
        async with aclient.start_job("etl") as job:
            seen.append(job)
            job.progress(10)
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await work()
    assert fake.writes()[-1] == ("fail", {"error": "RuntimeError: boom"})
    assert fake.actions() == ["progress", "fail"]
    assert seen[0].finished is Status.FAILED


async def test_awaited_start_job_and_a_normal_exit_completes(
    fake: FakeServer, aclient: AsyncJobdeskClient
) -> None:
    job = await aclient.start_job(name="n")
    async with job:
        job.progress(60)
    assert fake.actions() == ["progress", "complete"]
    assert job.finished is Status.COMPLETED


async def test_a_cancelled_worker_fails_its_job(
    fake: FakeServer, aclient: AsyncJobdeskClient
) -> None:
    entered = asyncio.Event()

    async def work() -> None:
        async with aclient.start_job() as job:
            job.progress(5)
            entered.set()
            await asyncio.Event().wait()

    task = asyncio.create_task(work())
    await entered.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert fake.writes()[-1] == ("fail", {"error": "CancelledError: "})


async def test_a_refusal_stops_delivery(fake: FakeServer, aclient: AsyncJobdeskClient) -> None:
    fake.script("/message", Refuse(403, "FORBIDDEN", "job belongs to 'worker-2'"))
    job = aclient.reporter(JOB_ID)
    job.info("hello")
    await eventually(lambda: job.delivery_error is not None)
    job.progress(5)
    with pytest.raises(SdkError, match="FORBIDDEN"):
        await job.close()
    assert fake.writes() == []


async def test_flush_reports_an_outage_and_delivery_resumes_after_it(
    fake: FakeServer, aclient: AsyncJobdeskClient
) -> None:
    fake.script("/progress", Drop(), Drop(), Drop())
    job = aclient.reporter(JOB_ID)
    job.progress(70)
    with pytest.raises(SdkError) as caught:
        await job.flush()
    assert caught.value.code == UNAVAILABLE
    await job.flush()
    assert [b["progress"] for _, b in fake.writes()] == [0.7]


async def test_client_errors_map_as_in_the_sync_client(
    fake: FakeServer, aclient: AsyncJobdeskClient
) -> None:
    fake.script("/api/jobs", Drop(), Refuse(429, "TOO_MANY_ACTIVE_JOBS", "full"))
    with pytest.raises(SdkError) as caught:
        await aclient.create_job()
    assert (caught.value.code, caught.value.status, caught.value.attempts) == (
        "TOO_MANY_ACTIVE_JOBS",
        429,
        2,
    )
    assert caught.value.retryable
    assert (await aclient.get_job(JOB_ID)).id == JOB_ID


async def test_closing_the_client_delivers_what_open_reporters_hold(fake: FakeServer) -> None:
    async with AsyncJobdeskClient(
        "http://t", "k", transport=fake.transport(), flush_interval=3600
    ) as client:
        client.reporter(JOB_ID).progress(99)
    assert [b["progress"] for _, b in fake.writes()] == [0.99]


async def test_a_fail_whose_answer_was_lost_counts_once_the_job_shows_failed(
    fake: FakeServer, aclient: AsyncJobdeskClient
) -> None:
    fake.known_jobs[0]["status"] = "failed"
    fake.script("/fail", Drop(after_commit=True, error=httpx.ReadError), Refuse(409, "CONFLICT"))
    job = aclient.reporter(JOB_ID)
    await job.fail(ValueError("bad input"))
    assert job.finished is Status.FAILED
    assert [b for a, b in fake.writes() if a == "fail"] == [{"error": "ValueError: bad input"}]
