"""The work queue under /api/queue: claim the next job (long poll), and its overview."""

from __future__ import annotations

from litestar import Router, get, post
from litestar.di import Provide
from litestar.params import JSONBody

from jobdesk.protocol.overview import QueueOverview
from jobdesk.protocol.rest import ClaimRequest, ClaimResponse
from jobdesk.server.api.common import BEARER, Caller, Service, errors, provide_principal
from jobdesk.server.api.litestar_fixes import with_options


@post("/claim", status_code=200, responses=errors(400, 401, 403), security=BEARER)
async def claim(data: JSONBody[ClaimRequest], service: Service, principal: Caller) -> ClaimResponse:
    """Take the next job of ``jobTypes``: highest priority, then oldest. With
    ``waitSeconds`` wait for one (long poll); ``{"job": null}`` when none came."""
    return ClaimResponse(job=await service.claim(principal, data))


@get("/overview", responses=errors(401), security=BEARER)
async def overview(service: Service, principal: Caller) -> QueueOverview:
    """Workers (by the name their claims give), each job type's queue and whether a live
    worker claims it, and per minute of the last hour: completions, failures, queue depth."""
    return service.queue_overview()


def queue_router() -> Router:
    return Router(
        path="/api/queue",
        route_handlers=with_options([claim, overview]),
        dependencies={"principal": Provide(provide_principal)},
        tags=["work queue"],
    )
