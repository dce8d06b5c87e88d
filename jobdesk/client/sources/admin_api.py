"""Seed 001's admin job store: polled through ``GET /api/admin/jobs?includePast=true``,
one job whole through its progress endpoint.

The seed has no push and no change feed, so every poll reads the whole list (all its
pages) and replaces the server's jobs: a job the store retired from its past jobs is
gone from the table too. Versions come from ``ForeignJobs``: only what changed between
two polls is news. The list's own entries carry the messages; the progress endpoint is
fresher for status, progress and sub-operations, so the detail panel asks it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl, quote

from jobdesk.client.capabilities import Can, Capabilities
from jobdesk.client.errors import ProtocolBroken
from jobdesk.client.foreign import ForeignJobs
from jobdesk.client.kind import Field, Kind, SourceContext
from jobdesk.client.settings import EngineSettings
from jobdesk.client.source import PushSession, SessionHooks, Source
from jobdesk.client.sources import seed_http
from jobdesk.client.sources.admin_mapping import admin_job, progress_only, with_progress
from jobdesk.client.sources.seed_mapping import FirstSeen, summary_of
from jobdesk.core.store import JobStore
from jobdesk.protocol import Job

log = logging.getLogger(__name__)

LIST_URL = "/api/admin/jobs?includePast=true"
PROGRESS_URL = "/api/admin/jobs/{id}/progress"
MAX_PAGES = 1000
"""A list that keeps handing out cursors past this is broken, not long."""

CAPABILITIES = Capabilities(Can.LIST | Can.PROGRESS | Can.LOGS | Can.FORCE_FAIL | Can.HEALTH)
"""Seed 001 offers force-fail and a health endpoint; it has no push, no resume, no
cancel or retry, and no queue counts per status. ``POST /start`` registers a job its
caller does itself, which no worker would pick up, so it is not a submission."""


class AdminApiSource:
    capabilities: Capabilities = CAPABILITIES

    def __init__(
        self,
        url: str,
        token: str,
        settings: EngineSettings,
        options: Mapping[str, str],
        *,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._list_url = options.get("listUrl") or LIST_URL
        path, _, query = self._list_url.partition("?")
        self._list_path = path
        self._list_query = dict(parse_qsl(query))
        """httpx replaces a URL's query by ``params``: the cursor joins these instead."""
        self._progress_url = options.get("progressUrl") or PROGRESS_URL
        self._http = seed_http.seed_client(url, token, settings.http_timeout)
        self._seen = FirstSeen(wall)
        self._foreign: ForeignJobs | None = None
        self._raw: dict[str, dict[str, Any]] = {}
        """Each job's entry in the last list read, for the fields the progress lacks."""

    def push_session(self, store: JobStore, server: str, hooks: SessionHooks) -> PushSession:
        raise NotImplementedError("seed 001 has no push; the engine only polls it")

    async def poll(self, store: JobStore, server: str, now: float) -> None:
        jobs: dict[str, Job] = {}
        self._raw = {}
        for raw in await self._read_list():
            job = admin_job(raw, self._seen)
            if job is not None:  # a page overlap lists a job twice: the later one counts
                jobs[job.id] = job
                self._raw[job.id] = raw
        self._seen.keep(jobs)
        foreign = self._foreign_for(store, server)
        foreign.replace([summary_of(job) for job in jobs.values()], now)

    async def fetch_job(self, job_id: str) -> Job | None:
        path = self._progress_url.replace("{id}", quote(job_id, safe=""))
        response = await self._http.get(path)
        if response.status_code == 404:
            return None
        seed_http.checked(response)
        progress = seed_http.json_object(response)
        raw = self._raw.get(job_id)
        listed = admin_job(raw, self._seen) if raw is not None else None
        if listed is None:
            return progress_only(job_id, progress, self._seen)
        return with_progress(listed, progress)

    def set_token(self, token: str) -> None:
        seed_http.set_token(self._http, token)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _read_list(self) -> list[dict[str, Any]]:
        """Every page of the list, following ``nextCursor`` (jobdesk's paging; a seed
        server that sends all at once sends none)."""
        entries: list[dict[str, Any]] = []
        params = dict(self._list_query)
        for _ in range(MAX_PAGES):
            response = await self._http.get(self._list_path, params=params)
            seed_http.checked(response)
            body = seed_http.json_object(response)
            jobs = body.get("jobs")
            if not isinstance(jobs, list):
                raise ProtocolBroken(f"{self._list_url}: no list of jobs in the answer")
            entries += [item for item in jobs if isinstance(item, dict)]
            cursor = body.get("nextCursor")
            if not cursor:
                return entries
            params["cursor"] = str(cursor)
        raise ProtocolBroken(f"{self._list_url}: still paging after {MAX_PAGES} pages")

    def _foreign_for(self, store: JobStore, server: str) -> ForeignJobs:
        if self._foreign is None or self._foreign.store is not store:
            self._foreign = ForeignJobs(store, server)
        return self._foreign


__all__ = ["CAPABILITIES", "AdminApiSource"]


def _admin_api(context: SourceContext, options: Mapping[str, str]) -> Source:
    return AdminApiSource(context.url, context.token, context.settings, options, wall=context.wall)


KIND = Kind(
    "admin-api",
    "Admin job store (seed 001)",
    CAPABILITIES,
    _admin_api,
    fields=(
        Field(
            "listUrl",
            "List URL",
            LIST_URL,
            "the jobs list, active and past, relative to the server URL",
        ),
        Field(
            "progressUrl",
            "Progress URL",
            PROGRESS_URL,
            "one job's progress and sub-operations; {id} is the job's id",
        ),
    ),
    notes="Polled (no push): a change shows within a poll; no cancel, retry or submit, "
    "no queue counts.",
)
