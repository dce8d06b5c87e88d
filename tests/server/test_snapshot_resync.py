"""GET /api/jobs: one consistent snapshot, and resync with since/epoch or 410."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import RunningServer

pytestmark = pytest.mark.stores("sqlite", "postgres")


def test_snapshot_carries_epoch_and_seq(operator: httpx.Client) -> None:
    empty = operator.get("/api/jobs").json()
    assert (empty["seq"], empty["jobs"]) == (0, [])
    operator.post("/api/jobs", json={})
    operator.post("/api/jobs", json={})
    snap = operator.get("/api/jobs").json()
    assert snap["epoch"] == empty["epoch"]
    assert snap["seq"] == 2
    assert len(snap["jobs"]) == 2
    assert all(j["version"] == 1 for j in snap["jobs"])


def test_since_returns_only_what_changed_after_it(operator: httpx.Client) -> None:
    first = operator.post("/api/jobs", json={}).json()["jobId"]
    second = operator.post("/api/jobs", json={}).json()["jobId"]
    snap = operator.get("/api/jobs").json()
    operator.post(f"/api/admin/jobs/{second}/progress", json={"progress": 0.5})
    delta = operator.get(f"/api/jobs?since={snap['seq']}&epoch={snap['epoch']}").json()
    assert [j["id"] for j in delta["jobs"]] == [second]
    assert delta["jobs"][0]["version"] == 2
    assert delta["seq"] == snap["seq"] + 1
    assert delta["removed"] == []
    assert first not in {j["id"] for j in delta["jobs"]}
    nothing = operator.get(f"/api/jobs?since={delta['seq']}").json()
    assert nothing["jobs"] == []


# A replica waits up to resume_wait_s (5 s) for a since ahead of it to arrive from the
# others before its 410, as long as httpx's default timeout: waited for here briefly.
@pytest.mark.parametrize("config_overrides", [{"resume_wait_s": 0.3}])
def test_410_for_another_epoch_or_a_seq_ahead(operator: httpx.Client) -> None:
    operator.post("/api/jobs", json={})
    wrong_epoch = operator.get("/api/jobs?since=0&epoch=00000000-0000-0000-0000-000000000000")
    assert wrong_epoch.status_code == 410
    assert wrong_epoch.json()["error"]["code"] == "RESYNC_REQUIRED"
    ahead = operator.get("/api/jobs?since=1000")
    assert ahead.status_code == 410
    assert "ahead" in ahead.json()["error"]["message"]


def test_filters_by_status_word_of_any_seed(operator: httpx.Client) -> None:
    running = operator.post("/api/admin/jobs/start", json={}).json()["jobId"]
    operator.post("/api/jobs", json={})
    for word in ["running", "processing", "IN_PROGRESS"]:
        jobs = operator.get(f"/api/jobs?status={word}").json()["jobs"]
        assert [j["id"] for j in jobs] == [running]
    bad = operator.get("/api/jobs?status=paused")
    assert bad.status_code == 400
    assert bad.json()["error"]["field"] == "status"


def test_filters_by_type_and_owner(server: RunningServer, worker: httpx.Client) -> None:
    worker.post("/api/jobs", json={"jobType": "llm_agent"})
    worker.post("/api/jobs", json={"jobType": "file_processing"})
    jobs = worker.get("/api/jobs?jobType=llm_agent").json()["jobs"]
    assert [j["jobType"] for j in jobs] == ["llm_agent"]
    assert len(worker.get("/api/jobs?owner=worker-1").json()["jobs"]) == 2
    assert worker.get("/api/jobs?owner=worker-2").json()["jobs"] == []
