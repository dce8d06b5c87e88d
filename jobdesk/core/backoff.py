"""Reconnect timing: how long to wait (the backoff) apart from whether to retry (the policy).

Exponential backoff with full jitter: the n-th wait is uniform in
``[0, min(cap, initial * factor**n)]`` — spreading many clients' reconnects after a
server restart instead of herding them. Both classes take their clock and random source
as arguments so tests check the numbers without sleeping.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

Clock = Callable[[], float]


@dataclass
class Backoff:
    initial: float = 1.0
    factor: float = 2.0
    cap: float = 30.0
    rng: random.Random = field(default_factory=random.Random)
    attempts: int = 0
    """Failures since the last reset; the next delay grows with it."""

    def ceiling(self) -> float:
        """The upper bound of the next delay."""
        return min(self.cap, self.initial * self.factor**self.attempts)

    def next_delay(self) -> float:
        """The wait before the next attempt (full jitter), counting this failure."""
        delay = self.rng.uniform(0.0, self.ceiling())
        self.attempts += 1
        return delay

    def reset(self) -> None:
        self.attempts = 0


class Verdict(StrEnum):
    RETRY = "retry"
    """Wait the backoff's next delay, then try again."""
    RETRY_SOON = "retry_soon"
    """The server is going away or restarting on purpose: come back after a short delay."""
    GIVE_UP = "give_up"
    """The credentials were refused: waiting will not change that."""


FATAL_CLOSE_CODES = frozenset({1008})
"""Policy violation: the server refused our auth."""
SOON_CLOSE_CODES = frozenset({1001, 1012})
"""Going away, service restart."""
FATAL_HTTP_STATUSES = frozenset({401, 403})


@dataclass
class ReconnectPolicy:
    """Decides, after a connection ends, whether and how to retry.

    The backoff is reset only by a connection that was authenticated and then stayed up
    for ``stable_after`` seconds: a server that accepts the handshake and then refuses
    (or drops) us at once must not get a fast retry loop (websockets' own loop resets on
    every handshake: ~2,000 handshakes in 2 s against such a server).
    """

    backoff: Backoff = field(default_factory=Backoff)
    stable_after: float = 10.0
    soon_max: float = 2.0
    """The short delay after 1001/1012 is uniform in [soon_max / 4, soon_max]."""

    def verdict(
        self,
        *,
        close_code: int | None = None,
        http_status: int | None = None,
        auth_failed: bool = False,
    ) -> Verdict:
        if auth_failed or close_code in FATAL_CLOSE_CODES or http_status in FATAL_HTTP_STATUSES:
            return Verdict.GIVE_UP
        if close_code in SOON_CLOSE_CODES:
            return Verdict.RETRY_SOON
        return Verdict.RETRY

    def connection_ended(self, authenticated_at: float | None, ended_at: float) -> bool:
        """Record how long the connection lasted; a stable one resets the backoff (and
        is said: True)."""
        stable = authenticated_at is not None and ended_at - authenticated_at >= self.stable_after
        if stable:
            self.backoff.reset()
        return stable

    def delay(self, verdict: Verdict) -> float:
        if verdict is Verdict.RETRY_SOON:
            return self.backoff.rng.uniform(self.soon_max / 4, self.soon_max)
        return self.backoff.next_delay()
