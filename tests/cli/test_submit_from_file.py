"""``jobdesk job submit --from FILE``: many jobs in few requests, ids in the file's order."""

from __future__ import annotations

import io
import json
from pathlib import Path

import httpx
import msgspec
import pytest

from jobdesk.protocol import Job, Priority, Status
from tests.cli.conftest import Cli
from tests.conftest import RunningServer


def test_every_line_is_queued_and_its_id_printed_in_order(
    cli: Cli,
    as_operator: RunningServer,
    tmp_path: Path,
) -> None:
    lines = [json.dumps({"payload": {"frame": n}}) for n in range(2500)]
    lines[7] = json.dumps({"jobType": "preview", "priority": "HIGH", "maxAttempts": 1})
    source = tmp_path / "frames.jsonl"
    source.write_text("\n".join(lines[:1200]) + "\n\n" + "\n".join(lines[1200:]) + "\n")
    result = cli("job", "submit", "--from", str(source), "--type", "render", "--timeout", "60")
    assert result.code == 0, result.err
    ids = result.out.split()
    assert len(ids) == len(set(ids)) == 2500  # three requests of at most 1,000
    first, special, last = (detail(as_operator, ids[i]) for i in (0, 7, 2499))
    assert (first.job_type, first.payload, first.max_attempts, first.timeout) == (
        "render",
        {"frame": 0},
        3,
        60,
    )
    assert (special.job_type, special.priority, special.max_attempts) == (
        "preview",
        Priority.HIGH,
        1,
    )
    assert (last.status, last.payload) == (Status.QUEUED, {"frame": 2499})


def test_a_json_array_on_stdin_works_too(
    cli: Cli,
    as_operator: RunningServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO('[{"jobType": "a"}, {"jobType": "b"}]'))
    result = cli("job", "submit", "--from", "-")
    assert result.code == 0, result.err
    assert [detail(as_operator, i).job_type for i in result.out.split()] == ["a", "b"]


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ('{"jobType": "a"}\n{"jobType": "b", "maxAttempts": 0}\n', "jobs.jsonl:2"),
        ('{"jobType": "a"}\nnot json\n', "jobs.jsonl:2 is not valid JSON"),
        ('{"jobType": "a", "colour": "red"}\n', "unknown field 'colour'"),
        ('{"payload": 1}\n', "no jobType"),  # none on the line, no --type
    ],
)
def test_a_bad_line_queues_nothing_and_names_the_line(
    cli: Cli,
    as_operator: RunningServer,
    tmp_path: Path,
    text: str,
    said: str,
) -> None:
    source = tmp_path / "jobs.jsonl"
    source.write_text(text)
    result = cli("job", "submit", "--from", str(source))
    assert result.code == 2
    assert result.error_line.startswith("jobdesk: error: INVALID_INPUT: ")
    assert said in result.error_line
    assert result.out == ""
    assert read_all_ids(as_operator) == []


def detail(server: RunningServer, job_id: str) -> Job:
    answer = httpx.get(f"{server.url}/api/jobs/{job_id}/detail", headers=server.headers("operator"))
    answer.raise_for_status()
    return msgspec.json.decode(answer.content, type=Job)


def read_all_ids(server: RunningServer) -> list[str]:
    with httpx.Client(base_url=server.url, headers=server.headers("operator")) as client:
        return [job["id"] for job in client.get("/api/jobs").json()["jobs"]]
