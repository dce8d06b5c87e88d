"""Idempotency-Key: a retried POST whose answer was lost acts once, even across a restart."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import httpx
import pytest

from jobdesk.server.config import ServerConfig
from jobdesk.server.embedded import EmbeddedServer
from tests.conftest import RunningServer, make_tokens
from tests.polling import wait_for


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


def test_a_key_is_scoped_by_method_and_path_too(worker: httpx.Client) -> None:
    """The same key on /progress then /complete is two requests: the job completes."""
    job_id = worker.post("/api/admin/jobs/start", json={}).json()["jobId"]
    key = {"Idempotency-Key": "reused"}
    assert worker.post(f"/api/admin/jobs/{job_id}/progress", json={"progress": 0.5}, headers=key)
    done = worker.post(f"/api/admin/jobs/{job_id}/complete", json={}, headers=key)
    assert done.json()["status"] == "completed"
    assert worker.get(f"/api/jobs/{job_id}").json()["status"] == "completed"


def test_a_kept_answer_is_small_whatever_the_jobs_log(
    server: RunningServer, worker: httpx.Client
) -> None:
    """A record holds the answer a retry gets, not the job: two jobs logging 300 lines of
    1 KB with a key each grew the records by a job snapshot per line before."""
    ids = [worker.post("/api/admin/jobs/start", json={}).json()["jobId"] for _ in range(2)]
    for n in range(300):
        for job_id in ids:
            worker.post(
                f"/api/admin/jobs/{job_id}/message",
                json={"text": f"{n:04} " + "x" * 1_000},
                headers={"Idempotency-Key": f"{job_id}-{n}"},
            )
    with closing(sqlite3.connect(server.db_path)) as db:
        (kept, count) = db.execute(
            "select sum(length(key) + length(body) + 8), count(*) from idempotency"
        ).fetchone()
        (jobs,) = db.execute("select sum(length(data)) from jobs").fetchone()
    assert count == 600
    assert kept < jobs * 0.5


@pytest.mark.parametrize(
    "config_overrides", [{"idempotency_window_s": 0.3, "sweep_interval_s": 0.05}]
)
def test_answers_are_pruned_once_their_window_is_over(
    server: RunningServer, worker: httpx.Client
) -> None:
    key = {"Idempotency-Key": "short-lived"}
    first = worker.post("/api/jobs", json={}, headers=key).json()["jobId"]

    def kept() -> int:
        with closing(sqlite3.connect(server.db_path)) as db:
            (count,) = db.execute("select count(*) from idempotency").fetchone()
        return int(count)

    assert kept() == 1
    wait_for(lambda: kept() == 0)
    # out of its window the key is new again: a retry that late acts again
    assert worker.post("/api/jobs", json={}, headers=key).json()["jobId"] != first
