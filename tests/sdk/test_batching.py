"""A client's reporters share one sender: what piles up while a request is in flight goes
out as one batch; a refusal stops only its job; an older server gets one request each."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from jobdesk.sdk import UNAVAILABLE, AsyncJobdeskClient, JobdeskClient, SdkError
from jobdesk.sdk.steps import CONCURRENT_SENDS
from tests.polling import eventually, wait_for
from tests.sdk.conftest import FAST_RETRY
from tests.sdk.fakes import BATCH_PATH, FakeServer, Refuse

JOBS = [f"job_{n:016x}" for n in range(40)]


@pytest.fixture
def slow(fake: FakeServer) -> Iterator[JobdeskClient]:
    """Answers take 0.2 s; progress is folded for an hour after a job's last send."""
    fake.delay = 0.2
    with JobdeskClient(
        "http://t", "k", transport=fake.transport(), retry=FAST_RETRY, flush_interval=3600
    ) as client:
        yield client


def progress_of(fake: FakeServer, job_id: str) -> list[float]:
    return [body["progress"] for action, body in fake.writes(job_id) if action == "progress"]


def test_what_piles_up_while_a_batch_is_in_flight_goes_out_as_the_next(
    fake: FakeServer, slow: JobdeskClient
) -> None:
    reporters = [slow.reporter(job_id) for job_id in JOBS]
    reporters[0].progress(1)
    wait_for(lambda: fake.in_flight == 1)  # sent at once: the sender was idle
    for reporter in reporters[1:]:
        reporter.progress(2)
    for reporter in reporters:
        reporter.flush()
    assert fake.batches == [1, len(JOBS) - 1]
    assert progress_of(fake, JOBS[0]) == [0.01]
    assert all(progress_of(fake, job_id) == [0.02] for job_id in JOBS[1:])


def test_a_first_report_after_a_quiet_spell_is_sent_at_once_later_ones_fold(
    fake: FakeServer,
) -> None:
    with JobdeskClient("http://t", "k", transport=fake.transport(), flush_interval=3600) as client:
        job = client.reporter(JOBS[0])
        job.progress(10)
        fake.wait_for(lambda: len(fake.writes(JOBS[0])) == 1)
        job.progress(20)
        job.progress(30)
        assert len(fake.writes(JOBS[0])) == 1  # within the interval: folded, waiting
        job.flush()  # (when it would be due is test_coalesce's)
        assert progress_of(fake, JOBS[0]) == [0.1, 0.3]


def test_a_refused_report_stops_its_own_job_only(fake: FakeServer, slow: JobdeskClient) -> None:
    fake.script(f"{JOBS[0]}/progress", Refuse(409, "CANCELLED", "cancelled by ops"))
    first, second = slow.reporter(JOBS[0]), slow.reporter(JOBS[1])
    first.progress(5)
    second.progress(6)
    second.flush()
    with pytest.raises(SdkError) as caught:
        first.flush()
    assert (caught.value.code, caught.value.status) == ("CANCELLED", 409)
    assert first.delivery_error is caught.value
    assert progress_of(fake, JOBS[1]) == [0.06]
    assert second.delivery_error is None


def test_a_batch_the_retry_policy_gave_up_on_is_sent_again_unchanged(
    fake: FakeServer, slow: JobdeskClient
) -> None:
    fake.delay = 0.0
    fake.down = True
    job = slow.reporter(JOBS[0])
    job.progress(7)
    with pytest.raises(SdkError) as caught:
        job.flush()
    assert caught.value.code == UNAVAILABLE
    slow.reporter(JOBS[1]).progress(8)  # queued meanwhile: not added to the failed batch
    fake.down = False
    job.flush()
    assert progress_of(fake, JOBS[0]) == [0.07]
    failed = [r.headers["Idempotency-Key"] for r in fake.attempts if r.url.path == BATCH_PATH]
    assert len(failed) >= 3
    assert set(failed) == {fake.batch_keys[0]}  # every attempt, then the same batch again
    assert fake.batches[0] == 1


def test_a_server_without_batches_is_sent_one_request_per_report(fake: FakeServer) -> None:
    fake.batching = False
    with JobdeskClient("http://t", "k", transport=fake.transport()) as client:
        reporters = [client.reporter(job_id) for job_id in JOBS[:5]]
        for reporter in reporters:
            reporter.progress(50)
            reporter.info("half")
        for reporter in reporters:
            reporter.flush()
    assert len(fake.batch_keys) == 1  # asked once (404), then never again
    assert all(fake.actions_of(job_id) == ["progress", "message"] for job_id in JOBS[:5])


def test_without_batches_at_most_a_few_requests_are_in_flight_at_once(fake: FakeServer) -> None:
    fake.delay = 0.05
    with JobdeskClient("http://t", "k", transport=fake.transport(), batch=False) as client:
        reporters = [client.reporter(job_id) for job_id in JOBS]
        for reporter in reporters:
            reporter.progress(1)
        for reporter in reporters:
            reporter.flush()
    assert fake.batches == []
    assert all(progress_of(fake, job_id) == [0.01] for job_id in JOBS)
    assert 1 < fake.most_in_flight <= CONCURRENT_SENDS


async def test_async_reporters_share_one_batch_too(fake: FakeServer) -> None:
    fake.delay = 0.2
    async with AsyncJobdeskClient(
        "http://t", "k", transport=fake.async_transport(), flush_interval=3600
    ) as client:
        reporters = [client.reporter(job_id) for job_id in JOBS]
        reporters[0].progress(1)
        await eventually(lambda: fake.in_flight == 1)
        for reporter in reporters[1:]:
            reporter.progress(2)
            reporter.info("two")
        await asyncio.gather(*[reporter.flush() for reporter in reporters])
    assert fake.batches == [1, 2 * (len(JOBS) - 1)]
    assert all(fake.actions_of(job_id) == ["progress", "message"] for job_id in JOBS[1:])


async def test_async_without_batches_sends_one_request_per_report(fake: FakeServer) -> None:
    fake.delay = 0.02
    async with AsyncJobdeskClient(
        "http://t", "k", transport=fake.async_transport(), batch=False
    ) as client:
        reporters = [client.reporter(job_id) for job_id in JOBS]
        for reporter in reporters:
            reporter.progress(3)
        await asyncio.gather(*[reporter.flush() for reporter in reporters])
    assert fake.batches == []
    assert all(progress_of(fake, job_id) == [0.03] for job_id in JOBS)
    assert fake.most_in_flight <= CONCURRENT_SENDS
