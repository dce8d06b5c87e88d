"""An engine of one kind against a fake backend, and waiting for its store to agree."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

from jobdesk.client.capabilities import Capabilities
from jobdesk.client.engine import Engine
from jobdesk.core.store import JobStore
from jobdesk.protocol import JobSummary
from tests.client.engine_harness import FAST, Running

POLL_EVERY = 0.2
"""A backend's own poll interval, shrunk so scenarios take seconds."""


@contextlib.asynccontextmanager
async def running_kind(
    url: str, token: str, kind: str, options: dict[str, str] | None = None
) -> AsyncIterator[Running]:
    store = JobStore()
    engine = Engine("srv", url, token, store, settings=FAST, kind=kind, options=options)
    if engine.capabilities.poll_every is not None:  # before the engine's task first runs
        engine.capabilities = Capabilities(engine.capabilities.can, poll_every=POLL_EVERY)
    running = Running(engine, store)
    engine.state.subscribe(running.states.append)
    task = asyncio.create_task(engine.run())
    try:
        yield running
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def agrees(
    running: Running,
    differences: Callable[[dict[str, JobSummary]], list[str]],
    within: float = 15.0,
) -> None:
    """Until the store's jobs show no difference from the backend's truth."""
    view = running.store.server("srv")
    deadline = asyncio.get_running_loop().time() + within
    while problems := differences(view.jobs):
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"the store differs from the backend: {problems[:5]}")
        await asyncio.sleep(0.02)
