"""The parts that make a server one replica of many on a shared PostgreSQL database."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Callable

from jobdesk.server.changes import Change
from jobdesk.server.config import ServerConfig
from jobdesk.server.db.engine import libpq_url
from jobdesk.server.pg.batch import PgBatches
from jobdesk.server.pg.follower import PgFollower
from jobdesk.server.pg.leader import Leader
from jobdesk.server.state import ServerState


class Replica:
    def __init__(
        self,
        config: ServerConfig,
        state: ServerState,
        on_applied: Callable[[list[Change]], None],
    ) -> None:
        assert config.db_url is not None
        url = libpq_url(config.db_url)
        self.batches = PgBatches(url, state.epoch)
        self.follower = PgFollower(url, state, on_applied, poll_s=config.feed_poll_s)
        self.leader = Leader(url)
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        await self.follower.start()
        self._tasks = [
            asyncio.create_task(self.leader.run_forever(), name="jobdesk-leader"),
            asyncio.create_task(self._stop_when_behind(), name="jobdesk-feed-guard"),
        ]

    async def _stop_when_behind(self) -> None:
        """A replica that can no longer follow the feed shuts down (its supervisor
        starts it again from the database) rather than serve a state with a hole."""
        await self.follower.stopped.wait()
        os.kill(os.getpid(), signal.SIGTERM)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.follower.stop()
        await self.batches.close()
