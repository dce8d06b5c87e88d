"""Seed 001's admin API under /api/admin/jobs: progress as a 0-1 fraction."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, Response, Router, get, post
from litestar.di import Provide
from litestar.params import JSONBody, Parameter, QueryParameter

from jobdesk.protocol import Job, now_timestamp
from jobdesk.protocol.rest import (
    DEFAULT_PAGE,
    AdminJobsResponse,
    BatchRequest,
    BatchResponse,
    CleanupResponse,
    CompleteRequest,
    FailRequest,
    ForceFailRequest,
    HealthResponse,
    JobAck,
    LeaseView,
    MessageRequest,
    ProgressRequest,
    ProgressView,
    StartJobRequest,
    StartJobResponse,
)
from jobdesk.server.api.common import (
    BEARER,
    PAGE_CURSOR,
    AttemptHeader,
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
from jobdesk.server.pages import parse_cursor, snapshot_page
from jobdesk.server.state import JobQuery, JobRecord
from jobdesk.server.views import ack, admin_view, batch_result, progress_view

JobId = Annotated[str, Parameter(max_length=64, description="the job's id")]
_WRITE = errors(400, 401, 403, 404, 409, 413)


class _AdminPage(msgspec.Struct, rename="camel", omit_defaults=True):
    """``AdminJobsResponse`` as sent: each job's seed 001 JSON, encoded once per version
    (``JobRecord.admin_data``) and joined into the page as it is."""

    jobs: list[msgspec.Raw]
    next_cursor: str | None = None


_encode = msgspec.json.Encoder().encode


def _admin_json(record: JobRecord) -> msgspec.Raw:
    if record.admin_data is None:
        record.admin_data = _encode(admin_view(record.job))
    return msgspec.Raw(record.admin_data)


@get("/", responses=errors(400, 401), security=BEARER)
async def list_jobs(
    service: Service,
    principal: Caller,
    include_past: Annotated[bool, QueryParameter(name="includePast")] = False,
    limit: Limit = DEFAULT_PAGE,
    cursor: Annotated[str | None, cursor_param(PAGE_CURSOR)] = None,
) -> Response[AdminJobsResponse]:
    """Active jobs; with includePast=true also the finished jobs still retained. A page
    in id order: ``nextCursor`` is there while the list goes on (ask again with
    ``cursor`` set to it)."""
    state = service.state
    after = parse_cursor(cursor).after_id
    page = snapshot_page(state, JobQuery(include_past=include_past), after, limit)
    body = _AdminPage(jobs=[_admin_json(r) for r in page.records], next_cursor=page.next_cursor)
    return encoded(_encode(body), AdminJobsResponse)


@post("/start", status_code=201, responses=errors(400, 401, 403, 413, 429), security=BEARER)
async def start_job(
    data: JSONBody[StartJobRequest],
    service: Service,
    principal: Caller,
    request: Request[Any, Any, Any],
    idempotency_key: IdempotencyKey = None,
) -> StartJobResponse:
    """Start a job the caller is doing itself: it is running and owned by the caller."""
    key = once(request, principal, idempotency_key, 201, _started)
    return _started(await service.create(principal, data, running=True, once=key))


def _started(job: Job) -> StartJobResponse:
    return StartJobResponse(job_id=job.id, timestamp=job.created_at)


@get("/health", responses=errors(401), security=BEARER)
async def health(service: Service, principal: Caller) -> HealthResponse:
    stale = service.stale_jobs()
    stats = service.stats()
    return HealthResponse(
        status="degraded" if stale else "ok",
        active_jobs=stats.pending + stats.running + stats.retrying,
        stale_jobs=stale,
        past_jobs=stats.completed + stats.failed + stats.cancelled,
        timestamp=now_timestamp(),
    )


@post("/emergency-cleanup", status_code=200, responses=errors(401, 403), security=BEARER)
async def emergency_cleanup(service: Service, principal: Caller) -> CleanupResponse:
    """Fail every queued, running or retrying job (operators only)."""
    count = await service.emergency_cleanup(principal)
    return CleanupResponse(failed_jobs=count, timestamp=now_timestamp())


@post("/batch", status_code=200, responses=errors(400, 401, 403, 413), security=BEARER)
async def post_batch(
    data: JSONBody[BatchRequest],
    service: Service,
    principal: Caller,
    request: Request[Any, Any, Any],
    idempotency_key: IdempotencyKey = None,
) -> BatchResponse:
    """Reports on many jobs in one request: each is what ``{jobId}/progress`` takes, and with
    ``log`` also what ``{jobId}/message`` takes (the log entry after the progress, in one
    change); ``attempt`` is a claimed job's ``Jobdesk-Attempt``. They are applied in
    order in one transaction and answered once it is committed, each on its own: a
    refused report (unknown job, finished, attempt over) carries its error and refuses
    no other."""
    key = once(request, principal, idempotency_key, 200, None)  # marks entries, no answer
    answers = await service.batch(principal, data.updates, key)
    return BatchResponse(
        results=[
            batch_result(item.job_id, a) for item, a in zip(data.updates, answers, strict=True)
        ]
    )


@get("/{job_id:str}/progress", responses=errors(400, 401, 404), security=BEARER)
async def get_progress(job_id: JobId, service: Service, principal: Caller) -> ProgressView:
    return progress_view(service.get(job_id))


@post("/{job_id:str}/progress", status_code=200, responses=_WRITE, security=BEARER)
async def post_progress(
    job_id: JobId,
    data: JSONBody[ProgressRequest],
    service: Service,
    principal: Caller,
    request: Request[Any, Any, Any],
    idempotency_key: IdempotencyKey = None,
    attempt: AttemptHeader = None,
) -> JobAck:
    """Set progress (0-1), a sub-operation's progress, or declare the weighted pipeline."""
    key = once(request, principal, idempotency_key, 200, ack)
    return ack(await service.progress(principal, job_id, data, key, attempt))


@post("/{job_id:str}/message", status_code=200, responses=_WRITE, security=BEARER)
async def post_message(
    job_id: JobId,
    data: JSONBody[MessageRequest],
    service: Service,
    principal: Caller,
    request: Request[Any, Any, Any],
    idempotency_key: IdempotencyKey = None,
    attempt: AttemptHeader = None,
) -> JobAck:
    """Add a log entry (info, warning or error); it also becomes the status line."""
    key = once(request, principal, idempotency_key, 200, ack)
    return ack(await service.message(principal, job_id, data, key, attempt))


@post("/{job_id:str}/complete", status_code=200, responses=_WRITE, security=BEARER)
async def post_complete(
    job_id: JobId,
    service: Service,
    principal: Caller,
    request: Request[Any, Any, Any],
    data: JSONBody[CompleteRequest | None] = None,
    idempotency_key: IdempotencyKey = None,
    attempt: AttemptHeader = None,
) -> JobAck:
    """Complete the job; ``result`` (e.g. ``{"documentId": ...}``) is kept in full."""
    body = data or CompleteRequest()
    key = once(request, principal, idempotency_key, 200, ack)
    return ack(await service.complete(principal, job_id, body, key, attempt))


@post("/{job_id:str}/fail", status_code=200, responses=_WRITE, security=BEARER)
async def post_fail(
    job_id: JobId,
    data: JSONBody[FailRequest],
    service: Service,
    principal: Caller,
    request: Request[Any, Any, Any],
    idempotency_key: IdempotencyKey = None,
    attempt: AttemptHeader = None,
) -> JobAck:
    """Fail this attempt: the job retries after a backoff while attempts are left, else
    it ends failed; the error is kept in full and in the log."""
    key = once(request, principal, idempotency_key, 200, ack)
    return ack(await service.fail(principal, job_id, data, key, attempt))


@post("/{job_id:str}/heartbeat", status_code=200, responses=_WRITE, security=BEARER)
async def post_heartbeat(
    job_id: JobId,
    service: Service,
    principal: Caller,
    attempt: AttemptHeader = None,
) -> LeaseView:
    """Renew the lease of a claimed job its worker is still on (nothing else changes)."""
    job = await service.heartbeat(principal, job_id, attempt)
    return LeaseView(
        job_id=job.id,
        attempt=job.attempts,
        lease_expires_at=job.lease_expires_at,
        timestamp=job.updated_at,
    )


@post("/{job_id:str}/force-fail", status_code=200, responses=_WRITE, security=BEARER)
async def post_force_fail(
    job_id: JobId,
    service: Service,
    principal: Caller,
    request: Request[Any, Any, Any],
    data: JSONBody[ForceFailRequest | None] = None,
    idempotency_key: IdempotencyKey = None,
) -> JobAck:
    """Fail a job whatever its worker says (operators only)."""
    reason = data.reason if data else None
    key = once(request, principal, idempotency_key, 200, ack)
    return ack(await service.force_fail(principal, job_id, reason, key))


def admin_router() -> Router:
    return Router(
        path="/api/admin/jobs",
        route_handlers=with_options(
            [
                list_jobs,
                start_job,
                health,
                emergency_cleanup,
                post_batch,
                get_progress,
                post_progress,
                post_message,
                post_complete,
                post_fail,
                post_heartbeat,
                post_force_fail,
            ]
        ),
        dependencies={"principal": Provide(provide_principal)},
        before_request=check_number_params,
        tags=["admin jobs (seed 001)"],
    )
