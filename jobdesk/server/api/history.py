"""``GET /api/history``: every job the database keeps, filtered, newest first, paged.

The monitor's History view reads finished jobs here instead of holding them: the live
set (``GET /api/jobs``, the stream) is what a server keeps in memory.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Response, Router, get
from litestar.di import Provide
from litestar.params import Parameter, QueryParameter

from jobdesk.protocol import Job, format_timestamp, parse_timestamp
from jobdesk.protocol.rest import HistoryPage
from jobdesk.server.api.common import (
    BEARER,
    Caller,
    Service,
    check_number_params,
    encoded,
    errors,
    provide_principal,
)
from jobdesk.server.api.jobs import STATUS_PATTERN, status_filter
from jobdesk.server.api.litestar_fixes import with_options
from jobdesk.server.db.history import CURSOR_PATTERN, HistoryQuery

MOMENT = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?"
    r"(Z|[+-][0-9]{2}:[0-9]{2})$"
)
"""An ISO 8601 time with its zone (``2026-12-01T00:00Z``, ``...+01:00``)."""
HISTORY_PAGE = 100
"""Jobs per history page unless asked otherwise (at most 500)."""


class _Page(msgspec.Struct, rename="camel", omit_defaults=True):
    jobs: list[msgspec.Raw]
    next_cursor: str | None = None


_encode_page = msgspec.json.Encoder().encode


def _moment(text: str | None) -> str | None:
    """A time bound in the jobs' own ``createdAt`` form (UTC, compared as text). One the
    pattern lets through but no calendar has (a 31st of February) is compared as given:
    it still falls between the same jobs' times."""
    if text is None:
        return None
    try:
        return format_timestamp(parse_timestamp(text))
    except ValueError:
        return text


@get("/", responses=errors(400, 401), security=BEARER)
async def history(
    service: Service,
    principal: Caller,
    status: Annotated[
        str | None,
        Parameter(max_length=32, schema_extra={"pattern": STATUS_PATTERN}),
    ] = None,
    job_type: Annotated[str | None, QueryParameter(name="jobType", max_length=100)] = None,
    owner: Annotated[str | None, Parameter(max_length=200)] = None,
    q: Annotated[
        str | None, Parameter(max_length=200, description="text in the job, any case")
    ] = None,
    created_from: Annotated[
        str | None,
        QueryParameter(
            name="from", max_length=40, pattern=MOMENT, description="created at or after"
        ),
    ] = None,
    created_to: Annotated[
        str | None,
        QueryParameter(name="to", max_length=40, pattern=MOMENT, description="created before"),
    ] = None,
    limit: Annotated[int, Parameter(ge=1, le=500)] = HISTORY_PAGE,
    cursor: Annotated[
        str | None, Parameter(min_length=3, max_length=110, pattern=CURSOR_PATTERN)
    ] = None,
) -> Response[HistoryPage[Job]]:
    """Every job the database keeps (live or moved to the history by retention), newest
    created first; ``nextCursor`` asks for the next, older page with the same filters."""
    query = HistoryQuery(
        status=status_filter(status),
        job_type=job_type,
        owner=owner,
        text=q or None,
        created_from=_moment(created_from),
        created_to=_moment(created_to),
        limit=limit,
        cursor=cursor,
    )
    rows, next_cursor = await service.history(query)
    page = _Page(jobs=[msgspec.Raw(row) for row in rows], next_cursor=next_cursor)
    return encoded(_encode_page(page), HistoryPage[Job])


def history_router() -> Router:
    return Router(
        path="/api/history",
        route_handlers=with_options([history]),
        dependencies={"principal": Provide(provide_principal)},
        before_request=check_number_params,
        tags=["history"],
    )
