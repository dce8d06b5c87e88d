"""``jobdesk watch --backend NAME URL --json`` as a real process against the fake seed
backends: its lines end equal to the backend's truth, job by job."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from collections.abc import AsyncIterator, Callable
from typing import Any

from jobdesk.protocol.status import parse_status
from tests.cli.conftest import subprocess_env
from tests.client.adapters.seed001 import Seed001
from tests.client.adapters.seed002 import Seed002
from tests.client.adapters.seed003 import Seed003

Lines = dict[str, dict[str, Any]]
"""The last line printed for each job id."""


@contextlib.asynccontextmanager
async def watch_json(*argv: str, env: dict[str, str]) -> AsyncIterator[Lines]:
    """``jobdesk watch ARGV --json`` running; the dict follows its lines as they come."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "jobdesk",
        "watch",
        *argv,
        "--json",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        env=subprocess_env(**env),
    )
    last: Lines = {}

    async def pump() -> None:
        assert process.stdout is not None
        async for line in process.stdout:
            item = json.loads(line)
            last[item["id"]] = item

    reader = asyncio.create_task(pump())
    try:
        yield last
    finally:
        process.terminate()
        await process.wait()
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader


async def until(condition: Callable[[], bool], within: float = 45.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "the watch never caught up"
        await asyncio.sleep(0.05)


def shown(line: dict[str, Any] | None) -> tuple[str, float, str] | None:
    return None if line is None else (line["status"], line["progress"], line["message"])


def agrees(lines: dict[str, dict[str, Any]], jobs: dict[str, dict[str, Any]]) -> bool:
    """The newest line of every job equals a seed 001-shaped job (0-1 progress)."""
    return set(lines) == set(jobs) and all(
        shown(lines.get(i)) == (parse_status(j["status"]).value, j["progress"] * 100, j["message"])
        for i, j in jobs.items()
    )


async def test_watch_follows_an_admin_job_store() -> None:
    fake = Seed001("admin-token")
    await fake.start()
    try:
        first, second = fake.create(), fake.create()
        fake.progress(first, 0.5, step="data-loading")
        args = ("--backend", "admin-api", fake.url)
        async with watch_json(*args, env={"JOBDESK_TOKEN": "admin-token"}) as lines:

            def equal() -> bool:
                return agrees(lines, fake.jobs)

            await until(equal)
            fake.message(second, "info", "Processing question 1")
            fake.finish(first)
            await until(equal)
    finally:
        await fake.stop()


async def test_watch_follows_tracked_jobs_without_a_token() -> None:
    fake = Seed002()
    await fake.start()
    try:
        ids = [fake.create(), fake.create()]
        fake.update(ids[0], 45, "Extracting document data...")
        args = ("--backend", "jobs-api", "--option", f"jobs={','.join(ids)}", fake.url)
        async with watch_json(*args, env={}) as lines:  # no JOBDESK_TOKEN: none needed
            await until(
                lambda: shown(lines.get(ids[0])) == ("running", 45, "Extracting document data...")
            )
            fake.complete(ids[1], "doc_1")
            done = ("completed", 100, "Document processed successfully")
            await until(lambda: shown(lines.get(ids[1])) == done)
            fake.expire(ids[1])  # the five-minute cleanup
            expired = ("completed", 100, "expired: Document processed successfully")
            await until(lambda: shown(lines.get(ids[1])) == expired)
    finally:
        await fake.stop()


async def test_watch_follows_a_job_dashboard_socket() -> None:
    fake = Seed003("admin-token")
    await fake.start()
    try:
        first, second = fake.create(), fake.queue()
        fake.progress(first, 0.5, step="data-loading")
        args = ("--backend", "job-dashboard-ws", fake.url)
        async with watch_json(*args, env={"JOBDESK_TOKEN": "admin-token"}) as lines:

            def equal() -> bool:
                return agrees(lines, fake.jobs)

            await until(equal)
            await until(lambda: fake.received["subscribe_jobs"] == 1)
            fake.run(second)
            fake.retry(first, "timeout")
            fake.message(second, "info", "Sending")
            await until(equal)
            assert fake.connections == 1  # pushed, over the one socket
    finally:
        await fake.stop()
