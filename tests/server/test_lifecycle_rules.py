"""Stale marking, timeouts and retention, with short limits on a real server."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from jobdesk.protocol import JobUpdate
from tests.conftest import RunningServer
from tests.polling import wait_for
from tests.server.test_websocket import subscribed

STALE_AND_RETENTION = {"stale_after_s": 0.4, "sweep_interval_s": 0.05, "retention_count": 2}

pytestmark = pytest.mark.stores("sqlite", "postgres")


@pytest.fixture
def config_overrides() -> dict[str, Any]:
    return STALE_AND_RETENTION


def test_a_silent_job_becomes_stale_and_an_update_clears_it(
    server: RunningServer, worker: httpx.Client
) -> None:
    job_id = worker.post("/api/admin/jobs/start", json={}).json()["jobId"]
    wait_for(lambda: worker.get("/api/admin/jobs/health").json()["staleJobs"] == [job_id])
    health = worker.get("/api/admin/jobs/health").json()
    assert health["status"] == "degraded"
    job = worker.get("/api/jobs").json()["jobs"][0]
    assert job["stale"] is True
    assert job["messages"][-1]["level"] == "warning"
    # the job as the update left it, from the stream: a later read may come after the
    # next 0.4 s of silence has made it stale again
    with subscribed(server) as stream:
        worker.post(f"/api/admin/jobs/{job_id}/progress", json={"progress": 0.5})
        update = stream.recv_until(JobUpdate, timeout=30)
        while update.job.progress != 50.0:
            update = stream.recv_until(JobUpdate, timeout=30)
    assert update.job.stale is False


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


@pytest.mark.parametrize("config_overrides", [{"timeout_s": 0.3, "sweep_interval_s": 0.05}])
def test_a_job_running_too_long_fails(worker: httpx.Client) -> None:
    job_id = worker.post("/api/admin/jobs/start", json={}).json()["jobId"]
    wait_for(lambda: worker.get(f"/api/jobs/{job_id}").json()["status"] == "error")
    assert "Timed out" in worker.get(f"/api/jobs/{job_id}").json()["error"]


@pytest.mark.parametrize("config_overrides", [{"history_events": 10}])
def test_history_pruning_turns_old_since_into_410(worker: httpx.Client) -> None:
    job_id = worker.post("/api/admin/jobs/start", json={}).json()["jobId"]
    for step in range(30):
        worker.post(f"/api/admin/jobs/{job_id}/progress", json={"progress": step / 100})
    gone = worker.get("/api/jobs?since=1")
    assert gone.status_code == 410
    assert "older than the kept history" in gone.json()["error"]["message"]
    seq = worker.get("/api/jobs").json()["seq"]
    assert worker.get(f"/api/jobs?since={seq - 5}").status_code == 200
