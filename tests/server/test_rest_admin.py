"""Seed 001's admin API: progress as a fraction, pipeline, messages, health, recovery."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import RunningServer


def start(client: httpx.Client, **body: object) -> str:
    response = client.post(
        "/api/admin/jobs/start", json={"jobType": "argument-condensation", **body}
    )
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "running"
    job_id: str = response.json()["jobId"]
    return job_id


def test_start_runs_the_job_owned_by_the_caller(worker: httpx.Client) -> None:
    job_id = start(worker, name="condense", metadata={"election": "e1"})
    (job,) = worker.get("/api/admin/jobs").json()["jobs"]
    assert job["id"] == job_id
    assert (job["status"], job["owner"], job["name"]) == ("running", "worker-1", "condense")
    assert job["progress"] == 0.0


def test_progress_is_a_fraction_on_the_wire_and_percent_in_the_job(worker: httpx.Client) -> None:
    job_id = start(worker)
    ack = worker.post(f"/api/admin/jobs/{job_id}/progress", json={"progress": 0.25, "message": "a"})
    assert ack.status_code == 200
    assert ack.json()["status"] == "running"
    view = worker.get(f"/api/admin/jobs/{job_id}/progress").json()
    assert (view["progress"], view["message"], view["status"]) == (0.25, "a", "running")
    canonical = worker.get("/api/jobs").json()["jobs"][0]
    assert canonical["progress"] == 25.0


def test_pipeline_gives_the_weighted_mean(worker: httpx.Client) -> None:
    job_id = start(worker)
    worker.post(
        f"/api/admin/jobs/{job_id}/progress",
        json={
            "pipeline": [{"name": "data-loading", "weight": 1}, {"name": "questions", "weight": 3}]
        },
    )
    worker.post(
        f"/api/admin/jobs/{job_id}/progress", json={"subOperation": "data-loading", "progress": 1.0}
    )
    worker.post(
        f"/api/admin/jobs/{job_id}/progress", json={"subOperation": "questions", "progress": 0.5}
    )
    view = worker.get(f"/api/admin/jobs/{job_id}/progress").json()
    assert view["progress"] == pytest.approx((1 * 1.0 + 3 * 0.5) / 4)
    assert [(s["name"], s["weight"], s["progress"]) for s in view["subOperations"]] == [
        ("data-loading", 1.0, 1.0),
        ("questions", 3.0, 0.5),
    ]
    canonical = worker.get("/api/jobs").json()["jobs"][0]
    assert canonical["subOperations"][1]["progress"] == 50.0


def test_messages_are_logged_with_levels(worker: httpx.Client) -> None:
    job_id = start(worker)
    for level, text in [
        ("info", "Processing question 1"),
        ("warning", "Low confidence"),
        ("error", "API rate limit exceeded"),
    ]:
        assert (
            worker.post(
                f"/api/admin/jobs/{job_id}/message", json={"level": level, "text": text}
            ).status_code
            == 200
        )
    job = worker.get("/api/jobs").json()["jobs"][0]
    assert [(m["level"], m["text"]) for m in job["messages"]] == [
        ("info", "Processing question 1"),
        ("warning", "Low confidence"),
        ("error", "API rate limit exceeded"),
    ]
    assert job["message"] == "API rate limit exceeded"


def test_complete_and_fail_end_the_job_and_move_it_to_past(worker: httpx.Client) -> None:
    done, failed = start(worker), start(worker)
    assert (
        worker.post(f"/api/admin/jobs/{done}/complete", json={"result": {"n": 3}}).status_code
        == 200
    )
    assert worker.post(f"/api/admin/jobs/{failed}/fail", json={"error": "boom"}).status_code == 200
    assert worker.get("/api/admin/jobs").json()["jobs"] == []
    past = {j["id"]: j for j in worker.get("/api/admin/jobs?includePast=true").json()["jobs"]}
    assert past[done]["status"] == "completed"
    assert past[done]["progress"] == 1.0
    assert past[done]["result"] == {"n": 3}
    assert (past[failed]["status"], past[failed]["error"]) == ("failed", "boom")
    assert past[failed]["finishedAt"] is not None


def test_a_finished_job_refuses_more_changes_with_409(worker: httpx.Client) -> None:
    job_id = start(worker)
    worker.post(f"/api/admin/jobs/{job_id}/complete", json={})
    for path, body in [
        ("progress", {"progress": 0.5}),
        ("message", {"text": "late"}),
        ("complete", {}),
        ("fail", {"error": "late"}),
    ]:
        response = worker.post(f"/api/admin/jobs/{job_id}/{path}", json=body)
        assert response.status_code == 409, path
        assert response.json()["error"]["code"] == "CONFLICT"


def test_force_fail_is_for_operators(worker: httpx.Client, operator: httpx.Client) -> None:
    job_id = start(worker)
    refused = worker.post(f"/api/admin/jobs/{job_id}/force-fail", json={"reason": "mine"})
    assert refused.status_code == 403
    done = operator.post(f"/api/admin/jobs/{job_id}/force-fail", json={"reason": "stuck"})
    assert done.status_code == 200
    assert done.json()["status"] == "failed"
    job = operator.get("/api/jobs").json()["jobs"][0]
    assert job["error"] == "stuck"
    no_body = operator.post(f"/api/admin/jobs/{start(worker)}/force-fail")
    assert no_body.status_code == 200


def test_emergency_cleanup_fails_every_active_job(
    worker: httpx.Client, operator: httpx.Client
) -> None:
    running = [start(worker) for _ in range(3)]
    queued = worker.post("/api/jobs", json={}).json()["jobId"]
    finished = start(worker)
    worker.post(f"/api/admin/jobs/{finished}/complete", json={})
    assert worker.post("/api/admin/jobs/emergency-cleanup").status_code == 403
    response = operator.post("/api/admin/jobs/emergency-cleanup")
    assert response.status_code == 200
    assert response.json()["failedJobs"] == 4
    statuses = {j["id"]: j["status"] for j in operator.get("/api/jobs").json()["jobs"]}
    assert all(statuses[j] == "failed" for j in [*running, queued])
    assert statuses[finished] == "completed"


def test_health_counts_active_and_past(worker: httpx.Client) -> None:
    start(worker)
    done = start(worker)
    worker.post(f"/api/admin/jobs/{done}/complete", json={})
    health = worker.get("/api/admin/jobs/health").json()
    assert (health["status"], health["activeJobs"], health["pastJobs"]) == ("ok", 1, 1)
    assert health["staleJobs"] == []


def test_openapi_schema_is_served(server: RunningServer) -> None:
    schema = httpx.get(f"{server.url}/api/schema/openapi.json").json()
    assert "/api/admin/jobs/{job_id}/progress" in schema["paths"]
    assert "/api/jobs" in schema["paths"]
