"""The queue in fewer round trips: claims of several jobs, complete-and-claim in one
call, bulk submission, and one heartbeat for all of a worker's jobs; fenced and
exactly-once as the single calls are."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from jobdesk.protocol.rest import MAX_SUBMIT_JOBS
from tests.conftest import RunningServer
from tests.server.test_queue import attempt_header, job_of, submit

pytestmark = pytest.mark.stores("sqlite", "postgres")


def claim_many(client: httpx.Client, count: int, **fields: Any) -> list[dict[str, Any]]:
    body = {"jobTypes": ["send-email"], "maxJobs": count, **fields}
    response = client.post("/api/queue/claim", json=body)
    assert response.status_code == 200, response.text
    answer = response.json()
    jobs: list[dict[str, Any]] = answer["jobs"]
    assert answer["job"] == (jobs[0] if jobs else None)
    return jobs


def test_a_claim_takes_up_to_max_jobs_in_claim_order(worker: httpx.Client) -> None:
    low = submit(worker, priority="LOW")
    ids = [submit(worker) for _ in range(5)]
    high = submit(worker, priority="HIGH")
    first = claim_many(worker, 4, leaseSeconds=30)
    assert [job["id"] for job in first] == [high, *ids[:3]]
    for job in first:
        assert (job["status"], job["attempts"]) == ("running", 1)
        assert job["leaseExpiresAt"] is not None
        assert job["history"][0]["lease"] == 30
    rest = claim_many(worker, 100)
    assert [job["id"] for job in rest] == [*ids[3:], low]
    assert claim_many(worker, 3) == []


def test_a_claim_of_too_many_names_the_field(worker: httpx.Client) -> None:
    response = worker.post("/api/queue/claim", json={"jobTypes": ["a"], "maxJobs": 101})
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "maxJobs"


def test_complete_and_claim_is_one_fenced_transaction(worker: httpx.Client) -> None:
    ids = [submit(worker) for _ in range(4)]
    (held,) = claim_many(worker, 1)
    body = {
        "jobId": held["id"],
        "attempt": held["attempts"],
        "result": {"sent": True},
        "claim": {"jobTypes": ["send-email"], "maxJobs": 2},
    }
    answer = worker.post("/api/queue/complete", json=body)
    assert answer.status_code == 200, answer.text
    done, claimed = answer.json()["job"], answer.json()["claimed"]
    assert (done["id"], done["status"], done["result"]) == (ids[0], "completed", {"sent": True})
    assert [job["id"] for job in claimed] == ids[1:3]
    assert all(job["status"] == "running" for job in claimed)

    # a stale attempt: refused, and nothing claimed with it
    stale = {**body, "jobId": claimed[0]["id"], "attempt": 7}
    refused = worker.post("/api/queue/complete", json=stale)
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "LEASE_LOST"
    assert job_of(worker, ids[3])["status"] == "queued"
    assert job_of(worker, claimed[0]["id"])["status"] == "running"


def test_complete_and_claim_retried_with_its_key_claims_nothing_more(
    worker: httpx.Client,
) -> None:
    ids = [submit(worker) for _ in range(4)]
    (held,) = claim_many(worker, 1)
    body = {
        "jobId": held["id"],
        "attempt": 1,
        "claim": {"jobTypes": ["send-email"], "maxJobs": 1},
    }
    headers = {"Idempotency-Key": "done-and-next-1"}
    first = worker.post("/api/queue/complete", json=body, headers=headers)
    again = worker.post("/api/queue/complete", json=body, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.content == first.content  # the first answer, byte for byte
    assert [job["id"] for job in first.json()["claimed"]] == [ids[1]]
    assert [job_of(worker, i)["status"] for i in ids[2:]] == ["queued", "queued"]


def test_complete_without_a_claim_just_completes(worker: httpx.Client) -> None:
    submit(worker)
    (held,) = claim_many(worker, 1)
    answer = worker.post("/api/queue/complete", json={"jobId": held["id"], "attempt": 1})
    assert answer.status_code == 200, answer.text
    assert (answer.json()["job"]["status"], answer.json()["claimed"]) == ("completed", [])


def test_complete_many_answers_each_and_claims_in_the_same_transaction(
    worker: httpx.Client,
) -> None:
    ids = [submit(worker) for _ in range(6)]
    held = claim_many(worker, 3)
    completions: list[dict[str, Any]] = [
        {"jobId": held[0]["id"], "attempt": 1, "result": {"n": 0}},
        {"jobId": held[1]["id"], "attempt": 2},  # stale: refused on its own
        {"jobId": "job_missing", "attempt": 1},
        {"jobId": held[2]["id"], "attempt": 1, "message": "done"},
    ]
    body = {"completions": completions, "claim": {"jobTypes": ["send-email"], "maxJobs": 2}}
    headers = {"Idempotency-Key": "round-1"}
    answer = worker.post("/api/queue/complete-many", json=body, headers=headers)
    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    assert [r["jobId"] for r in results] == [c["jobId"] for c in completions]
    assert [r.get("status") for r in results] == ["completed", None, None, "completed"]
    assert [r.get("error", {}).get("code") for r in results] == [
        None,
        "LEASE_LOST",
        "NOT_FOUND",
        None,
    ]
    assert [job["id"] for job in answer.json()["claimed"]] == ids[3:5]
    assert job_of(worker, held[0]["id"])["result"] == {"n": 0}
    assert job_of(worker, held[1]["id"])["status"] == "running"  # untouched
    again = worker.post("/api/queue/complete-many", json=body, headers=headers)
    assert again.content == answer.content  # the first answer: nothing claimed twice
    assert job_of(worker, ids[5])["status"] == "queued"


def test_complete_many_checks_its_size(worker: httpx.Client) -> None:
    empty = worker.post("/api/queue/complete-many", json={"completions": []})
    assert empty.status_code == 400
    assert empty.json()["error"]["field"] == "completions"
    one = {"jobId": "job_x", "attempt": 1}
    too_many = worker.post("/api/queue/complete-many", json={"completions": [one] * 1001})
    assert too_many.status_code == 400


def test_bulk_submission_queues_all_in_order(operator: httpx.Client) -> None:
    jobs = [
        {"jobType": "render", "name": f"frame {n}", "payload": {"frame": n}}
        for n in range(MAX_SUBMIT_JOBS)
    ]
    answer = operator.post("/api/jobs/batch", json={"jobs": jobs})
    assert answer.status_code == 201, answer.text
    ids = answer.json()["jobIds"]
    assert len(set(ids)) == MAX_SUBMIT_JOBS
    page = operator.get("/api/jobs?limit=500&jobType=render").json()["jobs"]
    assert len(page) == 500
    assert {job["status"] for job in page} == {"queued"}
    claimed = operator.post("/api/queue/claim", json={"jobTypes": ["render"], "maxJobs": 3}).json()[
        "jobs"
    ]
    assert [job["payload"] for job in claimed] == [{"frame": 0}, {"frame": 1}, {"frame": 2}]


def test_bulk_submission_is_checked_whole_and_retried_once(operator: httpx.Client) -> None:
    too_many = {"jobs": [{"jobType": "render"}] * (MAX_SUBMIT_JOBS + 1)}
    assert operator.post("/api/jobs/batch", json=too_many).status_code == 400
    bad = operator.post(
        "/api/jobs/batch", json={"jobs": [{"jobType": "render"}, {"maxAttempts": 0}]}
    )
    assert bad.status_code == 400
    assert operator.get("/api/jobs?jobType=render").json()["jobs"] == []  # none of them

    headers = {"Idempotency-Key": "frames-1-3"}
    body = {"jobs": [{"jobType": "render"}] * 3}
    first = operator.post("/api/jobs/batch", json=body, headers=headers)
    again = operator.post("/api/jobs/batch", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json()["jobIds"] == first.json()["jobIds"]
    assert len(operator.get("/api/jobs?jobType=render").json()["jobs"]) == 3


@pytest.mark.parametrize("config_overrides", [{"max_active_jobs": 10}])
def test_bulk_submission_over_the_active_limit_queues_none(operator: httpx.Client) -> None:
    assert operator.post("/api/jobs/batch", json={"jobs": [{}] * 8}).status_code == 201
    over = operator.post("/api/jobs/batch", json={"jobs": [{}] * 3})
    assert over.status_code == 429
    assert over.json()["error"]["code"] == "TOO_MANY_ACTIVE_JOBS"
    assert len(operator.get("/api/jobs").json()["jobs"]) == 8


def test_one_batch_renews_the_leases_of_all_a_workers_jobs(
    server: RunningServer, worker: httpx.Client
) -> None:
    for _ in range(3):
        submit(worker)
    held = claim_many(worker, 3, leaseSeconds=60)
    beats = {"updates": [{"jobId": job["id"], "attempt": job["attempts"]} for job in held]}
    answer = worker.post("/api/admin/jobs/batch", json=beats)
    assert answer.status_code == 200, answer.text
    assert [r.get("error") for r in answer.json()["results"]] == [None] * 3
    for job in held:
        now = job_of(worker, job["id"])
        assert now["leaseExpiresAt"] >= job["leaseExpiresAt"]
        assert now["version"] > job["version"]
    stale = worker.post(
        "/api/admin/jobs/batch", json={"updates": [{"jobId": held[0]["id"], "attempt": 9}]}
    )
    assert stale.json()["results"][0]["error"]["code"] == "LEASE_LOST"
    assert attempt_header(held[0]) == {"Jobdesk-Attempt": "1"}
