"""Sending a Call with retries: the sync and the async flavour of one loop.

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

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import httpx

from jobdesk.sdk.errors import BAD_RESPONSE, UNAVAILABLE, SdkError
from jobdesk.sdk.retry import RetryPolicy, backoff_delay, is_retryable_status, should_retry
from jobdesk.sdk.wire import Call, decode, error_from

T = TypeVar("T")
Pause = Callable[[float], bool]
"""Waits the given seconds; False means stop retrying now (the reporter is closing)."""
AsyncPause = Callable[[float], Awaitable[bool]]

log = logging.getLogger("jobdesk.sdk")


def _sleep(seconds: float) -> bool:
    time.sleep(seconds)
    return True


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


async def _asleep(seconds: float) -> bool:
    await asyncio.sleep(seconds)
    return True


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


class _Backoff:
    """The retry bookkeeping both loops share: attempts, elapsed time, the next wait."""

    def __init__(self, policy: RetryPolicy, rng: Callable[[], float]) -> None:
        self._policy = policy
        self._rng = rng
        self._started = time.monotonic()
        self.attempt = 0

    def next_wait(self, call: Call[T], failure: SdkError) -> float | None:
        """Seconds to wait before the next attempt, or None to give up with ``failure``."""
        if failure.code != UNAVAILABLE and failure.code not in call.retry_codes:
            return None
        delay = backoff_delay(self._policy, self.attempt, self._rng())
        if failure.retry_after is not None:
            delay = max(delay, min(failure.retry_after, self._policy.max_delay))
        if not should_retry(self._policy, self.attempt, time.monotonic() - self._started, delay):
            return None
        log.info("jobdesk: %s; retrying %s in %.2f s", failure.message, call.path, delay)
        return delay


class SyncTransport:
    def __init__(
        self,
        http: httpx.Client,
        policy: RetryPolicy,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.http = http
        self.policy = policy
        self._rng = rng

    def send(self, call: Call[T], pause: Pause = _sleep) -> T:
        backoff = _Backoff(self.policy, self._rng)
        while True:
            backoff.attempt += 1
            try:
                response = self.http.send(call.build(self.http))
            except httpx.HTTPError as exc:
                failure = _failed(call, exc, backoff.attempt)
            else:
                answer = _answer(response, call, backoff.attempt)
                if not isinstance(answer, SdkError):
                    return answer
                failure = answer
            wait = backoff.next_wait(call, failure)
            if wait is None or not pause(wait):
                raise failure


class AsyncTransport:
    def __init__(
        self,
        http: httpx.AsyncClient,
        policy: RetryPolicy,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.http = http
        self.policy = policy
        self._rng = rng

    async def send(self, call: Call[T], pause: AsyncPause = _asleep) -> T:
        backoff = _Backoff(self.policy, self._rng)
        while True:
            backoff.attempt += 1
            try:
                response = await self.http.send(call.build(self.http))
            except httpx.HTTPError as exc:
                failure = _failed(call, exc, backoff.attempt)
            else:
                answer = _answer(response, call, backoff.attempt)
                if not isinstance(answer, SdkError):
                    return answer
                failure = answer
            wait = backoff.next_wait(call, failure)
            if wait is None or not await pause(wait):
                raise failure
