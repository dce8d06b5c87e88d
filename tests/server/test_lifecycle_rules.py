"""Stale marking, timeouts and retention, with short limits on a real server."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from jobdesk.server.config import ServerConfig


@pytest.fixture
def server_config(tmp_path: Path) -> ServerConfig:
    return ServerConfig(
        db_path=tmp_path / "jobdesk.db",
        port=0,
        stale_after_s=0.4,
        timeout_s=60,
        sweep_interval_s=0.05,
        retention_count=2,
    )


def wait_for(condition: Callable[[], bool], timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


def test_a_silent_job_becomes_stale_and_an_update_clears_it(worker: httpx.Client) -> None:
    job_id = worker.post("/api/admin/jobs/start", json={}).json()["jobId"]
    wait_for(lambda: worker.get("/api/admin/jobs/health").json()["staleJobs"] == [job_id])
    health = worker.get("/api/admin/jobs/health").json()
    assert health["status"] == "degraded"
    job = worker.get("/api/jobs").json()["jobs"][0]
    assert job["stale"] is True
    assert job["messages"][-1]["level"] == "warning"
    worker.post(f"/api/admin/jobs/{job_id}/progress", json={"progress": 0.5})
    assert worker.get("/api/jobs").json()["jobs"][0]["stale"] is False


def test_queued_jobs_are_waiting_not_stale(worker: httpx.Client) -> None:
    worker.post("/api/jobs", json={})
    time.sleep(0.6)  # longer than stale_after_s: nothing may happen to a queued job
    assert worker.get("/api/admin/jobs/health").json()["staleJobs"] == []


def test_retention_removes_the_oldest_finished_jobs(worker: httpx.Client) -> None:
    ids = []
    for _ in range(4):
        job_id = worker.post("/api/admin/jobs/start", json={}).json()["jobId"]
        worker.post(f"/api/admin/jobs/{job_id}/complete", json={})
        ids.append(job_id)
    wait_for(lambda: len(worker.get("/api/jobs").json()["jobs"]) == 2)
    kept = {j["id"] for j in worker.get("/api/jobs").json()["jobs"]}
    assert kept == set(ids[2:])
    delta = worker.get("/api/jobs?since=0").json()
    assert sorted(delta["removed"]) == sorted(ids[:2])


def test_a_job_running_too_long_fails(tmp_path: Path) -> None:
    from jobdesk.server.embedded import EmbeddedServer
    from tests.conftest import make_tokens

    config = ServerConfig(db_path=tmp_path / "t.db", port=0, timeout_s=0.3, sweep_interval_s=0.05)
    tokens = make_tokens(config.db_path)
    with (
        EmbeddedServer(config) as embedded,
        httpx.Client(
            base_url=embedded.url, headers={"Authorization": f"Bearer {tokens['worker']}"}
        ) as client,
    ):
        job_id = client.post("/api/admin/jobs/start", json={}).json()["jobId"]
        wait_for(lambda: client.get(f"/api/jobs/{job_id}").json()["status"] == "error")
        assert "Timed out" in client.get(f"/api/jobs/{job_id}").json()["error"]


def test_history_pruning_turns_old_since_into_410(tmp_path: Path) -> None:
    from jobdesk.server.embedded import EmbeddedServer
    from tests.conftest import make_tokens

    config = ServerConfig(db_path=tmp_path / "h.db", port=0, history_events=10)
    tokens = make_tokens(config.db_path)
    with (
        EmbeddedServer(config) as embedded,
        httpx.Client(
            base_url=embedded.url, headers={"Authorization": f"Bearer {tokens['worker']}"}
        ) as client,
    ):
        job_id = client.post("/api/admin/jobs/start", json={}).json()["jobId"]
        for step in range(30):
            client.post(f"/api/admin/jobs/{job_id}/progress", json={"progress": step / 100})
        gone = client.get("/api/jobs?since=1")
        assert gone.status_code == 410
        assert "older than the kept history" in gone.json()["error"]["message"]
        seq = client.get("/api/jobs").json()["seq"]
        assert client.get(f"/api/jobs?since={seq - 5}").status_code == 200
