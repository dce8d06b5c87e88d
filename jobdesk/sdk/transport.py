"""Sending a Call with retries, as steps: one loop that both shells drive.

A transient failure (no connection, a timeout, 502/503/504) is retried as the
RetryPolicy allows; when it gives up, the caller gets ``SdkError(UNAVAILABLE)``. Any
other answer, 4xx included, is final at once, unless the Call names its code in
``retry_codes`` (a submission retries a full queue's 429).

A 503 that says ``Retry-After`` (the server's disk is full, its database busy) is tried
again no sooner than that, within the policy's ``max_delay``. A connection the server
closed without an answer (``RemoteProtocolError``, a reset) is retried like any network
failure.

A write whose answer was lost may have been committed. Every write carries an
``Idempotency-Key`` that is the same on each retry, and the jobdesk server honours it:
a repeat within ``idempotency_ttl_s`` (a day) is answered with the first answer instead
of acting twice, so a retried log message is not added again.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

import httpx

from jobdesk.sdk.errors import BAD_RESPONSE, UNAVAILABLE, SdkError
from jobdesk.sdk.retry import RetryPolicy, backoff_delay, is_retryable_status, should_retry
from jobdesk.sdk.steps import Attempt, Sleep, Steps
from jobdesk.sdk.wire import Call, decode, error_from

T = TypeVar("T")

log = logging.getLogger("jobdesk.sdk")


def _failed(call: Call[T], exc: httpx.HTTPError, attempt: int) -> SdkError:
    """Map an exchange that got no answer; only the transient kind has code UNAVAILABLE."""
    transient = isinstance(exc, httpx.TransportError) and not isinstance(
        exc, httpx.UnsupportedProtocol
    )
    code = UNAVAILABLE if transient else BAD_RESPONSE
    text = f"{call.method} {call.path}: {type(exc).__name__}: {exc}"
    failure = SdkError(code, text, attempts=attempt)
    failure.__cause__ = exc
    return failure


def _answer(response: httpx.Response, call: Call[T], attempt: int) -> T | SdkError:
    """The decoded answer, or the failure to retry (raised at once when not retryable)."""
    if is_retryable_status(response.status_code):
        return _unavailable(response, attempt)
    try:
        return decode(response, call, attempt)
    except SdkError as refused:
        if refused.code in call.retry_codes:
            return refused
        raise


def _unavailable(response: httpx.Response, attempt: int) -> SdkError:
    answer = error_from(response, attempt)
    failure = SdkError(
        UNAVAILABLE,
        f"server answered {response.status_code}: {answer.message}",
        status=response.status_code,
        attempts=attempt,
    )
    failure.retry_after = _retry_after(response)
    return failure


def _retry_after(response: httpx.Response) -> float | None:
    """``Retry-After`` in seconds (its date form is not worth parsing for a retry)."""
    try:
        seconds = float(response.headers.get("Retry-After", ""))
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


def exchange(
    call: Call[T], policy: RetryPolicy, rng: Callable[[], float] = random.random
) -> Steps[T]:
    """Send ``call`` as the policy allows: the retry loop, as steps (see ``steps``).

    Yields an ``Attempt`` per try and a ``Sleep`` between tries; returns the decoded
    answer, or raises the SdkError it ended with.
    """
    started = time.monotonic()
    attempt = 0
    while True:
        attempt += 1
        outcome = yield Attempt(call)
        if isinstance(outcome, httpx.HTTPError):
            failure = _failed(call, outcome, attempt)
        else:
            answer = _answer(outcome, call, attempt)
            if not isinstance(answer, SdkError):
                return answer
            failure = answer
        wait = _next_wait(policy, call, failure, attempt, time.monotonic() - started, rng())
        if wait is None or not (yield Sleep(wait)):
            raise failure


def _next_wait(
    policy: RetryPolicy, call: Call[T], failure: SdkError, attempt: int, elapsed: float, rand: float
) -> float | None:
    """Seconds to wait before the next attempt, or None to give up with ``failure``."""
    if failure.code != UNAVAILABLE and failure.code not in call.retry_codes:
        return None
    delay = backoff_delay(policy, attempt, rand)
    if failure.retry_after is not None:
        delay = max(delay, min(failure.retry_after, policy.max_delay))
    if not should_retry(policy, attempt, elapsed, delay):
        return None
    log.info("jobdesk: %s; retrying %s in %.2f s", failure.message, call.path, delay)
    return delay
