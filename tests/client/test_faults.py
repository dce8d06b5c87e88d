"""The engine through a fault proxy: resets, black holes, cut streams, a blocked socket,
and a job removed while the client was away. After each: the store equals the server."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest

from jobdesk.core.connection import Transport
from jobdesk.core.store import StoreChange
from tests.client.engine_harness import Running, assert_consistent, running_engine
from tests.client.faultproxy import FaultProxy
from tests.conftest import RunningServer
from tests.polling import eventually, eventually_async


@pytest.fixture
def proxy(server: RunningServer) -> Iterator[FaultProxy]:
    with FaultProxy(("127.0.0.1", server.embedded.port)) as fault_proxy:
        yield fault_proxy


@contextlib.asynccontextmanager
async def watched(proxy: FaultProxy, server: RunningServer) -> AsyncIterator[Running]:
    async with running_engine(proxy.url, server.tokens["viewer"]) as run:
        await run.until(Transport.LIVE)
        yield run


class Writer:
    """Keeps changing jobs on the server directly (not through the proxy)."""

    def __init__(self, server: RunningServer) -> None:
        self._client = httpx.AsyncClient(base_url=server.url, headers=server.headers("worker"))
        self.jobs: list[str] = []

    async def start_jobs(self, count: int) -> None:
        for _ in range(count):
            response = await self._client.post("/api/admin/jobs/start", json={})
            self.jobs.append(response.json()["jobId"])

    async def progress_all(self, rounds: int) -> None:
        for step in range(rounds):
            for job_id in self.jobs:
                await self._client.post(
                    f"/api/admin/jobs/{job_id}/progress", json={"progress": step / rounds}
                )

    async def complete(self, job_id: str) -> None:
        await self._client.post(f"/api/admin/jobs/{job_id}/complete", json={})

    async def aclose(self) -> None:
        await self._client.aclose()


@pytest.fixture
async def writer(server: RunningServer) -> AsyncIterator[Writer]:
    w = Writer(server)
    yield w
    await w.aclose()


def count_applied(run: Running) -> Counter[tuple[str, int]]:
    """How many times each (job, version) reached the store: never more than once."""
    applied: Counter[tuple[str, int]] = Counter()

    def heard(changes: list[StoreChange]) -> None:
        for change in changes:
            if change.job is not None and (
                change.previous is None or change.previous.version != change.job.version
            ):
                applied[(change.job_id, change.job.version)] += 1

    run.store.subscribe(heard)
    return applied


async def test_resets_mid_stream_lose_nothing(
    proxy: FaultProxy, server: RunningServer, writer: Writer
) -> None:
    async with watched(proxy, server) as run:
        await writer.start_jobs(5)
        updates = asyncio.create_task(writer.progress_all(40))
        for _ in range(3):
            await eventually(some_flowed(run, updates))  # between the resets
            proxy.reset_all()
        await updates
        await run.until(Transport.LIVE, within=20)
        await assert_consistent(run, server.url, server.tokens["viewer"])
        assert run.seen(Transport.OFFLINE)


async def test_a_blocked_websocket_falls_back_to_polling_and_hands_back(
    proxy: FaultProxy, server: RunningServer, writer: Writer
) -> None:
    async with watched(proxy, server) as run:
        applied = count_applied(run)
        await writer.start_jobs(3)
        proxy.block_websocket(True)
        await run.until(Transport.POLLING)
        handshakes_while_blocked = proxy.websocket_handshakes
        await writer.progress_all(5)
        await assert_consistent(run, server.url, server.tokens["viewer"])
        assert run.transport is Transport.POLLING  # kept current by polling alone
        await eventually(lambda: retry_planned_while_polling(run))
        proxy.block_websocket(False)
        await run.until(Transport.LIVE, within=20)
        assert proxy.websocket_handshakes > handshakes_while_blocked
        await writer.progress_all(3)
        await assert_consistent(run, server.url, server.tokens["viewer"])
        assert max(applied.values()) == 1


def some_flowed(run: Running, updates: asyncio.Task[None]) -> Callable[[], bool]:
    """A check that the store moved past where it is now, or the writer is done."""
    view = run.store.server("srv")
    since = view.seq
    return lambda: view.seq > since or updates.done()


def retry_planned_while_polling(run: Running) -> bool:
    """Polling, with the next socket attempt's time shown; while an attempt is under way
    there is none to show, so a test waits for a moment between attempts."""
    state = run.engine.state.value
    return state.transport is Transport.POLLING and state.next_retry_at is not None


async def test_a_black_hole_is_noticed_and_healed(
    proxy: FaultProxy, server: RunningServer, writer: Writer
) -> None:
    async with watched(proxy, server) as run:
        await writer.start_jobs(2)
        proxy.black_hole(True)
        await writer.progress_all(3)
        await run.until(Transport.OFFLINE, within=10)  # ping 1 s + 1 s timeout in FAST
        proxy.heal()
        await run.until(Transport.LIVE, within=20)
        await assert_consistent(run, server.url, server.tokens["viewer"])


async def test_streams_cut_after_some_bytes_recover(
    proxy: FaultProxy, server: RunningServer, writer: Writer
) -> None:
    async with watched(proxy, server) as run:
        proxy.cut_after(3000)
        await writer.start_jobs(5)
        await writer.progress_all(10)
        await eventually(lambda: run.seen(Transport.OFFLINE))
        proxy.heal()
        await run.until(Transport.LIVE, within=20)
        await assert_consistent(run, server.url, server.tokens["viewer"])


@pytest.mark.parametrize(
    "config_overrides", [{"retention_count": 0, "sweep_interval_s": 0.05}], ids=["retention"]
)
async def test_a_job_removed_while_away_disappears(
    proxy: FaultProxy, server: RunningServer, writer: Writer, config_overrides: dict[str, Any]
) -> None:
    async with watched(proxy, server) as run:
        await writer.start_jobs(2)
        finished, kept = writer.jobs
        await eventually(lambda: len(run.store.server("srv").jobs) == 2)
        proxy.refuse(True)
        proxy.reset_all()
        await run.until(Transport.OFFLINE)
        await writer.complete(finished)  # retention removes it at once
        async with httpx.AsyncClient(base_url=server.url, headers=server.headers()) as c:

            async def removed() -> bool:
                jobs = (await c.get("/api/jobs")).json()["jobs"]
                return finished not in {j["id"] for j in jobs}

            await eventually_async(removed)
        assert finished in run.store.server("srv").jobs  # the client could not know yet
        proxy.heal()
        await run.until(Transport.LIVE, within=20)
        await assert_consistent(run, server.url, server.tokens["viewer"])
        assert set(run.store.server("srv").jobs) == {kept}
        (summary,) = run.away
        assert summary.describe() == "1 removed"


async def test_refused_auth_makes_at_most_two_handshakes_in_5_s(
    proxy: FaultProxy, server: RunningServer
) -> None:
    async with running_engine(proxy.url, "jd_wrong-token") as run:
        await run.until(Transport.AUTH_FAILED)
        await asyncio.sleep(5)  # the point: no handshake during these 5 s
        assert proxy.websocket_handshakes <= 2
        assert run.transport is Transport.AUTH_FAILED
