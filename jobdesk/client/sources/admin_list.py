"""Seed 001's job list as a source keeps it: read whole, mapped, versioned.

Two kinds read this list: ``admin-api`` polls nothing else, and ``job-dashboard-ws``
(seed 003) fetches it on every (re)connect and polls it while its socket is down. Both
keep the same things between reads: each job's last raw entry (for the fields a later
answer leaves out), the times made up for jobs that carry none (``FirstSeen``), and the
versions (``ForeignJobs``), so one list read after a push is not news.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

import httpx

from jobdesk.client.errors import ProtocolBroken
from jobdesk.client.foreign import ForeignJobs
from jobdesk.client.sources import seed_http
from jobdesk.client.sources.admin_mapping import admin_job
from jobdesk.client.sources.seed_mapping import FirstSeen, summary_of
from jobdesk.core.store import JobStore
from jobdesk.protocol import Job

LIST_URL = "/api/admin/jobs?includePast=true"
MAX_PAGES = 1000
"""A list that keeps handing out cursors past this is broken, not long."""


class AdminJobs:
    """One backend's seed-001 jobs, as last read from its list or pushed since."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        list_url: str = LIST_URL,
        *,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._http = http
        self.list_url = list_url or LIST_URL
        path, _, query = self.list_url.partition("?")
        self._list_path = path
        self._list_query = dict(parse_qsl(query))
        """httpx replaces a URL's query by ``params``: the cursor joins these instead."""
        self.seen = FirstSeen(wall)
        self.raw: dict[str, dict[str, Any]] = {}
        """Each job's entry as last read (the list's, with any pushed fields over it)."""
        self._foreign: ForeignJobs | None = None

    async def replace_from_list(self, store: JobStore, server: str, now: float) -> None:
        """Read the whole list and make it the server's jobs (one that is not listed is
        gone: the store retired it)."""
        jobs: dict[str, Job] = {}
        raw: dict[str, dict[str, Any]] = {}
        for entry in await self.read():
            job = admin_job(entry, self.seen)
            if job is not None:  # a page overlap lists a job twice: the later one counts
                jobs[job.id] = job
                raw[job.id] = entry
        self.raw = raw
        self.seen.keep(jobs)
        self.foreign(store, server).replace([summary_of(job) for job in jobs.values()], now)

    def push(
        self, store: JobStore, server: str, entry: dict[str, Any], now: float, *, dated: bool
    ) -> None:
        """One job as a push says it is now, laid over its last entry (a push may carry
        only some fields). With ``dated`` (the push says when the job changed), one
        older than the stored state is dropped: it was queued behind the list that
        already has a newer one."""
        job_id = str(entry.get("id", entry.get("jobId", "")))
        merged = {**self.raw.get(job_id, {}), **entry}
        job = admin_job(merged, self.seen)
        if job is None:
            return
        foreign = self.foreign(store, server)
        known = foreign.get(job.id)
        if dated and known is not None and job.updated_at < known.updated_at:
            return
        self.raw[job.id] = merged
        foreign.upsert([summary_of(job)], now)

    def remove(self, store: JobStore, server: str, job_id: str) -> None:
        self.raw.pop(job_id, None)
        self.seen.keep(self.raw)
        self.foreign(store, server).remove([job_id])

    def job(self, job_id: str) -> Job | None:
        """The job as last read, whole (its messages and sub-operations included)."""
        entry = self.raw.get(job_id)
        return None if entry is None else admin_job(entry, self.seen)

    async def read(self) -> list[dict[str, Any]]:
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
                raise ProtocolBroken(f"{self.list_url}: no list of jobs in the answer")
            entries += [item for item in jobs if isinstance(item, dict)]
            cursor = body.get("nextCursor")
            if not cursor:
                return entries
            params["cursor"] = str(cursor)
        raise ProtocolBroken(f"{self.list_url}: still paging after {MAX_PAGES} pages")

    def foreign(self, store: JobStore, server: str) -> ForeignJobs:
        """The versions for ``store`` (a new store starts a new numbering)."""
        if self._foreign is None or self._foreign.store is not store:
            self._foreign = ForeignJobs(store, server)
        return self._foreign
