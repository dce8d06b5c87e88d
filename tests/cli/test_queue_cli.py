"""``jobdesk job submit|cancel|retry`` end to end against a real server.

Every bad input gets its own case: the line must carry seed 000's code (INVALID_INPUT,
AUTH_REQUIRED, SUBMISSION_FAILED) and the exit status must say whose fault it was.
"""

from __future__ import annotations

import io
import json
import socket
from pathlib import Path

import pytest

from jobdesk.protocol import Priority, Status
from jobdesk.sdk import JobdeskClient
from tests.cli.conftest import Cli
from tests.cli.test_jobs import read_job
from tests.conftest import RunningServer


def submit(cli: Cli, *extra: str) -> str:
    result = cli("job", "submit", *extra)
    assert result.code == 0, result.err
    job_id = result.out.strip()
    assert result.out == job_id + "\n"  # only the id, for $(...)
    return job_id


def test_submit_queues_the_job_with_every_field(cli: Cli, as_operator: RunningServer) -> None:
    job_id = submit(
        cli,
        "--type", "send-email",
        "--name", "welcome",
        "--priority", "high",
        "--payload", '{"to": "a@b.c", "n": [1, 2]}',
        "--max-attempts", "5",
        "--timeout", "90",
    )  # fmt: skip
    job = read_job(as_operator, job_id)
    assert (job.status, job.job_type, job.name, job.priority) == (
        Status.QUEUED,
        "send-email",
        "welcome",
        Priority.HIGH,
    )
    assert (job.payload, job.max_attempts, job.timeout) == ({"to": "a@b.c", "n": [1, 2]}, 5, 90)


def test_submit_defaults_to_three_attempts_and_no_payload(
    cli: Cli, as_operator: RunningServer
) -> None:
    job = read_job(as_operator, submit(cli, "--type", "t"))
    assert (job.max_attempts, job.payload, job.priority, job.timeout) == (
        3,
        None,
        Priority.MEDIUM,
        None,
    )


def test_the_payload_can_come_from_a_file_or_stdin(
    cli: Cli, as_operator: RunningServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scene = tmp_path / "scene.json"
    scene.write_text('{"frames": 240}', encoding="utf-8")
    from_file = submit(cli, "--type", "render", "--payload", f"@{scene}")
    assert read_job(as_operator, from_file).payload == {"frames": 240}
    monkeypatch.setattr("sys.stdin", io.StringIO("[1, 2, 3]"))
    from_stdin = submit(cli, "--type", "render", "--payload", "@-")
    assert read_job(as_operator, from_stdin).payload == [1, 2, 3]


BAD_SUBMISSIONS = [
    (["--priority", "urgent"], "--priority"),
    (["--priority", ""], "--priority"),
    (["--max-attempts", "0"], "--max-attempts"),
    (["--max-attempts", "-1"], "--max-attempts"),
    (["--max-attempts", "101"], "--max-attempts"),
    (["--max-attempts", "two"], "--max-attempts"),
    (["--max-attempts", "2.5"], "--max-attempts"),
    (["--timeout", "0"], "--timeout"),
    (["--timeout", "-5"], "--timeout"),
    (["--timeout", "soon"], "--timeout"),
    (["--timeout", "nan"], "--timeout"),
    (["--timeout", "inf"], "--timeout"),
    (["--payload", "{not json"], "--payload"),
    (["--payload", "NaN"], "--payload"),
    (["--payload", "@/nonexistent/payload.json"], "--payload"),
    (["--name", ""], "--name"),
    (["--type", ""], "--type"),
    (["--type", "x" * 101], "--type"),
]


@pytest.mark.parametrize(("extra", "option"), BAD_SUBMISSIONS)
def test_bad_input_is_invalid_input_naming_the_option_and_exit_2(
    cli: Cli, as_operator: RunningServer, extra: list[str], option: str
) -> None:
    arguments = ["--type", "t", *extra] if "--type" not in extra else extra
    result = cli("job", "submit", *arguments)
    assert result.code == 2
    assert result.error_line.startswith("jobdesk: error: INVALID_INPUT: ")
    assert option in result.error_line
    assert result.out == ""


def test_a_missing_type_is_invalid_input_too(cli: Cli, as_operator: RunningServer) -> None:
    result = cli("job", "submit")
    assert result.code == 2
    assert result.error_line.startswith("jobdesk: error: INVALID_INPUT: ")
    assert "--type" in result.error_line


def test_a_payload_over_the_servers_limit_is_invalid_input(
    cli: Cli, as_operator: RunningServer, tmp_path: Path
) -> None:
    big = tmp_path / "big.json"
    big.write_text(json.dumps("x" * (1024 * 1024 + 1)), encoding="utf-8")
    result = cli("job", "submit", "--type", "t", "--payload", f"@{big}")
    assert result.code == 2
    assert result.error_line.startswith("jobdesk: error: INVALID_INPUT: ")
    assert "(server: PAYLOAD_TOO_LARGE)" in result.error_line


@pytest.mark.parametrize(("token", "server_code"), [("viewer", "FORBIDDEN"), (None, None)])
def test_a_token_that_may_not_submit_is_auth_required(
    cli: Cli,
    server: RunningServer,
    monkeypatch: pytest.MonkeyPatch,
    token: str | None,
    server_code: str | None,
) -> None:
    monkeypatch.setenv("JOBDESK_URL", server.url)
    monkeypatch.setenv("JOBDESK_TOKEN", server.tokens[token] if token else "jd_wrong")
    result = cli("job", "submit", "--type", "t")
    assert result.code == 1
    assert result.error_line.startswith("jobdesk: error: AUTH_REQUIRED: ")
    assert (f"(server: {server_code})" in result.error_line) is (server_code is not None)


@pytest.mark.parametrize("config_overrides", [{"max_active_jobs": 1}])
def test_a_full_server_is_submission_failed(cli: Cli, as_operator: RunningServer) -> None:
    submit(cli, "--type", "t")
    result = cli("job", "submit", "--type", "t", "--retry-for", "0.5")
    assert result.code == 1
    assert result.error_line.startswith("jobdesk: error: SUBMISSION_FAILED: ")
    assert "(server: TOO_MANY_ACTIVE_JOBS)" in result.error_line


def test_an_unreachable_server_is_submission_failed(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("JOBDESK_TOKEN", "jd_x")
    url = f"http://127.0.0.1:{port}"
    result = cli("job", "submit", "--type", "t", "--url", url, "--retry-for", "0")
    assert result.code == 1
    assert result.error_line.startswith(
        f"jobdesk: error: SUBMISSION_FAILED: cannot reach the jobdesk server at {url}"
    )


def test_cancel_then_retry(cli: Cli, as_operator: RunningServer) -> None:
    job_id = submit(cli, "--type", "t")
    result = cli("job", "cancel", job_id, "--reason", "not needed")
    assert (result.code, result.out) == (0, f"{job_id} cancelled\n")
    job = read_job(as_operator, job_id)
    assert job.status is Status.CANCELLED
    assert any("not needed" in entry.text for entry in job.messages)
    result = cli("job", "retry", job_id)
    assert (result.code, result.out) == (0, f"{job_id} queued\n")
    assert read_job(as_operator, job_id).status is Status.QUEUED


def worked_off(server: RunningServer, job_type: str) -> None:
    """A worker claims the one job of ``job_type`` and completes it."""
    with JobdeskClient(server.url, server.tokens["worker"]) as client:
        jobs = client.worker(wait=5).jobs(job_type)
        next(jobs).complete()
        jobs.close()


def test_a_finished_job_cannot_be_cancelled_or_retried(
    cli: Cli, as_operator: RunningServer
) -> None:
    job_id = submit(cli, "--type", "done-soon")
    worked_off(as_operator, "done-soon")
    for command in (["cancel", job_id], ["retry", job_id]):
        result = cli("job", *command)
        assert result.code == 1
        assert result.error_line.startswith("jobdesk: error: CONFLICT: ")


@pytest.mark.parametrize("command", ["cancel", "retry"])
def test_an_unknown_job_is_not_found(cli: Cli, as_operator: RunningServer, command: str) -> None:
    result = cli("job", command, "job_missing")
    assert result.code == 1
    assert result.error_line.startswith("jobdesk: error: NOT_FOUND: ")


@pytest.mark.parametrize("command", ["cancel", "retry"])
def test_a_worker_may_not_cancel_or_retry(
    cli: Cli, as_operator: RunningServer, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    job_id = submit(cli, "--type", "t")
    monkeypatch.setenv("JOBDESK_TOKEN", as_operator.tokens["worker"])
    result = cli("job", command, job_id)
    assert result.code == 1
    assert result.error_line.startswith("jobdesk: error: FORBIDDEN: ")


def test_cancel_and_retry_need_a_job_id(cli: Cli, as_operator: RunningServer) -> None:
    for command in ("cancel", "retry"):
        result = cli("job", command)
        assert result.code == 2
        assert "JOB_ID" in result.error_line


def test_an_unreachable_server_for_cancel_is_one_line(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JOBDESK_TOKEN", "jd_x")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    result = cli("job", "cancel", "job_x", "--url", url, "--retry-for", "0")
    assert result.code == 1
    assert f"cannot reach the jobdesk server at {url}" in result.error_line
