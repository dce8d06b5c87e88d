"""A worker's round trips on the FakeServer: a claim takes what fits the prefetch, a
completion claims the next ones in the same request, one request renews every held
job's lease, and stop() works the buffer off before the loop ends."""

from __future__ import annotations

import json

from jobdesk.sdk import JobdeskClient
from tests.polling import wait_for
from tests.sdk.fakes import FakeServer, Refuse, claimable

JOBS = [f"job_{n:016x}" for n in range(1, 6)]


def claim_bodies(fake: FakeServer) -> list[dict[str, object]]:
    return [json.loads(r.content) for r in fake.attempts if r.url.path == "/api/queue/claim"]


def test_a_completion_claims_the_next_jobs_in_the_same_request(
    fake: FakeServer, client: JobdeskClient
) -> None:
    fake.queue.extend(claimable(job_id) for job_id in JOBS)
    worker = client.worker("w", wait=0, prefetch=2)
    handed = []
    for job in worker.jobs("t"):
        handed.append(job.job_id)
        job.complete(result=len(handed))
        if len(handed) == len(JOBS):
            worker.stop()
    assert handed == JOBS
    assert [body["maxJobs"] for body in claim_bodies(fake)] == [2]  # then no claim at all
    assert [body["jobId"] for body in fake.combined] == JOBS
    # each refills the prefetch: one job beside the buffered one, two after the last
    assert [body["claim"]["maxJobs"] for body in fake.combined] == [1, 1, 1, 1, 2]
    assert [body["result"] for body in fake.combined] == [1, 2, 3, 4, 5]
    assert [body["attempt"] for body in fake.combined] == [1] * 5  # fenced as claimed
    assert fake.actions_of(JOBS[0]) == ["complete"]


def test_one_request_renews_the_leases_of_every_held_job(
    fake: FakeServer, client: JobdeskClient
) -> None:
    fake.queue.extend(claimable(job_id) for job_id in JOBS[:3])
    jobs = client.worker("w", lease=1, wait=0, prefetch=3).jobs("t")
    first = next(jobs)  # two more wait in the buffer
    wait_for(lambda: 3 in fake.batches)  # one round: the one in hand and the two buffered
    renewed = {
        r.url.path.split("/")[-2] for r in fake.attempts if r.url.path.endswith("/heartbeat")
    }
    assert renewed == set(JOBS[:3])
    first.complete()
    jobs.close()


def test_a_buffered_job_the_server_will_not_renew_is_never_handed_out(
    fake: FakeServer, client: JobdeskClient
) -> None:
    fake.queue.extend(claimable(job_id) for job_id in JOBS[:2])
    fake.combining = False  # plain completions: the buffer is what the claim brought
    worker = client.worker("w", lease=1, wait=0, prefetch=2)
    jobs = worker.jobs("t")
    first = next(jobs)
    fake.script(f"{JOBS[1]}/heartbeat", Refuse(409, "CANCELLED", "cancelled by ops"))
    wait_for(lambda: not first._worker.holds(JOBS[1]))
    worker.stop()
    first.complete()
    assert list(jobs) == []  # the cancelled one was dropped, and the loop ended
    tried = [r.url.path.rsplit("/", 1)[1] for r in fake.attempts if JOBS[1] in r.url.path]
    assert set(tried) == {"heartbeat"}  # refused, then never reported on


def test_stop_hands_out_what_is_buffered_then_ends(fake: FakeServer, client: JobdeskClient) -> None:
    fake.queue.extend(claimable(job_id) for job_id in JOBS[:3])
    worker = client.worker("w", wait=0, prefetch=3)
    handed = []
    for job in worker.jobs("t"):
        worker.stop()  # after the first: the two claimed with it are still done
        handed.append(job.job_id)
        job.complete()
    assert handed == JOBS[:3]
    assert len(claim_bodies(fake)) == 1
    assert fake.combined == []  # stopping: plain completions, claiming nothing
    assert [fake.actions_of(job_id) for job_id in JOBS[:3]] == [["complete"]] * 3


def test_a_server_without_complete_and_claim_gets_plain_completions(
    fake: FakeServer, client: JobdeskClient
) -> None:
    fake.queue.extend(claimable(job_id) for job_id in JOBS[:2])
    fake.combining = False
    worker = client.worker("w", wait=0, prefetch=1)
    handed = []
    for job in worker.jobs("t"):
        handed.append(job.job_id)
        job.complete()
        if len(handed) == 2:
            worker.stop()
    assert handed == JOBS[:2]
    assert [fake.actions_of(job_id) for job_id in JOBS[:2]] == [["complete"]] * 2
    assert len(claim_bodies(fake)) == 2  # the fallback claims on its own again
