"""POST /api/admin/jobs/batch: many jobs' reports, one transaction, answered per report."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from jobdesk.protocol.rest import MAX_BATCH_ITEMS
from tests.conftest import RunningServer, make_tokens
from tests.server.procserver import ServerProcess

BATCH = "/api/admin/jobs/batch"


def start(client: httpx.Client) -> str:
    response = client.post("/api/admin/jobs/start", json={"jobType": "batch-test"})
    assert response.status_code == 201, response.text
    job_id: str = response.json()["jobId"]
    return job_id


def jobs_by_id(client: httpx.Client) -> dict[str, dict[str, Any]]:
    return {job["id"]: job for job in client.get("/api/jobs").json()["jobs"]}


@pytest.fixture
def worker2(server: RunningServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, headers=server.headers("worker2")) as client:
        yield client


def test_a_batch_reports_on_many_jobs_in_one_transaction(
    server: RunningServer, worker: httpx.Client
) -> None:
    ids = [start(worker) for _ in range(3)]
    before = worker.get("/api/jobs").json()["seq"]
    service = server.embedded.service
    assert service is not None
    commits = 0
    commit = service.storage.commit

    def counted(*args: Any, **kwargs: Any) -> None:
        nonlocal commits
        commits += 1
        commit(*args, **kwargs)

    service.storage.commit = counted  # type: ignore[method-assign]
    updates = [
        {"jobId": ids[0], "progress": 0.25, "message": "a quarter"},
        {"jobId": ids[1], "subOperation": "loading", "progress": 0.5},
        {"jobId": ids[2], "log": {"level": "warning", "text": "slow"}},
        {"jobId": ids[0], "progress": 0.5},
    ]
    response = worker.post(BATCH, json={"updates": updates})
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [(r["jobId"], r["status"]) for r in results] == [
        (ids[0], "running"),
        (ids[1], "running"),
        (ids[2], "running"),
        (ids[0], "running"),
    ]
    assert all("error" not in r and r["timestamp"] for r in results)
    assert commits == 1
    after = worker.get("/api/jobs").json()
    assert after["seq"] == before + 4
    jobs = {job["id"]: job for job in after["jobs"]}
    assert (jobs[ids[0]]["progress"], jobs[ids[0]]["message"]) == (50.0, "a quarter")
    assert jobs[ids[1]]["subOperations"][0]["progress"] == 50.0
    assert [(m["level"], m["text"]) for m in jobs[ids[2]]["messages"]] == [("warning", "slow")]


def test_a_refused_report_refuses_no_other(
    worker: httpx.Client, worker2: httpx.Client, operator: httpx.Client
) -> None:
    mine, done, theirs = start(worker), start(worker), start(worker2)
    assert worker.post(f"/api/admin/jobs/{done}/complete", json={}).status_code == 200
    updates = [
        {"jobId": "job_nope", "progress": 0.1},
        {"jobId": done, "progress": 0.1},
        {"jobId": theirs, "progress": 0.1},
        {"jobId": mine, "progress": 0.1, "attempt": 2},
        {"jobId": mine, "progress": 0.3},
    ]
    results = worker.post(BATCH, json={"updates": updates}).json()["results"]
    codes = [r.get("error", {}).get("code") for r in results]
    assert codes == ["NOT_FOUND", "CONFLICT", "FORBIDDEN", "LEASE_LOST", None]
    assert results[3]["error"]["field"] == "Jobdesk-Attempt"
    jobs = jobs_by_id(operator)
    assert (jobs[mine]["progress"], jobs[mine]["version"]) == (30.0, 2)
    assert jobs[theirs]["progress"] == 0.0


def test_a_log_entry_may_ride_with_progress_in_one_change(worker: httpx.Client) -> None:
    job_id = start(worker)
    item = {"jobId": job_id, "progress": 0.4, "log": {"text": "forty"}}
    assert worker.post(BATCH, json={"updates": [item]}).status_code == 200
    job = jobs_by_id(worker)[job_id]
    assert (job["progress"], job["message"], job["version"]) == (40.0, "forty", 2)
    assert [m["text"] for m in job["messages"]] == ["forty"]


def test_a_retried_batch_does_not_log_twice(worker: httpx.Client) -> None:
    job_id = start(worker)
    body = {
        "updates": [{"jobId": job_id, "progress": 0.2}, {"jobId": job_id, "log": {"text": "once"}}]
    }
    key = {"Idempotency-Key": "batch-1"}
    first = worker.post(BATCH, json=body, headers=key)
    again = worker.post(BATCH, json=body, headers=key)
    assert first.status_code == again.status_code == 200
    assert [r.get("error") for r in again.json()["results"]] == [None, None]
    assert [m["text"] for m in jobs_by_id(worker)[job_id]["messages"]] == ["once"]
    other = worker.post(BATCH, json=body, headers={"Idempotency-Key": "batch-2"})
    assert other.status_code == 200
    assert [m["text"] for m in jobs_by_id(worker)[job_id]["messages"]] == ["once", "once"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"updates": []}, "updates"),
        ({"updates": [{"progress": 0.1}]}, "updates[0].jobId"),
        ({"updates": [{"jobId": "j", "progress": 1.5}]}, "updates[0].progress"),
        ({"updates": [{"jobId": "j"}] * (MAX_BATCH_ITEMS + 1)}, "updates"),
    ],
)
def test_a_malformed_batch_is_refused_whole(
    worker: httpx.Client, body: dict[str, Any], field: str
) -> None:
    response = worker.post(BATCH, json=body)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "INVALID_INPUT"
    assert response.json()["error"]["field"] == field


def test_a_viewer_may_not_report(server: RunningServer, worker: httpx.Client) -> None:
    job_id = start(worker)
    with httpx.Client(base_url=server.url, headers=server.headers("viewer")) as viewer:
        response = viewer.post(BATCH, json={"updates": [{"jobId": job_id, "progress": 0.1}]})
    assert response.status_code == 403


def test_an_attempt_header_must_be_a_number(worker: httpx.Client) -> None:
    job_id = start(worker)
    response = worker.post(
        f"/api/admin/jobs/{job_id}/progress",
        json={"progress": 0.1},
        headers={"Jobdesk-Attempt": "null"},
    )
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "Jobdesk-Attempt"


def test_every_acknowledged_report_survives_kill_9(tmp_path: Path) -> None:
    db_path = tmp_path / "b.db"
    tokens = make_tokens(db_path)
    server = ServerProcess(db_path)
    headers = {"Authorization": f"Bearer {tokens['worker']}"}
    with httpx.Client(base_url=server.url, headers=headers, timeout=5) as client:
        ids = [start(client) for _ in range(20)]
    acked: dict[str, float] = {}
    enough = threading.Event()

    def report(offset: int) -> None:
        step = 0
        with httpx.Client(base_url=server.url, headers=headers, timeout=5) as client:
            while True:
                step += 1
                value = min(1.0, step / 10_000)
                mine = ids[offset::2]
                body = {"updates": [{"jobId": j, "progress": value} for j in mine]}
                try:
                    response = client.post(BATCH, json=body)
                except httpx.TransportError:
                    return
                if response.status_code != 200:
                    return
                for job_id in mine:
                    acked[job_id] = value * 100
                if step >= 100:
                    enough.set()

    threads = [threading.Thread(target=report, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    assert enough.wait(timeout=60)
    server.kill()
    for thread in threads:
        thread.join(timeout=10)
    restarted = ServerProcess(db_path)
    try:
        with httpx.Client(base_url=restarted.url, headers=headers) as client:
            stored = jobs_by_id(client)
    finally:
        restarted.stop()
    assert len(acked) == 20
    for job_id, value in acked.items():
        assert stored[job_id]["progress"] >= value  # what was acknowledged, or later
