"""One backend, as the engine sees it: a push session, a poll, one job, closing.

The engine owns everything that is the same for every backend (the reconnect backoff,
the polling fallback, the silence watch, the published state, the away summary); a
``Source`` owns only what its protocol says. A push session raises when its connection
ends, like ``StreamSession``; the engine decides what happens next.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from jobdesk.client.capabilities import Capabilities
from jobdesk.core.history import HistoryFilter
from jobdesk.core.store import JobStore
from jobdesk.protocol import Job, JobStats, JobSummary
from jobdesk.protocol.overview import QueueOverview
from jobdesk.protocol.rest import CreateJobRequest, HistoryPage


@dataclass(frozen=True)
class Subscribed:
    """How a push session caught up, as the backend answered its subscription: resumed
    (``replay``: only what changed after ``since``), or everything loaded again."""

    url: str
    """The server (replica) that answered."""
    mode: str
    """The backend's word: ``replay`` (resumed after ``since``), ``snapshot`` (it could
    not replay: every job reloaded), ``live`` (a first load: no ``since`` was asked)."""
    since: int | None
    """The seq the session asked to resume after (None: it asked for everything)."""
    epoch: str
    """The epoch the backend answered with."""
    known_epoch: str | None
    """The epoch the store held (None: nothing yet); another one is another database."""

    @property
    def resumed(self) -> bool:
        return self.mode == "replay"


def _ignore(_: Subscribed) -> None:
    return None


@dataclass(frozen=True)
class SessionHooks:
    """What a push session tells the engine."""

    on_authenticated: Callable[[], Awaitable[None]]
    """The backend accepted the credentials (the engine stops polling)."""
    on_synced: Callable[[], None]
    """The store is current: subscribed, and the (re)connect fetch is applied."""
    on_stats: Callable[[JobStats], None]
    on_heard: Callable[[], None]
    """The backend said anything at all: the engine's measure of silence."""
    on_subscribed: Callable[[Subscribed], None] = _ignore
    """The backend answered the subscription (a backend with replay says how it resumed)."""


class PushSession(Protocol):
    authenticated_at: float | None
    """Loop time the backend accepted the credentials; None if it never did."""
    was_synced: bool

    async def run(self) -> None:
        """Until the connection ends: returns or raises (``AuthRejected`` for refused
        credentials, ``SessionRefused`` or a network error otherwise)."""


class Source(Protocol):
    capabilities: Capabilities

    def push_session(self, store: JobStore, server: str, hooks: SessionHooks) -> PushSession:
        """A new push session (only called when the capabilities include PUSH)."""

    async def poll(self, store: JobStore, server: str, now: float) -> None:
        """One poll into the store (only called when the capabilities include LIST or
        name a ``poll_every``: a backend without a list polls the jobs it tracks)."""

    async def fetch_job(self, job_id: str) -> Job | None:
        """One job whole (log, sub-steps...) or None when the backend has no such job."""

    def set_token(self, token: str) -> None: ...

    async def aclose(self) -> None: ...


@runtime_checkable
class SubmitSource(Protocol):
    """A source that can put a job on its backend (capability SUBMIT)."""

    async def submit(self, request: CreateJobRequest) -> str:
        """The new job's id; ``SubmitError`` with seed 000's code when none was made."""


@runtime_checkable
class OverviewSource(Protocol):
    """A source that also tells of its workers and queues (capability WORKERS)."""

    async def fetch_overview(self) -> QueueOverview: ...


@runtime_checkable
class FailoverSource(Protocol):
    """A source that knows several URLs of one backend (replicas of a jobdesk cluster)
    and uses one at a time: the push session's, the poll's and every REST call's."""

    @property
    def urls(self) -> tuple[str, ...]:
        """Every URL, in the order they are tried."""

    @property
    def url(self) -> str:
        """The URL in use."""

    def fail_over(self) -> str:
        """Move on to the next URL (round robin); returns it."""


@runtime_checkable
class HistorySource(Protocol):
    """A source that reads back the jobs its backend keeps after they left the live set
    (capability HISTORY): one page, newest created first; ``cursor`` is the previous
    page's ``next_cursor``. Raises ``RequestRefused`` for a filter the backend refuses."""

    async def fetch_history(
        self, wanted: HistoryFilter, cursor: str | None = None
    ) -> HistoryPage[JobSummary]: ...
