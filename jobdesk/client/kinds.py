"""The kinds of backend the monitor can watch, by the name ``--backend`` and the Servers
dialog use. Each source module declares its ``KIND`` (``jobdesk.client.kind``); a new
backend is a new module there and one line here, and nothing above the engine changes.
"""

from __future__ import annotations

from collections.abc import Mapping

from jobdesk.client.kind import Field, Kind, SourceContext
from jobdesk.client.source import Source
from jobdesk.client.sources import (
    admin_api,
    appsync,
    job_dashboard_ws,
    jobdesk,
    jobs_api,
    socketio_options,
)

__all__ = ["DEFAULT_KIND", "KINDS", "Field", "Kind", "SourceContext", "kind_of", "make_source"]

DEFAULT_KIND = jobdesk.KIND.name

KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        jobdesk.KIND,
        appsync.KIND,
        admin_api.KIND,
        jobs_api.KIND,
        job_dashboard_ws.KIND,
        socketio_options.KIND,
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
