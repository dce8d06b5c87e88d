"""Seed 001's admin job store: polled through ``GET /api/admin/jobs?includePast=true``,
one job whole through its progress endpoint.

The seed has no push and no change feed, so every poll reads the whole list (all its
pages) and replaces the server's jobs: a job the store retired from its past jobs is
gone from the table too. Versions come from ``ForeignJobs``: only what changed between
two polls is news. The list's own entries carry the messages; the progress endpoint is
fresher for status, progress and sub-operations, so the detail panel asks it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from urllib.parse import quote

from jobdesk.client.capabilities import Can, Capabilities
from jobdesk.client.kind import Field, Kind, SourceContext
from jobdesk.client.settings import EngineSettings
from jobdesk.client.source import PushSession, SessionHooks, Source
from jobdesk.client.sources import seed_http
from jobdesk.client.sources.admin_list import LIST_URL, AdminJobs
from jobdesk.client.sources.admin_mapping import progress_only, with_progress
from jobdesk.core.store import JobStore
from jobdesk.protocol import Job

PROGRESS_URL = "/api/admin/jobs/{id}/progress"

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
        self._progress_url = options.get("progressUrl") or PROGRESS_URL
        self._http = seed_http.seed_client(url, token, settings.http_timeout)
        self._jobs = AdminJobs(self._http, options.get("listUrl") or LIST_URL, wall=wall)

    def push_session(self, store: JobStore, server: str, hooks: SessionHooks) -> PushSession:
        raise NotImplementedError("seed 001 has no push; the engine only polls it")

    async def poll(self, store: JobStore, server: str, now: float) -> None:
        await self._jobs.replace_from_list(store, server, now)

    async def fetch_job(self, job_id: str) -> Job | None:
        path = self._progress_url.replace("{id}", quote(job_id, safe=""))
        response = await self._http.get(path)
        if response.status_code == 404:
            return None
        seed_http.checked(response)
        progress = seed_http.json_object(response)
        listed = self._jobs.job(job_id)
        if listed is None:
            return progress_only(job_id, progress, self._jobs.seen)
        return with_progress(listed, progress)

    def set_token(self, token: str) -> None:
        seed_http.set_token(self._http, token)

    async def aclose(self) -> None:
        await self._http.aclose()


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

__all__ = ["CAPABILITIES", "KIND", "LIST_URL", "PROGRESS_URL", "AdminApiSource"]
