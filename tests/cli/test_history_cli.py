"""``jobdesk history`` against a real server whose retention moves finished jobs out of
its live set: the table, JSON lines, the filters, paging past one page, refusals."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.cli.conftest import Cli
from tests.conftest import RunningServer
from tests.polling import wait_for


@pytest.fixture
def config_overrides() -> dict[str, Any]:
    return {"sweep_interval_s": 0.05, "retention_count": 1}


@pytest.fixture
def as_viewer(server: RunningServer, monkeypatch: pytest.MonkeyPatch) -> RunningServer:
    monkeypatch.setenv("JOBDESK_URL", server.url)
    monkeypatch.setenv("JOBDESK_TOKEN", server.tokens["viewer"])
    return server


def finish(worker: httpx.Client, name: str, job_type: str = "render", error: str = "") -> str:
    job_id: str = worker.post(
        "/api/admin/jobs/start", json={"name": name, "jobType": job_type}
    ).json()["jobId"]
    if error:
        worker.post(f"/api/admin/jobs/{job_id}/fail", json={"error": error})
    else:
        worker.post(f"/api/admin/jobs/{job_id}/complete", json={"result": {"name": name}})
    return job_id


@pytest.fixture
def jobs(worker: httpx.Client, operator: httpx.Client) -> list[str]:
    """Four finished jobs, oldest first; all but the newest gone from the live set."""
    made = [
        finish(worker, "frame 1"),
        finish(worker, "frame 2"),
        finish(worker, "Comp Final", "comp", "disk full on /render\nat write 3"),
        finish(worker, "frame 3"),
    ]
    wait_for(lambda: len(operator.get("/api/jobs").json()["jobs"]) == 1)
    return made


def test_the_table_lists_every_job_kept_newest_first(
    cli: Cli, as_viewer: RunningServer, jobs: list[str]
) -> None:
    result = cli("history")
    assert result.code == 0, result.err
    header, *rows = result.out.splitlines()
    assert header.split() == [
        "ID",
        "CREATED",
        "STATUS",
        "TYPE",
        "OWNER",
        "DURATION",
        "NAME",
        "ERROR",
    ]
    assert [row.split()[0] for row in rows] == jobs[::-1]
    comp = rows[1]
    assert "failed" in comp
    assert "comp" in comp
    assert "worker-1" in comp  # the owner: the token's name
    assert comp.endswith("Comp Final  disk full on /render")  # the error's first line
    assert result.err == ""


def test_json_lines_are_each_job_whole(cli: Cli, as_viewer: RunningServer, jobs: list[str]) -> None:
    result = cli("history", "--json", "--type", "render")
    assert result.code == 0, result.err
    lines = [json.loads(line) for line in result.out.splitlines()]
    assert [line["id"] for line in lines] == [jobs[3], jobs[1], jobs[0]]
    assert lines[-1]["result"] == {"name": "frame 1"}  # gone from the live set, still whole
    assert lines[-1]["status"] == "completed"


def test_filters_and_limit(cli: Cli, as_viewer: RunningServer, jobs: list[str]) -> None:
    failed = cli("history", "--json", "--status", "error", "--text", "DISK FULL")
    assert [json.loads(line)["id"] for line in failed.out.splitlines()] == [jobs[2]]
    assert cli("history", "--owner", "nobody").err == "jobdesk: no jobs match\n"

    limited = cli("history", "--json", "--limit", "3")
    assert [json.loads(line)["id"] for line in limited.out.splitlines()] == jobs[:0:-1]
    oldest_shown = json.loads(limited.out.splitlines()[-1])["createdAt"]
    assert limited.err == (
        f"jobdesk: 3 shown; older ones match too (--limit 6, or --to {oldest_shown})\n"
    )
    older = cli("history", "--json", "--to", oldest_shown)
    assert [json.loads(line)["id"] for line in older.out.splitlines()] == [jobs[0]]
    since = cli("history", "--json", "--from", oldest_shown)
    assert [json.loads(line)["id"] for line in since.out.splitlines()] == jobs[:0:-1]
    assert cli("history", "--from", "2999-01-01").err == "jobdesk: no jobs match\n"


def test_more_jobs_than_one_page(
    cli: Cli, as_viewer: RunningServer, worker: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("jobdesk.cli.history.MAX_PAGE", 2)  # pages of 2 instead of 500
    made = [finish(worker, f"n{n}") for n in range(7)]
    result = cli("history", "--json", "--limit", "600")
    assert [json.loads(line)["id"] for line in result.out.splitlines()] == made[::-1]
    assert result.err == ""
    five = cli("history", "--json", "--limit", "5")
    assert [json.loads(line)["id"] for line in five.out.splitlines()] == made[:1:-1]
    assert "5 shown; older ones match too" in five.err


def test_refusals_name_the_option(cli: Cli, as_viewer: RunningServer) -> None:
    refused = cli("history", "--status", "exploded")
    assert refused.code == 2
    assert refused.error_line.endswith("(--status)")
    assert "exploded" in refused.error_line


def test_a_bad_token_and_no_server(
    cli: Cli, server: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JOBDESK_TOKEN", "jd_not_a_token")
    refused = cli("history", "--url", server.url)
    assert refused.code == 1
    assert "refused the token" in refused.error_line
    gone = cli("history", "--url", "http://127.0.0.1:1")
    assert gone.code == 1
    assert "cannot reach the jobdesk server at http://127.0.0.1:1" in gone.error_line
