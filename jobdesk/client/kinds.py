"""The kinds of backend the monitor can watch, by the name ``--backend`` and the Servers
dialog use, each with the options its profile may carry.

A new backend is a module in ``jobdesk.client.sources`` plus one ``Kind`` here; nothing
above the engine changes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from jobdesk.client.capabilities import JOBDESK, Capabilities
from jobdesk.client.settings import EngineSettings
from jobdesk.client.source import Source
from jobdesk.client.sources import admin_api, jobs_api
from jobdesk.client.sources.jobdesk import JobdeskSource
from jobdesk.client.sources.socketio_options import CAPABILITIES as SOCKETIO
from jobdesk.client.sources.socketio_options import SocketIoOptions

DEFAULT_KIND = "jobdesk"


@dataclass(frozen=True)
class Field:
    """An option a kind's profile may set (``--option KEY=VALUE``)."""

    key: str
    label: str
    default: str = ""
    help: str = ""


@dataclass(frozen=True)
class SourceContext:
    """What every source is made from, besides its options."""

    url: str
    token: str
    settings: EngineSettings
    wall: Callable[[], float] = time.time
    batch: bool = True


Factory = Callable[[SourceContext, Mapping[str, str]], Source]


@dataclass(frozen=True)
class Kind:
    name: str
    title: str
    """What the Servers dialog shows."""
    capabilities: Capabilities
    make: Factory
    fields: tuple[Field, ...] = ()
    needs_token: bool = True
    notes: str = ""
    """One sentence on what it cannot give (README's table, the dialog's hint)."""
    _keys: frozenset[str] = field(init=False, repr=False, compare=False, default=frozenset())

    def __post_init__(self) -> None:
        object.__setattr__(self, "_keys", frozenset(f.key for f in self.fields))

    def check_options(self, options: Mapping[str, str]) -> dict[str, str]:
        """The options with defaults filled in; unknown keys are refused by name."""
        unknown = sorted(set(options) - self._keys)
        if unknown:
            known = ", ".join(sorted(self._keys)) or "none"
            raise ValueError(f"{self.name} has no option {', '.join(unknown)} (options: {known})")
        return {f.key: options.get(f.key, f.default) for f in self.fields}


def _jobdesk(context: SourceContext, options: Mapping[str, str]) -> Source:
    return JobdeskSource(
        context.url, context.token, context.settings, wall=context.wall, batch=context.batch
    )


def _admin_api(context: SourceContext, options: Mapping[str, str]) -> Source:
    return admin_api.AdminApiSource(
        context.url, context.token, context.settings, options, wall=context.wall
    )


def _jobs_api(context: SourceContext, options: Mapping[str, str]) -> Source:
    return jobs_api.JobsApiSource(
        context.url, context.token, context.settings, options, wall=context.wall
    )


ADMIN_API = Kind(
    "admin-api",
    "Admin job store (seed 001)",
    admin_api.CAPABILITIES,
    _admin_api,
    fields=(
        Field(
            "listUrl",
            "List URL",
            admin_api.LIST_URL,
            "the jobs list, active and past, relative to the server URL",
        ),
        Field(
            "progressUrl",
            "Progress URL",
            admin_api.PROGRESS_URL,
            "one job's progress and sub-operations; {id} is the job's id",
        ),
    ),
    notes="Polled (no push): a change shows within a poll; no cancel, retry or submit, "
    "no queue counts.",
)
JOBS_API = Kind(
    "jobs-api",
    "Jobs API (seed 002)",
    jobs_api.CAPABILITIES,
    _jobs_api,
    fields=(
        Field("jobs", "Jobs to track", "", "job ids, separated by commas (the API cannot list)"),
        Field("jobUrl", "Job URL", jobs_api.JOB_URL, "one job's status; {id} is the job's id"),
    ),
    needs_token=False,
    notes="No list: only the jobs you track, polled every 2 s; no log, no actions; a job "
    "the server forgot stays, marked expired.",
)


def _socketio(context: SourceContext, options: Mapping[str, str]) -> Source:
    from jobdesk.client.sources.socketio import SocketIoSource  # aiohttp: only when used

    chosen = SocketIoOptions.from_options(options)
    return SocketIoSource(context.url, context.token, context.settings, chosen, wall=context.wall)


_SOCKETIO_FIELDS = (
    Field("userId", "User id", "", "subscribe to this user's jobs ({userKey: ...})"),
    Field("jobIds", "Job ids", "", "comma-separated: subscribe to and track these jobs"),
    Field("path", "Socket.IO path", "socket.io"),
    Field("namespace", "Namespace", "/"),
    Field("subscribeEvent", "Subscribe event", "subscribe"),
    Field("userKey", "User key", "userId", "the key of subscribe's user id"),
    Field("jobKey", "Job key", "jobId", "the key of subscribe's and every event's job id"),
    Field("progressEvent", "Progress event", "job:progress"),
    Field("completedEvent", "Completed event", "job:completed"),
    Field("errorEvent", "Error event", "job:error"),
    Field("jobUrl", "Job URL", "/api/jobs/{id}", "one job, polled while the socket is down"),
    Field("authKey", "Auth key", "token", "the key of the token in Socket.IO's auth payload"),
)

KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind(DEFAULT_KIND, "jobdesk server", JOBDESK, _jobdesk),
        ADMIN_API,
        JOBS_API,
        Kind(
            "socketio",
            "Socket.IO job events (seed 004)",
            SOCKETIO,
            _socketio,
            _SOCKETIO_FIELDS,
            needs_token=False,
            notes=(
                "no list and no replay: only jobs of the subscribed user or ids are seen, "
                "from their next event; no actions, no queue counts, no health"
            ),
        ),
    )
}


def kind_of(name: str) -> Kind:
    try:
        return KINDS[name]
    except KeyError:
        raise ValueError(f"unknown backend {name!r} (known: {', '.join(KINDS)})") from None


def make_source(
    kind: str, context: SourceContext, options: Mapping[str, str] | None = None
) -> Source:
    chosen = kind_of(kind)
    return chosen.make(context, chosen.check_options(options or {}))
