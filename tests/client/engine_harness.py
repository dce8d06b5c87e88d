"""Running an Engine against a real server in tests, and the consistency check."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field

import httpx

from jobdesk.client.engine import Engine
from jobdesk.client.settings import EngineSettings
from jobdesk.client.source import Subscribed
from jobdesk.core.away import AwaySummary
from jobdesk.core.connection import ConnectionState, Transport
from jobdesk.core.store import JobStore
from jobdesk.protocol import JobSummary
from jobdesk.protocol.rest import Snapshot
from tests.paged import aread_all
from tests.polling import eventually

FAST = EngineSettings(
    backoff_initial=0.2,
    backoff_cap=1.0,
    stable_after=1.0,
    soon_max=0.4,
    ping_interval=1.0,
    ping_timeout=1.0,
    silence_timeout=5.0,
    open_timeout=3.0,
    poll_after_down=1.0,
    poll_interval_min=0.2,
    poll_interval_max=0.4,
    http_timeout=2.0,
)
"""Timings shrunk so scenarios take seconds; the defaults' numbers are unit-tested."""


@dataclass
class Running:
    engine: Engine
    store: JobStore
    states: list[ConnectionState] = field(default_factory=list)
    away: list[AwaySummary] = field(default_factory=list)
    subscribed: list[Subscribed] = field(default_factory=list)
    """Each push session's answered subscription: where, and whether it resumed."""

    @property
    def transport(self) -> Transport:
        return self.engine.state.value.transport

    def seen(self, transport: Transport) -> bool:
        return any(s.transport is transport for s in self.states)

    async def until(self, transport: Transport, within: float = 15.0) -> None:
        await eventually(lambda: self.transport is transport, within)


@contextlib.asynccontextmanager
async def running_engine(
    url: str,
    token: str,
    settings: EngineSettings = FAST,
    server: str = "srv",
    options: Mapping[str, str] | None = None,
    rng: random.Random | None = None,
) -> AsyncIterator[Running]:
    store = JobStore()
    engine = Engine(server, url, token, store, settings=settings, options=options, rng=rng)
    running = Running(engine, store)
    engine.state.subscribe(running.states.append)
    engine.on_away(running.away.append)
    engine.on_subscribed(running.subscribed.append)
    task = asyncio.create_task(engine.run())
    try:
        yield running
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def server_snapshot(url: str, token: str) -> Snapshot[JobSummary]:
    """The server's jobs as the monitor keeps them (summaries), to compare with its store."""
    async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {token}"}) as c:
        return await aread_all(c, JobSummary)


async def assert_consistent(
    running: Running, url: str, token: str, server: str = "srv", within: float = 15.0
) -> None:
    """The store equals GET /api/jobs at the same seq, field by field."""
    view = running.store.server(server)

    async def same() -> bool:
        snapshot = await server_snapshot(url, token)
        return (
            view.epoch == snapshot.epoch
            and view.seq == snapshot.seq
            and view.jobs == {job.id: job for job in snapshot.jobs}
        )

    deadline = asyncio.get_running_loop().time() + within
    while not await same():
        if asyncio.get_running_loop().time() > deadline:
            snapshot = await server_snapshot(url, token)
            theirs = {job.id: job for job in snapshot.jobs}
            differ = [i for i in set(view.jobs) | set(theirs) if view.jobs.get(i) != theirs.get(i)]
            raise AssertionError(
                f"store seq {view.seq} epoch {view.epoch} vs server seq {snapshot.seq} "
                f"epoch {snapshot.epoch}; differing jobs: {differ[:5]}"
            )
        await asyncio.sleep(0.05)
