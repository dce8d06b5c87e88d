"""Bearer tokens and roles: operator, worker, viewer; only hashes are stored."""

from __future__ import annotations

import sqlite3
from contextlib import closing

import httpx
import pytest

from jobdesk.server.tokens import create_token, hash_token
from tests.conftest import RunningServer


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer jd_wrong"}, {"Authorization": "Basic abc"}],
    ids=["missing", "unknown", "not-bearer"],
)
def test_without_a_valid_token_every_endpoint_answers_401(
    server: RunningServer, headers: dict[str, str]
) -> None:
    for method, path in [
        ("GET", "/api/jobs"),
        ("POST", "/api/jobs"),
        ("GET", "/api/admin/jobs"),
        ("GET", "/api/admin/jobs/health"),
        ("GET", "/api/jobs/job_x"),
    ]:
        response = httpx.request(method, server.url + path, headers=headers, json={})
        assert response.status_code == 401, (method, path)
        assert response.json()["error"]["code"] == "AUTH_REQUIRED"
        assert response.headers["www-authenticate"] == "Bearer"


def test_token_in_the_url_is_not_accepted(server: RunningServer) -> None:
    token = server.tokens["operator"]
    assert httpx.get(f"{server.url}/api/jobs?token={token}").status_code == 401


def test_viewer_reads_but_cannot_write(server: RunningServer, worker: httpx.Client) -> None:
    job_id = worker.post("/api/admin/jobs/start", json={}).json()["jobId"]
    viewer = server.headers("viewer")
    assert httpx.get(f"{server.url}/api/jobs", headers=viewer).status_code == 200
    assert httpx.post(f"{server.url}/api/jobs", json={}, headers=viewer).status_code == 403
    response = httpx.post(
        f"{server.url}/api/admin/jobs/{job_id}/progress", json={"progress": 0.1}, headers=viewer
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "FORBIDDEN"


def test_a_worker_touching_another_workers_job_gets_403(
    server: RunningServer, worker: httpx.Client
) -> None:
    job_id = worker.post("/api/admin/jobs/start", json={}).json()["jobId"]
    other = server.headers("worker2")
    for path, body in [
        ("progress", {"progress": 0.5}),
        ("message", {"text": "x"}),
        ("complete", {}),
        ("fail", {"error": "x"}),
    ]:
        response = httpx.post(
            f"{server.url}/api/admin/jobs/{job_id}/{path}", json=body, headers=other
        )
        assert response.status_code == 403, path
        assert "worker-1" in response.json()["error"]["message"]
    assert worker.get(f"/api/jobs/{job_id}").json()["status"] == "processing"


def test_an_unowned_queued_job_is_claimed_by_the_first_worker(
    server: RunningServer, operator: httpx.Client, worker: httpx.Client
) -> None:
    job_id = operator.post("/api/jobs", json={}).json()["jobId"]
    assert (
        worker.post(f"/api/admin/jobs/{job_id}/progress", json={"progress": 0.1}).status_code == 200
    )
    job = operator.get("/api/jobs").json()["jobs"][0]
    assert job["owner"] == "worker-1"
    other = httpx.post(
        f"{server.url}/api/admin/jobs/{job_id}/progress",
        json={"progress": 0.2},
        headers=server.headers("worker2"),
    )
    assert other.status_code == 403


def test_operator_may_act_on_any_job(operator: httpx.Client, worker: httpx.Client) -> None:
    job_id = worker.post("/api/admin/jobs/start", json={}).json()["jobId"]
    assert operator.post(f"/api/admin/jobs/{job_id}/complete", json={}).status_code == 200


def test_only_the_hash_is_stored(server: RunningServer) -> None:
    with closing(sqlite3.connect(server.db_path)) as db:
        stored = {row[0] for row in db.execute("select hash from tokens")}
    for token in server.tokens.values():
        assert token not in stored
        assert hash_token(token) in stored


def test_a_token_created_while_the_server_runs_works_at_once(server: RunningServer) -> None:
    token = create_token(server.db_path, "viewer", "late-viewer")
    response = httpx.get(f"{server.url}/api/jobs", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


def test_unknown_role_is_refused_clearly(server: RunningServer) -> None:
    with pytest.raises(
        ValueError, match="unknown role 'admin'; choose one of operator, worker, viewer"
    ):
        create_token(server.db_path, "admin", "x")
