"""The worker side of the queue as data: its settings, the claim, complete-and-claim and
heartbeat Calls, the attempt header, and which claim failures a worker loop rides out.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from jobdesk.protocol import Job
from jobdesk.protocol.rest import (
    MAX_CLAIM_JOBS,
    ClaimRequest,
    ClaimResponse,
    CompleteAndClaimRequest,
    CompleteAndClaimResponse,
    LeaseView,
)
from jobdesk.sdk.calls import admin_path, clip
from jobdesk.sdk.errors import UNAVAILABLE, SdkError
from jobdesk.sdk.wire import Call

ATTEMPT_HEADER: Final = "Jobdesk-Attempt"
"""The fencing token: the attempt a worker holds, sent with each of its writes, so a
worker presumed dead can never report on (or complete) a job that moved on."""

MIN_LEASE, MAX_LEASE = 1.0, 3600.0
MAX_WAIT: Final = 60.0
MAX_JOB_TYPE: Final = 100
MAX_WORKER_NAME: Final = 200
MIN_CLAIM_GAP: Final = 1.0
"""Least seconds from one claim to the next after an empty answer: with ``wait=0``, or a
server that answers a long poll early, the loop still never spins."""
DEFAULT_PREFETCH: Final = 4
"""Jobs a worker holds at most, the one in hand included: Celery's default
(``worker_prefetch_multiplier`` 4 for a worker of one process), so a worker of short
jobs rarely waits for a round trip. Set ``prefetch=1`` for long jobs, so that no job
waits behind another on a busy worker while an idle one could take it."""
HEARTBEATS_PER_LEASE: Final = 3
"""A lease is renewed this many times over its length, so one late or lost heartbeat
does not lose it."""


@dataclass(frozen=True)
class WorkerSettings:
    """``client.worker(...)``'s arguments, checked once (a ValueError names the bad one)."""

    name: str | None = None
    """Labels the attempts in the job's history; None: the token's name."""
    lease: float = 60.0
    """Seconds a claim holds without a report; heartbeats renew it every lease/3 s."""
    wait: float = 20.0
    """Seconds one claim waits for a job (long poll) before asking again."""
    prefetch: int = DEFAULT_PREFETCH
    """Jobs held at most: claimed ahead and kept alive while the one in hand is worked on."""

    def __post_init__(self) -> None:
        if self.name is not None and (
            not isinstance(self.name, str) or not 1 <= len(self.name) <= MAX_WORKER_NAME
        ):
            raise ValueError(f"name must be 1-{MAX_WORKER_NAME} characters, got {self.name!r}")
        if not _number_in(self.lease, MIN_LEASE, MAX_LEASE):
            raise ValueError(f"lease must be {MIN_LEASE:g}-{MAX_LEASE:g} s, got {self.lease!r}")
        if not _number_in(self.wait, 0, MAX_WAIT):
            raise ValueError(f"wait must be 0-{MAX_WAIT:g} s, got {self.wait!r}")
        if (
            isinstance(self.prefetch, bool)
            or not isinstance(self.prefetch, int)
            or not 1 <= self.prefetch <= MAX_CLAIM_JOBS
        ):
            raise ValueError(f"prefetch must be 1-{MAX_CLAIM_JOBS}, got {self.prefetch!r}")

    @property
    def heartbeat_every(self) -> float:
        return self.lease / HEARTBEATS_PER_LEASE


def _number_in(value: object, low: float, high: float) -> bool:
    return (
        not isinstance(value, bool)
        and isinstance(value, int | float)
        and math.isfinite(value)
        and low <= value <= high
    )


def check_job_types(job_types: Iterable[str]) -> list[str]:
    """The types to claim; a worker names at least one (it knows what it can do)."""
    found = list(job_types)
    if not found:
        raise ValueError("name at least one job type to claim, e.g. worker.jobs('send-email')")
    for job_type in found:
        if not isinstance(job_type, str) or not 1 <= len(job_type) <= MAX_JOB_TYPE:
            raise ValueError(f"a job type must be 1-{MAX_JOB_TYPE} characters, got {job_type!r}")
    return found


def claim_request(
    settings: WorkerSettings, job_types: list[str], count: int, *, wait: float
) -> ClaimRequest:
    return ClaimRequest(
        job_types=job_types,
        wait_seconds=wait,
        lease_seconds=settings.lease,
        worker=settings.name,
        max_jobs=count,
    )


def claim_call(settings: WorkerSettings, job_types: list[str], count: int) -> Call[ClaimResponse]:
    """Claim up to ``count`` jobs, waiting up to ``settings.wait`` s for the first."""
    body = claim_request(settings, job_types, count, wait=settings.wait)
    return Call("POST", "/api/queue/claim", ClaimResponse, body, wait=settings.wait)


def claimed_jobs(answer: ClaimResponse) -> list[Job]:
    """The jobs a claim brought (a server older than ``jobs`` gives only ``job``)."""
    if answer.jobs:
        return answer.jobs
    return [] if answer.job is None else [answer.job]


COMPLETE_PATH: Final = "/api/queue/complete"


def complete_and_claim_call(
    job: Job,
    result: object,
    message: str | None,
    claim: ClaimRequest,
) -> Call[CompleteAndClaimResponse]:
    """Complete ``job`` and claim ``claim.max_jobs`` more in one request (never waits)."""
    body = CompleteAndClaimRequest(
        job_id=job.id,
        attempt=job.attempts,
        result=result,
        message=None if message is None else clip(message),
        claim=claim,
    )
    return Call("POST", COMPLETE_PATH, CompleteAndClaimResponse, body, headers=attempt_headers(job))


def attempt_headers(job: Job) -> dict[str, str]:
    """The header every write about a claimed job carries: the attempt it was claimed as."""
    return {ATTEMPT_HEADER: str(job.attempts)}


def heartbeat_call(job: Job) -> Call[LeaseView]:
    return Call("POST", admin_path(job.id, "heartbeat"), LeaseView, headers=attempt_headers(job))


def claim_retryable(exc: SdkError) -> bool:
    """A claim failure the worker loop waits out (server away, or broken for a moment);
    any other (a refused token, a bad job type) ends the loop: retrying cannot help."""
    return exc.code == UNAVAILABLE or (exc.status or 0) >= 500


def idle_rest(elapsed: float) -> float:
    """Seconds to rest after a claim that took ``elapsed`` s and brought no job."""
    return max(0.0, MIN_CLAIM_GAP - elapsed)
