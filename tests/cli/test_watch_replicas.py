"""Several URLs on the command line are replicas of one jobdesk cluster: ``jobdesk watch
URL URL`` (or ``URL,URL``) fails over between them and says which one it is on."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys

import httpx
import pytest

from jobdesk.client.replicas import host_port
from tests.cli.conftest import Cli, subprocess_env
from tests.cli.test_watch import unused_port
from tests.conftest import RunningServer


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ("--backend", "jobs-api", "http://a:1", "http://b:2"),
            "argument URL: one URL for --backend jobs-api",
        ),
        (("http://a:1,ftp://b:2",), "replicas: 'ftp://b:2' is not an http(s) or ws(s) URL"),
        (("http://a:1", "--option", "replicas=http://"), "replicas: 'http://' has no host"),
    ],
)
@pytest.mark.parametrize("command", ["watch", "monitor"])
def test_urls_that_cannot_be_replicas_are_a_usage_error(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, command: str, argv: tuple[str, ...], message: str
) -> None:
    monkeypatch.setenv("JOBDESK_TOKEN", "jd_x")
    result = cli(command, *argv)
    assert result.code == 2
    assert message in result.err


@pytest.mark.parametrize("separate", [True, False], ids=["arguments", "commas"])
async def test_watch_fails_over_to_the_replica_that_answers_and_names_it(
    server: RunningServer, separate: bool
) -> None:
    """The first URL is down: the watch is live on the second, and says so."""
    headers = server.headers("worker")
    async with httpx.AsyncClient(base_url=server.url, headers=headers) as http:
        response = await http.post("/api/admin/jobs/start", json={"name": "on the replica"})
        job_id = response.raise_for_status().json()["jobId"]
    down = f"http://127.0.0.1:{unused_port()}"
    urls = [down, server.url] if separate else [f"{down},{server.url}"]
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "jobdesk",
        "watch",
        *urls,
        "--json",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=subprocess_env(JOBDESK_TOKEN=server.tokens["viewer"]),
    )
    live = f"jobdesk: live via {host_port(server.url)}"
    try:
        assert process.stderr is not None
        assert process.stdout is not None
        said: list[str] = []
        async with asyncio.timeout(45):
            while live not in said:
                line = await process.stderr.readline()
                assert line, f"the watch ended; it said {said}"
                said.append(line.decode().rstrip("\n"))
            first = json.loads(await process.stdout.readline())
        assert (first["id"], first["name"], first["status"]) == (
            job_id,
            "on the replica",
            "running",
        )
    finally:
        with contextlib.suppress(ProcessLookupError):
            process.terminate()
        await process.wait()
