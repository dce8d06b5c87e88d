"""``jobdesk job ...`` end to end: each command's effect, read back with GET /api/jobs."""

from __future__ import annotations

import socket

import httpx
import msgspec
import pytest

from jobdesk.protocol import Job, Status
from jobdesk.protocol.rest import Snapshot
from tests.cli.conftest import Cli
from tests.conftest import RunningServer


def read_job(server: RunningServer, job_id: str) -> Job:
    response = httpx.get(f"{server.url}/api/jobs", headers=server.headers("operator"))
    response.raise_for_status()
    snapshot = msgspec.json.decode(response.content, type=Snapshot[Job])
    return next(job for job in snapshot.jobs if job.id == job_id)


def create(cli: Cli, *extra: str) -> str:
    result = cli("job", "create", *extra)
    assert result.code == 0, result.err
    job_id = result.out.strip()
    assert result.out == job_id + "\n"  # only the id, for $(...)
    return job_id


def test_create_progress_message_complete(cli: Cli, as_worker: RunningServer) -> None:
    job_id = create(
        cli,
        "--type", "file_processing",
        "--name", "nightly-backup",
        "--message", "queued by cron",
        "--metadata", '{"fileName": "a.pdf", "size": 3}',
        "--priority", "high",
    )  # fmt: skip
    job = read_job(as_worker, job_id)
    assert (job.status, job.job_type, job.name) == (
        Status.QUEUED,
        "file_processing",
        "nightly-backup",
    )
    assert job.metadata == {"fileName": "a.pdf", "size": 3}
    assert job.priority.value == "HIGH"

    assert cli("job", "progress", job_id, "42.5", "--message", "copying").code == 0
    job = read_job(as_worker, job_id)
    assert (job.status, job.progress, job.message) == (Status.RUNNING, 42.5, "copying")
    assert job.owner == "worker-1"  # the first progress claimed it

    assert cli("job", "message", job_id, "disk almost full", "--level", "warning").code == 0
    job = read_job(as_worker, job_id)
    assert [(m.level, m.text) for m in job.messages][-1] == ("warning", "disk almost full")

    result = cli("job", "complete", job_id, "--result", '{"files": 1200}', "--message", "done")
    assert result.code == 0
    assert result.out == ""
    job = read_job(as_worker, job_id)
    assert (job.status, job.progress, job.result, job.message) == (
        Status.COMPLETED, 100.0, {"files": 1200}, "done",
    )  # fmt: skip


def test_sub_operation_progress_is_weighted(cli: Cli, as_worker: RunningServer) -> None:
    job_id = create(cli, "--start")
    assert cli("job", "progress", job_id, "100", "--sub-operation", "load").code == 0
    assert cli("job", "progress", job_id, "0", "--sub-operation", "write").code == 0
    job = read_job(as_worker, job_id)
    assert {s.name: s.progress for s in job.sub_operations} == {"load": 100.0, "write": 0.0}
    assert job.progress == pytest.approx(50.0)


def test_start_makes_it_running_and_mine(cli: Cli, as_worker: RunningServer) -> None:
    job_id = create(cli, "--start", "--name", "by-hand")
    job = read_job(as_worker, job_id)
    assert (job.status, job.owner) == (Status.RUNNING, "worker-1")


def test_fail(cli: Cli, as_worker: RunningServer) -> None:
    job_id = create(cli, "--start")
    assert cli("job", "fail", job_id, "disk full").code == 0
    job = read_job(as_worker, job_id)
    assert (job.status, job.error) == (Status.FAILED, "disk full")


def test_url_and_token_flags_work_without_the_environment(cli: Cli, server: RunningServer) -> None:
    flags = ("--url", server.url, "--token", server.tokens["worker2"])
    job_id = create(cli, *flags)
    assert cli("job", "progress", job_id, "10", *flags).code == 0
    assert read_job(server, job_id).owner == "worker-2"


def test_an_unknown_job_is_one_line_and_exit_1(cli: Cli, as_worker: RunningServer) -> None:
    result = cli("job", "progress", "job_missing", "10")
    assert result.code == 1
    assert "NOT_FOUND" in result.error_line


def test_a_finished_job_refuses_more_progress(cli: Cli, as_worker: RunningServer) -> None:
    job_id = create(cli, "--start")
    assert cli("job", "complete", job_id).code == 0
    result = cli("job", "progress", job_id, "10")
    assert result.code == 1
    assert "CONFLICT" in result.error_line


def test_someone_elses_job_is_forbidden(
    cli: Cli, as_worker: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    job_id = create(cli, "--start")
    monkeypatch.setenv("JOBDESK_TOKEN", as_worker.tokens["worker2"])
    result = cli("job", "message", job_id, "not mine")
    assert result.code == 1
    assert "FORBIDDEN" in result.error_line


def test_a_viewer_cannot_create(
    cli: Cli, as_worker: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JOBDESK_TOKEN", as_worker.tokens["viewer"])
    result = cli("job", "create")
    assert result.code == 1
    assert "FORBIDDEN" in result.error_line


def test_a_wrong_token_is_one_line_and_exit_1(
    cli: Cli, as_worker: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JOBDESK_TOKEN", "jd_wrong")
    result = cli("job", "create")
    assert result.code == 1
    assert "AUTH_REQUIRED" in result.error_line


def test_an_unreachable_server_is_one_line_and_exit_1(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("JOBDESK_TOKEN", "jd_x")
    url = f"http://127.0.0.1:{port}"
    result = cli("job", "create", "--url", url, "--retry-for", "0")
    assert result.code == 1
    assert f"cannot reach the jobdesk server at {url}" in result.error_line
