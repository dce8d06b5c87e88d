"""The queue overview followed for the workers view: only while wanted, from a real server."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import httpx

from jobdesk.client.monitor import Monitor, ServerProfile
from jobdesk.client.overviews import OverviewFollower
from jobdesk.core.connection import Transport
from jobdesk.core.store import JobStore
from tests.client.engine_harness import FAST
from tests.conftest import RunningServer
from tests.polling import eventually


@contextlib.asynccontextmanager
async def following(server: RunningServer) -> AsyncIterator[OverviewFollower]:
    monitor = Monitor(JobStore(), FAST)
    engine = monitor.add(ServerProfile("local", server.url, server.tokens["viewer"]))
    follower = OverviewFollower(lambda: monitor.engines, monitor.fetch_overview, interval=0.1)
    task = asyncio.create_task(follower.run())
    try:
        await eventually(lambda: engine.state.value.transport is Transport.LIVE)
        yield follower
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await monitor.aclose()


async def test_nothing_is_fetched_until_wanted_and_after(server: RunningServer) -> None:
    async with following(server) as follower:
        await asyncio.sleep(0.3)  # give an unwanted follower the chance to fetch anyway
        assert follower.fetches == 0
        follower.want("view", True)
        await eventually(lambda: "local" in follower.overviews.value)
        follower.want("view", False)
        await asyncio.sleep(0.2)  # a fetch under way may finish
        stopped_at = follower.fetches
        await asyncio.sleep(0.3)
        assert follower.fetches == stopped_at


async def test_a_queued_type_nobody_serves_shows_in_the_overview(server: RunningServer) -> None:
    async with (
        httpx.AsyncClient(base_url=server.url, headers=server.headers("operator")) as http,
        following(server) as follower,
    ):
        await http.post("/api/jobs", json={"jobType": "video_render"})
        follower.want("view", True)

        def unserved() -> bool:
            seen = follower.overviews.value.get("local")
            if seen is None or seen.overview is None:
                return False
            return [(t.job_type, t.queued, t.served) for t in seen.overview.job_types] == [
                ("video_render", 1, False)
            ]

        await eventually(unserved)
