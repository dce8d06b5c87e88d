"""A worker's keeper on the FakeServer: the loop's completions go in rounds, one request
for all that were handed in while the last round was out; a round the server did not
answer is sent again as it was; an older server gets one completion a request."""

from __future__ import annotations

from jobdesk.sdk import ClaimedJob, JobdeskClient, Worker
from tests.polling import wait_for
from tests.sdk.fakes import FakeServer, claimable

JOBS = [f"job_{n:016x}" for n in range(1, 6)]


def round_ids(fake: FakeServer) -> list[list[str]]:
    return [[c["jobId"] for c in body["completions"]] for body in fake.rounds]


def test_completions_handed_in_while_a_round_is_out_go_in_the_next(
    fake: FakeServer, client: JobdeskClient
) -> None:
    fake.queue.extend(claimable(job_id) for job_id in JOBS[:4])
    worker = client.worker("w", wait=0, prefetch=4)
    jobs = worker.jobs("t")
    with next(jobs):  # one claim brought all four
        pass
    fake.gate.clear()  # the first round waits in flight
    second = next(jobs)  # handed out from the buffer: no answer waited for
    wait_for(lambda: fake.in_flight == 1)
    assert first_held_until_answered(worker, JOBS[0])
    with second:
        pass
    for _ in range(2):
        with next(jobs):
            pass
    worker.stop()
    fake.gate.set()
    assert list(jobs) == []  # the loop ends once the keeper has sent them all
    assert round_ids(fake) == [JOBS[:1], JOBS[1:4]]
    assert fake.rounds[0]["claim"]["maxJobs"] == 1  # refills what the round frees
    assert fake.rounds[1].get("claim") is None  # stopped: claims nothing more
    assert not any(worker._core.holds(job_id) for job_id in JOBS)


def first_held_until_answered(worker: Worker, job_id: str) -> bool:
    """Its lease is still renewed while its completion is out."""
    return worker._core.holds(job_id)


def test_run_sends_what_the_handler_returned(fake: FakeServer, client: JobdeskClient) -> None:
    fake.queue.extend(claimable(job_id, payload=n) for n, job_id in enumerate(JOBS[:3]))
    worker = client.worker("w", wait=0, prefetch=3)

    def handler(job: ClaimedJob) -> int:
        if job.payload == 2:
            worker.stop()
        return int(job.payload) * 10

    worker.run(handler, "t")
    results = {c["jobId"]: c.get("result") for body in fake.rounds for c in body["completions"]}
    assert results == {JOBS[0]: 0, JOBS[1]: 10, JOBS[2]: 20}


def test_a_round_the_server_did_not_answer_is_sent_again_with_its_key(
    fake: FakeServer, client: JobdeskClient
) -> None:
    fake.queue.extend(claimable(job_id) for job_id in JOBS[:2])
    worker = client.worker("w", wait=0, prefetch=2)
    jobs = worker.jobs("t")
    first = next(jobs)
    fake.down = True  # the policy gives up on the round; the keeper keeps it
    with first:
        pass
    wait_for(lambda: len(fake.attempts) >= 3)
    fake.down = False
    wait_for(lambda: len(fake.rounds) == 1)
    sent = [r for r in fake.attempts if r.url.path == "/api/queue/complete-many"]
    keys = {r.headers["Idempotency-Key"] for r in sent} | set(fake.round_keys)
    assert len(keys) == 1  # one round, however often it was sent
    worker.stop()
    assert [job.job_id for job in jobs] == [JOBS[1]]
    assert round_ids(fake) == [JOBS[:1], JOBS[1:2]]


def test_a_server_without_complete_many_gets_one_completion_a_request(
    fake: FakeServer, client: JobdeskClient
) -> None:
    fake.rounding = False
    fake.queue.extend(claimable(job_id) for job_id in JOBS[:3])
    worker = client.worker("w", wait=0, prefetch=3)
    done = []
    for job in worker.jobs("t"):
        with job:
            done.append(job.job_id)
        if len(done) == 3:
            worker.stop()
    assert done == JOBS[:3]
    assert fake.rounds == []
    assert all(fake.actions_of(job_id) == ["complete"] for job_id in JOBS[:3])
    assert not worker._core.keeper.defers  # after the 404: one completion a request
