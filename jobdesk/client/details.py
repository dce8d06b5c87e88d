"""The one job shown whole: fetched from its server when chosen, again when it changes.

The store keeps summaries (no log, sub-operations, payload, result or history), which is
what lets a monitor hold 100,000 jobs. The detail panel shows one job whole, so this
fetches that one (``GET /api/jobs/{id}/detail``) when it is chosen, and again whenever
the store holds a newer version than the one fetched, at most once per
``min_interval`` while it keeps changing: a job reporting a thousand times a second
costs its monitor a few requests a second, and the panel lags the table by at most
that interval plus one round trip. A failed fetch is tried again after
``retry_after`` (or as soon as the job changes); the last good copy stays shown.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

from jobdesk.client.errors import AuthRejected, EngineStopped
from jobdesk.core.store import JobKey, JobStore, StoreChange
from jobdesk.core.waits import wait_set
from jobdesk.protocol import Job

log = logging.getLogger(__name__)

Fetch = Callable[[JobKey], Awaitable[Job | None]]
"""Fetch a job whole; None when its server has no such job."""

FETCH_ERRORS = (httpx.HTTPError, AuthRejected, EngineStopped)


@dataclass(frozen=True, slots=True)
class Detail:
    key: JobKey
    job: Job | None
    """The newest copy fetched (kept when a later fetch fails); None before the first."""
    missing: bool = False
    """The server answered that it has no such job (removed by its retention)."""
    error: str = ""
    """Why the last fetch failed; empty when it succeeded."""


class DetailFollower:
    """Keeps ``on_detail`` told of the chosen job's full state. Run ``run()`` as a task."""

    def __init__(
        self,
        store: JobStore,
        fetch: Fetch,
        on_detail: Callable[[Detail], None],
        *,
        min_interval: float = 0.25,
        retry_after: float = 3.0,
    ) -> None:
        self._store = store
        self._fetch = fetch
        self._on_detail = on_detail
        self._min_interval = min_interval
        self._retry_after = retry_after
        self._key: JobKey | None = None
        self._current: Detail | None = None
        self._wanted = asyncio.Event()
        self._chosen = asyncio.Event()
        """Set when ``follow`` picks another job: a wait for the same job's turn ends."""
        self._last_fetch: tuple[JobKey, float] | None = None
        self.fetches = 0
        """Requests made so far (the tests check the rate bound with it)."""
        store.subscribe(self._changed)

    def follow(self, key: JobKey | None) -> None:
        """Show ``key`` whole from now on (None: nothing)."""
        if key == self._key:
            return
        self._key = key
        self._current = None
        self._chosen.set()
        if key is not None:
            self._wanted.set()

    async def run(self) -> None:
        """Fetch whenever wanted, until cancelled."""
        while True:
            await self._wanted.wait()
            self._wanted.clear()
            key = self._key
            if key is None:
                continue
            await self._wait_for_turn(key)
            if key != self._key:
                self._wanted.set()
                continue
            self._last_fetch = (key, time.monotonic())
            self.fetches += 1
            try:
                job = await self._fetch(key)
            except FETCH_ERRORS as exc:
                self._failed(key, describe(exc))
                continue
            except Exception as exc:  # a bug must not end the panel's updates for good
                log.exception("fetching %s failed", key)
                self._failed(key, describe(exc))
                continue
            if key != self._key:
                continue  # another job was chosen meanwhile; it is wanted already
            previous = self._current.job if self._current else None
            if job is None:
                self._publish(Detail(key, previous, missing=True))
                continue
            if previous is not None and previous.version > job.version:
                job = previous  # an older answer overtaken by a newer one: keep the newer
            self._publish(Detail(key, job))

    def _failed(self, key: JobKey, why: str) -> None:
        if key != self._key:
            return
        previous = self._current.job if self._current else None
        self._publish(Detail(key, previous, error=why))
        asyncio.get_running_loop().call_later(self._retry_after, self._retry, key)

    def _retry(self, key: JobKey) -> None:
        if key == self._key and self._current is not None and self._current.error:
            self._wanted.set()

    def _publish(self, detail: Detail) -> None:
        self._current = detail
        self._on_detail(detail)

    async def _wait_for_turn(self, key: JobKey) -> None:
        """The same job again within ``min_interval``: wait the rest, unless another is chosen."""
        if self._last_fetch is None or self._last_fetch[0] != key:
            return
        remaining = self._last_fetch[1] + self._min_interval - time.monotonic()
        if remaining <= 0:
            return
        self._chosen.clear()
        await wait_set(self._chosen, remaining)

    def _changed(self, changes: list[StoreChange]) -> None:
        """A newer version than the one shown: fetch again (if a fetch is under way, once
        more after it, since its answer may predate the change)."""
        key = self._key
        if key is None:
            return
        fetched = self._current.job.version if self._current and self._current.job else 0
        for change in changes:
            if (change.server, change.job_id) == key and change.job is not None:
                if change.job.version > fetched:
                    self._wanted.set()
                return


def describe(exc: BaseException) -> str:
    if isinstance(exc, httpx.HTTPStatusError):
        return f"the server answered HTTP {exc.response.status_code}"
    if isinstance(exc, httpx.TransportError):
        return f"cannot reach the server ({type(exc).__name__})"
    return str(exc) or type(exc).__name__
