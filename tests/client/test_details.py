"""The selected job fetched whole: on choosing it, again when it changes, bounded in rate."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import httpx
import pytest

from jobdesk.client.details import Detail, DetailFollower
from jobdesk.client.monitor import Monitor, ServerProfile
from jobdesk.core.connection import Transport
from jobdesk.core.store import JobKey, JobStore
from jobdesk.protocol import Job
from tests.client.engine_harness import FAST
from tests.conftest import RunningServer
from tests.polling import eventually


class Watched:
    def __init__(self, server: RunningServer, *, min_interval: float = 0.2) -> None:
        self.store = JobStore()
        self.monitor = Monitor(self.store, FAST)
        self.details: list[Detail] = []
        self.follower = DetailFollower(
            self.store,
            self.monitor.fetch_job,
            self.details.append,
            min_interval=min_interval,
            retry_after=0.2,
        )
        self.server = server

    def latest(self) -> Detail | None:
        return self.details[-1] if self.details else None

    def latest_job(self) -> Job | None:
        latest = self.latest()
        return latest.job if latest else None


@contextlib.asynccontextmanager
async def watching(server: RunningServer, **options: float) -> AsyncIterator[Watched]:
    watched = Watched(server, **options)
    engine = watched.monitor.add(ServerProfile("local", server.url, server.tokens["viewer"]))
    task = asyncio.create_task(watched.follower.run())
    try:
        await eventually(lambda: engine.state.value.transport is Transport.LIVE)
        yield watched
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await watched.monitor.aclose()


async def start_job(http: httpx.AsyncClient, name: str) -> str:
    response = await http.post("/api/admin/jobs/start", json={"name": name})
    job_id: str = response.json()["jobId"]
    await http.post(f"/api/admin/jobs/{job_id}/message", json={"text": f"{name} began"})
    return job_id


@pytest.fixture
async def http(server: RunningServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.url, headers=server.headers("worker")) as c:
        yield c


async def test_the_chosen_job_arrives_whole_and_follows_its_changes(
    server: RunningServer, http: httpx.AsyncClient
) -> None:
    async with watching(server) as watched:
        job_id = await start_job(http, "render")
        key: JobKey = ("local", job_id)
        await eventually(lambda: watched.store.get(key) is not None)
        summary = watched.store.get(key)
        assert summary is not None
        assert not hasattr(summary, "messages")
        watched.follower.follow(key)
        await eventually(lambda: (job := watched.latest_job()) is not None and job.id == job_id)
        job = watched.latest_job()
        assert job is not None
        assert [m.text for m in job.messages] == ["render began"]
        for step in range(1, 21):  # faster than min_interval: fetches coalesce
            await http.post(f"/api/admin/jobs/{job_id}/progress", json={"progress": step / 20})
        await http.post(f"/api/admin/jobs/{job_id}/message", json={"text": "all done"})
        final = await http.get(f"/api/jobs/{job_id}/detail")
        version = final.json()["version"]
        await eventually(lambda: (j := watched.latest_job()) is not None and j.version == version)
        job = watched.latest_job()
        assert job is not None
        assert (job.progress, job.messages[-1].text) == (100.0, "all done")
        assert watched.follower.fetches < 21
        assert all(d.key == key and not d.error for d in watched.details)


async def test_choosing_another_job_shows_that_one_and_none_stops(
    server: RunningServer, http: httpx.AsyncClient
) -> None:
    async with watching(server, min_interval=5.0) as watched:
        first, second = await start_job(http, "first"), await start_job(http, "second")
        await eventually(lambda: len(watched.store) == 2)
        watched.follower.follow(("local", first))
        await eventually(lambda: (j := watched.latest_job()) is not None and j.id == first)
        watched.follower.follow(("local", second))  # not held up by the 5 s interval
        await eventually(lambda: (j := watched.latest_job()) is not None and j.id == second, 2)
        watched.follower.follow(None)
        fetched = watched.follower.fetches
        await http.post(f"/api/admin/jobs/{second}/progress", json={"progress": 0.5})
        await eventually(
            lambda: (s := watched.store.get(("local", second))) is not None and s.progress == 50
        )
        assert watched.follower.fetches == fetched


async def test_a_job_the_server_does_not_have_is_reported_missing(
    server: RunningServer,
) -> None:
    async with watching(server) as watched:
        watched.follower.follow(("local", "job_gone"))
        await eventually(lambda: watched.latest() is not None)
        assert watched.latest() == Detail(("local", "job_gone"), None, missing=True)


async def test_an_unwatched_server_is_an_error_named_and_tried_again(
    server: RunningServer,
) -> None:
    async with watching(server) as watched:
        watched.follower.follow(("elsewhere", "job_1"))
        await eventually(lambda: len(watched.details) >= 2)  # retried after retry_after
        latest = watched.latest()
        assert latest is not None
        assert latest.job is None
        assert latest.error == "elsewhere is not being watched"


async def test_a_failed_fetch_keeps_the_last_good_copy_and_says_why() -> None:
    store = JobStore()
    good = Job(id="j", name="n", version=3, created_at="t", updated_at="t")
    answers: list[Job | Exception] = [good, httpx.ConnectError("refused")]

    async def fetch(key: JobKey) -> Job | None:
        answer = answers.pop(0) if answers else good
        if isinstance(answer, Exception):
            raise answer
        return answer

    details: list[Detail] = []
    follower = DetailFollower(store, fetch, details.append, min_interval=0, retry_after=0.05)
    task = asyncio.create_task(follower.run())
    try:
        follower.follow(("s", "j"))
        await eventually(lambda: len(details) == 1)
        store.apply("s", epoch="e", jobs=[msgspec_replace(good, version=4)], replace=True)
        await eventually(lambda: len(details) >= 3)  # the failure, then the retry's answer
        assert details[1] == Detail(
            ("s", "j"), good, error="cannot reach the server (ConnectError)"
        )
        assert details[2] == Detail(("s", "j"), good)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def msgspec_replace(job: Job, **changes: object) -> Job:
    import msgspec

    return msgspec.structs.replace(job, **changes)
