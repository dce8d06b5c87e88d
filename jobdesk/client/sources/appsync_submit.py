"""Submitting a job to an AppSync backend the way seed 000's ``submitJob`` does: a GraphQL
mutation with the request and a priority, retried with backoff, failing with one of the
seed's error codes so a caller can tell a missing token from a bad request from an
outage.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import Any

import httpx

from jobdesk.client.errors import AuthRejected, ProtocolBroken
from jobdesk.client.sources import appsync_mapping as mapping
from jobdesk.client.sources.appsync_graphql import GraphQLClient, GraphQLFailed, only_field
from jobdesk.protocol import JobSummary, Priority

log = logging.getLogger(__name__)

PRIORITY_LEVELS = tuple(level.value for level in Priority)
"""Seed 000's ``Priority``: HIGH, MEDIUM, LOW."""
MAX_RETRIES = 3
RETRY_DELAY = 1.0
BACKOFF_MULTIPLIER = 2.0
MAX_RETRY_DELAY = 30.0
_REFUSED_TYPES = frozenset({"INVALID_INPUT", "ValidationError", "BadRequestException"})
"""GraphQL error types that trying again cannot mend."""


class SubmissionCode(StrEnum):
    AUTH_REQUIRED = "AUTH_REQUIRED"
    """No token, or the backend refused it."""
    INVALID_INPUT = "INVALID_INPUT"
    """An empty request or an unknown priority, or the backend said the input is bad."""
    SUBMISSION_FAILED = "SUBMISSION_FAILED"
    """The backend could not be reached or failed, every try."""
    UNKNOWN_ERROR = "UNKNOWN_ERROR"


class JobSubmissionError(Exception):
    def __init__(self, code: SubmissionCode, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code


async def submit_job(
    graphql: GraphQLClient,
    *,
    token: str,
    request: str,
    priority: str = Priority.MEDIUM,
    document: str = mapping.SUBMIT_MUTATION,
    max_retries: int = MAX_RETRIES,
    retry_delay: float = RETRY_DELAY,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> JobSummary:
    """The submitted job; ``JobSubmissionError`` with the seed's code otherwise."""
    if not token:
        raise JobSubmissionError(SubmissionCode.AUTH_REQUIRED, "no authentication token")
    if not request.strip():
        raise JobSubmissionError(SubmissionCode.INVALID_INPUT, "the request is empty")
    if priority not in PRIORITY_LEVELS:
        raise JobSubmissionError(
            SubmissionCode.INVALID_INPUT,
            f"priority must be one of {', '.join(PRIORITY_LEVELS)}, not {priority!r}",
        )
    variables = {"input": {"request": request, "priority": priority}}
    delay = retry_delay
    for attempt in range(max_retries + 1):
        try:
            return _submitted(only_field(await graphql.execute(document, variables)))
        except AuthRejected as exc:
            raise JobSubmissionError(SubmissionCode.AUTH_REQUIRED, str(exc)) from exc
        except GraphQLFailed as exc:
            if exc.error_type in _REFUSED_TYPES:
                raise JobSubmissionError(SubmissionCode.INVALID_INPUT, str(exc)) from exc
            failure: Exception = exc
        except (httpx.HTTPError, ProtocolBroken, OSError) as exc:
            failure = exc
        except Exception as exc:
            raise JobSubmissionError(SubmissionCode.UNKNOWN_ERROR, repr(exc)) from exc
        log.info("submission attempt %d failed: %s", attempt + 1, failure)
        if attempt < max_retries:
            await sleep(delay)
            delay = min(delay * BACKOFF_MULTIPLIER, MAX_RETRY_DELAY)
    raise JobSubmissionError(
        SubmissionCode.SUBMISSION_FAILED, f"{max_retries + 1} attempts failed: {failure}"
    )


def _submitted(answer: Any) -> JobSummary:
    if not isinstance(answer, dict):
        raise ProtocolBroken(f"the mutation answered {answer!r:.200}, not a job")
    return mapping.summary(answer)
