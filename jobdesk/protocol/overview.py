"""The work queue seen from above: who works, what waits, and how the last hour went.

``GET /api/queue/overview`` answers a ``QueueOverview``; a WebSocket client that sends
``subscribe_overview`` gets one as ``queue_overview`` every few seconds. The server
builds it from the claims and reports it receives (``server/overview.py``); it is
bounded: sixty one-minute buckets, workers forgotten an hour after they were last seen.
"""

from __future__ import annotations

from jobdesk.protocol.models import Wire


class WorkerView(Wire, frozen=True, kw_only=True):
    """One worker, by the name its claims give (``ClaimRequest.worker``, else its token's)."""

    name: str
    job_types: list[str]
    """The types its newest claim asked for."""
    current_job: str | None = None
    """A job it runs now (its newest), or None when idle."""
    last_seen: str
    """When it last claimed or reported."""
    live: bool
    """Waiting in a claim now, running a job, or seen in the last ``liveAfter`` seconds."""
    done_last_hour: int = 0
    failed_last_hour: int = 0


class JobTypeView(Wire, frozen=True, kw_only=True):
    """One job type with work waiting or running, or one a live worker claims."""

    job_type: str
    queued: int
    """Queued and retrying jobs (what a claim may take, now or after a backoff)."""
    running: int
    oldest_queued_s: float | None = None
    """Age in seconds of its oldest waiting job; None when none waits."""
    served: bool
    """Some live worker claims this type; a type with jobs waiting and ``served`` false
    waits for nobody."""


class MinuteBucket(Wire, frozen=True, kw_only=True):
    """One minute of the last hour, oldest first in ``QueueOverview.minutes``."""

    start: str
    completed: int = 0
    failed: int = 0
    """Attempts that failed, timed out or lost their lease."""
    queued: dict[str, int] = {}
    """Jobs waiting per type, as last sampled in this minute."""


class QueueOverview(Wire, frozen=True, kw_only=True):
    timestamp: str
    live_after: float
    """Seconds after which a worker with no claim waiting and no job is no longer live."""
    workers: list[WorkerView]
    job_types: list[JobTypeView]
    minutes: list[MinuteBucket]
