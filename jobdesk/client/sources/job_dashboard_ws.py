"""Seed 003's JobDashboard: pushes over ``/api/notifications/ws``, no replay, and seed
001's admin list for the initial and every reconnect fetch (and for polling while the
socket is down).

The list side is the admin-api kind's (``AdminJobs``): the same mapping, the same
made-up times and versions, whether a job's state came from the list or a push. The
socket's session is ``DashboardSession``. Seed 003 sends no removals: a job the backend
drops leaves the table at the next list read (a reconnect, or a poll).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

from jobdesk.client.capabilities import Can, Capabilities
from jobdesk.client.endpoints import endpoints
from jobdesk.client.kind import Field, Kind, SourceContext
from jobdesk.client.settings import EngineSettings
from jobdesk.client.source import SessionHooks, Source
from jobdesk.client.sources import seed_http
from jobdesk.client.sources.admin_list import LIST_URL, AdminJobs
from jobdesk.client.sources.dashboard_session import DashboardSession
from jobdesk.core.store import JobStore
from jobdesk.protocol import Job

PROGRESS_SCALE = "100"
"""protocol.md: a pushed job's progress is 0-100 (the list's is seed 001's 0-1)."""

CAPABILITIES = Capabilities(Can.LIST | Can.PUSH | Can.PROGRESS | Can.LOGS | Can.STATS)
"""Pushes without replay, the list to fetch and to poll, progress, the messages the
jobs carry, and queue counts (``job_stats_update``); seed 003 offers no actions and no
health endpoint."""


def progress_scale(option: str) -> float:
    """The ``progressScale`` option: what a pushed progress of "done" is (100 or 1)."""
    try:
        scale = float(option or PROGRESS_SCALE)
    except ValueError:
        raise ValueError(f"progressScale must be a number, not {option!r}") from None
    if not scale > 0:
        raise ValueError(f"progressScale must be above 0, not {option!r}")
    return scale


class JobDashboardSource:
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
        self._ws_url = endpoints(url).ws_url
        self._token = token
        self._settings = settings
        self._wall = wall
        self._scale = progress_scale(options.get("progressScale", ""))
        self._http = seed_http.seed_client(url, token, settings.http_timeout)
        self._jobs = AdminJobs(self._http, options.get("listUrl") or LIST_URL, wall=wall)

    def push_session(self, store: JobStore, server: str, hooks: SessionHooks) -> DashboardSession:
        return DashboardSession(
            ws_url=self._ws_url,
            token=self._token,
            jobs=self._jobs,
            store=store,
            server=server,
            hooks=hooks,
            settings=self._settings,
            wall=self._wall,
            progress_scale=self._scale,
        )

    async def poll(self, store: JobStore, server: str, now: float) -> None:
        await self._jobs.replace_from_list(store, server, now)

    async def fetch_job(self, job_id: str) -> Job | None:
        """The job as last listed or pushed: seed 003 has no endpoint for one job, and
        while the socket is up the pushes keep it current."""
        return self._jobs.job(job_id)

    def set_token(self, token: str) -> None:
        self._token = token
        seed_http.set_token(self._http, token)

    async def aclose(self) -> None:
        await self._http.aclose()


def _job_dashboard_ws(context: SourceContext, options: Mapping[str, str]) -> Source:
    return JobDashboardSource(
        context.url, context.token, context.settings, options, wall=context.wall
    )


KIND = Kind(
    "job-dashboard-ws",
    "JobDashboard WebSocket (seed 003)",
    CAPABILITIES,
    _job_dashboard_ws,
    fields=(
        Field(
            "listUrl",
            "List URL",
            LIST_URL,
            "the jobs list read on every (re)connect and polled while the socket is down, "
            "relative to the server URL",
        ),
        Field(
            "progressScale",
            "Pushed progress scale",
            PROGRESS_SCALE,
            "what a pushed job's progress reads when done: 100 (percent) or 1 (a fraction)",
            check=progress_scale,
        ),
    ),
    notes="Live, no replay: every reconnect reloads the list; no actions, no health; a "
    "removed job leaves at the next list read; its 15-minute tokens need renewing.",
)

__all__ = ["CAPABILITIES", "KIND", "PROGRESS_SCALE", "JobDashboardSource"]
