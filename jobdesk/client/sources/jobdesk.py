"""The native backend: a jobdesk server's WebSocket stream with replay, and its REST API.

A profile may name several servers of one cluster (the ``replicas`` option, see
``jobdesk.client.replicas``): the source uses one at a time for everything (the socket,
the polls, one job, submissions, the overview) and moves on to the next when the engine
says the push session failed (``fail_over``). Replicas share one epoch and one seq
stream, so the next session resumes with ``since`` as a reconnect to the same server
does. One that answers with another epoch is another database: the stream's rule for a
new epoch applies (every job reloaded), with a warning naming it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping

from jobdesk.client.actions import OperatorActions
from jobdesk.client.capabilities import JOBDESK, Capabilities
from jobdesk.client.endpoints import endpoints
from jobdesk.client.kind import Field, Kind, SourceContext
from jobdesk.client.poller import poll_once
from jobdesk.client.replicas import Replicas, parse_replicas
from jobdesk.client.rest import RestApi
from jobdesk.client.settings import EngineSettings
from jobdesk.client.source import SessionHooks, Source, Subscribed
from jobdesk.client.stream import StreamSession
from jobdesk.client.sync import StreamSync
from jobdesk.core.history import HistoryFilter
from jobdesk.core.store import JobStore
from jobdesk.protocol import Job, JobSummary
from jobdesk.protocol.overview import QueueOverview
from jobdesk.protocol.rest import CreateJobRequest, HistoryPage

log = logging.getLogger(__name__)


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
        replicas: tuple[str, ...] = (),
    ) -> None:
        """``replicas``: more URLs of the same cluster, tried after ``url`` in order."""
        self._replicas = Replicas((url, *replicas))
        self._token = token
        self._settings = settings
        self._wall = wall
        self._batch = batch
        """Ask the server for ``job_updates`` (many changes per frame); False only to
        compare with one frame per change (the benchmarks)."""
        self.rest = RestApi(
            endpoints(self.url).base_url,
            token,
            timeout=settings.http_timeout,
            page_size=settings.page_size,
        )

    # --- the replicas (FailoverSource) -------------------------------------------------

    @property
    def urls(self) -> tuple[str, ...]:
        return self._replicas.urls

    @property
    def url(self) -> str:
        return self._replicas.current

    def fail_over(self) -> str:
        url = self._replicas.advance()
        self.rest.set_base_url(endpoints(url).base_url)
        return url

    # --- the Source --------------------------------------------------------------------

    def push_session(self, store: JobStore, server: str, hooks: SessionHooks) -> StreamSession:
        url = self.url
        self.rest.on_answer = hooks.on_heard  # a long snapshot's pages are signs of life

        def subscribed(answer: Subscribed) -> None:
            self._check_epoch(server, url, answer.known_epoch, answer.epoch)
            hooks.on_subscribed(answer)

        return StreamSession(
            ws_url=endpoints(url).ws_url,
            url=url,
            token=self._token,
            sync=StreamSync(store, server, self._wall, batch=self._batch),
            rest=self.rest,
            settings=self._settings,
            on_authenticated=hooks.on_authenticated,
            on_synced=hooks.on_synced,
            on_stats=hooks.on_stats,
            on_heard=hooks.on_heard,
            on_subscribed=subscribed,
        )

    async def poll(self, store: JobStore, server: str, now: float) -> None:
        url, before = self.url, store.server(server).epoch
        await poll_once(self.rest, store, server, now)
        self._check_epoch(server, url, before, store.server(server).epoch)

    async def fetch_job(self, job_id: str) -> Job | None:
        return await self.rest.job(job_id)

    async def submit(self, request: CreateJobRequest) -> str:
        return await OperatorActions(self.url, self._token).submit(request)

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

    def _check_epoch(self, server: str, url: str, known: str | None, answered: str | None) -> None:
        """Another epoch than the store's is another database: the sync reloads every
        job (as after a restart on a fresh database). Among replicas that means one is
        not of the same cluster, which an operator must hear of."""
        if known is None or answered is None or answered == known:
            return
        if self._replicas.many:
            log.warning(
                "%s: %s answers with epoch %s, not %s: it is not the same cluster as the "
                "other replicas (another database); every job is loaded again from it",
                server,
                url,
                answered,
                known,
            )
        else:
            log.info(
                "%s: %s has a new epoch %s (was %s): every job is loaded again",
                server,
                url,
                answered,
                known,
            )


__all__ = ["JobdeskSource"]


def _jobdesk(context: SourceContext, options: Mapping[str, str]) -> Source:
    return JobdeskSource(
        context.url,
        context.token,
        context.settings,
        wall=context.wall,
        batch=context.batch,
        replicas=parse_replicas(options.get("replicas", "")),
    )


REPLICAS = Field(
    "replicas",
    "Replica URLs",
    "",
    "more servers of the same cluster (one database), separated by commas or spaces: "
    "when the connection fails the next one is tried, resuming where it left off",
    check=parse_replicas,
)

KIND = Kind("jobdesk", "jobdesk server", JOBDESK, _jobdesk, fields=(REPLICAS,))
