"""Seed 002's Jobs API: create queued, poll in seed 002's words, documentId on completion."""

from __future__ import annotations

import httpx

from tests.conftest import RunningServer


def test_create_answers_201_queued(server: RunningServer) -> None:
    response = httpx.post(
        f"{server.url}/api/jobs",
        json={
            "jobType": "file_processing",
            "message": "Upload queued",
            "metadata": {"fileName": "contract.pdf", "fileSize": 1024000},
        },
        headers=server.headers("worker"),
    )
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "queued"
    assert body["jobId"].startswith("job_")
    assert body["timestamp"].endswith("Z")

    polled = httpx.get(f"{server.url}/api/jobs/{body['jobId']}", headers=server.headers())
    assert polled.status_code == 200
    assert polled.json() == {
        "status": "queued",
        "message": "Upload queued",
        "progress": 0.0,
        "timestamp": body["timestamp"],
    }


def test_empty_body_defaults_to_generic(server: RunningServer) -> None:
    created = httpx.post(f"{server.url}/api/jobs", json={}, headers=server.headers("worker"))
    assert created.status_code == 201
    snapshot = httpx.get(f"{server.url}/api/jobs", headers=server.headers()).json()
    (job,) = snapshot["jobs"]
    assert job["jobType"] == "generic"
    assert job["owner"] == "worker-1"


def test_poll_follows_the_lifecycle_in_seed002_words(worker: httpx.Client) -> None:
    job_id = worker.post("/api/jobs", json={"jobType": "file_processing"}).json()["jobId"]

    worker.post(
        f"/api/admin/jobs/{job_id}/progress",
        json={"progress": 0.45, "message": "Extracting document data..."},
    )
    polled = worker.get(f"/api/jobs/{job_id}").json()
    assert (polled["status"], polled["progress"]) == ("processing", 45.0)
    assert polled["message"] == "Extracting document data..."

    worker.post(
        f"/api/admin/jobs/{job_id}/complete",
        json={"result": {"documentId": "doc_123abc"}, "message": "Document processed successfully"},
    )
    polled = worker.get(f"/api/jobs/{job_id}").json()
    assert polled["status"] == "completed"
    assert polled["progress"] == 100.0
    assert polled["documentId"] == "doc_123abc"


def test_failed_job_polls_as_error_with_its_error(worker: httpx.Client) -> None:
    job_id = worker.post("/api/jobs", json={}).json()["jobId"]
    worker.post(f"/api/admin/jobs/{job_id}/fail", json={"error": "Invalid file format"})
    polled = worker.get(f"/api/jobs/{job_id}").json()
    assert polled["status"] == "error"
    assert polled["error"] == "Invalid file format"


def test_unknown_job_is_404_naming_the_id(server: RunningServer) -> None:
    response = httpx.get(f"{server.url}/api/jobs/job_nope", headers=server.headers())
    assert response.status_code == 404
    assert response.json()["error"] == {
        "code": "NOT_FOUND",
        "message": "no job with id 'job_nope'",
        "field": "id",
    }
