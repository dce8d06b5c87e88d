"""The sync worker loop on the FakeServer: what a claim sends, the attempt header on every
write, heartbeats, stopping on CANCELLED / LEASE_LOST, and a loop that never spins."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from jobdesk.sdk import (
    Cancelled,
    ClaimedJob,
    JobdeskClient,
    JobStopped,
    LeaseLost,
    SdkError,
    Worker,
    claiming,
)
from jobdesk.sdk.retry import rest_between_rounds
from tests.polling import wait_for
from tests.sdk.conftest import FAST_RETRY, INTERVAL
from tests.sdk.fakes import JOB_ID, Drop, FakeServer, Refuse, claimable

JOB_A, JOB_B = "job_aaaaaaaaaaaaaaaa", "job_bbbbbbbbbbbbbbbb"


@pytest.fixture
def worker(client: JobdeskClient) -> Iterator[Worker]:
    made = client.worker("mailer-1", lease=1, wait=5)
    yield made
    made.stop()


def claims(fake: FakeServer) -> list[httpx.Request]:
    return [r for r in fake.attempts if r.url.path == "/api/queue/claim"]


def headers_of(fake: FakeServer, job_id: str) -> list[tuple[str, str | None]]:
    return [
        (r.url.path.rsplit("/", 1)[1], r.headers.get("Jobdesk-Attempt"))
        for r in fake.attempts
        if r.url.path.startswith(f"/api/admin/jobs/{job_id}/")
    ]


def test_a_claim_asks_for_the_types_with_wait_lease_and_name(
    fake: FakeServer, worker: Worker
) -> None:
    fake.queue.append(claimable(attempt=2, payload={"to": "a@b.c"}))
    jobs = worker.jobs("send-email", "sms")
    job = next(jobs)
    assert (job.job_id, job.attempt, job.payload, job.job.max_attempts) == (
        JOB_ID,
        2,
        {"to": "a@b.c"},
        3,
    )
    (claim,) = claims(fake)
    assert json.loads(claim.content) == {
        "jobTypes": ["send-email", "sms"],
        "waitSeconds": 5.0,
        "leaseSeconds": 1.0,
        "worker": "mailer-1",
        "maxJobs": 4,  # the default prefetch, as Celery's
    }
    assert claim.extensions["timeout"]["read"] == pytest.approx(10.0 + 5.0)  # long poll room
    job.complete()
    worker.stop()
    assert list(jobs) == []


def test_every_write_of_a_claimed_job_carries_its_attempt(fake: FakeServer, worker: Worker) -> None:
    fake.queue.append(claimable(attempt=3))
    jobs = worker.jobs("t")  # held: a loop that is let go leaves its job to the lease
    job = next(jobs)
    job.progress(40, "half")
    job.info("sent")
    job.heartbeat()
    job.complete(result={"ok": True})
    sent = headers_of(fake, JOB_ID)
    assert [action for action, _ in sent if action != "heartbeat"] == [
        "progress",
        "message",
        "complete",
    ]
    assert {attempt for _, attempt in sent} == {"3"}


def test_heartbeats_go_out_every_third_of_the_lease_until_the_job_ends(
    fake: FakeServer, worker: Worker
) -> None:
    fake.queue.append(claimable())
    jobs = worker.jobs("t")  # held: a loop that is let go leaves its job to the lease
    job = next(jobs)
    started = time.monotonic()
    wait_for(lambda: [a for a, _ in headers_of(fake, JOB_ID)].count("heartbeat") >= 2)
    assert time.monotonic() - started >= 2 * (1 / 3) * 0.9
    job.complete()
    assert not job._worker.holds(job.job_id)


def test_a_cancelled_job_raises_cancelled_at_the_next_report(
    fake: FakeServer, worker: Worker
) -> None:
    fake.queue.append(claimable())
    fake.script("/progress", Refuse(409, "CANCELLED", "cancelled by ops"))
    jobs = worker.jobs("t")  # held: a loop that is let go leaves its job to the lease
    job = next(jobs)
    job.progress(10)
    wait_for(lambda: job.stopped is not None)
    reports: list[Callable[[], None]] = [
        lambda: job.progress(20),
        lambda: job.info("more"),
        job.heartbeat,
    ]
    for report in reports:
        with pytest.raises(Cancelled) as caught:
            report()
        assert isinstance(caught.value, JobStopped)
        assert isinstance(caught.value, SdkError)
        assert caught.value.code == "CANCELLED"
    with pytest.raises(Cancelled):
        job.complete()
    with pytest.raises(Cancelled):
        job.close()  # as a plain reporter's close raises its delivery error
    assert job.closed


def test_a_lost_lease_found_by_a_heartbeat_raises_lease_lost_at_the_next_report(
    fake: FakeServer, worker: Worker
) -> None:
    fake.queue.append(claimable())
    fake.script("/heartbeat", Refuse(409, "LEASE_LOST", "attempt 1 is over"))
    jobs = worker.jobs("t")  # held: a loop that is let go leaves its job to the lease
    job = next(jobs)
    wait_for(lambda: job.stopped is not None)
    with pytest.raises(LeaseLost):
        job.progress(50)
    assert not job._worker.holds(job.job_id)  # one refusal ends the renewals
    with pytest.raises(LeaseLost):
        job.close()


def test_with_job_swallows_a_stop_and_the_loop_takes_the_next_job(
    fake: FakeServer, worker: Worker
) -> None:
    fake.queue.extend([claimable(JOB_A), claimable(JOB_B)])
    fake.script(f"{JOB_A}/progress", Refuse(409, "LEASE_LOST"))
    seen = []
    for job in worker.jobs("t"):
        seen.append(job.job_id)
        with job:
            job.progress(10)
            job.flush()  # raises LeaseLost for job A
        if len(seen) == 2:
            worker.stop()
    assert seen == [JOB_A, JOB_B]
    assert [a for a, _ in headers_of(fake, JOB_A)] == ["progress"]  # never completed
    assert [a for a, _ in headers_of(fake, JOB_B)] == ["progress", "complete"]


def test_completing_a_job_no_longer_ours_is_swallowed_by_with(
    fake: FakeServer, worker: Worker
) -> None:
    fake.queue.append(claimable())
    fake.script("/complete", Refuse(409, "LEASE_LOST"))
    jobs = worker.jobs("t")  # held: a loop that is let go leaves its job to the lease
    job = next(jobs)
    with job:
        pass
    assert job.closed
    fake.wait_for(lambda: len(fake.rounds) == 1 and not worker._core.keeper.busy)
    assert fake.rounds[0]["completions"] == [{"jobId": JOB_ID, "attempt": 1}]
    assert job.finished is None  # refused: the job is no longer ours


def test_an_exception_in_with_fails_the_job_and_ends_the_loop(
    fake: FakeServer, worker: Worker
) -> None:
    fake.queue.append(claimable(attempt=2))
    with pytest.raises(ValueError, match="bad address"):  # noqa: PT012
        for job in worker.jobs("t"):
            with job:
                raise ValueError("bad address")
    ((action, body),) = fake.writes()
    assert (action, body) == ("fail", {"error": "ValueError: bad address"})
    assert headers_of(fake, JOB_ID) == [("fail", "2")]


def test_a_job_the_body_left_open_is_completed_when_the_next_is_asked_for(
    fake: FakeServer, worker: Worker
) -> None:
    fake.queue.extend([claimable(JOB_A), claimable(JOB_B)])
    for job in worker.jobs("t"):
        job.progress(30)
        if job.job_id == JOB_B:
            break  # B is left open: left to its lease
    assert [a for a, _ in headers_of(fake, JOB_A)] == ["progress", "complete"]
    wait_for(lambda: job.closed)
    assert [a for a, _ in headers_of(fake, JOB_B) if a != "heartbeat"] == ["progress"]
    assert not job._worker.holds(job.job_id)


def test_run_completes_with_the_result_fails_on_an_exception_and_goes_on(
    fake: FakeServer, worker: Worker
) -> None:
    fake.queue.extend([claimable(JOB_A, payload=1), claimable(JOB_B, payload=0)])

    def handler(job: ClaimedJob) -> Any:
        if job.job_id == JOB_B:
            worker.stop()
            raise LookupError("no such mailbox")
        return {"sent": job.payload}

    worker.run(handler, "t")
    assert fake.writes(JOB_A) == [("complete", {"result": {"sent": 1}, "message": None})]
    assert fake.writes(JOB_B) == [("fail", {"error": "LookupError: no such mailbox"})]


def test_an_unreachable_server_is_waited_out_without_spinning(
    fake: FakeServer, worker: Worker
) -> None:
    fake.script("/api/queue/claim", *[Drop()] * 6)  # two rounds of FAST_RETRY's 3 attempts
    fake.queue.append(claimable())
    started = time.monotonic()
    jobs = worker.jobs("t")  # held: a loop that is let go leaves its job to the lease
    job = next(jobs)
    assert job.job_id == JOB_ID
    assert len(claims(fake)) == 7
    rest = rest_between_rounds(FAST_RETRY)
    assert time.monotonic() - started >= 2 * rest * 0.9
    job.complete()


def test_empty_answers_never_make_the_loop_spin(
    fake: FakeServer, client: JobdeskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(claiming, "MIN_CLAIM_GAP", 0.2)
    worker = client.worker(wait=0)  # the server answers at once: nothing to wait for
    loop = threading.Thread(target=lambda: list(worker.jobs("t")))
    started = time.monotonic()
    loop.start()
    wait_for(lambda: len(claims(fake)) >= 4)
    assert time.monotonic() - started >= 3 * 0.2 * 0.9
    worker.stop()
    loop.join(5)
    assert not loop.is_alive()


@pytest.mark.parametrize(
    "refusal", [Refuse(401, "AUTH_REQUIRED"), Refuse(400, "INVALID_INPUT", field="jobTypes")]
)
def test_a_refusal_retrying_cannot_fix_ends_the_loop(
    fake: FakeServer, worker: Worker, refusal: Refuse
) -> None:
    fake.script("/api/queue/claim", refusal)
    with pytest.raises(SdkError) as caught:
        next(worker.jobs("t"))
    assert caught.value.code == refusal.code


def test_a_server_error_is_waited_out_like_an_outage(fake: FakeServer, worker: Worker) -> None:
    fake.script("/api/queue/claim", Refuse(500, "UNKNOWN_ERROR"))
    fake.queue.append(claimable())
    jobs = worker.jobs("t")
    assert next(jobs).job_id == JOB_ID


def test_stop_from_another_thread_ends_an_idle_loop(fake: FakeServer, worker: Worker) -> None:
    loop = threading.Thread(target=lambda: list(worker.jobs("t")))
    loop.start()
    wait_for(lambda: len(claims(fake)) >= 1)
    worker.stop()
    loop.join(5)
    assert not loop.is_alive()
    assert worker.stopped


def test_closing_the_client_ends_the_loop_and_leaves_an_open_job_to_its_lease(
    fake: FakeServer,
) -> None:
    fake.queue.append(claimable())
    client = JobdeskClient(
        "http://jobdesk.test", "jd_x", retry=FAST_RETRY, transport=fake.transport(),
        flush_interval=INTERVAL,
    )  # fmt: skip
    jobs = client.worker(lease=1).jobs("t")
    job = next(jobs)
    job.progress(70)
    client.close()
    assert job.closed
    assert job.finished is None
    assert [a for a, _ in headers_of(fake, JOB_ID) if a != "heartbeat"] == ["progress"]
    assert list(jobs) == []
    assert not job._worker.holds(job.job_id)


@pytest.mark.parametrize(
    ("arguments", "word"),
    [
        ({"lease": 0.5}, "lease"),
        ({"lease": 3601}, "lease"),
        ({"lease": float("nan")}, "lease"),
        ({"wait": -1}, "wait"),
        ({"wait": 61}, "wait"),
        ({"name": ""}, "name"),
        ({"name": "n" * 201}, "name"),
    ],
)
def test_bad_worker_settings_are_refused_at_once(
    client: JobdeskClient, arguments: dict[str, Any], word: str
) -> None:
    with pytest.raises(ValueError, match=word):
        client.worker(**arguments)


@pytest.mark.parametrize("job_types", [(), ("",), ("x" * 101,)])
def test_bad_job_types_are_refused_when_jobs_is_called(
    fake: FakeServer, worker: Worker, job_types: tuple[str, ...]
) -> None:
    with pytest.raises(ValueError, match="job type"):
        worker.jobs(*job_types)
    assert fake.attempts == []


def test_idle_rest_keeps_a_gap_between_empty_claims() -> None:
    assert claiming.idle_rest(0.0) == claiming.MIN_CLAIM_GAP
    assert claiming.idle_rest(0.25) == pytest.approx(claiming.MIN_CLAIM_GAP - 0.25)
    assert claiming.idle_rest(20.0) == 0.0
