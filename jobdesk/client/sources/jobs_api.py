"""Seed 002's Jobs API: REST only and no list, so the monitor polls the jobs it tracks.

The tracked jobs are the profile's ``jobs`` option (ids separated by commas). Each poll
asks ``GET /api/jobs/{id}`` for every one of them, a few at a time, and confirms each
job on its own, so a row says how old it is. A job that answers 404 keeps its last
state, marked expired (seed 002 drops a job five minutes after it ends); an id the
server never knew shows nothing. A job that comes back is simply shown again.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from urllib.parse import quote

from jobdesk.client.capabilities import Can, Capabilities
from jobdesk.client.errors import AuthRejected, ProtocolBroken
from jobdesk.client.foreign import ForeignJobs
from jobdesk.client.kind import Field, Kind, SourceContext
from jobdesk.client.settings import EngineSettings
from jobdesk.client.source import PushSession, SessionHooks, Source
from jobdesk.client.sources import seed_http
from jobdesk.client.sources.jobs_mapping import forgotten, polled_job
from jobdesk.client.sources.seed_mapping import FirstSeen, summary_of
from jobdesk.core.store import JobStore
from jobdesk.protocol import Job

JOB_URL = "/api/jobs/{id}"
POLL_EVERY = 2.0
"""Seed 002 says "the client polls job status" and no interval; 2 s, as the issue says."""
AT_ONCE = 8
"""Requests in flight at a time during one poll."""

CAPABILITIES = Capabilities(Can.PROGRESS, poll_every=POLL_EVERY)
"""Progress (0-100) and nothing else: no list, no push, no log, no actions."""

_GONE = object()
"""The server answered 404."""


def tracked_ids(option: str) -> list[str]:
    """The ``jobs`` option's ids, in order, each once."""
    ids = (part.strip() for part in option.replace("\n", ",").split(","))
    return list(dict.fromkeys(job_id for job_id in ids if job_id))


class JobsApiSource:
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
        self.tracked = tracked_ids(options.get("jobs", ""))
        self._job_url = options.get("jobUrl") or JOB_URL
        self._http = seed_http.seed_client(url, token, settings.http_timeout)
        self._seen = FirstSeen(wall)
        self._last: dict[str, Job] = {}
        """Each job's last state the server gave (before any 404)."""
        self._foreign: ForeignJobs | None = None
        self._slots = asyncio.Semaphore(AT_ONCE)

    def push_session(self, store: JobStore, server: str, hooks: SessionHooks) -> PushSession:
        raise NotImplementedError("seed 002 has no push; the engine only polls it")

    async def poll(self, store: JobStore, server: str, now: float) -> None:
        """Every tracked job once; what answered is applied even when others failed,
        then the first failure is raised (a refused token first)."""
        answers = await asyncio.gather(
            *(self._read(job_id) for job_id in self.tracked), return_exceptions=True
        )
        fresh: list[Job] = []
        gone: list[Job] = []
        failures: list[Exception] = []
        for job_id, answer in zip(self.tracked, answers, strict=True):
            if isinstance(answer, Job):
                self._last[job_id] = answer
                fresh.append(answer)
            elif answer is _GONE:
                if job_id in self._last:
                    gone.append(forgotten(self._last[job_id]))
            elif isinstance(answer, Exception):
                failures.append(answer)
        foreign = self._foreign_for(store, server)
        if fresh:
            foreign.upsert([summary_of(job) for job in fresh], now)
        if gone:
            foreign.upsert([summary_of(job) for job in gone])  # not confirmed: as old as it was
        if failures:
            raise next((f for f in failures if isinstance(f, AuthRejected)), failures[0])

    async def fetch_job(self, job_id: str) -> Job | None:
        """The job now; its last state, marked expired, once the server forgot it."""
        answer = await self._read(job_id)
        if answer is _GONE:
            last = self._last.get(job_id)
            return None if last is None else forgotten(last)
        assert isinstance(answer, Job)
        return answer

    def set_token(self, token: str) -> None:
        seed_http.set_token(self._http, token)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _read(self, job_id: str) -> Job | object:
        async with self._slots:
            path = self._job_url.replace("{id}", quote(job_id, safe=""))
            response = await self._http.get(path)
        if response.status_code == 404:
            return _GONE
        seed_http.checked(response)
        body = seed_http.json_object(response)
        job = polled_job(job_id, body, self._last.get(job_id), self._seen)
        if job is None:
            raise ProtocolBroken(f"{path}: a status no seed uses")
        return job

    def _foreign_for(self, store: JobStore, server: str) -> ForeignJobs:
        if self._foreign is None or self._foreign.store is not store:
            self._foreign = ForeignJobs(store, server)
        return self._foreign


__all__ = ["CAPABILITIES", "JobsApiSource", "tracked_ids"]


def _jobs_api(context: SourceContext, options: Mapping[str, str]) -> Source:
    return JobsApiSource(context.url, context.token, context.settings, options, wall=context.wall)


KIND = Kind(
    "jobs-api",
    "Jobs API (seed 002)",
    CAPABILITIES,
    _jobs_api,
    fields=(
        Field("jobs", "Jobs to track", "", "job ids, separated by commas (the API cannot list)"),
        Field("jobUrl", "Job URL", JOB_URL, "one job's status; {id} is the job's id"),
    ),
    needs_token=False,
    notes="No list: only the jobs you track, polled every 2 s; no log, no actions; a job "
    "the server forgot stays, marked expired.",
)
