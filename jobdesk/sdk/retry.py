"""When to try a request again, and how long to wait first.

Kept apart from the code that sends, as pure functions of numbers, so the policy is
tested without a network or a clock. What counts as a transient failure (a connection
error or a 502/503/504) is decided here too; a 4xx is the server's considered answer and
is never retried.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

RETRY_STATUSES: Final = frozenset({502, 503, 504})
"""Answers a proxy or a restarting server gives: the request may succeed when repeated."""


@dataclass(frozen=True, kw_only=True)
class RetryPolicy:
    """Exponential backoff with jitter, bounded by attempts and by total time.

    The defaults ride out a server restart of about half a minute. ``max_attempts=1``
    disables retrying.
    """

    max_attempts: int = 10
    base_delay: float = 0.2
    """Wait before the second attempt; it doubles for every further one."""
    max_delay: float = 5.0
    """No single wait is longer than this."""
    max_elapsed: float = 30.0
    """Give up rather than start a wait that would end this long after the first attempt."""
    jitter: float = 0.5
    """Share of each wait that is random, so workers restarted together spread out."""

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if min(self.base_delay, self.max_delay, self.max_elapsed) < 0:
            raise ValueError("delays must not be negative")
        if not 0 <= self.jitter <= 1:
            raise ValueError("jitter must be between 0 and 1")


DEFAULT_RETRY: Final = RetryPolicy()


def is_retryable_status(status: int) -> bool:
    return status in RETRY_STATUSES


def backoff_delay(policy: RetryPolicy, attempt: int, rand: float) -> float:
    """The wait after failed attempt number ``attempt`` (1-based); ``rand`` is in [0, 1)."""
    raw = min(policy.max_delay, policy.base_delay * 2.0 ** (attempt - 1))
    return raw * (1.0 - policy.jitter * rand)


def should_retry(policy: RetryPolicy, attempt: int, elapsed: float, delay: float) -> bool:
    """Whether to wait ``delay`` and try again after ``attempt`` failed attempts.

    ``elapsed`` is the time since the first attempt began.
    """
    return attempt < policy.max_attempts and elapsed + delay <= policy.max_elapsed


MIN_REST = 0.5
"""Shortest rest of a reporter's background sender between two rounds of retries."""


def rest_between_rounds(policy: RetryPolicy) -> float:
    """How long a background sender rests after the policy gave up, before trying again.

    Background delivery never gives up while the reporter is open (a flush or close
    reports the failure instead); the floor keeps a policy without delays from spinning.
    """
    return max(policy.max_delay, MIN_REST)
