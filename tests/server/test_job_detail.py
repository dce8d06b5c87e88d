"""GET /api/jobs/{id}/detail: one job whole, as the stream sends it."""

from __future__ import annotations

import httpx
import msgspec

from jobdesk.protocol import Job, JobSummary
from tests.conftest import RunningServer


def test_detail_is_the_whole_job_the_snapshot_holds(
    server: RunningServer, worker: httpx.Client
) -> None:
    job_id = worker.post(
        "/api/admin/jobs/start",
        json={"jobType": "llm_agent", "name": "condense", "metadata": {"fileName": "a.pdf"}},
    ).json()["jobId"]
    worker.post(f"/api/admin/jobs/{job_id}/message", json={"level": "warning", "text": "slow"})
    worker.post(f"/api/admin/jobs/{job_id}/progress", json={"progress": 0.25})
    with httpx.Client(base_url=server.url, headers=server.headers("viewer")) as viewer:
        detail = msgspec.json.decode(viewer.get(f"/api/jobs/{job_id}/detail").content, type=Job)
        (listed,) = msgspec.json.decode(viewer.get("/api/jobs").content)["jobs"]
    assert msgspec.to_builtins(detail) == listed
    assert [(m.level, m.text) for m in detail.messages] == [("warning", "slow")]
    assert (detail.progress, detail.metadata) == (25.0, {"fileName": "a.pdf"})
    assert len(detail.history) == 0 or detail.history[-1].outcome == "running"
    assert detail.last_problem == "slow"  # the summary keeps the log's newest warning


def test_the_summary_keeps_the_newest_warning_or_error_the_log_told(
    server: RunningServer, worker: httpx.Client
) -> None:
    """The monitor holds summaries, not logs: its search finds what the log warned of."""
    job_id = worker.post("/api/admin/jobs/start", json={"name": "mail"}).json()["jobId"]

    def summary() -> JobSummary:
        body = worker.get(f"/api/jobs/{job_id}/detail").content
        return msgspec.json.decode(body, type=JobSummary)

    assert summary().last_problem is None
    worker.post(f"/api/admin/jobs/{job_id}/message", json={"level": "info", "text": "hello"})
    assert summary().last_problem is None
    warning = {"level": "warning", "text": "SMTP greylisted"}
    worker.post(f"/api/admin/jobs/{job_id}/message", json=warning)
    for n in range(6):  # later info lines do not hide it
        worker.post(f"/api/admin/jobs/{job_id}/message", json={"level": "info", "text": f"{n}"})
    assert summary().last_problem == "SMTP greylisted"
    worker.post(f"/api/admin/jobs/{job_id}/message", json={"level": "error", "text": "SMTP 550"})
    assert summary().last_problem == "SMTP 550"


def test_a_jobs_json_decodes_as_its_summary(server: RunningServer, worker: httpx.Client) -> None:
    """The monitor reads summaries: the same fields, the large ones skipped."""
    job_id = worker.post("/api/admin/jobs/start", json={"name": "s"}).json()["jobId"]
    worker.post(f"/api/admin/jobs/{job_id}/message", json={"text": "x" * 500})
    body = worker.get(f"/api/jobs/{job_id}/detail").content
    job = msgspec.json.decode(body, type=Job)
    summary = msgspec.json.decode(body, type=JobSummary)
    assert type(summary) is JobSummary
    for field in JobSummary.__struct_fields__:
        assert getattr(summary, field) == getattr(job, field), field


def test_unknown_job_is_404_and_no_token_is_401(
    server: RunningServer, worker: httpx.Client
) -> None:
    missing = worker.get("/api/jobs/job_nope/detail")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "NOT_FOUND"
    assert missing.json()["error"]["field"] == "id"
    assert httpx.get(f"{server.url}/api/jobs/job_nope/detail").status_code == 401
    too_long = worker.get(f"/api/jobs/{'x' * 65}/detail")
    assert too_long.status_code == 400
