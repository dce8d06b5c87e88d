"""Seed 002's Jobs API and the canonical snapshot/resync endpoint, under /api/jobs."""

from __future__ import annotations

from typing import Annotated, Any, Final

import msgspec
from litestar import Request, Response, Router, get, post
from litestar.di import Provide
from litestar.params import JSONBody, Parameter, QueryParameter

from jobdesk.protocol import ErrorCode, Job, Status, parse_status
from jobdesk.protocol.rest import (
    DEFAULT_PAGE,
    CancelRequest,
    CreateJobRequest,
    CreateJobResponse,
    CreateJobsRequest,
    CreateJobsResponse,
    Seed002JobView,
    Snapshot,
)
from jobdesk.protocol.status import ACCEPTED_WORDS
from jobdesk.server.api.common import (
    BEARER,
    PAGE_CURSOR,
    RESYNC_CURSOR,
    Caller,
    IdempotencyKey,
    Limit,
    Service,
    check_number_params,
    cursor_param,
    encoded,
    errors,
    once,
    provide_principal,
)
from jobdesk.server.api.litestar_fixes import with_options
from jobdesk.server.errors import ApiError
from jobdesk.server.pages import parse_cursor, since_page, snapshot_page
from jobdesk.server.state import JobQuery, ResyncRequired
from jobdesk.server.views import seed002_view

JobId = Annotated[str, Parameter(max_length=64, description="the job's id")]


def _any_case(word: str) -> str:
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else c for c in word)


STATUS_PATTERN: Final = r"^\s*(?:" + "|".join(_any_case(w) for w in ACCEPTED_WORDS) + r")\s*$"
"""What parse_status accepts (any seed's word, any case, surrounding blanks), as a schema."""


@post("/", status_code=201, responses=errors(400, 401, 403, 413, 429), security=BEARER)
async def create_job(
    data: JSONBody[CreateJobRequest],
    service: Service,
    principal: Caller,
    request: Request[Any, Any, Any],
    idempotency_key: IdempotencyKey = None,
) -> CreateJobResponse:
    """Submit a queued job (seed 002; ``payload``, ``maxAttempts``, ``timeout`` for the
    queue: see docs/queue.md)."""
    key = once(request, principal, idempotency_key, 201, _created)
    return _created(await service.create(principal, data, running=False, once=key))


def _created(job: Job) -> CreateJobResponse:
    return CreateJobResponse(job_id=job.id, timestamp=job.created_at)


@post("/batch", status_code=201, responses=errors(400, 401, 403, 413, 429), security=BEARER)
async def create_jobs(
    data: JSONBody[CreateJobsRequest],
    service: Service,
    principal: Caller,
    request: Request[Any, Any, Any],
    idempotency_key: IdempotencyKey = None,
) -> CreateJobsResponse:
    """Submit many queued jobs at once (jobdesk's addition; up to 1,000, each what
    ``POST /api/jobs`` takes), in one transaction: all are queued, or none."""
    key = once(request, principal, idempotency_key, 201, _created_all)
    return _created_all(await service.create_many(principal, data.jobs, once=key))


def _created_all(jobs: list[Job]) -> CreateJobsResponse:
    return CreateJobsResponse(
        job_ids=[job.id for job in jobs], timestamp=jobs[0].created_at if jobs else ""
    )


@get("/{job_id:str}", responses=errors(400, 401, 404), security=BEARER)
async def poll_job(job_id: JobId, service: Service, principal: Caller) -> Seed002JobView:
    """A job's status for polling, in seed 002's words (queued|processing|completed|error)."""
    return seed002_view(await service.find(job_id))


@get("/{job_id:str}/detail", responses=errors(400, 401, 404), security=BEARER)
async def job_detail(job_id: JobId, service: Service, principal: Caller) -> Job:
    """One job whole, in the canonical form the stream sends (log, sub-operations,
    payload, result, attempt history): what a monitor that keeps summaries shows for
    the selected job. A job retention moved to the history is read from there."""
    return await service.find(job_id)


def status_filter(word: str | None) -> Status | None:
    if word is None:
        return None
    try:
        return parse_status(word)
    except ValueError as exc:
        raise ApiError(ErrorCode.INVALID_INPUT, str(exc), "status") from None


class _SnapshotPage(msgspec.Struct, rename="camel", omit_defaults=True):
    """``Snapshot[Job]`` as sent: each job the JSON its database row was written with,
    joined into the page as it is (encoding the Job structs again cost 2 ms per
    thousand jobs, on the event loop every writer waits for)."""

    epoch: str
    seq: int
    jobs: list[msgspec.Raw]
    removed: list[str]
    next_cursor: str | None = None


_encode_page = msgspec.json.Encoder().encode


@get("/", responses=errors(400, 401, 410), security=BEARER)
async def snapshot(
    service: Service,
    principal: Caller,
    since: Annotated[
        int | None,
        # schema_extra: Litestar drops a bound of 0 from an optional parameter's schema
        Parameter(ge=0, schema_extra={"minimum": 0}, description="resync: changes after this seq"),
    ] = None,
    epoch: Annotated[str | None, Parameter(max_length=64)] = None,
    status: Annotated[
        str | None,
        # documented only: the handler answers an unknown word with the accepted ones
        Parameter(
            max_length=32,
            schema_extra={"pattern": STATUS_PATTERN},
            description="any seed's word for a status, in any case",
        ),
    ] = None,
    job_type: Annotated[str | None, QueryParameter(name="jobType", max_length=100)] = None,
    owner: Annotated[str | None, Parameter(max_length=200)] = None,
    include_past: Annotated[bool, QueryParameter(name="includePast")] = True,
    limit: Limit = DEFAULT_PAGE,
    cursor: Annotated[str | None, cursor_param(PAGE_CURSOR, RESYNC_CURSOR)] = None,
) -> Response[Snapshot[Job]]:
    """A page of the jobs in id order, at one consistent state; with ``since``, a page of
    what changed after it, in seq order, whose ``seq`` is the one it brings the client to.

    ``nextCursor`` is there while the list goes on: ask again with ``cursor`` set to it
    (a cursor says which list goes on and where, so ``since`` is not read with one).
    Pages of a snapshot followed by ``?since=`` the first page's ``seq`` give exactly the
    server's state. Answers 410 RESYNC_REQUIRED when ``since`` is older than the kept
    history, ahead of the server, or ``epoch`` is not the server's.
    """
    await service.caught_up(since)  # a resume from a replica further on
    state = service.state
    query = JobQuery(
        include_past=include_past, status=status_filter(status), job_type=job_type, owner=owner
    )
    start = parse_cursor(cursor)  # it says which list goes on, and where: ``since`` is not read
    if start.after_seq is not None or start.after_id is not None:
        since = start.after_seq
    if since is None:
        page = snapshot_page(state, query, start.after_id, limit)
    else:
        try:
            state.check_since(since, epoch)
        except ResyncRequired as exc:
            raise ApiError(ErrorCode.RESYNC_REQUIRED, str(exc), "since") from None
        page = since_page(state, query, since, limit)
    body = _SnapshotPage(
        epoch=state.epoch,
        seq=page.seq,
        jobs=[msgspec.Raw(r.json()) for r in page.records],
        removed=page.removed,
        next_cursor=page.next_cursor,
    )
    return encoded(_encode_page(body), Snapshot[Job])


@post(
    "/{job_id:str}/cancel",
    status_code=200,
    responses=errors(400, 401, 403, 404, 409),
    security=BEARER,
)
async def cancel_job(
    job_id: JobId,
    service: Service,
    principal: Caller,
    request: Request[Any, Any, Any],
    data: JSONBody[CancelRequest | None] = None,
    idempotency_key: IdempotencyKey = None,
) -> Job:
    """Cancel a job (operators): a waiting one never runs; a running one ends now and its
    worker's next call is answered 409 CANCELLED."""
    reason = data.reason if data else None
    key = once(request, principal, idempotency_key, 200, _as_is)
    return await service.cancel(principal, job_id, reason, key)


@post(
    "/{job_id:str}/retry",
    status_code=200,
    responses=errors(400, 401, 403, 404, 409),
    security=BEARER,
)
async def retry_job(
    job_id: JobId,
    service: Service,
    principal: Caller,
    request: Request[Any, Any, Any],
    idempotency_key: IdempotencyKey = None,
) -> Job:
    """Queue a failed or cancelled job for one more attempt (operators); its earlier
    attempts stay in its history."""
    key = once(request, principal, idempotency_key, 200, _as_is)
    return await service.retry(principal, job_id, key)


def _as_is(job: Job) -> Job:
    return job


def jobs_router() -> Router:
    return Router(
        path="/api/jobs",
        route_handlers=with_options(
            [create_job, create_jobs, poll_job, job_detail, snapshot, cancel_job, retry_job]
        ),
        dependencies={"principal": Provide(provide_principal)},
        before_request=check_number_params,
        tags=["jobs (seed 002, snapshot)"],
    )
