"""``watch`` on the engine, in this process: the store's name for a server, what stderr
says while the server is unreachable, and the summary after a restart."""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

import httpx
import pytest

from jobdesk.cli.watch import follow, server_name, watch
from jobdesk.server.config import ServerConfig
from jobdesk.server.embedded import EmbeddedServer
from jobdesk.server.tokens import create_token
from tests.cli.conftest import Cli
from tests.polling import eventually


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("http://127.0.0.1:8765", "127.0.0.1:8765"),
        ("https://jobs.example.org/desk/", "jobs.example.org:443"),
        ("ws://Example.org/api/notifications/ws", "example.org:80"),
        ("http://[::1]:9000", "[::1]:9000"),
    ],
)
def test_a_server_is_named_by_host_and_port(url: str, name: str) -> None:
    assert server_name(url) == name


def test_a_url_with_an_impossible_port_is_a_usage_error(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JOBDESK_TOKEN", "jd_x")
    result = cli("watch", "http://127.0.0.1:99999")
    assert result.code == 2
    assert "argument URL" in result.error_line


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("--option", "listUrl"), "expected KEY=VALUE, got 'listUrl'"),
        (("--option", "listUrl=/x"), "jobdesk has no option listUrl"),
        (("--backend", "gearman"), "invalid choice: 'gearman'"),
    ],
)
def test_a_bad_backend_or_option_is_a_usage_error(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, argv: tuple[str, ...], message: str
) -> None:
    monkeypatch.setenv("JOBDESK_TOKEN", "jd_x")
    result = cli("watch", "http://127.0.0.1:8765", *argv)
    assert result.code == 2
    assert message in result.err


def test_an_unreachable_server_is_reported_and_retried_until_the_end(
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = f"http://127.0.0.1:{unused_port()}"
    assert watch(url, "jd_x", server=server_name(url), json_lines=True, duration=1.5) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert lines
    assert lines[0].startswith("jobdesk: unreachable (socket retry in ")
    assert all(line.startswith("jobdesk: unreachable") for line in lines)
    assert all(a != b for a, b in itertools.pairwise(lines))  # printed only when it changes


class Output:
    """Everything printed so far, read without waiting."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self._capsys = capsys
        self.out = ""
        self.err = ""

    def read(self) -> Output:
        captured = self._capsys.readouterr()
        self.out += captured.out
        self.err += captured.err
        return self

    def lines(self) -> list[dict[str, object]]:
        return [json.loads(line) for line in self.read().out.splitlines()]


@asynccontextmanager
async def serving(db: Path, port: int = 0) -> AsyncIterator[EmbeddedServer]:
    """A server on ``db``, started and stopped off the event loop (stop may come early)."""
    server = EmbeddedServer(ServerConfig(db_path=db, port=port))
    await asyncio.to_thread(server.start)
    try:
        yield server
    finally:
        await asyncio.to_thread(server.stop)


@asynccontextmanager
async def watching(url: str, token: str) -> AsyncIterator[None]:
    """``watch URL --json`` runs inside the block and is cancelled (Ctrl+C) after it."""
    task = asyncio.create_task(
        follow(url, token, server=server_name(url), json_lines=True, duration=None)
    )
    try:
        yield
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_after_a_restart_it_says_what_changed_meanwhile(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "jobdesk.db"
    token = create_token(db, "operator", "ops")
    output = Output(capsys)
    async with AsyncExitStack() as stack:
        headers = {"Authorization": f"Bearer {token}"}
        http = await stack.enter_async_context(httpx.AsyncClient(headers=headers))
        first = await stack.enter_async_context(serving(db))
        started = await http.post(f"{first.url}/api/admin/jobs/start", json={"name": "long"})
        job_id = started.json()["jobId"]
        await stack.enter_async_context(watching(first.url, token))
        await eventually(lambda: "jobdesk: live" in output.read().err)
        await asyncio.to_thread(first.stop)
        await eventually(lambda: "jobdesk: unreachable" in output.read().err)
        # The job completes on a server at another port, which the watch cannot see.
        async with serving(db) as elsewhere:
            done = await http.post(f"{elsewhere.url}/api/admin/jobs/{job_id}/complete")
            done.raise_for_status()
        async with serving(db, first.port):
            await eventually(lambda: "while away" in output.read().err, within=30)
    assert "jobdesk: while away: 1 completed" in output.err.splitlines()
    statuses = [line["status"] for line in output.lines() if line["id"] == job_id]
    assert statuses == ["running", "completed"]


def unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
