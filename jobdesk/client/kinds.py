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
from jobdesk.client.sources import appsync_mapping
from jobdesk.client.sources.appsync import CAPABILITIES as APPSYNC
from jobdesk.client.sources.appsync import AppSyncSource
from jobdesk.client.sources.jobdesk import JobdeskSource

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


def _appsync(context: SourceContext, options: Mapping[str, str]) -> Source:
    return AppSyncSource(context.url, context.token, context.settings, options, wall=context.wall)


_APPSYNC = Kind(
    "appsync",
    "AWS AppSync (seed 000)",
    APPSYNC,
    _appsync,
    (
        Field(
            "auth", "Auth", "apiKey", "apiKey: the token is an API key; cognito: a Cognito id token"
        ),
        Field("realtimeUrl", "Realtime URL", "", "empty: derived from the GraphQL URL"),
        Field("jobs", "Job ids", "", "comma-separated ids to follow besides the listed ones"),
        Field("listQuery", "List query", appsync_mapping.LIST_QUERY, "none: no list"),
        Field("jobQuery", "Job query", appsync_mapping.JOB_QUERY, "one job by $id"),
        Field("jobSubscription", "Job subscription", appsync_mapping.JOB_SUBSCRIPTION, "by $id"),
        Field(
            "newJobsSubscription",
            "New-jobs subscription",
            "",
            "none or empty: new jobs appear at the next list; e.g. "
            + appsync_mapping.NEW_JOBS_SUBSCRIPTION,
        ),
        Field(
            "relistEvery",
            "List every (s)",
            "30",
            "while live, read the list again this often for new and gone jobs; 0: never",
        ),
        Field("submitMutation", "Submit mutation", appsync_mapping.SUBMIT_MUTATION, "$input"),
    ),
    notes="Live, no replay; no progress, logs, cancel or retry; lists only with a list query.",
)

KINDS: dict[str, Kind] = {
    kind.name: kind for kind in (Kind(DEFAULT_KIND, "jobdesk server", JOBDESK, _jobdesk), _APPSYNC)
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
