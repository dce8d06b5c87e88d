"""Bad input gets a clear 4xx naming what was wrong, and stored state is untouched."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import RunningServer


@pytest.fixture
def config_overrides() -> dict[str, Any]:
    return {"max_active_jobs": 3, "max_body_bytes": 16 * 1024}


def started(worker: httpx.Client) -> str:
    job_id: str = worker.post("/api/admin/jobs/start", json={}).json()["jobId"]
    return job_id


@pytest.mark.parametrize(
    ("body", "field", "fragment"),
    [
        ({"progress": 1.5}, "progress", "<= 1"),
        ({"progress": -0.1}, "progress", ">= 0"),
        ({"progress": "half"}, "progress", "Expected `float | null`"),
        ({"pipeline": [{"name": "a", "weight": 0}]}, "pipeline[0].weight", "> 0"),
        ({"subOperation": ""}, "subOperation", "length >= 1"),
    ],
)
def test_bad_progress_names_the_field(
    worker: httpx.Client, body: dict[str, object], field: str, fragment: str
) -> None:
    job_id = started(worker)
    before = worker.get("/api/jobs").json()
    response = worker.post(f"/api/admin/jobs/{job_id}/progress", json=body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["field"]) == ("INVALID_INPUT", field)
    assert fragment in error["message"]
    assert worker.get("/api/jobs").json() == before


def test_malformed_json_is_400(worker: httpx.Client) -> None:
    job_id = started(worker)
    response = worker.post(
        f"/api/admin/jobs/{job_id}/progress",
        content=b'{"progress": 0.5',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "INVALID_INPUT"
    assert "malformed" in response.json()["error"]["message"]


def test_unknown_level_and_missing_text(worker: httpx.Client) -> None:
    job_id = started(worker)
    level = worker.post(f"/api/admin/jobs/{job_id}/message", json={"level": "debug", "text": "x"})
    assert level.status_code == 400
    assert level.json()["error"]["field"] == "level"
    missing = worker.post(f"/api/admin/jobs/{job_id}/message", json={"level": "info"})
    assert missing.status_code == 400
    assert missing.json()["error"]["field"] == "text"


def test_wrong_types_on_create(worker: httpx.Client) -> None:
    response = worker.post("/api/jobs", json={"metadata": [1, 2]})
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "metadata"
    priority = worker.post("/api/jobs", json={"priority": "URGENT"})
    assert priority.json()["error"]["field"] == "priority"


def test_body_over_the_limit_is_413(worker: httpx.Client) -> None:
    response = worker.post("/api/jobs", json={"metadata": {"blob": "x" * 20_000}})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"
    assert worker.get("/api/jobs").json()["jobs"] == []


def test_active_job_limit_answers_429(worker: httpx.Client) -> None:
    for _ in range(3):
        assert worker.post("/api/jobs", json={}).status_code == 201
    response = worker.post("/api/jobs", json={})
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "TOO_MANY_ACTIVE_JOBS"
    assert "3 active jobs" in response.json()["error"]["message"]
    assert worker.post("/api/admin/jobs/start", json={}).status_code == 429
    assert len(worker.get("/api/jobs").json()["jobs"]) == 3


def test_unknown_route_and_method(server: RunningServer, worker: httpx.Client) -> None:
    missing = worker.get("/api/nothing")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "NOT_FOUND"
    wrong = worker.delete("/api/jobs")
    assert wrong.status_code == 405
