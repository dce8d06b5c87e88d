"""Every watched server's queue overview, fetched only while someone looks at it.

The workers view wants it while shown; the detail panel while it shows a waiting job
(to say "no worker serves TYPE"). Each says so with ``want``; with nobody wanting it
nothing is fetched. While wanted, each server's ``GET /api/queue/overview`` is read
every ``interval`` seconds; a failed read keeps the last good overview and says why.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from jobdesk.client.details import FETCH_ERRORS, describe
from jobdesk.core.observable import Observable
from jobdesk.core.waits import wait_set
from jobdesk.protocol.overview import QueueOverview

log = logging.getLogger(__name__)

FetchOverview = Callable[[str], Awaitable[QueueOverview]]


@dataclass(frozen=True, slots=True)
class ServerOverview:
    server: str
    overview: QueueOverview | None
    """The newest overview read (kept when a later read fails); None before the first."""
    error: str = ""


class OverviewFollower:
    """Publishes ``overviews`` (server -> its overview) while wanted. Run ``run()`` as a task."""

    def __init__(
        self, servers: Callable[[], Iterable[str]], fetch: FetchOverview, *, interval: float = 3.0
    ) -> None:
        self._servers = servers
        self._fetch = fetch
        self._interval = interval
        self._wanted_by: set[str] = set()
        self._wanted = asyncio.Event()
        self.overviews: Observable[dict[str, ServerOverview]] = Observable({})
        self.fetches = 0

    def want(self, who: str, wanted: bool) -> None:
        """``who`` (a view, a panel) wants the overviews followed, or no longer does."""
        if wanted:
            first = not self._wanted_by
            self._wanted_by.add(who)
            if first:
                self._wanted.set()
        else:
            self._wanted_by.discard(who)

    @property
    def wanted(self) -> bool:
        return bool(self._wanted_by)

    async def run(self) -> None:
        """Read every server's overview each interval while wanted, until cancelled."""
        while True:
            if not self._wanted_by:
                self._wanted.clear()
                await self._wanted.wait()
            await self.refresh()
            self._wanted.clear()
            await wait_set(self._wanted, self._interval)

    async def refresh(self) -> None:
        servers = list(self._servers())
        old = self.overviews.value
        fresh: dict[str, ServerOverview] = {}
        for server in servers:
            self.fetches += 1
            previous = old.get(server)
            kept = previous.overview if previous is not None else None
            try:
                fresh[server] = ServerOverview(server, await self._fetch(server))
            except FETCH_ERRORS as exc:
                fresh[server] = ServerOverview(server, kept, describe(exc))
            except Exception as exc:  # a bug must not end the view's updates for good
                log.exception("reading %s's overview failed", server)
                fresh[server] = ServerOverview(server, kept, describe(exc))
        self.overviews.set(fresh)
