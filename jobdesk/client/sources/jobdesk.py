"""The native backend: a jobdesk server's WebSocket stream with replay, and its REST API."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

from jobdesk.client.actions import OperatorActions
from jobdesk.client.capabilities import JOBDESK, Capabilities
from jobdesk.client.endpoints import endpoints
from jobdesk.client.kind import Kind, SourceContext
from jobdesk.client.poller import poll_once
from jobdesk.client.rest import RestApi
from jobdesk.client.settings import EngineSettings
from jobdesk.client.source import SessionHooks, Source
from jobdesk.client.stream import StreamSession
from jobdesk.client.sync import StreamSync
from jobdesk.core.history import HistoryFilter
from jobdesk.core.store import JobStore
from jobdesk.protocol import Job, JobSummary
from jobdesk.protocol.overview import QueueOverview
from jobdesk.protocol.rest import CreateJobRequest, HistoryPage


class JobdeskSource:
    capabilities: Capabilities = JOBDESK

    def __init__(
        self,
        url: str,
        token: str,
        settings: EngineSettings,
        *,
        wall: Callable[[], float] = time.time,
        batch: bool = True,
    ) -> None:
        self._url = url
        self._endpoints = endpoints(url)
        self._token = token
        self._settings = settings
        self._wall = wall
        self._batch = batch
        """Ask the server for ``job_updates`` (many changes per frame); False only to
        compare with one frame per change (the benchmarks)."""
        self.rest = RestApi(
            self._endpoints.base_url,
            token,
            timeout=settings.http_timeout,
            page_size=settings.page_size,
        )

    def push_session(self, store: JobStore, server: str, hooks: SessionHooks) -> StreamSession:
        return StreamSession(
            ws_url=self._endpoints.ws_url,
            token=self._token,
            sync=StreamSync(store, server, self._wall, batch=self._batch),
            rest=self.rest,
            settings=self._settings,
            on_authenticated=hooks.on_authenticated,
            on_synced=hooks.on_synced,
            on_stats=hooks.on_stats,
            on_heard=hooks.on_heard,
        )

    async def poll(self, store: JobStore, server: str, now: float) -> None:
        await poll_once(self.rest, store, server, now)

    async def fetch_job(self, job_id: str) -> Job | None:
        return await self.rest.job(job_id)

    async def submit(self, request: CreateJobRequest) -> str:
        return await OperatorActions(self._url, self._token).submit(request)

    async def fetch_overview(self) -> QueueOverview:
        return await self.rest.overview()

    async def fetch_history(
        self, wanted: HistoryFilter, cursor: str | None = None
    ) -> HistoryPage[JobSummary]:
        return await self.rest.history(
            wanted, JobSummary, limit=self._settings.history_page, cursor=cursor
        )

    def set_token(self, token: str) -> None:
        self._token = token
        self.rest.set_token(token)

    async def aclose(self) -> None:
        await self.rest.aclose()


__all__ = ["JobdeskSource"]


def _jobdesk(context: SourceContext, options: Mapping[str, str]) -> Source:
    return JobdeskSource(
        context.url, context.token, context.settings, wall=context.wall, batch=context.batch
    )


KIND = Kind("jobdesk", "jobdesk server", JOBDESK, _jobdesk)
