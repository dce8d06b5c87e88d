"""The work queue over real HTTP: submit, claim order, long poll, leases, retry, cancel."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from jobdesk.protocol import JobUpdate
from jobdesk.server.embedded import EmbeddedServer
from tests.conftest import RunningServer, make_tokens
from tests.polling import wait_for
from tests.server.test_websocket import subscribed
from tests.stores import Database

pytestmark = pytest.mark.stores("sqlite", "postgres")

FAST: dict[str, Any] = {"sweep_interval_s": 0.05, "retry_base_s": 0.2, "retry_max_s": 0.2}


@pytest.fixture
def config_overrides() -> dict[str, Any]:
    return FAST


@pytest.fixture
def worker2(server: RunningServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, headers=server.headers("worker2")) as client:
        yield client


def submit(client: httpx.Client, **fields: Any) -> str:
    response = client.post("/api/jobs", json={"jobType": "send-email", **fields})
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "queued"
    job_id: str = response.json()["jobId"]
    return job_id


def claim(client: httpx.Client, *types: str, **fields: Any) -> dict[str, Any] | None:
    body = {"jobTypes": list(types or ("send-email",)), **fields}
    response = client.post("/api/queue/claim", json=body)
    assert response.status_code == 200, response.text
    job: dict[str, Any] | None = response.json()["job"]
    return job


def job_of(client: httpx.Client, job_id: str) -> dict[str, Any]:
    jobs = client.get("/api/jobs").json()["jobs"]
    found: dict[str, Any] = next(j for j in jobs if j["id"] == job_id)
    return found


def attempt_header(job: dict[str, Any]) -> dict[str, str]:
    return {"Jobdesk-Attempt": str(job["attempts"])}


def test_a_submitted_job_keeps_its_queue_fields(operator: httpx.Client) -> None:
    job_id = submit(
        operator,
        name="welcome mail",
        priority="HIGH",
        payload={"to": "ana@example.com", "lines": [1, 2]},
        maxAttempts=3,
        timeout=120,
    )
    job = job_of(operator, job_id)
    assert job["status"] == "queued"
    assert job["payload"] == {"to": "ana@example.com", "lines": [1, 2]}
    assert (job["maxAttempts"], job["timeout"], job["priority"]) == (3, 120, "HIGH")
    assert (job["attempts"], job["history"], job["owner"]) == (0, [], "")


def test_claims_take_highest_priority_then_oldest(
    operator: httpx.Client, worker: httpx.Client
) -> None:
    low = submit(operator, priority="LOW")
    medium_old = submit(operator, priority="MEDIUM")
    high = submit(operator, priority="HIGH")
    medium_new = submit(operator, priority="MEDIUM")
    other_type = submit(operator, jobType="resize-image", priority="HIGH")
    taken = [claim(worker) for _ in range(4)]
    assert [j["id"] for j in taken if j] == [high, medium_old, medium_new, low]
    assert claim(worker) is None
    first = taken[0]
    assert first is not None
    assert (first["status"], first["owner"], first["attempts"]) == ("running", "worker-1", 1)
    assert first["history"][0]["worker"] == "worker-1"
    assert first["history"][0]["outcome"] == "running"
    assert first["leaseExpiresAt"] is not None
    other = claim(worker, "resize-image", worker="resizer@host:42")
    assert other is not None
    assert other["id"] == other_type
    assert other["history"][0]["worker"] == "resizer@host:42"


def test_a_waiting_claim_wakes_when_a_job_arrives(
    server: RunningServer, operator: httpx.Client
) -> None:
    """Woken by the submit, not by the end of its wait: a claim left to its wait (60 s,
    the most it may ask for) would answer long after this test stops waiting for it."""
    service = server.embedded.service
    assert service is not None
    got: list[dict[str, Any] | None] = []
    headers = server.headers("worker")
    with httpx.Client(base_url=server.url, headers=headers, timeout=90) as patient:
        waiter = threading.Thread(target=lambda: got.append(claim(patient, waitSeconds=60)))
        waiter.start()
        wait_for(lambda: service.waiting_claims == 1)  # waiting, not yet asked
        job_id = submit(operator)
        wait_for(lambda: bool(got), within=30)
        waiter.join()
    assert got[0] is not None
    assert got[0]["id"] == job_id


def test_a_claim_answers_null_when_its_wait_is_over(worker: httpx.Client) -> None:
    started = time.monotonic()
    assert claim(worker, waitSeconds=0.3) is None
    assert time.monotonic() - started >= 0.3


def test_a_failed_attempt_retries_after_its_backoff(
    operator: httpx.Client, worker: httpx.Client
) -> None:
    job_id = submit(operator, maxAttempts=2)
    first = claim(worker)
    assert first is not None
    worker.post(
        f"/api/admin/jobs/{job_id}/progress", json={"progress": 0.5}, headers=attempt_header(first)
    )
    failed = worker.post(
        f"/api/admin/jobs/{job_id}/fail", json={"error": "SMTP 451"}, headers=attempt_header(first)
    )
    assert failed.status_code == 200, failed.text
    job = job_of(operator, job_id)
    assert (job["status"], job["error"], job["owner"]) == ("retrying", "SMTP 451", "")
    assert job["retryAt"] is not None
    assert job["history"][0]["outcome"] == "failed"
    assert job["history"][0]["error"] == "SMTP 451"
    second = claim(worker, waitSeconds=5)  # due after the 0.2 s backoff
    assert second is not None
    assert second["id"] == job_id
    assert (second["attempts"], second["progress"], second["error"]) == (2, 0.0, None)
    assert [a["number"] for a in second["history"]] == [1, 2]
    worker.post(
        f"/api/admin/jobs/{job_id}/fail", json={"error": "SMTP 550"}, headers=attempt_header(second)
    )
    final = job_of(operator, job_id)
    assert (final["status"], final["error"]) == ("failed", "SMTP 550")
    assert [a["outcome"] for a in final["history"]] == ["failed", "failed"]


def test_a_retrying_job_is_not_claimed_before_its_backoff_ends(
    server: RunningServer, operator: httpx.Client, worker: httpx.Client
) -> None:
    slow = server.database.config(retry_base_s=60)
    server.embedded.stop()
    with (
        EmbeddedServer(slow) as restarted,
        httpx.Client(base_url=restarted.url, headers=server.headers("worker")) as w,
    ):
        job_id = submit(w, maxAttempts=3)
        first = claim(w)
        assert first is not None
        w.post(f"/api/admin/jobs/{job_id}/fail", json={"error": "x"}, headers=attempt_header(first))
        assert claim(w, waitSeconds=0.2) is None
        assert job_of(w, job_id)["status"] == "retrying"


@pytest.mark.parametrize("attempts", [1, 2])
def test_a_lost_lease_requeues_the_job_or_fails_it_on_the_last_attempt(
    operator: httpx.Client, worker: httpx.Client, attempts: int
) -> None:
    job_id = submit(operator, maxAttempts=attempts)
    held = claim(worker, leaseSeconds=1)
    assert held is not None
    expected = "queued" if attempts > 1 else "failed"
    wait_for(lambda: job_of(operator, job_id)["status"] == expected, within=10)
    job = job_of(operator, job_id)
    assert job["history"][0]["outcome"] == "lease_expired"
    assert "worker-1 stopped reporting" in job["history"][0]["error"]
    assert job["leaseExpiresAt"] is None
    assert job["owner"] == ("" if attempts > 1 else "worker-1")  # a failed job keeps its last


def test_reports_and_heartbeats_renew_the_lease(
    operator: httpx.Client, worker: httpx.Client
) -> None:
    job_id = submit(operator)
    held = claim(worker, leaseSeconds=1)
    assert held is not None
    deadline = time.monotonic() + 2.5  # well past the 1 s lease
    while time.monotonic() < deadline:
        beat = worker.post(f"/api/admin/jobs/{job_id}/heartbeat", headers=attempt_header(held))
        assert beat.status_code == 200, beat.text
        assert beat.json()["attempt"] == 1
        time.sleep(0.2)
    assert job_of(operator, job_id)["status"] == "running"
    before = job_of(operator, job_id)["leaseExpiresAt"]
    time.sleep(0.01)
    worker.post(f"/api/admin/jobs/{job_id}/progress", json={"progress": 0.1})
    assert job_of(operator, job_id)["leaseExpiresAt"] > before


def test_a_worker_whose_attempt_is_over_cannot_touch_the_job(
    operator: httpx.Client, worker: httpx.Client, worker2: httpx.Client
) -> None:
    job_id = submit(operator, maxAttempts=3)
    old = claim(worker, leaseSeconds=1)
    assert old is not None
    wait_for(lambda: job_of(operator, job_id)["status"] == "queued", within=10)
    new = claim(worker2)
    assert new is not None
    assert new["attempts"] == 2
    for action, body in (
        ("progress", {"progress": 1.0}),
        ("complete", {}),
        ("fail", {"error": "x"}),
    ):
        late = worker.post(
            f"/api/admin/jobs/{job_id}/{action}", json=body, headers=attempt_header(old)
        )
        assert late.status_code == 409, late.text
        assert late.json()["error"]["code"] == "LEASE_LOST"
        assert late.json()["error"]["field"] == "Jobdesk-Attempt"
    job = job_of(operator, job_id)
    assert (job["status"], job["owner"], job["progress"]) == ("running", "worker-2", 0.0)
    done = worker2.post(f"/api/admin/jobs/{job_id}/complete", json={}, headers=attempt_header(new))
    assert done.status_code == 200
    outcomes = [a["outcome"] for a in job_of(operator, job_id)["history"]]
    assert outcomes == ["lease_expired", "completed"]


def test_a_cancelled_queued_job_never_runs(operator: httpx.Client, worker: httpx.Client) -> None:
    job_id = submit(operator)
    cancelled = operator.post(f"/api/jobs/{job_id}/cancel", json={"reason": "wrong recipient"})
    assert cancelled.status_code == 200, cancelled.text
    assert (cancelled.json()["status"], cancelled.json()["error"]) == (
        "cancelled",
        "wrong recipient",
    )
    assert claim(worker) is None


def test_cancelling_a_running_job_stops_its_worker(
    operator: httpx.Client, worker: httpx.Client
) -> None:
    job_id = submit(operator)
    held = claim(worker)
    assert held is not None
    assert operator.post(f"/api/jobs/{job_id}/cancel").status_code == 200
    for path, body in (("heartbeat", None), ("progress", {"progress": 0.5})):
        answer = worker.post(
            f"/api/admin/jobs/{job_id}/{path}", json=body, headers=attempt_header(held)
        )
        assert answer.status_code == 409
        assert answer.json()["error"]["code"] == "CANCELLED"
    job = job_of(operator, job_id)
    assert job["status"] == "cancelled"
    assert job["history"][0]["outcome"] == "cancelled"
    assert "Cancelled by operator ops" in job["error"]


def test_retry_queues_one_more_attempt_and_keeps_the_history(
    operator: httpx.Client, worker: httpx.Client
) -> None:
    job_id = submit(operator)
    held = claim(worker)
    assert held is not None
    worker.post(f"/api/admin/jobs/{job_id}/fail", json={"error": "disk full"})
    assert job_of(operator, job_id)["status"] == "failed"
    retried = operator.post(f"/api/jobs/{job_id}/retry")
    assert retried.status_code == 200, retried.text
    job = retried.json()
    assert (job["status"], job["maxAttempts"], job["error"], job["finishedAt"]) == (
        "queued",
        2,
        None,
        None,
    )
    again = claim(worker)
    assert again is not None
    assert again["attempts"] == 2
    assert [a["outcome"] for a in again["history"]] == ["failed", "running"]


def test_only_operators_cancel_or_retry_and_only_from_the_right_states(
    operator: httpx.Client, worker: httpx.Client
) -> None:
    job_id = submit(operator)
    for action in ("cancel", "retry"):
        refused = worker.post(f"/api/jobs/{job_id}/{action}")
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "FORBIDDEN"
    retry_queued = operator.post(f"/api/jobs/{job_id}/retry")
    assert retry_queued.status_code == 409
    assert "only failed or cancelled" in retry_queued.json()["error"]["message"]
    held = claim(worker)
    assert held is not None
    worker.post(f"/api/admin/jobs/{job_id}/complete", json={})
    for action in ("cancel", "retry"):
        late = operator.post(f"/api/jobs/{job_id}/{action}")
        assert late.status_code == 409
        assert late.json()["error"]["code"] == "CONFLICT"
    assert operator.post("/api/jobs/job_nope/cancel").status_code == 404


def test_an_attempt_past_its_timeout_fails_and_retries(
    operator: httpx.Client, worker: httpx.Client
) -> None:
    job_id = submit(operator, timeout=0.2, maxAttempts=2)
    assert claim(worker) is not None
    wait_for(lambda: job_of(operator, job_id)["status"] == "retrying", within=10)
    job = job_of(operator, job_id)
    assert job["history"][0]["outcome"] == "timed_out"
    assert job["error"].startswith("Timed out: running longer than 0.2 s")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"maxAttempts": 0}, "maxAttempts"),
        ({"maxAttempts": 101}, "maxAttempts"),
        ({"maxAttempts": 2.5}, "maxAttempts"),
        ({"timeout": 0}, "timeout"),
        ({"timeout": -5}, "timeout"),
        ({"priority": "URGENT"}, "priority"),
        ({"jobType": ""}, "jobType"),
    ],
)
def test_bad_submissions_name_the_field_and_store_nothing(
    operator: httpx.Client, body: dict[str, Any], field: str
) -> None:
    before = operator.get("/api/jobs").json()
    response = operator.post("/api/jobs", json=body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "INVALID_INPUT"
    assert response.json()["error"]["field"] == field
    assert operator.get("/api/jobs").json() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"jobTypes": []}, "jobTypes"),
        ({"jobTypes": [""]}, "jobTypes[0]"),
        ({"jobTypes": ["a"], "leaseSeconds": 0}, "leaseSeconds"),
        ({"jobTypes": ["a"], "waitSeconds": 61}, "waitSeconds"),
        ({}, "jobTypes"),
    ],
)
def test_bad_claims_name_the_field(worker: httpx.Client, body: dict[str, Any], field: str) -> None:
    response = worker.post("/api/queue/claim", json=body)
    assert response.status_code == 400
    assert response.json()["error"]["field"] == field


def test_a_bad_attempt_header_is_refused(operator: httpx.Client, worker: httpx.Client) -> None:
    job_id = submit(operator)
    assert claim(worker) is not None
    for value in ("0", "abc"):
        answer = worker.post(
            f"/api/admin/jobs/{job_id}/progress",
            json={"progress": 0.5},
            headers={"Jobdesk-Attempt": value},
        )
        assert answer.status_code == 400
        assert answer.json()["error"]["code"] == "INVALID_INPUT"
    assert job_of(operator, job_id)["progress"] == 0.0


def test_viewers_cannot_claim(server: RunningServer) -> None:
    with httpx.Client(base_url=server.url, headers=server.headers("viewer")) as viewer:
        answer = viewer.post("/api/queue/claim", json={"jobTypes": ["send-email"]})
    assert answer.status_code == 403


def test_shutdown_answers_a_waiting_claim_at_once(
    server: RunningServer, worker: httpx.Client
) -> None:
    got: list[int] = []
    waiter = threading.Thread(
        target=lambda: got.append(
            worker.post(
                "/api/queue/claim", json={"jobTypes": ["x"], "waitSeconds": 60}, timeout=30
            ).status_code
        )
    )
    waiter.start()
    service = server.embedded.service
    assert service is not None
    wait_for(lambda: service.waiting_claims == 1)
    server.embedded.stop()
    waiter.join(timeout=20)
    assert got == [200]  # at once: the claim's own 30 s timeout is shorter than its wait


def test_the_queue_survives_a_restart(database: Database) -> None:
    config = database.config(**FAST)
    tokens = make_tokens(database.location)
    headers = {"Authorization": f"Bearer {tokens['operator']}"}
    with EmbeddedServer(config) as first, httpx.Client(base_url=first.url, headers=headers) as c:
        job_id = submit(c, payload={"n": 1}, maxAttempts=3, priority="LOW")
        held = claim(c)
        assert held is not None
        c.post(f"/api/admin/jobs/{job_id}/fail", json={"error": "boom"})
        before = job_of(c, job_id)
    with EmbeddedServer(config) as second, httpx.Client(base_url=second.url, headers=headers) as c:
        assert job_of(c, job_id) == before
        again = claim(c, waitSeconds=5)
        assert again is not None
        assert again["attempts"] == 2
        assert again["payload"] == {"n": 1}


def test_every_queue_step_is_an_event_on_the_stream(
    server: RunningServer, operator: httpx.Client, worker: httpx.Client
) -> None:
    with subscribed(server) as stream:
        job_id = submit(operator, maxAttempts=2)
        first = claim(worker)
        assert first is not None
        worker.post(
            f"/api/admin/jobs/{job_id}/fail", json={"error": "x"}, headers=attempt_header(first)
        )
        assert claim(worker, waitSeconds=5) is not None
        operator.post(f"/api/jobs/{job_id}/cancel")
        operator.post(f"/api/jobs/{job_id}/retry")
        seen: list[tuple[str, int]] = []
        while len(seen) < 6:
            update = stream.recv_until(JobUpdate)
            seen.append((update.job.status.value, update.job.attempts))
    assert seen == [
        ("queued", 0),
        ("running", 1),
        ("retrying", 1),
        ("running", 2),
        ("cancelled", 2),
        ("queued", 2),
    ]
