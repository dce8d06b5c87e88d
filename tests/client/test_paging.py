"""The monitor's engine reads the server's lists page by page and still ends equal to it:
with more jobs than one page, and with jobs changing while the pages are read."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import random
from collections.abc import AsyncIterator

import httpx

from jobdesk.client.poller import poll_once
from jobdesk.client.rest import RestApi
from jobdesk.core.connection import Transport
from jobdesk.core.store import JobStore
from jobdesk.protocol import JobSummary
from jobdesk.protocol.rest import MAX_PAGE
from tests.client.engine_harness import FAST, assert_consistent, running_engine
from tests.conftest import RunningServer
from tests.paged import aread_all
from tests.polling import eventually


async def create(client: httpx.AsyncClient, count: int, parallel: int = 8) -> list[str]:
    gate = asyncio.Semaphore(parallel)

    async def one(n: int) -> str:
        async with gate:
            path = "/api/admin/jobs/start" if n % 2 else "/api/jobs"
            response = await client.post(path, json={"name": f"job {n}"})
            response.raise_for_status()
            job_id: str = response.json()["jobId"]
            return job_id

    return list(await asyncio.gather(*(one(n) for n in range(count))))


@contextlib.asynccontextmanager
async def writing(client: httpx.AsyncClient, ids: list[str]) -> AsyncIterator[list[int]]:
    """Jobs created, updated and finished all the while; yields the count of writes."""
    rng = random.Random(3)
    count = [0]

    async def write() -> None:
        while True:
            roll = rng.random()
            if roll < 0.2:
                ids.extend(await create(client, 1))
            else:
                action = "progress" if roll < 0.9 else "complete"
                body = {"progress": rng.random()} if action == "progress" else {}
                await client.post(f"/api/admin/jobs/{rng.choice(ids)}/{action}", json=body)
            count[0] += 1

    task = asyncio.create_task(write())
    try:
        yield count
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def more(writes: list[int], wanted: int) -> bool:
    return writes[0] >= wanted


async def test_the_engine_ends_equal_with_more_jobs_than_one_page(server: RunningServer) -> None:
    async with httpx.AsyncClient(base_url=server.url, headers=server.headers("worker")) as c:
        ids = await create(c, MAX_PAGE + 150)
        settings = dataclasses.replace(FAST, http_timeout=10.0)  # pages of 1,000 jobs
        async with running_engine(server.url, server.tokens["viewer"], settings) as run:
            await run.until(Transport.LIVE, within=30)
            await assert_consistent(run, server.url, server.tokens["viewer"], within=30)
            assert len(run.store.server("srv").jobs) == MAX_PAGE + 150
            for job_id in ids[:20]:
                await c.post(f"/api/admin/jobs/{job_id}/progress", json={"progress": 0.5})
            await assert_consistent(run, server.url, server.tokens["viewer"])


async def test_a_snapshot_read_while_jobs_change_ends_equal(server: RunningServer) -> None:
    """Small pages, and writes all the while: the engine's snapshot (pages, then the
    resync since the first page's seq) and the stream after it end at the server's state."""
    async with httpx.AsyncClient(base_url=server.url, headers=server.headers("operator")) as c:
        ids = await create(c, 120)
        settings = dataclasses.replace(FAST, page_size=7)
        async with running_engine(server.url, server.tokens["viewer"], settings) as run:
            async with writing(c, list(ids)) as writes:
                await run.until(Transport.LIVE, within=30)
                await eventually(lambda: writes[0] > 30, within=30)  # and on, live
            assert run.engine.handshakes == 1
            await assert_consistent(run, server.url, server.tokens["viewer"])


async def test_the_poller_pages_its_snapshot_and_its_resyncs(server: RunningServer) -> None:
    store = JobStore()
    async with httpx.AsyncClient(base_url=server.url, headers=server.headers("operator")) as c:
        ids = await create(c, 40)
        rest = RestApi(server.url, server.tokens["viewer"], timeout=10, page_size=3)
        try:
            async with writing(c, list(ids)) as writes:
                for _ in range(4):  # a snapshot, then resyncs, with jobs changed between
                    await poll_once(rest, store, "srv", 0.0)
                    await eventually(functools.partial(more, writes, writes[0] + 5), within=30)
            await poll_once(rest, store, "srv", 0.0)
            whole = await aread_all(c, JobSummary)
        finally:
            await rest.aclose()
    view = store.server("srv")
    assert (view.epoch, view.seq) == (whole.epoch, whole.seq)
    assert view.jobs == {job.id: job for job in whole.jobs}
