"""Seed 000: an AWS AppSync backend, watched over its realtime WebSocket, with GraphQL
over HTTP for the list, one job, polling while the socket is down, and submission.

Which jobs it follows: every job the list query answers (when the profile has one),
the ids named in the ``jobs`` option, jobs submitted from here, and jobs the new-jobs
subscription announces. Each GraphQL document is an option with a default that fits
seed 000's schema (docs/client.md).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping

from jobdesk.client.actions import SubmitError
from jobdesk.client.capabilities import Can, Capabilities
from jobdesk.client.foreign import ForeignJobs
from jobdesk.client.kind import Field, Kind, SourceContext
from jobdesk.client.settings import EngineSettings
from jobdesk.client.source import SessionHooks, Source
from jobdesk.client.sources import appsync_mapping as mapping
from jobdesk.client.sources.appsync_graphql import (
    API_KEY,
    GraphQLClient,
    auth_headers,
    endpoints,
    only_field,
)
from jobdesk.client.sources.appsync_session import AppSyncSession, Documents, read_jobs
from jobdesk.client.sources.appsync_submit import JobSubmissionError, submit_job
from jobdesk.core.store import JobStore
from jobdesk.protocol import ErrorCode, Job, JobSummary, Priority
from jobdesk.protocol.rest import CreateJobRequest

OFF = "none"
CAPABILITIES = Capabilities(Can.PUSH | Can.LIST | Can.SUBMIT)
"""No replay, no progress, no log, no cancel/retry: seed 000 offers none of them."""


def request_text(request: CreateJobRequest) -> str:
    """What seed 000's ``request`` field gets from a canonical submission."""
    if isinstance(request.payload, str) and request.payload.strip():
        return request.payload
    if request.name:
        return request.name
    return "" if request.payload is None else json.dumps(request.payload)


class AppSyncSource:
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
        self._auth = options.get("auth") or API_KEY
        auth_headers(self._auth, token)  # a bad auth mode is refused now, not at connect
        self._endpoints = endpoints(url, options.get("realtimeUrl", ""))
        self._token = token
        self._settings = settings
        self._wall = wall
        self.documents = Documents(
            job_subscription=options.get("jobSubscription") or mapping.JOB_SUBSCRIPTION,
            new_jobs_subscription=_optional(options.get("newJobsSubscription", "")),
            list_query=_optional(options.get("listQuery", "")),
            job_query=options.get("jobQuery") or mapping.JOB_QUERY,
            relist_every=_seconds(options.get("relistEvery") or "0"),
        )
        self._submit_document = options.get("submitMutation") or mapping.SUBMIT_MUTATION
        self.followed: set[str] = {i.strip() for i in options.get("jobs", "").split(",")} - {""}
        self.graphql = GraphQLClient(
            self._endpoints.graphql_url, self._auth, token, timeout=settings.http_timeout
        )
        self._jobs: ForeignJobs | None = None
        self._session: AppSyncSession | None = None

    def _foreign(self, store: JobStore, server: str) -> ForeignJobs:
        """One numbering for the life of the source, shared by pushes and polls."""
        if self._jobs is None or self._jobs.store is not store or self._jobs.server != server:
            self._jobs = ForeignJobs(store, server)
        return self._jobs

    def push_session(self, store: JobStore, server: str, hooks: SessionHooks) -> AppSyncSession:
        self._session = AppSyncSession(
            endpoints=self._endpoints,
            headers=auth_headers(self._auth, self._token),
            documents=self.documents,
            graphql=self.graphql,
            jobs=self._foreign(store, server),
            followed=self.followed,
            settings=self._settings,
            hooks=hooks,
            wall=self._wall,
        )
        return self._session

    async def poll(self, store: JobStore, server: str, now: float) -> None:
        jobs = self._foreign(store, server)
        jobs.replace(await read_jobs(self.graphql, self.documents, self.followed, jobs), now)

    async def fetch_job(self, job_id: str) -> Job | None:
        found = only_field(await self.graphql.execute(self.documents.job_query, {"id": job_id}))
        return mapping.whole(found) if isinstance(found, dict) else None

    async def submit(self, request: CreateJobRequest) -> str:
        """The monitor's New job: seed 000 takes a request text and a priority, so the
        text is the payload when it is one, else the job's name (or its JSON payload)."""
        try:
            job = await self.submit_text(request_text(request), request.priority.value)
        except JobSubmissionError as exc:
            raise SubmitError(ErrorCode(exc.code.value), str(exc)) from exc
        return job.id

    async def submit_text(self, request: str, priority: str = Priority.MEDIUM) -> JobSummary:
        """Submit a job (``JobSubmissionError`` with seed 000's code) and follow it: the
        live session subscribes to it now, and every (re)connect again."""
        job = await submit_job(
            self.graphql,
            token=self._token,
            request=request,
            priority=priority,
            document=self._submit_document,
        )
        self.followed.add(job.id)
        if self._jobs is not None:
            self._jobs.upsert([job], self._wall())
        if self._session is not None:
            await self._session.follow(job.id)
        return job

    def set_token(self, token: str) -> None:
        self._token = token
        self.graphql.set_token(token)

    async def aclose(self) -> None:
        await self.graphql.aclose()


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0:
        raise ValueError(f"relistEvery must be seconds (0: never), not {text!r}")
    return value


def _optional(document: str) -> str:
    """An optional document: ``none`` turns it off (an empty field in the Servers dialog
    means the default, so "off" needs a word of its own)."""
    return "" if document.strip().lower() == OFF else document


__all__ = ["CAPABILITIES", "AppSyncSource"]


def _appsync(context: SourceContext, options: Mapping[str, str]) -> Source:
    return AppSyncSource(context.url, context.token, context.settings, options, wall=context.wall)


KIND = Kind(
    "appsync",
    "AWS AppSync (seed 000)",
    CAPABILITIES,
    _appsync,
    (
        Field(
            "auth", "Auth", "apiKey", "apiKey: the token is an API key; cognito: a Cognito id token"
        ),
        Field("realtimeUrl", "Realtime URL", "", "empty: derived from the GraphQL URL"),
        Field("jobs", "Job ids", "", "comma-separated ids to follow besides the listed ones"),
        Field("listQuery", "List query", mapping.LIST_QUERY, "none: no list"),
        Field("jobQuery", "Job query", mapping.JOB_QUERY, "one job by $id"),
        Field("jobSubscription", "Job subscription", mapping.JOB_SUBSCRIPTION, "by $id"),
        Field(
            "newJobsSubscription",
            "New-jobs subscription",
            "",
            "none or empty: new jobs appear at the next list; e.g. "
            + mapping.NEW_JOBS_SUBSCRIPTION,
        ),
        Field(
            "relistEvery",
            "List every (s)",
            "30",
            "while live, read the list again this often for new and gone jobs; 0: never",
        ),
        Field("submitMutation", "Submit mutation", mapping.SUBMIT_MUTATION, "$input"),
    ),
    notes="Live, no replay; no progress, logs, cancel or retry; lists only with a list query.",
)
