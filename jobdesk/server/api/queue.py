"""The work queue under /api/queue: claim the next job (long poll), and its overview."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar import Request, Router, get, post
from litestar.di import Provide
from litestar.params import JSONBody

from jobdesk.protocol import Job
from jobdesk.protocol.overview import QueueOverview
from jobdesk.protocol.rest import (
    ClaimRequest,
    ClaimResponse,
    CompleteAndClaimRequest,
    CompleteAndClaimResponse,
    CompleteManyRequest,
    CompleteManyResponse,
)
from jobdesk.server.api.common import (
    BEARER,
    Caller,
    IdempotencyKey,
    Service,
    errors,
    once,
    provide_principal,
)
from jobdesk.server.api.litestar_fixes import with_options
from jobdesk.server.errors import ApiError
from jobdesk.server.views import batch_result


@post("/claim", status_code=200, responses=errors(400, 401, 403), security=BEARER)
async def claim(data: JSONBody[ClaimRequest], service: Service, principal: Caller) -> ClaimResponse:
    """Take the next job of ``jobTypes`` (up to ``maxJobs`` of them): highest priority,
    then oldest. With ``waitSeconds`` wait for one (long poll); ``{"job": null}`` when none
    came."""
    jobs = await service.claim(principal, data)
    return ClaimResponse(job=jobs[0] if jobs else None, jobs=jobs)


@post("/complete", status_code=200, responses=errors(400, 401, 403, 404, 409), security=BEARER)
async def complete_and_claim(
    data: JSONBody[CompleteAndClaimRequest],
    service: Service,
    principal: Caller,
    request: Request[Any, Any, Any],
    idempotency_key: IdempotencyKey = None,
) -> CompleteAndClaimResponse:
    """Complete the claimed job ``jobId`` (409 ``LEASE_LOST`` or ``CANCELLED`` as
    ``.../complete`` answers a stale ``attempt``) and claim the next ones as ``claim``
    asks, in one transaction; never waits for a job (``claimed`` may be empty)."""
    key = once(request, principal, idempotency_key, 200, _completed_and_claimed)
    return _completed_and_claimed(await service.complete_and_claim(principal, data, key))


def _completed_and_claimed(result: tuple[Job, list[Job]]) -> CompleteAndClaimResponse:
    done, claimed = result
    return CompleteAndClaimResponse(job=done, claimed=claimed)


@post("/complete-many", status_code=200, responses=errors(400, 401, 403, 413), security=BEARER)
async def complete_many(
    data: JSONBody[CompleteManyRequest],
    service: Service,
    principal: Caller,
    request: Request[Any, Any, Any],
    idempotency_key: IdempotencyKey = None,
) -> CompleteManyResponse:
    """Complete several claimed jobs, each fenced by its ``attempt``, and claim the next
    ones as ``claim`` asks, in one transaction; each completion is answered on its own
    (a refused one carries its error and refuses no other); never waits for a job."""
    key = once(request, principal, idempotency_key, 200, _completed_many(data))
    return _completed_many(data)(await service.complete_many(principal, data, key))


def _completed_many(
    data: CompleteManyRequest,
) -> Callable[[tuple[list[Job | ApiError], list[Job]]], CompleteManyResponse]:
    def answer(result: tuple[list[Job | ApiError], list[Job]]) -> CompleteManyResponse:
        answers, claimed = result
        results = [
            batch_result(c.job_id, a) for c, a in zip(data.completions, answers, strict=True)
        ]
        return CompleteManyResponse(results=results, claimed=claimed)

    return answer


@get("/overview", responses=errors(401), security=BEARER)
async def overview(service: Service, principal: Caller) -> QueueOverview:
    """Workers (by the name their claims give), each job type's queue and whether a live
    worker claims it, and per minute of the last hour: completions, failures, queue depth."""
    return service.queue_overview()


def queue_router() -> Router:
    return Router(
        path="/api/queue",
        route_handlers=with_options([claim, complete_and_claim, complete_many, overview]),
        dependencies={"principal": Provide(provide_principal)},
        tags=["work queue"],
    )
