"""Idempotency-Key: a retried POST whose answer was lost acts once, even across a restart."""

from __future__ import annotations

from pathlib import Path

import httpx

from jobdesk.server.config import ServerConfig
from jobdesk.server.embedded import EmbeddedServer
from tests.conftest import RunningServer, make_tokens


def test_a_retried_create_returns_the_first_job(worker: httpx.Client) -> None:
    key = {"Idempotency-Key": "create-1"}
    first = worker.post("/api/jobs", json={"name": "a"}, headers=key)
    again = worker.post("/api/jobs", json={"name": "a"}, headers=key)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert len(worker.get("/api/jobs").json()["jobs"]) == 1
    other = worker.post("/api/jobs", json={}, headers={"Idempotency-Key": "create-2"})
    assert other.json()["jobId"] != first.json()["jobId"]


def test_a_retried_message_is_logged_once(worker: httpx.Client) -> None:
    job_id = worker.post("/api/admin/jobs/start", json={}).json()["jobId"]
    for _ in range(3):
        response = worker.post(
            f"/api/admin/jobs/{job_id}/message",
            json={"text": "uploaded part 1"},
            headers={"Idempotency-Key": "m-1"},
        )
        assert response.status_code == 200
    job = worker.get("/api/jobs").json()["jobs"][0]
    assert [m["text"] for m in job["messages"]] == ["uploaded part 1"]
    assert job["version"] == 2


def test_keys_are_scoped_by_caller(server: RunningServer, worker: httpx.Client) -> None:
    key = {"Idempotency-Key": "same"}
    mine = worker.post("/api/jobs", json={}, headers=key).json()["jobId"]
    with httpx.Client(base_url=server.url, headers=server.headers("worker2")) as other:
        theirs = other.post("/api/jobs", json={}, headers=key).json()["jobId"]
    assert mine != theirs


def test_a_retried_complete_after_a_restart_is_answered_not_refused(tmp_path: Path) -> None:
    config = ServerConfig(db_path=tmp_path / "i.db", port=0)
    tokens = make_tokens(config.db_path)
    headers = {"Authorization": f"Bearer {tokens['worker']}", "Idempotency-Key": "done-1"}
    with EmbeddedServer(config) as first:
        job_id = httpx.post(f"{first.url}/api/admin/jobs/start", json={}, headers=headers).json()[
            "jobId"
        ]
        headers["Idempotency-Key"] = "done-2"
        answered = httpx.post(f"{first.url}/api/admin/jobs/{job_id}/complete", headers=headers)
        assert answered.status_code == 200
    with EmbeddedServer(config) as second:
        retried = httpx.post(f"{second.url}/api/admin/jobs/{job_id}/complete", headers=headers)
        assert retried.status_code == 200
        assert retried.json() == answered.json()
        headers["Idempotency-Key"] = "done-3"
        fresh = httpx.post(f"{second.url}/api/admin/jobs/{job_id}/complete", headers=headers)
        assert fresh.status_code == 409
