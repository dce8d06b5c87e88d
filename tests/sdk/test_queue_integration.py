"""The queue through the SDK against the real server: submit, claim, report, stop, retry.

Short sweeps and retry backoffs (``config_overrides``) let lease expiry and retries
happen within a test; every wait is a poll with a deadline.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from jobdesk.protocol import Status
from jobdesk.sdk import (
    AsyncClaimedJob,
    AsyncJobdeskClient,
    Cancelled,
    ClaimedJob,
    JobdeskClient,
    LeaseLost,
    RetryPolicy,
    SdkError,
    SubmissionError,
)
from jobdesk.sdk.steps import Steps
from tests.conftest import RunningServer
from tests.polling import eventually, wait_for

FAST = RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.05, max_elapsed=5.0)


@pytest.fixture
def config_overrides() -> dict[str, Any]:
    return {"sweep_interval_s": 0.1, "retry_base_s": 0.1}


def sdk(server: RunningServer, who: str) -> JobdeskClient:
    return JobdeskClient(server.url, server.tokens[who], retry=FAST, flush_interval=0.05)


@pytest.fixture
def ops(server: RunningServer) -> Iterator[JobdeskClient]:
    with sdk(server, "operator") as client:
        yield client


@pytest.fixture
def mine(server: RunningServer) -> Iterator[JobdeskClient]:
    with sdk(server, "worker") as client:
        yield client


def test_a_submitted_job_is_claimed_done_and_recorded(
    ops: JobdeskClient, mine: JobdeskClient
) -> None:
    job_id = ops.submit_job(
        "send-email", name="welcome", payload={"to": "a@b.c"}, priority="HIGH", max_attempts=3
    )
    submitted = ops.get_job(job_id)
    assert (submitted.status, submitted.max_attempts, submitted.payload) == (
        Status.QUEUED,
        3,
        {"to": "a@b.c"},
    )
    worker = mine.worker("mailer-1", lease=5, wait=1)
    for job in worker.jobs("send-email"):
        assert (job.job_id, job.attempt, job.payload) == (job_id, 1, {"to": "a@b.c"})
        with job:
            job.progress(50, "sending")
            job.info("sent")
        worker.stop()
    done = ops.get_job(job_id)
    assert (done.status, done.progress, done.owner) == (Status.COMPLETED, 100.0, "worker-1")
    ((attempt,),) = [done.history]
    assert (attempt.number, attempt.worker, attempt.outcome) == (1, "mailer-1", "completed")


def test_a_waiting_claim_wakes_when_a_job_is_submitted(
    server: RunningServer, ops: JobdeskClient, mine: JobdeskClient
) -> None:
    """Woken by the submit, not by the end of its wait: a claim left to its wait (60 s,
    the most it may ask for) would bring the job long after this test stops waiting."""
    service = server.embedded.service
    assert service is not None
    worker = mine.worker(wait=60)
    got: list[ClaimedJob] = []

    def loop() -> None:
        for job in worker.jobs("report"):
            got.append(job)
            job.complete()
            worker.stop()

    thread = threading.Thread(target=loop)
    thread.start()
    wait_for(lambda: service.waiting_claims == 1)  # waiting, not yet asked
    job_id = ops.submit_job("report")
    wait_for(lambda: bool(got), within=30)
    thread.join(30)
    assert not thread.is_alive()
    assert [job.job_id for job in got] == [job_id]


def test_cancelling_a_running_job_stops_its_worker(ops: JobdeskClient, mine: JobdeskClient) -> None:
    job_id = ops.submit_job("crunch", max_attempts=3)
    worker = mine.worker(lease=5, wait=1)
    stopped: list[BaseException] = []
    for job in worker.jobs("crunch"):
        with job:
            job.progress(10)
            job.flush()
            cancelled = ops.cancel_job(job_id, reason="wrong input")
            assert cancelled.status is Status.CANCELLED
            try:
                for step in range(1000):
                    job.progress(step / 10)
                    job.flush()
            except SdkError as exc:
                stopped.append(exc)
                raise
        worker.stop()
    assert [type(exc).__name__ for exc in stopped] == ["Cancelled"]
    final = ops.get_job(job_id)
    assert final.status is Status.CANCELLED
    assert [a.outcome for a in final.history] == ["cancelled"]


def test_a_job_started_by_its_worker_learns_of_a_cancel_too(
    ops: JobdeskClient, mine: JobdeskClient
) -> None:
    job = mine.start_job("by-hand")
    ops.cancel_job(job.job_id)
    job.progress(5)
    with pytest.raises(Cancelled):
        job.flush()
    with pytest.raises(Cancelled):
        job.info("still going?")  # the next report raises, not only the flush
    with pytest.raises(Cancelled):
        job.close()


def _no_renewals() -> Steps[None]:
    return
    yield


def test_a_lost_lease_fences_the_late_worker_out(
    ops: JobdeskClient, mine: JobdeskClient, server: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    job_id = ops.submit_job("slow", max_attempts=3)
    stalled = mine.worker("late", lease=1, wait=1)
    monkeypatch.setattr(stalled._core.keeper, "_renew_all", _no_renewals)  # renews nothing
    late_loop = stalled.jobs("slow")
    late = next(late_loop)
    wait_for(lambda: ops.get_job(job_id).status is Status.QUEUED)  # the sweep requeued it
    with sdk(server, "worker2") as other:
        other_loop = other.worker("other", lease=5, wait=1).jobs("slow")
        second = next(other_loop)
        assert (second.job_id, second.attempt) == (job_id, 2)
        late.progress(90)
        with pytest.raises(LeaseLost):
            late.flush()
        with pytest.raises(LeaseLost):
            late.complete()
        second.complete(result="mine")
        other_loop.close()
    late_loop.close()
    final = ops.get_job(job_id)
    assert (final.status, final.result) == (Status.COMPLETED, "mine")
    assert [(a.number, a.worker, a.outcome) for a in final.history] == [
        (1, "late", "lease_expired"),
        (2, "other", "completed"),
    ]


def test_a_failed_attempt_is_retried_after_its_backoff(
    ops: JobdeskClient, mine: JobdeskClient
) -> None:
    job_id = ops.submit_job("flaky", max_attempts=2)
    worker = mine.worker(lease=5, wait=5)
    attempts = []
    for job in worker.jobs("flaky"):
        attempts.append(job.attempt)
        if job.attempt == 1:
            job.fail("smtp timeout")
            assert ops.get_job(job_id).status is Status.RETRYING
        else:
            job.complete()
            worker.stop()
    assert attempts == [1, 2]
    final = ops.get_job(job_id)
    assert final.status is Status.COMPLETED
    assert [a.outcome for a in final.history] == ["failed", "completed"]


def test_an_operator_retry_gives_a_failed_job_one_more_attempt(
    ops: JobdeskClient, mine: JobdeskClient
) -> None:
    job_id = ops.submit_job("once")
    worker = mine.worker(lease=5, wait=5)
    jobs = worker.jobs("once")
    next(jobs).fail("disk full")
    assert ops.get_job(job_id).status is Status.FAILED
    retried = ops.retry_job(job_id)
    assert (retried.status, retried.max_attempts) == (Status.QUEUED, 2)
    again = next(jobs)
    assert (again.job_id, again.attempt) == (job_id, 2)
    again.complete()
    jobs.close()
    with pytest.raises(SdkError) as caught:
        ops.retry_job(job_id)  # completed: submit a new one instead
    assert caught.value.code == "CONFLICT"
    with pytest.raises(SdkError) as finished:
        ops.cancel_job(job_id)
    assert finished.value.code == "CONFLICT"


def test_cancel_and_retry_refusals(ops: JobdeskClient, mine: JobdeskClient) -> None:
    with pytest.raises(SdkError) as missing:
        ops.cancel_job("job_missing")
    assert missing.value.code == "NOT_FOUND"
    job_id = ops.submit_job("t")
    with pytest.raises(SdkError) as forbidden:
        mine.cancel_job(job_id)
    assert forbidden.value.code == "FORBIDDEN"
    assert ops.cancel_job(job_id).status is Status.CANCELLED
    assert ops.retry_job(job_id).status is Status.QUEUED


def test_run_handles_every_job_until_stopped(ops: JobdeskClient, mine: JobdeskClient) -> None:
    ids = [ops.submit_job("square", payload=n) for n in range(3)]
    worker = mine.worker(lease=5, wait=1)
    done: list[str] = []

    def square(job: ClaimedJob) -> int:
        done.append(job.job_id)
        if len(done) == len(ids):
            worker.stop()
        value: int = job.payload
        return value * value

    worker.run(square, "square")
    # same priority: oldest first; submissions within one millisecond go by id (docs/queue.md)
    assert done == sorted(ids, key=lambda i: (ops.get_job(i).created_at, i))
    assert [ops.get_job(job_id).result for job_id in ids] == [0, 1, 4]


# --- submission errors, from the real server -----------------------------------------------


@pytest.mark.parametrize(
    ("who", "server_code"), [("viewer", "FORBIDDEN"), ("bad", "AUTH_REQUIRED")]
)
def test_a_token_that_may_not_submit_is_auth_required(
    server: RunningServer, who: str, server_code: str
) -> None:
    token = server.tokens.get(who, "jd_not_a_token")
    with (
        JobdeskClient(server.url, token, retry=FAST) as client,
        pytest.raises(SubmissionError) as caught,
    ):
        client.submit_job()
    assert (caught.value.code, caught.value.server_code) == ("AUTH_REQUIRED", server_code)


def test_an_oversized_payload_is_invalid_input(ops: JobdeskClient) -> None:
    with pytest.raises(SubmissionError) as caught:
        ops.submit_job(payload="x" * (1024 * 1024 + 1))
    assert (caught.value.code, caught.value.status) == ("INVALID_INPUT", 413)


@pytest.mark.parametrize("config_overrides", [{"max_active_jobs": 1}])
def test_a_full_server_is_submission_failed_after_the_retries(ops: JobdeskClient) -> None:
    ops.submit_job()
    with pytest.raises(SubmissionError) as caught:
        ops.submit_job()
    error = caught.value
    assert (error.code, error.server_code, error.attempts) == (
        "SUBMISSION_FAILED",
        "TOO_MANY_ACTIVE_JOBS",
        FAST.max_attempts,
    )


def test_an_unreachable_server_is_submission_failed() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with (
        JobdeskClient(f"http://127.0.0.1:{port}", "jd_x", retry=FAST) as client,
        pytest.raises(SubmissionError) as caught,
    ):
        client.submit_job()
    assert (caught.value.code, caught.value.server_code) == ("SUBMISSION_FAILED", "UNAVAILABLE")


# --- asyncio ----------------------------------------------------------------------------------


async def test_an_async_worker_takes_jobs_and_stops_on_a_cancel(server: RunningServer) -> None:
    async with (
        AsyncJobdeskClient(server.url, server.tokens["operator"], retry=FAST) as ops_client,
        AsyncJobdeskClient(server.url, server.tokens["worker"], flush_interval=0.05) as client,
    ):
        first = await ops_client.submit_job("mail", payload="hi")
        second = await ops_client.submit_job("mail", priority="LOW")
        worker = client.worker("async-1", lease=5, wait=1)
        seen: list[AsyncClaimedJob] = []
        async for job in worker.jobs("mail"):
            seen.append(job)
            async with job:
                if job.job_id == second:
                    worker.stop()
                    await ops_client.cancel_job(second)
                    await eventually_stopped(job)
                    job.progress(10)  # raises Cancelled, swallowed by async with
        assert [job.job_id for job in seen] == [first, second]
        assert seen[0].payload == "hi"
        assert (await ops_client.get_job(first)).status is Status.COMPLETED
        assert (await ops_client.get_job(second)).status is Status.CANCELLED


async def eventually_stopped(job: AsyncClaimedJob) -> None:
    """Until the server has told this job it is cancelled (a progress is answered 409)."""

    async def told() -> bool:
        try:
            job.progress(1)
            await job.flush()
        except SdkError:
            return True
        return False

    deadline = time.monotonic() + 10
    while not await told():
        assert time.monotonic() < deadline, "the cancel never reached the worker"
    await eventually(lambda: job.stopped is not None)
