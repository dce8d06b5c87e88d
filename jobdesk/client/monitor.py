"""Several servers at once: one engine per server profile, all feeding one job store."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

from jobdesk.client.capabilities import Can
from jobdesk.client.engine import Engine
from jobdesk.client.errors import EngineStopped
from jobdesk.client.kinds import DEFAULT_KIND
from jobdesk.client.settings import EngineSettings
from jobdesk.core.history import HistoryFilter
from jobdesk.core.store import JobKey, JobStore
from jobdesk.protocol import Job, JobSummary
from jobdesk.protocol.overview import QueueOverview
from jobdesk.protocol.rest import CreateJobRequest, HistoryPage


@dataclass(frozen=True)
class ServerProfile:
    name: str
    """Unique per monitor: the first half of every job's key in the store."""
    url: str
    token: str
    kind: str = DEFAULT_KIND
    """Which backend this is (``jobdesk.client.kinds``): jobdesk, or a seed's."""
    options: dict[str, str] = field(default_factory=dict, hash=False)
    """The kind's options (``--option KEY=VALUE``), checked against its fields."""


class Monitor:
    """Starts, replaces and stops engines as profiles come and go."""

    def __init__(self, store: JobStore, settings: EngineSettings | None = None) -> None:
        self.store = store
        self._settings = settings
        self.engines: dict[str, Engine] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}

    def add(self, profile: ServerProfile) -> Engine:
        """Start watching a server (call from inside the running event loop)."""
        if profile.name in self.engines:
            raise ValueError(f"a server named {profile.name!r} is already watched")
        engine = Engine(
            profile.name,
            profile.url,
            profile.token,
            self.store,
            settings=self._settings,
            kind=profile.kind,
            options=profile.options,
        )
        self.engines[profile.name] = engine
        self._tasks[profile.name] = asyncio.create_task(engine.run(), name=f"engine {profile.name}")
        return engine

    async def remove(self, name: str) -> None:
        """Stop watching a server and drop its jobs from the store."""
        self.engines.pop(name, None)
        task = self._tasks.pop(name, None)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.store.forget(name)

    async def fetch_job(self, key: JobKey) -> Job | None:
        """One job whole from its server (the detail panel's); see ``Engine.fetch_job``."""
        engine = self.engines.get(key[0])
        if engine is None:
            raise EngineStopped(f"{key[0]} is not being watched")
        return await engine.fetch_job(key[1])

    async def submit(self, server: str, request: CreateJobRequest) -> str:
        """A new job on ``server``'s backend; see ``Engine.submit``."""
        engine = self.engines.get(server)
        if engine is None:
            raise EngineStopped(f"{server} is not being watched")
        return await engine.submit(request)

    def servers_with_workers(self) -> list[str]:
        """The watched servers that can tell of their workers and queues."""
        return [name for name, e in self.engines.items() if Can.WORKERS in e.capabilities]

    async def fetch_overview(self, server: str) -> QueueOverview:
        """One server's workers and queues; see ``Engine.fetch_overview``."""
        engine = self.engines.get(server)
        if engine is None:
            raise EngineStopped(f"{server} is not being watched")
        return await engine.fetch_overview()

    def servers_with_history(self) -> list[str]:
        """The watched servers whose history of finished jobs can be read."""
        return [name for name, e in self.engines.items() if Can.HISTORY in e.capabilities]

    async def fetch_history(
        self, server: str, wanted: HistoryFilter, cursor: str | None = None
    ) -> HistoryPage[JobSummary]:
        """One page of ``server``'s history; see ``Engine.fetch_history``."""
        engine = self.engines.get(server)
        if engine is None:
            raise EngineStopped(f"{server} is not being watched")
        return await engine.fetch_history(wanted, cursor)

    def cancel(self) -> None:
        """Cancel every engine without waiting: for when the loop is about to stop."""
        for task in self._tasks.values():
            task.cancel()

    async def aclose(self) -> None:
        """Stop every engine (on quit): pending tasks must not outlive the loop."""
        for name in list(self._tasks):
            await self.remove(name)
